//! Task API methods: templates, tasks, batches.

use cfp_model::{CreateTaskBatch, Task, TaskBatch, TaskBatchId, TaskId, TaskTemplate};

use super::Client;
use crate::error::Error;
use crate::operations::Operation as _;
use crate::operations::task_batches::{GetBatchOp, ListBatchesOp};
use crate::operations::tasks::{
    CancelTaskOp, CreateBatchOp, GetTaskOp, ListTasksOp, ListTemplatesOp, ToggleTaskOp,
};

impl Client {
    /// Lists the task templates (Restart, Stop, Start, Update, …) with
    /// their actions and required parameters.
    ///
    /// `GET /v3/applicationInstance/task/template`.
    #[doc(alias = "listTaskTemplates")]
    pub async fn task_templates(&self) -> Result<Vec<TaskTemplate>, Error> {
        self.execute(&ListTemplatesOp).await
    }

    /// Lists the last 100 tasks you created.
    ///
    /// `GET /v3/applicationInstance/task`.
    #[doc(alias = "listTasks")]
    pub async fn list_tasks(&self) -> Result<Vec<Task>, Error> {
        self.execute(&ListTasksOp).await
    }

    /// Creates a task batch: runs a template on game servers selected by
    /// id, fleet, region or label, now or at a set time.
    ///
    /// `POST /v3/applicationInstance/task`. The request is
    /// [validated](CreateTaskBatch::validate) first: what the vendor would
    /// refuse with 422 is an [`Error::InvalidInput`] and nothing is sent. It
    /// creates something, so it is retried only when the request provably
    /// never left.
    #[doc(alias = "createTaskBatch")]
    pub async fn create_task_batch(&self, request: &CreateTaskBatch) -> Result<TaskBatch, Error> {
        self.execute(&CreateBatchOp(request)).await
    }

    /// Reads a task.
    ///
    /// `GET /v3/applicationInstance/task/{taskId}`.
    #[doc(alias = "getTask")]
    pub async fn get_task(&self, task_id: TaskId) -> Result<Task, Error> {
        self.execute(&GetTaskOp(task_id)).await
    }

    /// Toggles a task between paused and running: the raw vendor call.
    ///
    /// `PUT /v3/applicationInstance/task/{taskId}`. The same call pauses a
    /// pending or running task and resumes a paused one, so it is never
    /// retried blindly. Prefer [`pause_task`](Client::pause_task) and
    /// [`resume_task`](Client::resume_task), which are idempotent.
    #[doc(alias = "toggleTaskPause")]
    pub async fn toggle_task_pause(&self, task_id: TaskId) -> Result<Task, Error> {
        self.execute(&ToggleTaskOp(task_id)).await
    }

    /// Cancels a task that has not finished, and returns it.
    ///
    /// `DELETE /v3/applicationInstance/task/{taskId}`. i3D's usage guide
    /// says a DELETE answers `204 No Content` while its OpenAPI shows the
    /// task in a one-element array: both are accepted, and after a 204 the
    /// task is read once to report its state. Safe to repeat; a repeat
    /// whose first attempt did arrive gets 409, so on 409 the task is read
    /// again: a task that is cancelled is a success (cancelling it twice
    /// changes nothing), any other state stays the conflict.
    #[doc(alias = "cancelTask")]
    pub async fn cancel_task(&self, task_id: TaskId) -> Result<Task, Error> {
        let op = CancelTaskOp(task_id);
        let answer = match self.send(&op).await {
            Ok(r) if r.status() == http::StatusCode::NO_CONTENT => {
                return self.get_task(task_id).await;
            }
            Ok(r) => CancelTaskOp::parse(&r).map_err(|e| self.redact(CancelTaskOp::ID, e)),
            Err(e) => Err(e),
        };
        match answer {
            Err(e) if e.status() == Some(409) => match self.get_task(task_id).await {
                Ok(task) if task.result_code.is_cancelled() => Ok(task),
                _ => Err(e),
            },
            other => other,
        }
    }

    /// Lists the last 100 task batches you created.
    ///
    /// `GET /v3/applicationInstance/taskBatch`.
    #[doc(alias = "listTaskBatches")]
    pub async fn list_task_batches(&self) -> Result<Vec<TaskBatch>, Error> {
        self.execute(&ListBatchesOp).await
    }

    /// Reads a task batch with its task counts.
    ///
    /// `GET /v3/applicationInstance/taskBatch/{taskBatchId}`. See
    /// [`wait_for_batch`](Client::wait_for_batch) to wait for it to finish.
    #[doc(alias = "getTaskBatch")]
    pub async fn get_task_batch(&self, batch_id: TaskBatchId) -> Result<TaskBatch, Error> {
        self.execute(&GetBatchOp(batch_id)).await
    }
}
