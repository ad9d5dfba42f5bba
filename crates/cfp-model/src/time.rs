//! Unix timestamps that keep their wire form.
//!
//! Clanforge documents `jobstart` as a string holding a Unix timestamp and the
//! other job timestamps as integers; the task API sends integers. Every
//! timestamp accepts both forms, decodes to a [`jiff::Timestamp`], and keeps
//! the form it arrived in so that re-encoding gives back what the vendor sent.

use std::fmt;

use jiff::Timestamp;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The form a timestamp took on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeForm {
    /// A JSON integer: `1700000000`.
    Integer,
    /// A JSON string holding an integer: `"1700000000"`.
    String,
}

/// A Unix timestamp in whole seconds, as sent by the vendor.
///
/// ```
/// use cfp_model::UnixTime;
///
/// let t: UnixTime = serde_json::from_str("\"1700000000\"").unwrap();
/// assert_eq!(t.as_secs(), 1_700_000_000);
/// assert_eq!(t.timestamp().to_string(), "2023-11-14T22:13:20Z");
/// // Re-encoding keeps the vendor's form.
/// assert_eq!(serde_json::to_string(&t).unwrap(), "\"1700000000\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnixTime {
    secs: i64,
    form: TimeForm,
}

/// Why a number cannot be a [`UnixTime`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unix timestamp {0} is outside the supported range (years -9999 to 9999)")]
pub struct TimeOutOfRange(pub i64);

impl UnixTime {
    /// Smallest accepted value (jiff's minimum, early in year -9999).
    pub const MIN_SECS: i64 = -377_705_023_201;
    /// Largest accepted value (jiff's maximum, late in year 9999).
    pub const MAX_SECS: i64 = 253_402_207_200;

    /// A timestamp from whole seconds, integer form.
    pub fn from_secs(secs: i64) -> Result<Self, TimeOutOfRange> {
        Self::with_form(secs, TimeForm::Integer)
    }

    /// A timestamp from whole seconds with an explicit wire form.
    pub fn with_form(secs: i64, form: TimeForm) -> Result<Self, TimeOutOfRange> {
        if (Self::MIN_SECS..=Self::MAX_SECS).contains(&secs) {
            Ok(Self { secs, form })
        } else {
            Err(TimeOutOfRange(secs))
        }
    }

    /// A timestamp from a [`jiff::Timestamp`] (sub-second part dropped),
    /// integer form.
    pub fn from_timestamp(t: Timestamp) -> Self {
        Self {
            secs: t.as_second(),
            form: TimeForm::Integer,
        }
    }

    /// Seconds since the Unix epoch.
    pub const fn as_secs(self) -> i64 {
        self.secs
    }

    /// The form it had on the wire.
    pub const fn form(self) -> TimeForm {
        self.form
    }

    /// The same instant in another wire form.
    pub const fn in_form(self, form: TimeForm) -> Self {
        Self {
            secs: self.secs,
            form,
        }
    }

    /// The instant as a [`jiff::Timestamp`].
    pub fn timestamp(self) -> Timestamp {
        // The range is checked on construction, so this cannot fail; fall
        // back to the epoch rather than panic if that ever changes.
        Timestamp::from_second(self.secs).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// `true` for `0`, which the task API uses for "not yet" (e.g. a task's
    /// `finishedAt` before it finishes).
    pub const fn is_unset(self) -> bool {
        self.secs == 0
    }

    /// `None` for the "not yet" value `0`, else the instant.
    pub fn non_zero(self) -> Option<Timestamp> {
        (!self.is_unset()).then(|| self.timestamp())
    }
}

impl fmt::Display for UnixTime {
    /// RFC 3339 in UTC, e.g. `2023-11-14T22:13:20Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.timestamp(), f)
    }
}

impl Serialize for UnixTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.form {
            TimeForm::Integer => s.serialize_i64(self.secs),
            TimeForm::String => s.collect_str(&self.secs),
        }
    }
}

struct UnixTimeVisitor;

impl UnixTimeVisitor {
    fn checked<E: de::Error>(secs: i64, form: TimeForm) -> Result<UnixTime, E> {
        UnixTime::with_form(secs, form).map_err(|e| E::custom(e.to_string()))
    }
}

impl Visitor<'_> for UnixTimeVisitor {
    type Value = UnixTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a unix timestamp (an integer, or a string holding one)")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<UnixTime, E> {
        Self::checked(v, TimeForm::Integer)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<UnixTime, E> {
        let secs = i64::try_from(v).map_err(|_| E::custom(TimeOutOfRange(i64::MAX)))?;
        Self::checked(secs, TimeForm::Integer)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<UnixTime, E> {
        // `i64::from_str` reads an optional sign and digits in one pass;
        // only `-` is a sign here, so a leading `+` is refused first.
        let secs: i64 = match v.as_bytes().first() {
            Some(b'+') | None => None,
            Some(_) => v.parse().ok(),
        }
        .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))?;
        Self::checked(secs, TimeForm::String)
    }
}

impl<'de> Deserialize<'de> for UnixTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnixTimeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_and_string_forms_decode_to_the_same_instant() {
        let a: UnixTime = serde_json::from_str("1700000000").unwrap();
        let b: UnixTime = serde_json::from_str("\"1700000000\"").unwrap();
        assert_eq!(a.timestamp(), b.timestamp());
        assert_eq!(a.form(), TimeForm::Integer);
        assert_eq!(b.form(), TimeForm::String);
    }

    #[test]
    fn each_form_re_encodes_as_it_came() {
        for raw in ["1700000000", "\"1700000000\"", "0", "\"-5\""] {
            let t: UnixTime = serde_json::from_str(raw).unwrap();
            assert_eq!(serde_json::to_string(&t).unwrap(), raw);
        }
    }

    #[test]
    fn rejects_fractions_words_and_out_of_range() {
        for raw in [
            "1.5",
            "\"soon\"",
            "\"\"",
            "\"1e9\"",
            "true",
            "null",
            "99999999999999",
        ] {
            assert!(serde_json::from_str::<UnixTime>(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn range_is_jiffs_range() {
        assert_eq!(UnixTime::MIN_SECS, Timestamp::MIN.as_second());
        assert_eq!(UnixTime::MAX_SECS, Timestamp::MAX.as_second());
        for secs in [UnixTime::MIN_SECS, UnixTime::MAX_SECS] {
            assert_eq!(
                UnixTime::from_secs(secs).unwrap().timestamp().as_second(),
                secs
            );
        }
    }

    #[test]
    fn zero_means_unset() {
        let t = UnixTime::from_secs(0).unwrap();
        assert!(t.is_unset());
        assert_eq!(t.non_zero(), None);
    }
}
