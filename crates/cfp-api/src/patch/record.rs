//! What a patch is, and what it has done so far: the part that is stored
//! between runs so that a patch resumes where it stopped and never sends an
//! unsafe request twice.

use std::fmt;
use std::time::Duration;

use cfp_model::{
    AccountServiceId, DiffId, FleetId, GameId, ImageId, ImageVersionId, InstallAt, MachineId,
    OperationId, ProfileId, UninstallJobId, UpdateId,
};
use serde::{Deserialize, Serialize};

/// The version of the stored record's format.
pub const RECORD_FORMAT: u32 = 1;

/// What to patch and how: everything but the update URL, which is a secret
/// and is never stored (a resume that still has the update to create needs
/// it again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatchSpec {
    /// The account service (project).
    pub asid: AccountServiceId,
    /// The game of the image (image options needs it); found from image
    /// options when the account service has one game.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game: Option<GameId>,
    /// The image to patch.
    pub image: ImageId,
    /// The reference machine the update and the diff run on.
    pub machine: MachineId,
    /// The update's description (`desc`).
    pub description: String,
    /// Restart the servers during the install (`restart=1`), or let each
    /// pick the version up when it exits (`restart=0`).
    pub restart: bool,
    /// The game's own build label (`game_build`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_build: Option<String>,
    /// When to build a full version.
    pub full: FullMode,
    /// Install although fleets have active allocations (`force=1`).
    pub force: bool,
    /// When to install (`install_at`); `NOW()` when not set.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "install_at")]
    pub install_at: Option<InstallAt>,
    /// Disable machines that have not installed in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable: Option<Disable>,
    /// A diff that locks the image is rejected (`reinstall=0`) instead of
    /// refusing the patch.
    pub reject_locking_diff: bool,
    /// How many failed machines the rollout gate tolerates.
    pub max_failed: MaxFailed,
    /// The reservation fleet to switch to a new profile at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch: Option<SwitchSpec>,
}

impl PatchSpec {
    /// A patch of `image` in `asid`, updated and diffed on `machine`, with
    /// the defaults: no restart, `full` decided by the diff, no force,
    /// installed now, no failed machine tolerated, no profile switch.
    pub fn new(
        asid: AccountServiceId,
        image: ImageId,
        machine: MachineId,
        description: impl Into<String>,
    ) -> Self {
        Self {
            asid,
            game: None,
            image,
            machine,
            description: description.into(),
            restart: false,
            game_build: None,
            full: FullMode::Auto,
            force: false,
            install_at: None,
            disable: None,
            reject_locking_diff: false,
            max_failed: MaxFailed::Count(0),
            switch: None,
        }
    }

    /// The game of the image.
    #[must_use]
    pub fn game(mut self, game: GameId) -> Self {
        self.game = Some(game);
        self
    }

    /// Restart the servers during the install.
    #[must_use]
    pub fn restart(mut self, yes: bool) -> Self {
        self.restart = yes;
        self
    }

    /// The game's build label.
    #[must_use]
    pub fn game_build(mut self, build: impl Into<String>) -> Self {
        self.game_build = Some(build.into());
        self
    }

    /// When to build a full version.
    #[must_use]
    pub fn full(mut self, mode: FullMode) -> Self {
        self.full = mode;
        self
    }

    /// Install although fleets have active allocations.
    #[must_use]
    pub fn force(mut self, yes: bool) -> Self {
        self.force = yes;
        self
    }

    /// When to install.
    #[must_use]
    pub fn install_at(mut self, at: InstallAt) -> Self {
        self.install_at = Some(at);
        self
    }

    /// Disable machines that have not installed in time.
    #[must_use]
    pub fn disable(mut self, disable: Disable) -> Self {
        self.disable = Some(disable);
        self
    }

    /// Reject a diff that locks the image instead of refusing the patch.
    #[must_use]
    pub fn reject_locking_diff(mut self, yes: bool) -> Self {
        self.reject_locking_diff = yes;
        self
    }

    /// How many failed machines the rollout gate tolerates.
    #[must_use]
    pub fn max_failed(mut self, max: MaxFailed) -> Self {
        self.max_failed = max;
        self
    }

    /// Switch a reservation fleet to a profile at the end.
    #[must_use]
    pub fn switch(mut self, switch: SwitchSpec) -> Self {
        self.switch = Some(switch);
        self
    }

