//! What each waiter polls and how it reads the answer.

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use cfp_model::clanforge::{GetImageDiffStatus, GetImageStatus};
use cfp_model::{
    AccountServiceId, DiffId, DiffStatus, ImageId, ImageStatus, Task, TaskBatch, TaskBatchId,
    TaskId, TaskResultCode, UnixTime,
};

use super::Counts;
use crate::client::Client;
use crate::error::Error;

/// An object a [`Waiter`](super::Waiter) can wait on: [`DiffStatus`],
/// [`Task`], [`TaskBatch`] or [`ImageStatus`]. Sealed.
pub trait Watched: sealed::Watch {}

impl<T: sealed::Watch> Watched for T {}

pub(crate) use sealed::{Observation, Options, Outcome};

pub(crate) mod sealed {
    use super::*;

    /// Settings some waiters read.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Options {
        /// Diff: ask for `diff_info=1`.
        pub info: bool,
        /// Rollout: ask for `detail=true`.
        pub detail: bool,
        /// Rollout: failed machines make the wait unsuccessful.
        pub fail_on_failed: bool,
    }

    /// Where the work stands.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Outcome {
        /// Not over yet.
        Pending,
        /// Over, successfully.
        Succeeded,
        /// Over, without success, and why.
        Failed(String),
    }

    /// What one poll showed; two equal observations mean no change.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Observation {
        pub outcome: Outcome,
        pub state: String,
        pub percent: Option<u8>,
        pub eta: Option<UnixTime>,
        pub counts: Option<Counts>,
        /// When the server says to look again (an ETA, a scheduled start).
        pub hint: Option<SystemTime>,
        /// Further fields whose change counts as progress.
        pub detail: Vec<i64>,
    }

    impl Observation {
        pub fn new(outcome: Outcome, state: String) -> Self {
            Self {
                outcome,
                state,
                percent: None,
                eta: None,
                counts: None,
                hint: None,
                detail: Vec::new(),
            }
        }
    }

    /// The polling side of [`Watched`].
    pub trait Watch: Clone + Send + Sync + 'static {
        /// What identifies the work.
        type Target: fmt::Debug + Send + Sync + 'static;

        /// `image diff 218595`, `task 42`, …
        fn describe(target: &Self::Target) -> String;

        /// Reads the object once.
        fn poll<'a>(
            client: &'a Client,
            target: &'a Self::Target,
            options: &'a Options,
        ) -> impl Future<Output = Result<Self, Error>> + Send + 'a;

        /// Reads where the work stands.
        fn observe(&self, target: &Self::Target, options: &Options) -> Observation;
    }
}

use sealed::Watch;

/// A Unix time as a wall-clock time, if it is after the epoch.
fn wall(t: UnixTime) -> Option<SystemTime> {
    u64::try_from(t.as_secs())
        .ok()
        .filter(|s| *s > 0)
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

/// A diff job: `(account service id, diff id)`.
impl Watch for DiffStatus {
    type Target = (AccountServiceId, DiffId);

    fn describe(target: &Self::Target) -> String {
        format!("image diff {}", target.1)
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        options: &'a Options,
    ) -> impl Future<Output = Result<Self, Error>> + Send + 'a {
        client.image_diff_status(GetImageDiffStatus {
            account_service_id: target.0,
            diff_id: target.1,
            info: options.info,
        })
    }

    fn observe(&self, _: &Self::Target, _: &Options) -> Observation {
        let job = &self.job;
        let state = job.state();
        let outcome = if job.has_failed() {
            Outcome::Failed(
                job.error_message()
                    .map_or_else(|| format!("the job ended {state}"), str::to_owned),
            )
        } else if state.is_success() {
            Outcome::Succeeded
        } else {
            Outcome::Pending
        };
        let mut o = Observation::new(outcome, state.to_string());
        o.percent = Some(job.percent());
        o.eta = job.eta;
        o.hint = job.eta.and_then(wall);
        o
    }
}

/// A task.
impl Watch for Task {
    type Target = TaskId;

    fn describe(target: &Self::Target) -> String {
        format!("task {target}")
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        _: &'a Options,
    ) -> impl Future<Output = Result<Self, Error>> + Send + 'a {
        client.get_task(*target)
    }

    fn observe(&self, _: &Self::Target, _: &Options) -> Observation {
        let outcome = match self.result_code {
            TaskResultCode::Done => Outcome::Succeeded,
            TaskResultCode::DoneWithError => Outcome::Failed(if self.result_text.is_empty() {
                "it finished with an error".to_owned()
            } else {
                format!("it finished with an error: {}", self.result_text)
            }),
            TaskResultCode::Cancelled => Outcome::Failed("it was cancelled".to_owned()),
            _ => Outcome::Pending,
        };
        let mut o = Observation::new(outcome, self.result_code.to_string());
        if self.result_code == TaskResultCode::Pending {
            o.hint = wall(self.execute_at);
        }
        o.detail = vec![self.current_action_idx, self.last_activity_at.as_secs()];
        o
    }
}

/// A task batch.
impl Watch for TaskBatch {
    type Target = TaskBatchId;

    fn describe(target: &Self::Target) -> String {
        format!("task batch {target}")
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        _: &'a Options,
    ) -> impl Future<Output = Result<Self, Error>> + Send + 'a {
        client.get_task_batch(*target)
    }

    fn observe(&self, _: &Self::Target, _: &Options) -> Observation {
        let ended = self.num_tasks_ended();
        let outcome = if !self.is_finished() {
            Outcome::Pending
        } else if self.has_failures() {
            Outcome::Failed(format!(
                "{} failed and {} cancelled of {} tasks",
                self.num_tasks_failed, self.num_tasks_cancelled, self.num_tasks
            ))
        } else {
            Outcome::Succeeded
        };
        let state = format!("{ended} of {} tasks ended", self.num_tasks);
        let mut o = Observation::new(outcome, state);
        o.percent = Some(self.percent());
        o.counts = Some(Counts {
            total: self.num_tasks,
            done: self.num_tasks_ok,
            failed: self.num_tasks_failed,
            cancelled: self.num_tasks_cancelled,
            pending: self.num_tasks.saturating_sub(ended),
        });
        if ended == 0 {
            o.hint = wall(self.execute_at);
        }
        o.detail = vec![self.finished_at.as_secs()];
        o
    }
}

/// An image rollout: `(account service id, image id)`.
impl Watch for ImageStatus {
    type Target = (AccountServiceId, ImageId);

    fn describe(target: &Self::Target) -> String {
        format!("the rollout of image {}", target.1)
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        options: &'a Options,
    ) -> impl Future<Output = Result<Self, Error>> + Send + 'a {
        client.image_status(GetImageStatus {
            account_service_id: target.0,
            image_id: target.1,
            detail: options.detail,
        })
    }

    fn observe(&self, _: &Self::Target, options: &Options) -> Observation {
        let c = self.counts();
        let outcome = if !c.is_ready() {
            Outcome::Pending
        } else if options.fail_on_failed && c.failed > 0 {
            Outcome::Failed(format!("{} machines failed to install the image", c.failed))
        } else {
            Outcome::Succeeded
        };
        let state = format!(
            "{} pending, {} completed, {} failed",
            c.pending, c.completed, c.failed
        );
        let mut o = Observation::new(outcome, state);
        o.percent = Some(c.percent_completed());
        o.counts = Some(Counts {
            total: c.total(),
            done: c.completed,
            failed: c.failed,
            cancelled: 0,
            pending: c.pending,
        });
        o
    }
}
