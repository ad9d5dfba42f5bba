//! Clanforge (Multiplay) v1/v2: image diff jobs and image rollout status.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::collections::IdMap;
use crate::decode::{DecodeError, decode_error};
use crate::ids::{AccountServiceId, DiffId, FleetId, GameId, ImageId, MachineId, RegionId};
use crate::number::flag01;
use crate::time::UnixTime;

// ---------------------------------------------------------------------------
// Requests

/// Parameters of `GET /cfp/v1/imagediff/create`: start a difference analysis
/// between the latest version of an image and a machine's current files.
///
/// With `diff_id` set, Clanforge retries that (complete or failed) diff
/// instead of creating a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateImageDiff {
    /// The project.
    #[serde(rename = "accountserviceid")]
    pub account_service_id: AccountServiceId,
    /// The game image to diff.
    #[serde(rename = "imageid")]
    pub image_id: ImageId,
    /// The machine whose files are compared.
    #[serde(rename = "machineid")]
    pub machine_id: MachineId,
    /// Retry this diff instead of creating a new one.
    #[serde(rename = "diffid", default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<DiffId>,
}

/// Parameters of `GET /cfp/v1/imagediff/{diffid}/retry`: recalculate a
/// complete or failed diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryImageDiff {
    /// The project.
    pub account_service_id: AccountServiceId,
    /// The diff to recalculate.
    pub diff_id: DiffId,
}

/// Parameters of `GET /cfp/v1/imagediff/{diffid}/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetImageDiffStatus {
    /// The project.
    pub account_service_id: AccountServiceId,
    /// The diff.
    pub diff_id: DiffId,
    /// Ask for the game, image and machine objects (`diff_info=1`).
    pub info: bool,
}

/// Parameters of `GET /cfp/v2/project/{accountserviceid}/image/{imageid}/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetImageStatus {
    /// The project.
    pub account_service_id: AccountServiceId,
    /// The image.
    pub image_id: ImageId,
    /// Ask for per-fleet and per-region counts (`detail=true`).
    pub detail: bool,
}

// ---------------------------------------------------------------------------
// Job state

/// The state of a Clanforge job (the vendor's job-states page).
///
/// Decided from `jobstateid` where present, else from `jobstatename`
/// ("Complete" and "Completed" both mean [`JobState::Complete`]). A value this
/// version does not know is [`JobState::Unknown`], never a decode error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobState {
    /// 1: a new job.
    Created,
    /// 2: waiting to be queued.
    Pending,
    /// 3: waiting to be processed.
    Queued,
    /// 4: running.
    Running,
    /// 5: finished successfully.
    Complete,
    /// 6: finished with an error.
    Failed,
    /// 7: squashed (superseded; it will not run to completion).
    Squashed,
    /// A state this version does not know.
    Unknown(UnknownJobState),
}

/// The raw form of a job state this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownJobState {
    /// `jobstateid`, if the server sent one.
    pub id: Option<i64>,
    /// `jobstatename`.
    pub name: String,
}

impl JobState {
    /// Every known state, in id order.
    pub const KNOWN: [JobState; 7] = [
        JobState::Created,
        JobState::Pending,
        JobState::Queued,
        JobState::Running,
        JobState::Complete,
        JobState::Failed,
        JobState::Squashed,
    ];

    /// The state for a `jobstateid`, if it is a known one.
    pub fn from_id(id: i64) -> Option<Self> {
        Some(match id {
            1 => Self::Created,
            2 => Self::Pending,
            3 => Self::Queued,
            4 => Self::Running,
            5 => Self::Complete,
            6 => Self::Failed,
            7 => Self::Squashed,
            _ => return None,
        })
    }