    /// The stages this patch runs, in order.
    pub fn stages(&self) -> Vec<Stage> {
        let mut stages = vec![
            Stage::Preflight,
            Stage::Update,
            Stage::Diff,
            Stage::Confirm,
            Stage::Version,
            Stage::Rollout,
        ];
        if self.switch.is_some() {
            stages.push(Stage::Switch);
        }
        stages
    }
}

/// `install_at` as its wire text in the record.
mod install_at {
    use cfp_model::InstallAt;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<InstallAt>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(at) => s.collect_str(at),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<InstallAt>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| t.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// When a version is built full (`full=1`) rather than from the changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FullMode {
    /// Full when the diff found no changes (the vendor requires it then).
    #[default]
    Auto,
    /// Always full.
    Always,
    /// Never full: a diff without changes fails the patch.
    Never,
}

/// Disable machines that have not installed in time: once `percentage` of
/// the machines have, those still installing after `timeout_minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Disable {
    /// `disable_percentage`, 0 to 100.
    pub percentage: f64,
    /// `disable_timeout`, in minutes.
    pub timeout_minutes: u64,
}

/// How many failed machines the rollout gate tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaxFailed {
    /// At most this many machines.
    Count(u64),
    /// At most this share of the machines, in percent.
    Percent(f64),
}

impl MaxFailed {
    /// Whether `failed` of `total` machines passes the gate.
    pub fn allows(self, failed: u64, total: u64) -> bool {
        match self {
            Self::Count(n) => failed <= n,
            Self::Percent(p) => {
                total == 0 || (failed as f64) * 100.0 / (total as f64) <= p + f64::EPSILON
            }
        }
    }
}

impl fmt::Display for MaxFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl std::str::FromStr for MaxFailed {
    type Err = String;

    /// `N` (machines) or `P%` (share of the machines).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Some(p) = t.strip_suffix('%') {
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("{t:?} is not a percentage such as 5%"))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(format!("{t:?} is not between 0% and 100%"));
            }
            return Ok(Self::Percent(p));
        }
        t.parse()
            .map(Self::Count)
            .map_err(|_| format!("{t:?} is not a number of machines (N) or a share (P%)"))
    }
}

/// A reservation fleet's switch to the profile that runs the new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchSpec {
    /// The reservation fleet.
    pub fleet: FleetId,
    /// The profile to switch to.
    pub profile: ProfileId,
    /// How long the switch may take.
    #[serde(with = "secs")]
    pub within: Duration,
    /// At most this many servers at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_machines: Option<u32>,
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// A stage of a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Image options: what locks the image.
    Preflight,
    /// The image update: create, wait.
    Update,
    /// The diff: create, wait, summarise the changes.
    Diff,
    /// The go-ahead for the version.
    Confirm,
    /// The image version: create, wait.
    Version,
    /// The rollout gate: image status until no machine is pending.
    Rollout,
    /// The reservation fleet's profile switch.
    Switch,
    /// Nothing left.
    Done,
}

impl Stage {
    /// The stage's name, as events and the state file write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Preflight => "preflight",
            Self::Update => "update",
            Self::Diff => "diff",
            Self::Confirm => "confirm",
            Self::Version => "version",
            Self::Rollout => "rollout",
            Self::Switch => "switch",
            Self::Done => "done",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unsafe request recorded before it is sent: if its answer is lost
/// (a crash, a cut connection), the next run finds out from the service
/// whether it was carried out instead of sending it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sending {
    /// The operation (`createImageUpdate`, …).
    pub operation: String,
    /// When it was about to be sent (Unix seconds).
    pub at: i64,
}

impl Sending {
    /// Whether this is `op`.
    pub fn is(&self, op: OperationId) -> bool {
        self.operation == op.name()
    }
}

/// How many files a diff found changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChangeCounts {
    /// Added files.
    pub added: usize,
    /// Modified files.
    pub modified: usize,
    /// Removed files.
    pub removed: usize,
}

impl ChangeCounts {
    /// No file changed.
    pub fn is_empty(&self) -> bool {
        self.added + self.modified + self.removed == 0
    }
}

/// When a stage started and ended (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTime {
    /// The stage.
    pub stage: Stage,
    /// When it started.
    pub started: i64,
    /// When it ended, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<i64>,
}

/// How a patch run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Every stage passed.
    Patched,
    /// Stopped before the version for want of a go-ahead.
    AwaitingConfirmation,
    /// The go-ahead was refused.
    Declined,
    /// A stage failed.
    Failed {
        /// The stage.
        stage: Stage,
        /// Why (the job's `joberror` where it gave one).
        reason: String,
    },
}

