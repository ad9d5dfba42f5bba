//! What each waiter polls and how it reads the answer.

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use cfp_model::job::Job;
use cfp_model::{
    AccountServiceId, DiffId, DiffStatus, FleetId, ImageId, ImageStatus, ImageVersionId,
    ProfileSwitch, Surface, SwitchState, Task, TaskBatch, TaskBatchId, TaskId, TaskResultCode,
    UnixTime, UpdateId, UpdateJob, VersionJob,
};

use super::Counts;
use crate::answer::Answer;
use crate::client::Client;
use crate::error::Error;

/// An object a [`Waiter`](super::Waiter) can wait on: [`DiffStatus`],
/// [`UpdateJob`], [`VersionJob`], [`Task`], [`TaskBatch`], [`ImageStatus`]
/// or [`ProfileSwitch`]. Sealed.
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

        /// The API it is read from (whose server clock its ETAs are on).
        const SURFACE: Surface;

        /// `image diff 218595`, `task 42`, …
        fn describe(target: &Self::Target) -> String;

        /// What the work is about, as a kind and an id: `("diff", 218595)`,
        /// `("task", 42)`, `("image", 1)` for a rollout, `("fleet", 2)` for
        /// a profile switch.
        fn subject(target: &Self::Target) -> (&'static str, u64);

        /// Reads the object once.
        fn poll<'a>(
            client: &'a Client,
            target: &'a Self::Target,
            options: &'a Options,
        ) -> impl Future<Output = Result<Answer<Self>, Error>> + Send + 'a;

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
    const SURFACE: Surface = Surface::Clanforge;

    fn subject(target: &Self::Target) -> (&'static str, u64) {
        ("diff", target.1.get())
    }

    fn describe(target: &Self::Target) -> String {
        format!("image diff {}", target.1)
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        options: &'a Options,
    ) -> impl Future<Output = Result<Answer<Self>, Error>> + Send + 'a {
        client
            .clanforge(target.0)
            .get_image_diff_status(target.1)
            .info(options.info)
            .send()
    }

    fn observe(&self, _: &Self::Target, _: &Options) -> Observation {
        job_observation(&self.job)
    }
}

/// Where a Clanforge job stands: its state decides (never `jobfailed`);
/// its `jobeta` says when to look again.
fn job_observation(job: &impl Job) -> Observation {
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
    o.eta = job.eta();
    o.hint = job.eta().and_then(wall);
    o
}

/// An image update job: `(account service id, update id)`.
impl Watch for UpdateJob {
    type Target = (AccountServiceId, UpdateId);
    const SURFACE: Surface = Surface::Clanforge;

    fn subject(target: &Self::Target) -> (&'static str, u64) {
        ("update", target.1.get())
    }

    fn describe(target: &Self::Target) -> String {
        format!("image update {}", target.1)
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        _: &'a Options,
    ) -> impl Future<Output = Result<Answer<Self>, Error>> + Send + 'a {
        client
            .clanforge(target.0)
            .get_image_update_status(target.1)
            .send()
    }

    fn observe(&self, _: &Self::Target, _: &Options) -> Observation {
        job_observation(self)
    }
}

/// An image version job: `(account service id, image version id)`.
impl Watch for VersionJob {
    type Target = (AccountServiceId, ImageVersionId);
    const SURFACE: Surface = Surface::Clanforge;

    fn subject(target: &Self::Target) -> (&'static str, u64) {
        ("version", target.1.get())
    }

    fn describe(target: &Self::Target) -> String {
        format!("image version {}", target.1)
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        _: &'a Options,
    ) -> impl Future<Output = Result<Answer<Self>, Error>> + Send + 'a {
        client
            .clanforge(target.0)
            .get_image_version_status(target.1)
            .send()
    }

    fn observe(&self, _: &Self::Target, _: &Options) -> Observation {
        job_observation(self)
    }
}

/// A reservation fleet's profile switch: `(account service id, fleet id)`.
impl Watch for ProfileSwitch {
    type Target = (AccountServiceId, FleetId);
    const SURFACE: Surface = Surface::Clanforge;

    fn subject(target: &Self::Target) -> (&'static str, u64) {
        ("fleet", target.1.get())
    }

    fn describe(target: &Self::Target) -> String {
        format!("the profile switch of fleet {}", target.1)
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        _: &'a Options,
    ) -> impl Future<Output = Result<Answer<Self>, Error>> + Send + 'a {
        client
            .clanforge(target.0)
            .get_fleet_profile_switch(target.1)
            .send()
    }

    fn observe(&self, _: &Self::Target, _: &Options) -> Observation {
        let outcome = match &self.state {
            SwitchState::Complete => Outcome::Succeeded,
            SwitchState::NotRequested => {
                Outcome::Failed("no profile switch was requested for the fleet".to_owned())
            }
            _ => Outcome::Pending,
        };
        let state = format!(
            "{}: {} switched, {} pending",
            self.state, self.servers_processed, self.servers_pending
        );
        let mut o = Observation::new(outcome, state);
        o.percent = Some(self.percent());
        o.counts = Some(Counts {
            total: self.servers_pending.saturating_add(self.servers_processed),
            done: self.servers_processed,
            failed: 0,
            cancelled: 0,
            pending: self.servers_pending,
        });
        o
    }
}

/// A task.
impl Watch for Task {
    type Target = TaskId;
    const SURFACE: Surface = Surface::Task;

    fn subject(target: &Self::Target) -> (&'static str, u64) {
        ("task", target.get())
    }