    /// The state for a `jobstatename` (case-insensitive), if it is a known one.
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.trim();
        Self::KNOWN
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(n))
            .or_else(|| {
                n.eq_ignore_ascii_case("completed")
                    .then_some(Self::Complete)
            })
    }

    /// Decides the state from the wire fields: the id where present, else
    /// the name, else [`JobState::Unknown`].
    pub fn from_wire(id: Option<i64>, name: &str) -> Self {
        let known = match id {
            Some(id) => Self::from_id(id),
            None => Self::from_name(name),
        };
        known.unwrap_or_else(|| {
            Self::Unknown(UnknownJobState {
                id,
                name: name.to_owned(),
            })
        })
    }

    /// The vendor's id for this state.
    pub fn id(&self) -> Option<i64> {
        Some(match self {
            Self::Created => 1,
            Self::Pending => 2,
            Self::Queued => 3,
            Self::Running => 4,
            Self::Complete => 5,
            Self::Failed => 6,
            Self::Squashed => 7,
            Self::Unknown(u) => return u.id,
        })
    }

    /// The vendor's name for this state.
    pub fn name(&self) -> &str {
        match self {
            Self::Created => "Created",
            Self::Pending => "Pending",
            Self::Queued => "Queued",
            Self::Running => "Running",
            Self::Complete => "Complete",
            Self::Failed => "Failed",
            Self::Squashed => "Squashed",
            Self::Unknown(u) => &u.name,
        }
    }

    /// The job will not change state any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Complete | Self::Failed | Self::Squashed)
    }

    /// The job finished successfully.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Complete)
    }

    /// The job finished without success (failed or squashed).
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed | Self::Squashed)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(UnknownJobState { id: Some(id), name }) => {
                write!(f, "{name} (unknown state {id})")
            }
            Self::Unknown(UnknownJobState { id: None, name }) => {
                write!(f, "{name} (unknown state)")
            }
            known => f.write_str(known.name()),
        }
    }
}

// ---------------------------------------------------------------------------
// Diff jobs

/// Declares a struct holding the job fields every diff answer carries, plus
/// `$extra` fields. Used for [`DiffJob`] and for the flat wire form of
/// [`DiffStatus`], so that both decode without `#[serde(flatten)]` (which
/// would hide the field path of a decode error).
macro_rules! with_job_fields {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        $vis struct $name {
            /// `diffid`: the diff job.
            #[serde(rename = "diffid")]
            pub diff_id: DiffId,
            /// `jobcreated`: when the job was created.
            #[serde(rename = "jobcreated")]
            pub created: UnixTime,
            /// `joberror`: the job's error message, if any.
            #[serde(rename = "joberror", default, skip_serializing_if = "Option::is_none")]
            pub error: Option<String>,
            /// `jobeta`: when the job is expected to complete.
            #[serde(rename = "jobeta", default, skip_serializing_if = "Option::is_none")]
            pub eta: Option<UnixTime>,
            /// `jobfailed`: the 0/1 failure flag.
            #[serde(rename = "jobfailed", with = "flag01")]
            pub failed: bool,
            /// `jobprogress`: percentage, 0 to 100.
            #[serde(rename = "jobprogress")]
            pub progress: u32,
            /// `jobstart`: when the job started (documented as a string).
            #[serde(rename = "jobstart", default, skip_serializing_if = "Option::is_none")]
            pub started: Option<UnixTime>,
            /// `jobstateid`: the raw state id; see [`DiffJob::state`].
            #[serde(rename = "jobstateid", default, skip_serializing_if = "Option::is_none")]
            pub state_id: Option<i64>,
            /// `jobstatename`: the raw state name; see [`DiffJob::state`].
            #[serde(rename = "jobstatename")]
            pub state_name: String,
            /// `jobupdated`: when the job last changed.
            #[serde(rename = "jobupdated")]
            pub updated: UnixTime,
            /// `success`: the request flag diff create documents.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub success: Option<bool>,
            $($extra)*
        }
    };
}

with_job_fields! {
    /// An image difference analysis job, as answered by diff create, retry
    /// and status.
    ///
    /// Field names follow Rust conventions; the wire names are in each
    /// field's doc. Optional fields may be absent or `null`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DiffJob {}
}

impl DiffJob {
    /// The job's state, from `jobstateid` or else `jobstatename`.
    pub fn state(&self) -> JobState {
        JobState::from_wire(self.state_id, &self.state_name)
    }

    /// Progress clamped to 0..=100.
    pub fn percent(&self) -> u8 {
        // Clamped first, so the conversion cannot fail.
        u8::try_from(self.progress.min(100)).unwrap_or(100)
    }

    /// The job ended without success: the failure flag, or a failed or
    /// squashed state.
    pub fn has_failed(&self) -> bool {
        self.failed || self.state().is_failure()
    }

    /// The job will not change any more.
    pub fn is_terminal(&self) -> bool {
        self.failed || self.state().is_terminal()
    }

    /// The error message, if a non-empty one was sent.
    pub fn error_message(&self) -> Option<&str> {
        self.error.as_deref().filter(|e| !e.trim().is_empty())
    }
}

