//! Clanforge jobs: the fields every image job answer carries (update, diff,
//! version, install and uninstall jobs), and the job states.
//!
//! The vendor's "image job fields" page lists them: `jobcreated`,
//! `joberror`, `jobeta`, `jobfailed`, `jobprogress`, `jobstart`,
//! `jobstateid`, `jobstatename`, `jobupdated`, plus `success` on most
//! endpoints. `jobfailed` is a **count** of how many times the job has
//! failed, not a flag: a retried job that completed may carry
//! `jobfailed: 2`. The outcome always comes from the state.

use std::fmt;

use crate::time::UnixTime;

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

/// Declares a struct holding the job fields every Clanforge job answer
/// carries, plus the fields given (the job's own id, and for some answers
/// more). The fields are flat on the wire, and declared flat here rather than
/// through `#[serde(flatten)]`, which would hide the field path of a decode
/// error and cost a buffered second pass. The struct implements [`Job`].
macro_rules! clanforge_job {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        $vis struct $name {
            $($extra)*
            /// `jobcreated`: when the job was created.
            #[serde(rename = "jobcreated")]
            pub created: $crate::time::UnixTime,
            /// `joberror`: the job's error message, if any.
            #[serde(rename = "joberror", default, skip_serializing_if = "Option::is_none")]
            pub error: Option<String>,
            /// `jobeta`: when the job is expected to complete.
            #[serde(rename = "jobeta", default, skip_serializing_if = "Option::is_none")]
            pub eta: Option<$crate::time::UnixTime>,
            /// `jobfailed`: how many times the job has failed (a retried job
            /// that then completed keeps its count). Not the outcome: see
            /// [`Job::state`](crate::job::Job::state).
            #[serde(rename = "jobfailed", with = "crate::number::count")]
            pub failures: u64,
            /// `jobprogress`: percentage, 0 to 100.
            #[serde(rename = "jobprogress")]
            pub progress: u32,
            /// `jobstart`: when the job started (documented as a string).
            #[serde(rename = "jobstart", default, skip_serializing_if = "Option::is_none")]
            pub started: Option<$crate::time::UnixTime>,
            /// `jobstateid`: the raw state id; see [`Job::state`](crate::job::Job::state).
            #[serde(rename = "jobstateid", default, skip_serializing_if = "Option::is_none")]
            pub state_id: Option<i64>,
            /// `jobstatename`: the raw state name; see [`Job::state`](crate::job::Job::state).
            #[serde(rename = "jobstatename")]
            pub state_name: String,
            /// `jobupdated`: when the job last changed.
            #[serde(rename = "jobupdated")]
            pub updated: $crate::time::UnixTime,
            /// `success`: `false` on a job that failed (its `joberror` says
            /// why); the answer is still the job, not an error envelope.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub success: Option<bool>,
        }

        $crate::job::job_methods!($vis $name);

        impl $crate::job::Job for $name {
            fn fields(&self) -> $crate::job::JobFields<'_> {
                $crate::job::JobFields {
                    created: self.created,
                    error: self.error.as_deref(),
                    eta: self.eta,
                    failures: self.failures,
                    progress: self.progress,
                    started: self.started,
                    state_id: self.state_id,
                    state_name: &self.state_name,
                    updated: self.updated,
                }
            }
        }
    };
}
pub(crate) use clanforge_job;

/// The [`Job`] methods as inherent methods of `$t`, so that callers need
/// not import the trait.
macro_rules! job_methods {
    ($vis:vis $t:ty) => {
        #[allow(dead_code)]
        impl $t {
            /// The job's state, from `jobstateid` or else `jobstatename`
            /// (see [`Job::state`](crate::job::Job::state)).
            $vis fn state(&self) -> $crate::job::JobState {
                <Self as $crate::job::Job>::state(self)
            }

            /// Progress clamped to 0..=100.
            $vis fn percent(&self) -> u8 {
                <Self as $crate::job::Job>::percent(self)
            }

            /// The job will not change any more (complete, failed or squashed).
            $vis fn is_terminal(&self) -> bool {
                <Self as $crate::job::Job>::is_terminal(self)
            }

            /// The job ended without success (failed or squashed).
            $vis fn has_failed(&self) -> bool {
                <Self as $crate::job::Job>::has_failed(self)
            }

            /// The error message, if a non-empty one was sent.
            $vis fn error_message(&self) -> Option<&str> {
                <Self as $crate::job::Job>::error_message(self)
            }
        }
    };
}
pub(crate) use job_methods;

/// The job fields of one answer, borrowed (see [`Job::fields`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobFields<'a> {
    /// `jobcreated`.
    pub created: UnixTime,
    /// `joberror`.
    pub error: Option<&'a str>,
    /// `jobeta`.
    pub eta: Option<UnixTime>,
    /// `jobfailed`: the failure count.
    pub failures: u64,
    /// `jobprogress`.
    pub progress: u32,
    /// `jobstart`.
    pub started: Option<UnixTime>,
    /// `jobstateid`.
    pub state_id: Option<i64>,
    /// `jobstatename`.
    pub state_name: &'a str,
    /// `jobupdated`.
    pub updated: UnixTime,
}

/// A Clanforge job answer: an image update, diff, version, install or
/// uninstall job. Everything about its progress and outcome is read the same
/// way for all of them.
///
/// ```
/// use cfp_model::{clanforge, DiffJob, Job, JobState};
///
/// // A diff that failed once, was retried and then completed.
/// let body = br#"{"diffid": 7, "jobcreated": 1763900000, "jobfailed": 2,
///     "jobprogress": 100, "jobstateid": 5, "jobstatename": "Completed",
///     "jobupdated": 1763900600}"#;
/// let job: DiffJob = clanforge::decode_reply(body).unwrap();
/// assert_eq!(job.state(), JobState::Complete);
/// assert!(job.state().is_success());
/// assert_eq!(job.failures, 2);
/// ```
pub trait Job {
    /// The job fields.
    fn fields(&self) -> JobFields<'_>;

    /// The job's state, from `jobstateid` or else `jobstatename`. This, and
    /// never `jobfailed`, says how the job ended.
    fn state(&self) -> JobState {
        let f = self.fields();
        JobState::from_wire(f.state_id, f.state_name)
    }

    /// Progress clamped to 0..=100.
    fn percent(&self) -> u8 {
        // Clamped first, so the conversion cannot fail.
        u8::try_from(self.fields().progress.min(100)).unwrap_or(100)
    }

    /// The job will not change any more (complete, failed or squashed).
    fn is_terminal(&self) -> bool {
        self.state().is_terminal()
    }

    /// The job ended without success (failed or squashed).
    fn has_failed(&self) -> bool {
        self.state().is_failure()
    }

    /// The error message, if a non-empty one was sent.
    fn error_message(&self) -> Option<&str> {
        self.fields().error.filter(|e| !e.trim().is_empty())
    }

    /// When the server expects the job to end, if it said.
    fn eta(&self) -> Option<UnixTime> {
        self.fields().eta
    }
}