    fn describe(target: &Self::Target) -> String {
        format!("task {target}")
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        _: &'a Options,
    ) -> impl Future<Output = Result<Answer<Self>, Error>> + Send + 'a {
        client.get_task(*target).send()
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
        o.hint = match self.result_code {
            TaskResultCode::Pending => wall(self.execute_at),
            TaskResultCode::InProgress => current_action_end(self),
            _ => None,
        };
        o.detail = vec![self.current_action_idx, self.last_activity_at.as_secs()];
        o
    }
}

/// When a running task's current action should end, judging by the
/// actions it has finished: they took `lastActivityAt − executeAt` in all
/// (`lastActivityAt` is when the current action started), so the current
/// one should take their average. `None` during the first action (nothing
/// to judge by) and when the times do not make sense.
///
/// The task API gives no ETA; this is the one estimate its answers allow.
/// It is exact when a template's actions take equally long; when they do
/// not, the poll comes early (the waiter then backs off from its initial
/// delay) or late (by the error, at most `max_delay`).
fn current_action_end(task: &Task) -> Option<SystemTime> {
    let done = u32::try_from(task.current_action_idx)
        .ok()
        .filter(|n| *n > 0)?;
    let spent = task.last_activity_at.as_secs() - task.execute_at.as_secs();
    let spent = Duration::from_secs(u64::try_from(spent).ok().filter(|s| *s > 0)?);
    Some(wall(task.last_activity_at)? + spent / done)
}

/// A task batch.
impl Watch for TaskBatch {
    type Target = TaskBatchId;
    const SURFACE: Surface = Surface::Task;

    fn subject(target: &Self::Target) -> (&'static str, u64) {
        ("batch", target.get())
    }

    fn describe(target: &Self::Target) -> String {
        format!("task batch {target}")
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        _: &'a Options,
    ) -> impl Future<Output = Result<Answer<Self>, Error>> + Send + 'a {
        client.get_task_batch(*target).send()
    }

    fn observe(&self, _: &Self::Target, _: &Options) -> Observation {
        let ended = self.num_tasks_ended();
        let outcome = if !self.is_finished() {
            Outcome::Pending
        } else if self.has_failures() {
            Outcome::Failed(format!(
                "{} failed and {} cancelled of {}",
                self.num_tasks_failed,
                self.num_tasks_cancelled,
                crate::count(self.num_tasks, "task")
            ))
        } else {
            Outcome::Succeeded
        };
        let state = format!("{ended} of {} ended", crate::count(self.num_tasks, "task"));
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
    const SURFACE: Surface = Surface::Clanforge;

    fn subject(target: &Self::Target) -> (&'static str, u64) {
        ("image", target.1.get())
    }

    fn describe(target: &Self::Target) -> String {
        format!("the rollout of image {}", target.1)
    }

    fn poll<'a>(
        client: &'a Client,
        target: &'a Self::Target,
        options: &'a Options,
    ) -> impl Future<Output = Result<Answer<Self>, Error>> + Send + 'a {
        client
            .clanforge(target.0)
            .get_image_status(target.1)
            .detail(options.detail)
            .send()
    }

    fn observe(&self, _: &Self::Target, options: &Options) -> Observation {
        let c = self.counts();
        let outcome = if !c.is_ready() {
            Outcome::Pending
        } else if options.fail_on_failed && c.failed > 0 {
            Outcome::Failed(format!(
                "{} failed to install the image",
                crate::count(c.failed, "machine")
            ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use cfp_model::task::TaskCategory;
    use cfp_model::{EntityId, TaskBatchId};

    fn task(code: TaskResultCode, action: i64, execute: i64, activity: i64) -> Task {
        Task {
            id: TaskId(1),
            name: "Restart".into(),
            batch_id: TaskBatchId(1),
            category_id: TaskCategory::GameServer,
            entity_id: EntityId(1),
            current_action_idx: action,
            execute_at: UnixTime::from_secs(execute).unwrap(),
            last_activity_at: UnixTime::from_secs(activity).unwrap(),
            finished_at: UnixTime::from_secs(0).unwrap(),
            result_code: code,
            result_text: String::new(),
        }
    }

    fn at(secs: u64) -> Option<SystemTime> {
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
    }

    fn hint(t: &Task) -> Option<SystemTime> {
        t.observe(&t.id, &Options::default()).hint
    }

    #[test]
    fn a_running_task_is_polled_when_its_current_action_should_end() {
        // Action 0 took 1000 → 1024: action 1 should end at 1048.
        let t = task(TaskResultCode::InProgress, 1, 1000, 1024);
        assert_eq!(hint(&t), at(1048));
        // Two actions in 60 s: the third should take 30 s.
        let t = task(TaskResultCode::InProgress, 2, 1000, 1060);
        assert_eq!(hint(&t), at(1090));
    }

    #[test]
    fn the_first_action_and_odd_times_give_no_hint() {
        assert_eq!(hint(&task(TaskResultCode::InProgress, 0, 1000, 1000)), None);
        assert_eq!(hint(&task(TaskResultCode::InProgress, 1, 1000, 990)), None);
        assert_eq!(hint(&task(TaskResultCode::Paused, 1, 1000, 1024)), None);
    }

    #[test]
    fn a_pending_task_is_polled_at_its_start() {
        assert_eq!(
            hint(&task(TaskResultCode::Pending, 0, 5000, 1000)),
            at(5000)
        );
    }
}