/// The answer of image diff status: the job, plus the game, image and machine
/// when asked for with `diff_info=1`. On the wire all fields are at the top
/// level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffStatus {
    /// The job fields, as in diff create.
    pub job: DiffJob,
    /// `game`: the game the image belongs to.
    pub game: Option<DiffInfo>,
    /// `image`: the game image.
    pub image: Option<DiffInfo>,
    /// `machine`: the machine the diff runs on.
    pub machine: Option<DiffInfo>,
}

with_job_fields! {
    /// The flat wire form of [`DiffStatus`].
    #[derive(Serialize, Deserialize)]
    struct DiffStatusWire {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        game: Option<DiffInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<DiffInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        machine: Option<DiffInfo>,
    }
}

impl From<DiffStatusWire> for DiffStatus {
    fn from(w: DiffStatusWire) -> Self {
        Self {
            job: DiffJob {
                diff_id: w.diff_id,
                created: w.created,
                error: w.error,
                eta: w.eta,
                failed: w.failed,
                progress: w.progress,
                started: w.started,
                state_id: w.state_id,
                state_name: w.state_name,
                updated: w.updated,
                success: w.success,
            },
            game: w.game,
            image: w.image,
            machine: w.machine,
        }
    }
}

impl From<DiffStatus> for DiffStatusWire {
    fn from(s: DiffStatus) -> Self {
        let j = s.job;
        Self {
            diff_id: j.diff_id,
            created: j.created,
            error: j.error,
            eta: j.eta,
            failed: j.failed,
            progress: j.progress,
            started: j.started,
            state_id: j.state_id,
            state_name: j.state_name,
            updated: j.updated,
            success: j.success,
            game: s.game,
            image: s.image,
            machine: s.machine,
        }
    }
}

impl Serialize for DiffStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DiffStatusWire::from(self.clone()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for DiffStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DiffStatusWire::deserialize(d).map(Self::from)
    }
}

/// One of the objects diff status adds with `diff_info=1`.
///
/// The vendor documents them only as "objects describing" the game, image and
/// machine, so the common fields are typed and everything else is kept.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DiffInfo {
    /// `gameid`, when present.
    #[serde(rename = "gameid", default, skip_serializing_if = "Option::is_none")]
    pub game_id: Option<GameId>,
    /// `imageid`, when present.
    #[serde(rename = "imageid", default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<ImageId>,
    /// `machineid`, when present.
    #[serde(rename = "machineid", default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<MachineId>,
    /// `name`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

// ---------------------------------------------------------------------------
// Image status

/// Machine counts of a rollout: overall, per fleet or per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MachineCounts {
    /// Running machines still installing the image.
    pub pending: u64,
    /// Disabled machines unable to install (0 where the vendor omitted it).
    pub failed: u64,
    /// Running machines with the image fully installed.
    pub completed: u64,
}

impl MachineCounts {
    /// All machines counted.
    pub fn total(&self) -> u64 {
        self.pending
            .saturating_add(self.failed)
            .saturating_add(self.completed)
    }

    /// Nothing is pending: the rollout is as done as it will get.
    pub fn is_ready(&self) -> bool {
        self.pending == 0
    }

    /// Completed machines as a percentage of all (100 when there are none).
    pub fn percent_completed(&self) -> u8 {
        let total = self.total();
        if total == 0 {
            return 100;
        }
        let pct = u128::from(self.completed) * 100 / u128::from(total);
        u8::try_from(pct).unwrap_or(100)
    }
}

/// The rollout status of an image over fleets and regions.
///
/// `fleets` is present only when asked for with `detail=true`. The vendor's
/// example omits `failed_machines` although its table requires it, so it is
/// optional at every level; [`ImageStatus::counts`] reads a missing one as 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageStatus {
    /// Per-fleet status, keyed by fleet id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleets: Option<IdMap<FleetId, FleetStatus>>,
    /// Running machines still installing.
    pub pending_machines: u64,
    /// Disabled machines unable to install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_machines: Option<u64>,
    /// Running machines fully installed.
    pub completed_machines: u64,
}

/// The rollout status within one fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetStatus {
    /// Per-region status, keyed by region id.
    pub regions: IdMap<RegionId, RegionStatus>,
    /// Running machines still installing.
    pub pending_machines: u64,
    /// Disabled machines unable to install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_machines: Option<u64>,
    /// Running machines fully installed.
    pub completed_machines: u64,
}

