//! Clanforge v2 fleet profile switches: moving a reservation fleet's empty
//! game servers to another profile (the one that references a new image
//! version), and reading where the switch stands.
//!
//! Sources: the vendor's `fleet-switch-profile` and
//! `fleet-profile-switch-status` endpoint pages. The field names are
//! PascalCase on the wire, as the vendor's Go service writes them.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ClanforgeReply;
use crate::ids::ProfileId;
use crate::params::{ParamError, RequestBody};

/// The request of a profile switch.
///
/// ```
/// use std::time::Duration;
/// use cfp_model::clanforge::SwitchProfile;
/// use cfp_model::ProfileId;
///
/// let body = SwitchProfile::new(ProfileId(12), Duration::from_secs(5400)).max_machines(10);
/// assert_eq!(
///     serde_json::to_string(&body).unwrap(),
///     r#"{"ProfileID":12,"Timeout":"1h30m","MaxMachines":10}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchProfile {
    /// `ProfileID`: the profile to switch to.
    #[serde(rename = "ProfileID")]
    pub profile_id: ProfileId,
    /// `Timeout`: how long the switch may take (a Go duration on the wire,
    /// such as `2h` or `1h30m`).
    #[serde(rename = "Timeout", with = "go_duration")]
    pub timeout: Duration,
    /// `MaxMachines`: at most this many servers at a time (all at once when
    /// absent).
    #[serde(
        rename = "MaxMachines",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_machines: Option<u32>,
}

impl Default for SwitchProfile {
    /// Profile id 0, refused when sent: a generated params struct starts
    /// from its body's default, and the constructor sets the profile.
    fn default() -> Self {
        Self::new(ProfileId(0), Duration::from_secs(3600))
    }
}

impl SwitchProfile {
    /// A switch to `profile` within `timeout`, all machines at once.
    pub fn new(profile: ProfileId, timeout: Duration) -> Self {
        Self {
            profile_id: profile,
            timeout,
            max_machines: None,
        }
    }

    /// At most `n` machines at a time.
    #[must_use]
    pub fn max_machines(mut self, n: u32) -> Self {
        self.max_machines = Some(n);
        self
    }
}

impl RequestBody for SwitchProfile {
    fn check(&self) -> Result<(), ParamError> {
        if self.profile_id.get() == 0 {
            return Err(ParamError::new("ProfileID", "must be a positive id"));
        }
        if self.timeout < Duration::from_secs(1) {
            return Err(ParamError::new("Timeout", "must be at least 1s"));
        }
        if self.max_machines == Some(0) {
            return Err(ParamError::new(
                "MaxMachines",
                "must be at least 1 (leave it out to switch all at once)",
            ));
        }
        Ok(())
    }
}

/// Where a profile switch stands (both switch and switch status answer
/// it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSwitch {
    /// `ServersPending`: servers still to switch.
    #[serde(rename = "ServersPending")]
    pub servers_pending: u64,
    /// `ServersProcessed`: servers switched.
    #[serde(rename = "ServersProcessed")]
    pub servers_processed: u64,
    /// `ProfileID`: the target profile (0 when no switch was requested).
    #[serde(rename = "ProfileID")]
    pub profile_id: ProfileId,
    /// `Deadline`: when the switch must be done, as sent (RFC 3339).
    #[serde(rename = "Deadline", default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// `State`.
    #[serde(rename = "State")]
    pub state: SwitchState,
}

impl ProfileSwitch {
    /// The deadline, if sent and readable.
    pub fn deadline(&self) -> Option<jiff::Timestamp> {
        self.deadline.as_deref()?.trim().parse().ok()
    }

    /// The switch is over: complete, or none was requested.
    pub fn is_done(&self) -> bool {
        matches!(
            self.state,
            SwitchState::Complete | SwitchState::NotRequested
        )
    }

    /// Servers switched as a percentage of all (100 when there are none).
    pub fn percent(&self) -> u8 {
        let total = u128::from(self.servers_pending) + u128::from(self.servers_processed);
        if total == 0 {
            return 100;
        }
        u8::try_from(u128::from(self.servers_processed) * 100 / total).unwrap_or(100)
    }
}

/// The state of a profile switch. A state this version does not know is
/// kept, never a decode error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SwitchState {
    /// `pending`: requested, not started.
    Pending,
    /// `processing`: servers are being switched.
    Processing,
    /// `complete`.
    Complete,
    /// `not requested`: no switch was requested for the fleet.
    NotRequested,
    /// Anything else, as sent.
    Other(String),
}

