//! Clanforge (Multiplay) v1/v2: image diff jobs and image rollout status;
//! the operations around them that a patch needs ([`patch`]: updates,
//! versions, installs, image options; [`fleet`]: profile switches).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::collections::IdMap;
use crate::decode::{DecodeError, decode_error};
use crate::ids::{DiffId, FleetId, GameId, ImageId, MachineId, RegionId};
use crate::job::{Job, JobFields, clanforge_job, job_methods};
pub use crate::job::{JobState, UnknownJobState};

// ---------------------------------------------------------------------------
// Diff jobs

clanforge_job! {
    /// An image difference analysis job, as answered by diff create, retry
    /// and status.
    ///
    /// Field names follow Rust conventions; the wire names are in each
    /// field's doc. Optional fields may be absent or `null`. Read the state
    /// and progress through [`Job`].
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DiffJob {
        /// `diffid`: the diff job.
        #[serde(rename = "diffid")]
        pub diff_id: DiffId,
    }
}

/// The files a diff found changed: file path → the vendor's file object
/// (its fields are not documented, so it is kept as sent). A PHP-style
/// backend sends an empty map as `[]`; that is accepted.
pub type DiffFiles = IdMap<String, Value>;

/// The answer of image diff status: the job, what changed on the reference
/// machine (`added`, `modified`, `removed`), and the game, image and machine
/// when asked for with `diff_info=1`. On the wire all fields are at the top
/// level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffStatus {
    /// The job fields, as in diff create.
    pub job: DiffJob,
    /// `added`: files on the machine that the image does not have.
    pub added: DiffFiles,
    /// `modified`: files that differ from the image's.
    pub modified: DiffFiles,
    /// `removed`: files of the image that the machine no longer has.
    pub removed: DiffFiles,
    /// `game`: the game the image belongs to.
    pub game: Option<DiffInfo>,
    /// `image`: the game image.
    pub image: Option<DiffInfo>,
    /// `machine`: the machine the diff runs on.
    pub machine: Option<DiffInfo>,
}

impl DiffStatus {
    /// No file was added, modified or removed (a version made from such a
    /// diff must be a full one).
    pub fn has_no_changes(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }

    /// The summary of what changed: counts, and the `n` largest paths of
    /// each kind (by the file object's size where it carries one, else in
    /// path order).
    pub fn summary(&self, n: usize) -> DiffSummary {
        DiffSummary {
            added: FileChanges::of(&self.added, n),
            modified: FileChanges::of(&self.modified, n),
            removed: FileChanges::of(&self.removed, n),
        }
    }
}

impl Job for DiffStatus {
    fn fields(&self) -> JobFields<'_> {
        self.job.fields()
    }
}
job_methods!(pub DiffStatus);

/// What a diff changed, in short (see [`DiffStatus::summary`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DiffSummary {
    /// Added files.
    pub added: FileChanges,
    /// Modified files.
    pub modified: FileChanges,
    /// Removed files.
    pub removed: FileChanges,
}

/// One kind of change: how many files, and the largest of them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FileChanges {
    /// How many files.
    pub count: usize,
    /// The largest files: path and size in bytes where the file object
    /// carries one.
    pub largest: Vec<(String, Option<u64>)>,
}

impl FileChanges {
    fn of(files: &DiffFiles, n: usize) -> Self {
        let mut all: Vec<(String, Option<u64>)> = files
            .iter()
            .map(|(path, file)| (path.clone(), file_size(file)))
            .collect();
        // Largest first; files without a size after those with one, in path
        // order (the map is already ordered by path and the sort is stable).
        all.sort_by_key(|f| std::cmp::Reverse(f.1));
        all.truncate(n);
        Self {
            count: files.len(),
            largest: all,
        }
    }
}

/// The size of a diff's file object, if it carries one: the vendor does not
/// document the object, so the usual names are tried (`size`, `filesize`,
/// `bytes`, `length`), as a number or a string holding one.
pub fn file_size(file: &Value) -> Option<u64> {
    let obj = file.as_object()?;
    ["size", "filesize", "file_size", "bytes", "length"]
        .iter()
        .find_map(|k| match obj.get(*k)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
}

fn no_files(files: &DiffFiles) -> bool {
    files.is_empty()
}

clanforge_job! {
    /// The flat wire form of [`DiffStatus`].
    #[derive(Serialize, Deserialize)]
    struct DiffStatusWire {
        #[serde(rename = "diffid")]
        diff_id: DiffId,
        #[serde(default, skip_serializing_if = "no_files")]
        added: DiffFiles,
        #[serde(default, skip_serializing_if = "no_files")]
        modified: DiffFiles,
        #[serde(default, skip_serializing_if = "no_files")]
        removed: DiffFiles,
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
                failures: w.failures,
                progress: w.progress,
                started: w.started,
                state_id: w.state_id,
                state_name: w.state_name,
                updated: w.updated,
                success: w.success,
            },
            added: w.added,
            modified: w.modified,
            removed: w.removed,
            game: w.game,
            image: w.image,
            machine: w.machine,
        }
    }
}

