//! Starting a wait.

use cfp_model::{DiffId, DiffStatus, ImageId, ImageStatus, Task, TaskBatch, TaskBatchId, TaskId};

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