impl SwitchState {
    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Complete => "complete",
            Self::NotRequested => "not requested",
            Self::Other(s) => s,
        }
    }

    fn from_wire(s: &str) -> Self {
        let t = s.trim();
        [
            Self::Pending,
            Self::Processing,
            Self::Complete,
            Self::NotRequested,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(t))
        .unwrap_or_else(|| Self::Other(s.to_owned()))
    }
}

impl fmt::Display for SwitchState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SwitchState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SwitchState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self::from_wire(&s))
    }
}

impl ClanforgeReply for ProfileSwitch {
    const WHAT: &'static str = "profile switch";
}

/// Go's `time.Duration` text: what the vendor's Go service parses
/// (`time.ParseDuration`) and writes.
pub mod go_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `d` the way Go does for whole seconds: `2h`, `1h30m`, `90s`
    /// as `1m30s`; a sub-second part is written in milliseconds.
    pub fn format(d: Duration) -> String {
        let mut out = String::new();
        let secs = d.as_secs();
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if m > 0 {
            out.push_str(&format!("{m}m"));
        }
        let ms = d.subsec_millis();
        if ms > 0 {
            out.push_str(&format!("{}ms", u64::from(ms) + s * 1000));
            return out;
        }
        if s > 0 || out.is_empty() {
            out.push_str(&format!("{s}s"));
        }
        out
    }

    /// Reads Go's duration text: one or more `<number><unit>` with units
    /// `ns`, `us`, `µs`, `ms`, `s`, `m`, `h` (`2h`, `1h30m`, `1.5h`). A
    /// negative or unit-less value is refused.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let bad = || format!("{text:?} is not a duration such as 90s, 45m, 2h or 1h30m");
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        let mut total = 0f64;
        while !rest.is_empty() {
            let n_end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(bad)?;
            if n_end == 0 {
                return Err(bad());
            }
            let n: f64 = rest[..n_end].parse().map_err(|_| bad())?;
            rest = &rest[n_end..];
            let unit_end = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let scale = match &rest[..unit_end] {
                "ns" => 1e-9,
                "us" | "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                _ => return Err(bad()),
            };
            total += n * scale;
            rest = &rest[unit_end..];
        }
        // Go's own limit: about 290 years.
        Duration::try_from_secs_f64(total)
            .ok()
            .filter(|d| d.as_secs() < 9_223_372_036)
            .ok_or_else(bad)
    }

    /// Serde: writes [`format`].
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*d))
    }

    /// Serde: reads [`parse`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clanforge::decode_reply;

    #[test]
    fn go_durations_round_trip() {
        for (text, secs) in [
            ("2h", 7200),
            ("1h30m", 5400),
            ("90s", 90),
            ("1.5h", 5400),
            ("45m", 2700),
        ] {
            assert_eq!(
                go_duration::parse(text).unwrap(),
                Duration::from_secs(secs),
                "{text}"
            );
        }
        assert_eq!(go_duration::format(Duration::from_secs(90)), "1m30s");
        assert_eq!(go_duration::format(Duration::from_secs(7200)), "2h");
        assert_eq!(go_duration::format(Duration::from_millis(1500)), "1500ms");
        for bad in ["", "2", "h", "-2h", "2d", "1h 30m"] {
            assert!(go_duration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_body_is_checked() {
        let ok = SwitchProfile::new(ProfileId(12), Duration::from_secs(60));
        assert!(ok.check().is_ok());
        assert_eq!(
            SwitchProfile::default().check().unwrap_err().to_string(),
            "ProfileID: must be a positive id"
        );
        assert!(ok.clone().max_machines(0).check().is_err());
        let back: SwitchProfile =
            serde_json::from_str(r#"{"ProfileID": 3, "Timeout": "60s"}"#).unwrap();
        assert_eq!(back.timeout, Duration::from_secs(60));
    }

    #[test]
    fn states_decode_and_unknown_ones_are_kept() {
        let s: ProfileSwitch = decode_reply(
            br#"{"ServersPending": 5, "ServersProcessed": 5, "ProfileID": 12,
                "Deadline": "2025-11-23T14:13:20Z", "State": "processing"}"#,
        )
        .unwrap();
        assert_eq!(s.state, SwitchState::Processing);
        assert_eq!(s.percent(), 50);
        assert_eq!(s.deadline().unwrap().as_second(), 1_763_907_200);
        assert!(!s.is_done());
        let n: ProfileSwitch = decode_reply(
            br#"{"ServersPending": 0, "ServersProcessed": 0, "ProfileID": 0, "State": "not requested"}"#,
        )
        .unwrap();
        assert!(n.is_done());
        let o: ProfileSwitch = decode_reply(
            br#"{"ServersPending": 0, "ServersProcessed": 0, "ProfileID": 1, "State": "paused"}"#,
        )
        .unwrap();
        assert_eq!(o.state, SwitchState::Other("paused".into()));
    }
}
