//! Starting a wait.

use cfp_model::{
    DiffId, DiffStatus, FleetId, ImageId, ImageStatus, ImageVersionId, ProfileSwitch, Task,
    TaskBatch, TaskBatchId, TaskId, UpdateId, UpdateJob, VersionJob,
};

use super::Waiter;
use crate::client::{Clanforge, Client};

impl Clanforge<'_> {
    /// Waits for an image diff job to end, polling
    /// [`get_image_diff_status`](Clanforge::get_image_diff_status) as the
    /// job's `jobeta` suggests.
    ///
    /// Ends `Ok` when the job is complete; unsuccessfully when it failed or
    /// was squashed (the state decides, never `jobfailed`).
    pub fn wait_for_diff(&self, diff_id: DiffId) -> Waiter<DiffStatus> {
        Waiter::new(self.client.clone(), (self.asid, diff_id))
    }

    /// Waits for an image update job to end, polling
    /// [`get_image_update_status`](Clanforge::get_image_update_status) as
    /// the job's `jobeta` suggests.
    ///
    /// Ends `Ok` when the job is complete; unsuccessfully when it failed or
    /// was squashed.
    pub fn wait_for_update(&self, update_id: UpdateId) -> Waiter<UpdateJob> {
        Waiter::new(self.client.clone(), (self.asid, update_id))
    }

    /// Waits for an image version job to end (the version built and its
    /// installs started), polling
    /// [`get_image_version_status`](Clanforge::get_image_version_status).
    ///
    /// Ends `Ok` when the job is complete; unsuccessfully when it failed or
    /// was squashed. The rollout to the machines is then watched with
    /// [`wait_for_rollout`](Clanforge::wait_for_rollout).
    pub fn wait_for_version(&self, version_id: ImageVersionId) -> Waiter<VersionJob> {
        Waiter::new(self.client.clone(), (self.asid, version_id))
    }

    /// Waits for a reservation fleet's profile switch to complete, polling
    /// [`get_fleet_profile_switch`](Clanforge::get_fleet_profile_switch).
    ///
    /// Ends `Ok` when the state is `complete`; unsuccessfully when it says
    /// no switch was requested.
    pub fn wait_for_profile_switch(&self, fleet_id: FleetId) -> Waiter<ProfileSwitch> {
        Waiter::new(self.client.clone(), (self.asid, fleet_id))
    }

    /// Waits until an image's rollout has no pending machine, polling
    /// [`get_image_status`](Clanforge::get_image_status).
    ///
    /// Ends `Ok` when no machine is pending; with
    /// [`fail_on_failed(true)`](Waiter::fail_on_failed), unsuccessfully when
    /// any machine failed.
    pub fn wait_for_rollout(&self, image_id: ImageId) -> Waiter<ImageStatus> {
        Waiter::new(self.client.clone(), (self.asid, image_id))
    }
}

impl Client {
    /// Waits for a task to end, polling [`get_task`](Client::get_task); a
    /// task scheduled for later is first polled at its `executeAt`.
    ///
    /// Ends `Ok` when the task is done (127); unsuccessfully when it is done
    /// with error (126) or cancelled (125). A paused task keeps the wait
    /// going until it is resumed or the deadline passes.
    pub fn wait_for_task(&self, task_id: TaskId) -> Waiter<Task> {
        Waiter::new(self.clone(), task_id)
    }

    /// Waits for a task batch to finish, polling
    /// [`get_task_batch`](Client::get_task_batch).
    ///
    /// Ends `Ok` when every task is done; unsuccessfully when any task
    /// failed or was cancelled.
    pub fn wait_for_batch(&self, batch_id: TaskBatchId) -> Waiter<TaskBatch> {
        Waiter::new(self.clone(), batch_id)
    }
}

impl Waiter<DiffStatus> {
    /// Ask for the game, image and machine with every poll (`diff_info=1`).
    pub fn info(mut self, yes: bool) -> Self {
        self.options.info = yes;
        self
    }
}

impl Waiter<ImageStatus> {
    /// Failed machines make the wait unsuccessful once none is pending
    /// (default `false`: a rollout with failed machines is still ready).
    pub fn fail_on_failed(mut self, yes: bool) -> Self {
        self.options.fail_on_failed = yes;
        self
    }

    /// Ask for per-fleet and per-region counts with every poll (`detail=true`).
    pub fn detail(mut self, yes: bool) -> Self {
        self.options.detail = yes;
        self
    }
}
