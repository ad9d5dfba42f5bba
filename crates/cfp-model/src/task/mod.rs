//! The application-instance task API (v3): templates, tasks and batches.
//!
//! Request bodies carry ids as strings (`"taskTemplateId": "3"`); responses
//! carry them as integers. Single-resource answers may be wrapped in a
//! one-element array: decode them as [`crate::Single`].

mod batch;
mod create;
mod error;
mod template;

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{EntityId, TaskBatchId, TaskId};
use crate::time::UnixTime;

pub use batch::*;
pub use create::*;
pub use error::*;
pub use template::*;

/// The result code of a task.
///
/// A code this version does not know is [`TaskResultCode::Unknown`], never a
/// decode error; it encodes back as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskResultCode {
    /// 0: waiting to run (for example until `executeAt`).
    Pending,
    /// 1: running.
    InProgress,
    /// 2: paused.
    Paused,
    /// 125: cancelled.
    Cancelled,
    /// 126: finished with an error.
    DoneWithError,
    /// 127: finished successfully.
    Done,
    /// A code this version does not know.
    Unknown(i64),
}

impl TaskResultCode {
    /// Every known code.
    pub const KNOWN: [TaskResultCode; 6] = [
        Self::Pending,
        Self::InProgress,
        Self::Paused,
        Self::Cancelled,
        Self::DoneWithError,
        Self::Done,
    ];

    /// The code for a wire value.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Pending,
            1 => Self::InProgress,
            2 => Self::Paused,
            125 => Self::Cancelled,
            126 => Self::DoneWithError,
            127 => Self::Done,
            other => Self::Unknown(other),
        }
    }

    /// The wire value.
    pub fn code(self) -> i64 {
        match self {
            Self::Pending => 0,
            Self::InProgress => 1,
            Self::Paused => 2,
            Self::Cancelled => 125,
            Self::DoneWithError => 126,
            Self::Done => 127,
            Self::Unknown(c) => c,
        }
    }

    /// A short name for people.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in progress",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
            Self::DoneWithError => "done with error",
            Self::Done => "done",
            Self::Unknown(_) => "unknown",
        }
    }

    /// The task will not change any more (cancelled, done, done with error).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Cancelled | Self::DoneWithError | Self::Done)
    }

    /// The task finished successfully.
    pub fn is_success(self) -> bool {
        matches!(self, Self::Done)
    }

    /// The task finished with an error.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::DoneWithError)
    }

    /// The task was cancelled.
    pub fn is_cancelled(self) -> bool {
        matches!(self, Self::Cancelled)
    }

    /// The task may still be paused (pending or in progress).
    pub fn can_pause(self) -> bool {
        matches!(self, Self::Pending | Self::InProgress)
    }
}

impl fmt::Display for TaskResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(c) => write!(f, "unknown ({c})"),
            known => write!(f, "{} ({})", known.name(), known.code()),
        }
    }
}

impl Serialize for TaskResultCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for TaskResultCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_i64(IntVisitor("a task result code"))
            .map(Self::from_code)
    }
}

/// What kind of entity a task runs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskCategory {
    /// 1: a game server (the task API's reference).
    GameServer,
    /// 2: an application instance (i3D's task-system page).
    ApplicationInstance,
    /// A category this version does not know.
    Unknown(i64),
}

impl TaskCategory {
    /// The category for a wire value.
    pub fn from_id(id: i64) -> Self {
        match id {
            1 => Self::GameServer,
            2 => Self::ApplicationInstance,
            other => Self::Unknown(other),
        }
    }

    /// The wire value.
    pub fn id(self) -> i64 {
        match self {
            Self::GameServer => 1,
            Self::ApplicationInstance => 2,
            Self::Unknown(id) => id,
        }
    }
}

impl Serialize for TaskCategory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.id())
    }
}

impl<'de> Deserialize<'de> for TaskCategory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_i64(IntVisitor("a task category id"))
            .map(Self::from_id)
    }
}

struct IntVisitor(&'static str);

impl Visitor<'_> for IntVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
}

/// A task: one template run against one entity (a game server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The task.
    pub id: TaskId,
    /// Its name (the template's).
    pub name: String,
    /// The batch it belongs to.
    pub batch_id: TaskBatchId,
    /// What kind of entity it runs for.
    pub category_id: TaskCategory,
    /// The entity: for game servers, the application instance id.
    pub entity_id: EntityId,
    /// The template action currently running.
    pub current_action_idx: i64,
    /// When it starts (or started).
    pub execute_at: UnixTime,
    /// Its latest activity.
    pub last_activity_at: UnixTime,
    /// When it finished; `0` while it has not.
    pub finished_at: UnixTime,
    /// Where it is.
    pub result_code: TaskResultCode,
    /// The result in words.
    pub result_text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_round_trip_including_unknown() {
        for code in [0, 1, 2, 125, 126, 127, 3, -1, 999] {
            let c: TaskResultCode = serde_json::from_str(&code.to_string()).unwrap();
            assert_eq!(c.code(), code);
            assert_eq!(serde_json::to_string(&c).unwrap(), code.to_string());
        }
        assert_eq!(TaskResultCode::from_code(9), TaskResultCode::Unknown(9));
    }

    #[test]
    fn terminal_and_outcome_predicates() {
        use TaskResultCode::*;
        let terminal: Vec<_> = TaskResultCode::KNOWN
            .into_iter()
            .filter(|c| c.is_terminal())
            .collect();
        assert_eq!(terminal, [Cancelled, DoneWithError, Done]);
        assert!(Done.is_success() && !Done.is_failure());
        assert!(DoneWithError.is_failure());
        assert!(Cancelled.is_cancelled() && !Cancelled.is_success());
        assert!(!Unknown(4).is_terminal());
        assert!(Pending.can_pause() && InProgress.can_pause() && !Paused.can_pause());
    }
}
