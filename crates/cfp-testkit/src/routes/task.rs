//! The application-instance task API: templates, tasks, batches.
//!
//! Single-resource answers (get, pause-or-resume and cancel a task, get a
//! batch, create a batch) are one-element arrays, as the live API sends.

use cfp_model::{TaskApiError, TaskBatchId, TaskId};
use http::StatusCode;

use super::{Call, parse_id};
use crate::reply::Reply;
use crate::shared::Shared;
use crate::world::TaskConflict;

/// The task API's error body.
pub(crate) fn error(status: StatusCode, code: i64, message: &str) -> Reply {
    Reply::value(
        status,
        &TaskApiError {
            error_code: code,
            error_message: message.into(),
            errors: Vec::new(),
        },
    )
}

/// 403: the task API's answer to bad credentials.
pub(crate) fn forbidden() -> Reply {
    error(StatusCode::FORBIDDEN, 10003, "Invalid credentials")
}

fn not_found() -> Reply {
    error(StatusCode::NOT_FOUND, 10001, "Entity not found")
}

fn conflict(c: TaskConflict) -> Reply {
    let message = match c {
        TaskConflict::CannotPause => "Task cannot be paused",
        TaskConflict::CannotCancel => "Task cannot be cancelled",
    };
    error(StatusCode::CONFLICT, 10409, message)
}

/// One resource, wrapped in a one-element array.
fn single<T: serde::Serialize>(v: &T) -> Reply {
    Reply::value(StatusCode::OK, &[v])
}

/// `GET /v3/applicationInstance/task/template`.
#[doc(alias = "listTaskTemplates")]
pub(super) fn list_task_templates(shared: &Shared, _call: &Call<'_>) -> Reply {
    Reply::ok(shared.world.read().templates_json())
}

/// `GET /v3/applicationInstance/task`.
#[doc(alias = "listTasks")]
pub(super) fn list_tasks(shared: &Shared, call: &Call<'_>) -> Reply {
    Reply::value(StatusCode::OK, &shared.world.read().list_tasks(call.now))
}

/// `POST /v3/applicationInstance/task`: the raw body is checked as the live
/// API does (ids as strings, no unknown property), 422 otherwise.
#[doc(alias = "createTaskBatch")]
pub(super) fn create_task_batch(shared: &Shared, call: &Call<'_>) -> Reply {
    let created = crate::world::parse_create(call.body)
        .and_then(|req| shared.world.write().create_batch(&req, call.now));
    match created {
        Ok(batch) => single(&batch),
        Err(e) => Reply::value(StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

fn task_id(call: &Call<'_>) -> Option<TaskId> {
    parse_id(call.param(0)).map(TaskId)
}

/// `GET /v3/applicationInstance/task/{taskId}`.
#[doc(alias = "getTask")]
pub(super) fn get_task(shared: &Shared, call: &Call<'_>) -> Reply {
    task_id(call)
        .and_then(|id| shared.world.read().task(id, call.now))
        .map_or_else(not_found, |t| single(&t))
}

/// `PUT /v3/applicationInstance/task/{taskId}`: pause, or resume if paused.
#[doc(alias = "toggleTaskPause")]
pub(super) fn toggle_task_pause(shared: &Shared, call: &Call<'_>) -> Reply {
    let Some(id) = task_id(call) else {
        return not_found();
    };
    match shared.world.write().toggle_task(id, call.now) {
        None => not_found(),
        Some(Ok(t)) => single(&t),
        Some(Err(c)) => conflict(c),
    }
}

/// `DELETE /v3/applicationInstance/task/{taskId}`.
#[doc(alias = "cancelTask")]
pub(super) fn cancel_task(shared: &Shared, call: &Call<'_>) -> Reply {
    let Some(id) = task_id(call) else {
        return not_found();
    };
    let mut world = shared.world.write();
    let no_content = world.world.cancel_answers_no_content;
    match world.cancel_task(id, call.now) {
        None => not_found(),
        Some(Ok(_)) if no_content => Reply::json(StatusCode::NO_CONTENT, ""),
        Some(Ok(t)) => single(&t),
        Some(Err(c)) => conflict(c),
    }
}

/// `GET /v3/applicationInstance/taskBatch`.
#[doc(alias = "listTaskBatches")]
pub(super) fn list_task_batches(shared: &Shared, call: &Call<'_>) -> Reply {
    Reply::value(StatusCode::OK, &shared.world.read().list_batches(call.now))
}

/// `GET /v3/applicationInstance/taskBatch/{taskBatchId}`.
#[doc(alias = "getTaskBatch")]
pub(super) fn get_task_batch(shared: &Shared, call: &Call<'_>) -> Reply {
    parse_id(call.param(0))
        .map(TaskBatchId)
        .and_then(|id| shared.world.read().batch(id, call.now))
        .map_or_else(not_found, |b| single(&b))
}