/// The rollout status within one region of a fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionStatus {
    /// The region's name.
    pub name: String,
    /// Running machines still installing.
    pub pending_machines: u64,
    /// Disabled machines unable to install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_machines: Option<u64>,
    /// Running machines fully installed.
    pub completed_machines: u64,
}

macro_rules! counts {
    ($($t:ty),*) => {$(
        impl $t {
            /// The machine counts, a missing `failed_machines` read as 0.
            pub fn counts(&self) -> MachineCounts {
                MachineCounts {
                    pending: self.pending_machines,
                    failed: self.failed_machines.unwrap_or(0),
                    completed: self.completed_machines,
                }
            }
        }
    )*};
}
counts!(ImageStatus, FleetStatus, RegionStatus);

impl ImageStatus {
    /// No machine is pending: during zero-downtime patching, the fleet can
    /// be allocated with a profile that references the new image version.
    pub fn is_ready(&self) -> bool {
        self.counts().is_ready()
    }
}

// ---------------------------------------------------------------------------
// Errors

/// Clanforge's error envelope.
///
/// It may come with a 2xx status:
/// `{"success": false, "error": true, "error_code": 1, "error_message": "image
/// locked by diffid: 218595", "messages": [], "_debug": []}`. That is a
/// service error, never a success.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClanforgeError {
    /// `false` on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// `true` on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<bool>,
    /// The vendor's error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    /// The vendor's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Further messages, as sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Value>,
}

impl ClanforgeError {
    /// The envelope says the request failed.
    pub fn is_failure(&self) -> bool {
        self.success == Some(false) || self.error == Some(true)
    }

    /// Reads an error envelope from a body, if it is one that reports a
    /// failure.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Self>(body)
            .ok()
            .filter(Self::is_failure)
    }
}

impl fmt::Display for ClanforgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = self.error_message.as_deref().unwrap_or("request failed");
        match self.error_code {
            Some(code) => write!(f, "{msg} (clanforge error {code})"),
            None => f.write_str(msg),
        }
    }
}

/// A Clanforge answer body that is not the expected resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClanforgeReplyError {
    /// The body is Clanforge's error envelope (possibly with a 2xx status).
    #[error("{0}")]
    Service(ClanforgeError),
    /// The body is neither the resource nor an error envelope.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// A Clanforge resource that can itself say it failed.
pub trait ClanforgeReply: DeserializeOwned {
    /// What the resource is called in messages.
    const WHAT: &'static str;

    /// The resource carries `success: false`.
    fn reports_failure(&self) -> bool {
        false
    }
}

impl ClanforgeReply for DiffJob {
    const WHAT: &'static str = "image diff job";

    fn reports_failure(&self) -> bool {
        self.success == Some(false)
    }
}

impl ClanforgeReply for DiffStatus {
    const WHAT: &'static str = "image diff status";

    fn reports_failure(&self) -> bool {
        self.job.reports_failure()
    }
}

impl ClanforgeReply for ImageStatus {
    const WHAT: &'static str = "image status";
}

/// Decodes a Clanforge answer: the resource, or the error envelope.
///
/// The resource is tried first (one parse on the common path); the envelope
/// is read only when that fails or the resource says `success: false`.
///
/// ```
/// use cfp_model::clanforge::{decode_reply, ClanforgeReplyError};
/// use cfp_model::DiffJob;
///
/// let body = br#"{"success": false, "error": true, "error_code": 1,
///     "error_message": "image locked by diffid: 218595", "messages": [], "_debug": []}"#;
/// match decode_reply::<DiffJob>(body) {
///     Err(ClanforgeReplyError::Service(e)) => assert_eq!(e.error_code, Some(1)),
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn decode_reply<T: ClanforgeReply>(body: &[u8]) -> Result<T, ClanforgeReplyError> {
    match serde_json::from_slice::<T>(body) {
        Ok(v) if !v.reports_failure() => Ok(v),
        Ok(_) => Err(ClanforgeReplyError::Service(
            ClanforgeError::from_body(body).unwrap_or(ClanforgeError {
                success: Some(false),
                ..ClanforgeError::default()
            }),
        )),
        Err(_) => match ClanforgeError::from_body(body) {
            Some(e) => Err(ClanforgeReplyError::Service(e)),
            None => Err(ClanforgeReplyError::Decode(decode_error::<T>(
                T::WHAT,
                body,
            ))),
        },
    }
}