/// A patch's stored state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatchRecord {
    /// The record's format ([`RECORD_FORMAT`]).
    pub format: u32,
    /// What is being patched.
    pub spec: PatchSpec,
    /// The stage to run next (or running when the run stopped).
    pub stage: Stage,
    /// The diff rejected at pre-flight, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_diff: Option<DiffId>,
    /// The update job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateId>,
    /// The diff job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<DiffId>,
    /// What the diff found changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangeCounts>,
    /// The image version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<ImageVersionId>,
    /// The version was created but its id was lost with the answer (the
    /// rollout gate still holds).
    #[serde(default)]
    pub version_id_lost: bool,
    /// The uninstall job of a rejected diff, if one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninstall: Option<UninstallJobId>,
    /// An unsafe request recorded before it was sent whose answer has not
    /// been recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending: Option<Sending>,
    /// When each stage ran.
    #[serde(default)]
    pub stages: Vec<StageTime>,
    /// Calls sent (polls included), over every run.
    #[serde(default)]
    pub calls: u64,
    /// How the last run ended, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// When the patch started (Unix seconds).
    pub started: i64,
}

impl PatchRecord {
    /// A new record for `spec`, at the first stage.
    pub fn new(spec: PatchSpec, now: i64) -> Self {
        Self {
            format: RECORD_FORMAT,
            spec,
            stage: Stage::Preflight,
            rejected_diff: None,
            update: None,
            diff: None,
            changes: None,
            version: None,
            version_id_lost: false,
            uninstall: None,
            sending: None,
            stages: Vec::new(),
            calls: 0,
            outcome: None,
            started: now,
        }
    }

    /// The patch ran to its end (patched, or failed): a new patch of the
    /// image may start.
    pub fn is_finished(&self) -> bool {
        matches!(
            self.outcome,
            Some(Outcome::Patched | Outcome::Failed { .. } | Outcome::Declined)
        )
    }

    /// How long each stage took, in seconds (to now for a running one).
    pub fn durations(&self, now: i64) -> Vec<(Stage, i64)> {
        self.stages
            .iter()
            .map(|t| (t.stage, t.ended.unwrap_or(now) - t.started))
            .collect()
    }

    pub(crate) fn stage_started(&mut self, stage: Stage, now: i64) {
        if self
            .stages
            .last()
            .is_some_and(|t| t.stage == stage && t.ended.is_none())
        {
            return;
        }
        self.stages.push(StageTime {
            stage,
            started: now,
            ended: None,
        });
    }

    pub(crate) fn stage_ended(&mut self, stage: Stage, now: i64) {
        if let Some(t) = self
            .stages
            .iter_mut()
            .rev()
            .find(|t| t.stage == stage && t.ended.is_none())
        {
            t.ended = Some(now);
        }
    }

    /// The ids known so far, for events.
    pub fn ids(&self) -> PatchIds {
        PatchIds {
            rejected_diff: self.rejected_diff,
            update: self.update,
            diff: self.diff,
            version: self.version,
        }
    }
}

/// The job ids of a patch, as events carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PatchIds {
    /// The diff rejected at pre-flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_diff: Option<DiffId>,
    /// The update job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateId>,
    /// The diff job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<DiffId>,
    /// The image version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<ImageVersionId>,
}

/// A wall-clock time as Unix seconds, as a record writes it.
pub(crate) fn unix(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_failed_reads_counts_and_shares() {
        assert_eq!("3".parse::<MaxFailed>().unwrap(), MaxFailed::Count(3));
        assert_eq!("5%".parse::<MaxFailed>().unwrap(), MaxFailed::Percent(5.0));
        assert!("x".parse::<MaxFailed>().is_err());
        assert!("120%".parse::<MaxFailed>().is_err());
        assert!(MaxFailed::Count(1).allows(1, 4));
        assert!(!MaxFailed::Count(0).allows(1, 4));
        assert!(MaxFailed::Percent(25.0).allows(1, 4));
        assert!(!MaxFailed::Percent(20.0).allows(1, 4));
    }

    #[test]
    fn a_record_round_trips_without_the_update_url() {
        let spec = PatchSpec::new(AccountServiceId(1), ImageId(1), MachineId(2), "r1")
            .install_at(InstallAt::Now)
            .max_failed(MaxFailed::Percent(5.0));
        let mut r = PatchRecord::new(spec, 1000);
        r.sending = Some(Sending {
            operation: "createImageUpdate".into(),
            at: 1001,
        });
        let text = serde_json::to_string(&r).unwrap();
        let back: PatchRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        assert!(text.contains(r#""install_at":"NOW()""#), "{text}");
    }
}
