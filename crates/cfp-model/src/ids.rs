//! Typed identifiers.
//!
//! Every numeric id of the three API surfaces gets its own newtype so that an
//! image id can never be passed where a machine id is expected. On the wire
//! they are integers; the task API wants them as strings in request bodies
//! (see [`crate::task::CreateTaskBatch`]), and a PHP backend may send a numeric
//! string, so decoding accepts both `17` and `"17"`.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a piece of user input is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct InvalidId {
    /// What kind of id was expected, e.g. `"image id"`.
    pub kind: &'static str,
    /// The input as given (truncated to 64 characters).
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl InvalidId {
    pub(crate) fn new(kind: &'static str, value: &str, reason: &'static str) -> Self {
        let value: String = value.chars().take(64).collect();
        Self {
            kind,
            value,
            reason,
        }
    }
}

/// Parses a positive decimal integer id, the form every CLI flag and config
/// value takes.
fn parse_positive(kind: &'static str, s: &str) -> Result<u64, InvalidId> {
    if s.is_empty() {
        return Err(InvalidId::new(kind, s, "it is empty"));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        let reason = if s.starts_with('-') {
            "it must be a positive integer, not negative"
        } else {
            "it must be a positive integer (digits only)"
        };
        return Err(InvalidId::new(kind, s, reason));
    }
    match s.parse::<u64>() {
        Ok(0) => Err(InvalidId::new(kind, s, "it must be greater than zero")),
        Ok(n) => Ok(n),
        Err(_) => Err(InvalidId::new(
            kind,
            s,
            "it is too large (at most 18446744073709551615)",
        )),
    }
}

/// Visitor shared by every numeric id: an unsigned integer, or a string
/// holding one (a map key arrives as a string, too).
struct IdVisitor(&'static str);

impl Visitor<'_> for IdVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a non-negative integer {}", self.0)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        if !v.is_empty()
            && v.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = v.parse()
        {
            return Ok(n);
        }
        Err(E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        impl $name {
            /// What this id is called in messages.
            pub const KIND: &'static str = $kind;

            /// The raw integer.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl From<u64> for $name {
            fn from(v: u64) -> Self {
                Self(v)
            }
        }

        impl From<$name> for u64 {
            fn from(v: $name) -> u64 {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        /// Parses user input: a positive decimal integer.
        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, InvalidId> {
                parse_positive($kind, s).map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IdVisitor($kind)).map(Self)
            }
        }

        /// A path or query value: a positive id, written in decimal.
        impl crate::params::ParamValue for $name {
            fn check(&self) -> Result<(), &'static str> {
                if self.0 == 0 { Err("must be a positive id") } else { Ok(()) }
            }

            fn write_raw(&self, out: &mut String) {
                self.0.write_raw(out);
            }

            fn parse(text: &str) -> Result<Self, String> {
                text.parse::<Self>().map_err(|e| e.to_string())
            }
        }
    };
}

numeric_id!(
    /// A Clanforge account service id (ASID): the project the credentials act on.
    AccountServiceId,
    "account service id"
);
numeric_id!(
    /// A Clanforge game image id.
    ImageId,
    "image id"
);
numeric_id!(
    /// A Clanforge machine id.
    MachineId,
    "machine id"
);
numeric_id!(
    /// An image difference analysis (diff job) id.
    DiffId,
    "diff id"
);
numeric_id!(
    /// A Clanforge game id (seen in diff status info).
    GameId,
    "game id"
);
numeric_id!(
    /// A fleet id (Clanforge image status keys, task API `fleetId`).
    FleetId,
    "fleet id"
);
numeric_id!(
    /// A region id (Clanforge image status keys, task API `regionId`).
    RegionId,
    "region id"
);
numeric_id!(
    /// A task API task id.
    TaskId,
    "task id"
);
numeric_id!(
    /// A task API task batch id.
    TaskBatchId,
    "task batch id"
);
numeric_id!(
    /// A task API task template id.
    TaskTemplateId,
    "task template id"
);
numeric_id!(
    /// A task API application instance (game server) id.
    ApplicationInstanceId,
    "application instance id"
);
numeric_id!(
    /// The entity a task runs for: for category 1, a game server
    /// (application instance) id.
    EntityId,
    "entity id"
);

numeric_id!(
    /// A Clanforge image update job id.
    UpdateId,
    "update id"
);
numeric_id!(
    /// A Clanforge image version (version job) id.
    ImageVersionId,
    "image version id"
);
numeric_id!(
    /// A Clanforge image install job id (one machine installing a version).
    InstallJobId,
    "install job id"
);
numeric_id!(
    /// The uninstall job a diff rejected with `reinstall=1` runs.
    UninstallJobId,
    "uninstall job id"
);
numeric_id!(
    /// A Clanforge game server profile id.
    ProfileId,
    "profile id"
);

/// A ZStack image id: a user-defined string (the vendor recommends an MD5
/// value), sent as one path segment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ZStackImageId(String);

impl ZStackImageId {
    /// What this id is called in messages.
    pub const KIND: &'static str = "ZStack image id";

    /// Checks and wraps an id: it must be non-empty, at most 256 characters,
    /// and hold no whitespace or control characters.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidId> {
        let s = s.into();
        if s.is_empty() {
            return Err(InvalidId::new(Self::KIND, &s, "it is empty"));
        }
        if s.chars().count() > 256 {
            return Err(InvalidId::new(
                Self::KIND,
                &s,
                "it is longer than 256 characters",
            ));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidId::new(
                Self::KIND,
                &s,
                "it must not contain whitespace or control characters",
            ));
        }
        Ok(Self(s))
    }

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZStackImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ZStackImageId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, InvalidId> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positive_ids() {
        assert_eq!("42".parse::<ImageId>(), Ok(ImageId(42)));
    }

    #[test]
    fn refuses_zero_negative_and_junk_with_a_reason() {
        let e = "0".parse::<ImageId>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid image id \"0\": it must be greater than zero"
        );
        let e = "-3".parse::<TaskId>().unwrap_err();
        assert!(e.to_string().contains("not negative"), "{e}");
        let e = "".parse::<DiffId>().unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let e = "12a".parse::<DiffId>().unwrap_err();
        assert!(e.to_string().contains("digits only"), "{e}");
        let e = "99999999999999999999999".parse::<DiffId>().unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
        let e = "١٢".parse::<DiffId>().unwrap_err();
        assert!(e.to_string().contains("digits only"), "{e}");
    }

    #[test]
    fn decodes_integer_or_numeric_string() {
        let a: FleetId = serde_json::from_str("7").unwrap();
        let b: FleetId = serde_json::from_str("\"7\"").unwrap();
        assert_eq!(a, b);
        assert!(serde_json::from_str::<FleetId>("-1").is_err());
        assert!(serde_json::from_str::<FleetId>("\"x\"").is_err());
        assert!(serde_json::from_str::<FleetId>("1.5").is_err());
    }

    #[test]
    fn zstack_image_id_is_checked() {
        assert!(ZStackImageId::new("ccf943310d86335bb3d2511ca8e14137").is_ok());
        assert!(ZStackImageId::new("").is_err());
        assert!(ZStackImageId::new("a b").is_err());
        assert!(ZStackImageId::new("a\u{7}").is_err());
        assert!(ZStackImageId::new("x".repeat(257)).is_err());
    }
}