impl Serialize for DiffStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let j = &self.job;
        DiffStatusWire {
            diff_id: j.diff_id,
            created: j.created,
            error: j.error.clone(),
            eta: j.eta,
            failures: j.failures,
            progress: j.progress,
            started: j.started,
            state_id: j.state_id,
            state_name: j.state_name.clone(),
            updated: j.updated,
            success: j.success,
            added: self.added.clone(),
            modified: self.modified.clone(),
            removed: self.removed.clone(),
            game: self.game.clone(),
            image: self.image.clone(),
            machine: self.machine.clone(),
        }
        .serialize(s)
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

/// A Clanforge resource, as [`decode_reply`] reads it.
pub trait ClanforgeReply: DeserializeOwned {
    /// What the resource is called in messages.
    const WHAT: &'static str;

    /// A job answer: `success: false` without `"error": true` is the job in
    /// its failed state. For any other resource it is a failure.
    const IS_JOB: bool = false;

    /// The resource carries `success: false`: it may be the error envelope
    /// that happens to decode as the resource, so [`decode_reply`] looks
    /// for `"error": true` before taking it as the resource.
    fn says_unsuccessful(&self) -> bool {
        false
    }
}

/// `ClanforgeReply` for job answers: `success: false` is the job, failed.
macro_rules! job_reply {
    ($($t:ty => $what:literal),* $(,)?) => {$(
        impl ClanforgeReply for $t {
            const WHAT: &'static str = $what;
            const IS_JOB: bool = true;

            fn says_unsuccessful(&self) -> bool {
                self.success == Some(false)
            }
        }
    )*};
}
job_reply!(DiffJob => "image diff job");

impl ClanforgeReply for DiffStatus {
    const WHAT: &'static str = "image diff status";
    const IS_JOB: bool = true;

    fn says_unsuccessful(&self) -> bool {
        self.job.says_unsuccessful()
    }
}

impl ClanforgeReply for ImageStatus {
    const WHAT: &'static str = "image status";
}

/// Decodes a Clanforge answer: the resource, or the error envelope.
///
/// The resource is tried first (one parse on the common path). A body that
/// is not the resource, or that says `"error": true`, is read as the error
/// envelope. A job that failed answers with its job fields and
/// `"success": false` (and a `joberror`) but no `"error": true`: that is the
/// job, in its failed state, not an error.
///
/// ```
/// use cfp_model::clanforge::{decode_reply, ClanforgeReplyError};
/// use cfp_model::{DiffJob, Job, JobState};
///
/// let body = br#"{"success": false, "error": true, "error_code": 1,
///     "error_message": "image locked by diffid: 218595", "messages": [], "_debug": []}"#;
/// match decode_reply::<DiffJob>(body) {
///     Err(ClanforgeReplyError::Service(e)) => assert_eq!(e.error_code, Some(1)),
///     other => panic!("{other:?}"),
/// }
///
/// let failed = br#"{"diffid": 9, "jobcreated": 1763900000, "joberror": "disk full",
///     "jobfailed": 1, "jobprogress": 40, "jobstateid": 6, "jobstatename": "Failed",
///     "jobupdated": 1763900300, "success": false}"#;
/// let job = decode_reply::<DiffJob>(failed).unwrap();
/// assert_eq!(job.state(), JobState::Failed);
/// assert_eq!(job.error_message(), Some("disk full"));
/// ```
pub fn decode_reply<T: ClanforgeReply>(body: &[u8]) -> Result<T, ClanforgeReplyError> {
    match serde_json::from_slice::<T>(body) {
        Ok(v) if !v.says_unsuccessful() => Ok(v),
        Ok(v) => match ClanforgeError::from_body(body) {
            Some(e) if e.error == Some(true) || !T::IS_JOB => Err(ClanforgeReplyError::Service(e)),
            _ => Ok(v),
        },
        Err(_) => match ClanforgeError::from_body(body) {
            Some(e) => Err(ClanforgeReplyError::Service(e)),
            None => Err(ClanforgeReplyError::Decode(decode_error::<T>(
                T::WHAT,
                body,
            ))),
        },
    }
}

// After `job_reply!`, which they use. Each file's public types are this
// module's (and the crate root's): a new type needs no line here.
mod fleet;
mod patch;
pub use fleet::*;
pub use patch::*;
