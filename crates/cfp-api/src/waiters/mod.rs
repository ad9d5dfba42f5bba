//! Waiting for long-running work: a diff, update or version job, a task, a
//! task batch, an image rollout, a fleet's profile switch.
//!
//! [`Clanforge::wait_for_diff`](crate::Clanforge::wait_for_diff),
//! [`Clanforge::wait_for_update`](crate::Clanforge::wait_for_update),
//! [`Clanforge::wait_for_version`](crate::Clanforge::wait_for_version),
//! [`Clanforge::wait_for_profile_switch`](crate::Clanforge::wait_for_profile_switch),
//! [`Client::wait_for_task`](crate::Client::wait_for_task),
//! [`Client::wait_for_batch`](crate::Client::wait_for_batch) and
//! [`Clanforge::wait_for_rollout`](crate::Clanforge::wait_for_rollout) return a
//! [`Waiter`]: set a [`PollPolicy`] and a progress callback, then
//! [`wait`](Waiter::wait) with a required deadline, or take the events as a
//! stream with [`into_stream`](Waiter::into_stream).
//!
//! - `Ok(last)`: the work ended successfully.
//! - [`WaitError::Unsuccessful`]: it ended without success (a failed or
//!   squashed diff; a task done with error or cancelled; a batch with failed
//!   or cancelled tasks; a rollout with failed machines, when asked).
//! - [`WaitError::DeadlineExceeded`]: still going at the deadline (the work
//!   goes on; only the waiting stops).
//! - [`WaitError::Api`]: a poll failed in a way that waiting will not fix
//!   (refused credentials, an unknown id, a 500, an unreadable body).
//!
//! A poll that fails in a way that may pass (429, 502, 503, 504, a lost
//! connection: [`Error::is_retryable`]) does not end the wait, even after
//! the client's own retries: the waiter backs off and polls again until the
//! deadline, which is when outages usually end. The server's `Retry-After`
//! is honoured: the next poll waits at least that long, and a `Retry-After`
//! that ends past the deadline means no further poll. If the deadline comes
//! first, the wait ends with [`WaitError::DeadlineExceeded`] (the CLI's exit
//! 6), holding the last object seen, if any, and the last error.
//!
//! The deadline bounds the whole wait: a poll still in flight at the
//! deadline is given [`FINAL_POLL_GRACE`] to answer, then dropped, so a wait
//! never outlives its deadline by more than that (not by the client's full
//! call timeout).
//!
//! Waiting is a plain future: no task is spawned, and dropping the future
//! stops it at once. Polls are scheduled from the server's ETA where it
//! gives one, compared with the server's own clock as its `Date` headers
//! tell it ([`ServerClock`]; see [`PollPolicy`]).

mod engine;
mod policy;
mod server_clock;
mod start;
mod targets;

use std::fmt;
use std::time::Duration;

use cfp_model::UnixTime;

pub use engine::{FINAL_POLL_GRACE, WaitEvent, Waiter};
pub use policy::PollPolicy;
pub use server_clock::ServerClock;
pub use targets::Watched;

use crate::answer::Answer;
use crate::error::Error;

/// What a waiter observed, reported on every change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Progress<T> {
    /// The object as last read (with the vendor's body).
    pub object: Answer<T>,
    /// Its state in a few words (`Running`, `in progress (1)`,
    /// `2 of 3 tasks ended`, `4 pending, 10 completed, 0 failed`).
    pub state: String,
    /// Progress in percent, where known (a diff's `jobprogress`, a batch's
    /// ended tasks, a rollout's completed machines).
    pub percent: Option<u8>,
    /// The server's estimate of completion (a diff's `jobeta`).
    pub eta: Option<UnixTime>,
    /// Counts, for a batch or a rollout.
    pub counts: Option<Counts>,
    /// Polls so far, this one included.
    pub polls: u32,
    /// Time since waiting started.
    pub elapsed: Duration,
    /// When the next poll is due, if there will be one.
    pub next_poll_in: Option<Duration>,
    /// The server's clock as estimated from the answers so far: to count an
    /// ETA down between polls (`eta − server_clock.now_at(wall now)`).
    pub server_clock: ServerClock,
}

/// Counts of a batch (tasks) or a rollout (machines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// All of them.
    pub total: u64,
    /// Ended well: tasks done, machines completed.
    pub done: u64,
    /// Failed: tasks done with error, machines unable to install.
    pub failed: u64,
    /// Cancelled tasks (0 for a rollout).
    pub cancelled: u64,
    /// Still to go: tasks not ended, machines pending.
    pub pending: u64,
}

/// Why a wait did not end successfully.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError<T> {
    /// The work ended without success; `last` is its final state.
    #[error("{what} ended unsuccessfully: {reason}")]
    Unsuccessful {
        /// What was awaited, e.g. `task 42`.
        what: String,
        /// Why, in words.
        reason: String,
        /// The object as last read.
        last: Box<Answer<T>>,
    },

    /// The deadline passed first; the work itself goes on. This includes a
    /// deadline that passed while polls failed in a way that may pass (429,
    /// 503, a lost connection): `last_error` is the last such failure.
    #[error("gave up waiting for {what} after {}: last seen {state}{}", fmt_duration(*.waited), last_error_suffix(.last_error.as_deref()))]
    DeadlineExceeded {
        /// What was awaited.
        what: String,
        /// How long the wait took.
        waited: Duration,
        /// The last state seen, in words (`no answer yet` if none).
        state: String,
        /// The object as last read, if any poll was answered.
        last: Option<Box<Answer<T>>>,
        /// The failure of the last poll, if it failed (and the failure
        /// might have passed with more time).
        last_error: Option<Box<Error>>,
    },

    /// A poll failed.
    #[error(transparent)]
    Api(#[from] Error),
}

impl<T> WaitError<T> {
    /// The object as last read, if any poll succeeded.
    pub fn last(&self) -> Option<&Answer<T>> {
        match self {
            Self::Unsuccessful { last, .. } => Some(last),
            Self::DeadlineExceeded { last, .. } => last.as_deref(),
            Self::Api(_) => None,
        }
    }

    /// The work ended without success (CLI exit 5).
    pub fn is_unsuccessful(&self) -> bool {
        matches!(self, Self::Unsuccessful { .. })
    }

    /// The deadline passed first (CLI exit 6).
    pub fn is_deadline_exceeded(&self) -> bool {
        matches!(self, Self::DeadlineExceeded { .. })
    }

    /// The API error, if a poll failed in a way that waiting will not fix.
    pub fn api_error(&self) -> Option<&Error> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The last poll's failure: the error that ended the wait, or the one
    /// the deadline passed on (a 429 or 503, say).
    pub fn last_error(&self) -> Option<&Error> {
        match self {
            Self::Api(e) => Some(e),
            Self::DeadlineExceeded { last_error, .. } => last_error.as_deref(),
            Self::Unsuccessful { .. } => None,
        }
    }
}

fn last_error_suffix(e: Option<&Error>) -> String {
    e.map(|e| format!("; the last poll failed: {e}"))
        .unwrap_or_default()
}

use cfp_transport::human_duration as fmt_duration;

impl<T> fmt::Display for Progress<T> {
    /// `Running, 40%, eta 2025-11-23T12:25:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.state)?;
        if let Some(p) = self.percent {
            write!(f, ", {p}%")?;
        }
        if let Some(eta) = self.eta {
            write!(f, ", eta {eta}")?;
        }
        Ok(())
    }
}
