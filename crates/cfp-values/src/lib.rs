//! Parsers for the values people type on cfp's command line: durations,
//! `--at` times, `KEY=VALUE` pairs. A crate of its own (jiff only) so that
//! the fuzz targets build it without the CLI's HTTP client and simulator.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp};

/// The longest duration a flag accepts (a week): anything longer is a typo.
const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parses `90s`, `5m`, `1h30m`, `1.5h` (jiff's friendly format, also ISO
/// 8601 `PT5M`). Zero, negative and over-a-week durations are refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = to_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration: {e} (examples: 90s, 5m, 1h30m)"))?;
    if d.is_zero() || d.is_negative() {
        return Err(format!("{s:?}: the duration must be positive"));
    }
    let d = d.unsigned_abs();
    if d > MAX_DURATION {
        return Err(format!("{s:?}: the duration must be at most a week (168h)"));
    }
    Ok(d)
}

/// A friendly duration with days as 24 hours.
fn to_duration(s: &str) -> Result<SignedDuration, String> {
    if let Ok(d) = SignedDuration::from_str(s) {
        return Ok(d);
    }
    let span = Span::from_str(s).map_err(|e| e.to_string())?;
    span.to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|e| e.to_string())
}

/// A `--at` time: RFC 3339 or relative to now (`+30m`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// An absolute instant.
    Absolute(Timestamp),
    /// This long after the command runs.
    Relative(Duration),
}

impl At {
    /// The instant, checked to be in the future of `now`.
    pub fn resolve(&self, now: Timestamp) -> Result<Timestamp, String> {
        let t = match self {
            At::Absolute(t) => *t,
            At::Relative(d) => {
                let d = SignedDuration::try_from(*d).map_err(|e| e.to_string())?;
                now.checked_add(d).map_err(|e| e.to_string())?
            }
        };
        if t <= now {
            return Err(format!(
                "--at {t} is in the past (now is {}); give a future time or +DURATION",
                now.round(jiff::Unit::Second).unwrap_or(now)
            ));
        }
        Ok(t)
    }
}

impl FromStr for At {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(rel) = s.strip_prefix('+') {
            return parse_duration(rel).map(At::Relative);
        }
        if let Some(rel) = s.strip_prefix('-')
            && parse_duration(rel).is_ok()
        {
            return Err(format!(
                "{s:?} is in the past: give a future time, relative as +DURATION (+{rel})"
            ));
        }
        Timestamp::from_str(s).map(At::Absolute).map_err(|e| {
            const FORMS: &str = "give a relative time (+30m, +2h, +1d) or an RFC 3339 \
                                 date and time with its offset (2030-01-01T03:00:00Z, \
                                 2030-01-01T05:00:00+02:00)";
            if !s.starts_with(|c: char| c.is_ascii_digit()) {
                // A word ("tomorrow", "now"): jiff's detail would only
                // confuse.
                format!("{s:?} is not a time cfp understands: {FORMS}")
            } else if jiff::civil::DateTime::from_str(s).is_ok() {
                format!("{s:?} is not a time: it has no offset (Z for UTC); {FORMS}")
            } else {
                format!("{s:?} is not a time ({e}): {FORMS}")
            }
        })
    }
}

/// A `KEY=VALUE` pair (`--param`, `--label`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// Before the first `=`.
    pub key: String,
    /// After the first `=`.
    pub value: String,
}

impl FromStr for KeyValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok(Self {
                key: k.trim().to_owned(),
                value: v.to_owned(),
            }),
            _ => Err(format!("{s:?} is not KEY=VALUE")),
        }
    }
}

impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_contract_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn bad_durations_say_why() {
        for (input, says) in [
            ("0s", "positive"),
            ("-5m", "positive"),
            ("5", "not a duration"),
            ("soon", "not a duration"),
            ("", "not a duration"),
            ("9999h", "at most a week"),
            ("99999999999999999999h", "not a duration"),
        ] {
            let e = parse_duration(input).unwrap_err();
            assert!(e.contains(says), "{input}: {e}");
        }
    }

    #[test]
    fn at_takes_rfc3339_and_relative_times() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let at: At = "2030-01-01T03:00:00Z".parse().unwrap();
        assert_eq!(at.resolve(now).unwrap().to_string(), "2030-01-01T03:00:00Z");
        let at: At = "2030-01-01T03:00:00+02:00".parse().unwrap();
        assert_eq!(at.resolve(now).unwrap().to_string(), "2030-01-01T01:00:00Z");
        let at: At = "+30m".parse().unwrap();
        assert_eq!(at.resolve(now).unwrap().to_string(), "2026-11-23T10:30:00Z");
    }

    #[test]
    fn at_refuses_the_past_and_unclear_times() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let past: At = "2020-01-01T00:00:00Z".parse().unwrap();
        assert!(past.resolve(now).unwrap_err().contains("in the past"));
        let e = "2030-01-01 03:00".parse::<At>().unwrap_err();
        assert!(
            e.contains("no offset") && e.contains("2030-01-01T03:00:00Z"),
            "{e}"
        );
        assert!("+0s".parse::<At>().is_err());
        let e = "-5m".parse::<At>().unwrap_err();
        assert!(e.contains("in the past") && e.contains("+5m"), "{e}");
        let e = "tomorrow".parse::<At>().unwrap_err();
        assert_eq!(
            e,
            "\"tomorrow\" is not a time cfp understands: give a relative time (+30m, +2h, \
             +1d) or an RFC 3339 date and time with its offset (2030-01-01T03:00:00Z, \
             2030-01-01T05:00:00+02:00)"
        );
        let e = "2030-13-01T00:00:00Z".parse::<At>().unwrap_err();
        assert!(e.contains("is not a time (") && e.contains("+30m"), "{e}");
    }

    #[test]
    fn key_values_split_at_the_first_equals() {
        let kv: KeyValue = "version=1.4=2".parse().unwrap();
        assert_eq!((kv.key.as_str(), kv.value.as_str()), ("version", "1.4=2"));
        assert!("=x".parse::<KeyValue>().is_err());
        assert!("novalue".parse::<KeyValue>().is_err());
    }
}
