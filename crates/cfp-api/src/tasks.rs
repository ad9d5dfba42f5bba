//! Idempotent pause and resume over the task API's toggle.
//!
//! The vendor has one call for both (`PUT /v3/applicationInstance/task/{id}`
//! pauses a pending or running task and resumes a paused one), so sending
//! it twice undoes it. Pause and resume therefore read the task, toggle
//! only if needed, and read again to confirm; the toggle itself is never
//! retried blindly.

use cfp_model::{OperationId, Task, TaskId, TaskResultCode};

use crate::answer::Answer;
use crate::client::Client;
use crate::error::{Error, TaskAction};

impl Client {
    /// Pauses a task, idempotently: a task already paused is returned as it
    /// is, without a toggle.
    ///
    /// Reads the task; if it is pending or running, toggles once and reads
    /// again to confirm it is paused. A task that has ended (done, done with
    /// error, cancelled) or is in a state this version does not know gives
    /// [`Error::TaskState`] (a conflict: [`Error::is_conflict`]) without
    /// sending the toggle. If the service refuses the toggle with 409, the
    /// task is read again: already paused (someone else did it) is success,
    /// anything else is an [`Error::TaskState`] naming the state found. If
    /// the toggle's answer is lost (it may have arrived), the task is read
    /// again rather than toggled again.
    #[doc(alias = "toggleTaskPause")]
    pub async fn pause_task(&self, task_id: TaskId) -> Result<Answer<Task>, Error> {
        self.set_paused(task_id, TaskAction::Pause).await
    }

    /// Resumes a paused task, idempotently: a task that is pending or
    /// running is returned as it is, without a toggle.
    ///
    /// The mirror of [`pause_task`](Client::pause_task): read, toggle only
    /// if paused, read again to confirm; a task that has ended is an
    /// [`Error::TaskState`].
    #[doc(alias = "toggleTaskPause")]
    pub async fn resume_task(&self, task_id: TaskId) -> Result<Answer<Task>, Error> {
        self.set_paused(task_id, TaskAction::Resume).await
    }

    async fn set_paused(&self, task_id: TaskId, action: TaskAction) -> Result<Answer<Task>, Error> {
        let task = self.get_task(task_id).send().await?;
        if let Some(reason) = refusal(task.result_code) {
            return Err(state_error(
                OperationId::GetTask,
                action,
                task.into_inner(),
                reason,
            ));
        }
        if reached(action, task.result_code) {
            tracing::debug!(task = %task_id, %action, "already in the wanted state; no toggle sent");
            return Ok(task);
        }
        match self.toggle_task_pause(task_id).send().await {
            Ok(_) => {
                let now = self.get_task(task_id).send().await?;
                if reached(action, now.result_code) {
                    Ok(now)
                } else {
                    let reason = format!(
                        "the toggle was accepted but the task is now {}",
                        now.result_code
                    );
                    Err(state_error(
                        OperationId::ToggleTaskPause,
                        action,
                        now.into_inner(),
                        reason,
                    ))
                }
            }
            Err(e) if e.is_conflict() => {
                let now = self.get_task(task_id).send().await?;
                if reached(action, now.result_code) {
                    return Ok(now);
                }
                let reason = format!(
                    "the service refused the toggle (http 409); the task is {}",
                    now.result_code
                );
                Err(state_error(
                    OperationId::ToggleTaskPause,
                    action,
                    now.into_inner(),
                    reason,
                ))
            }
            Err(e) if outcome_unknown(&e) => match self.get_task(task_id).send().await {
                Ok(now) if reached(action, now.result_code) => Ok(now),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}

/// The task is where `action` wants it.
fn reached(action: TaskAction, code: TaskResultCode) -> bool {
    match action {
        TaskAction::Pause => code == TaskResultCode::Paused,
        TaskAction::Resume => matches!(code, TaskResultCode::Pending | TaskResultCode::InProgress),
    }
}

/// Why a task in `code` cannot be paused or resumed, if it cannot.
fn refusal(code: TaskResultCode) -> Option<String> {
    if code.is_terminal() {
        return Some(format!("it has ended: {code}"));
    }
    if let TaskResultCode::Unknown(_) = code {
        return Some(format!("its state is {code}; not toggling blindly"));
    }
    None
}

/// The toggle may or may not have been applied.
fn outcome_unknown(e: &Error) -> bool {
    e.may_have_been_carried_out() || e.status().is_some_and(|s| s >= 500)
}

fn state_error(op: OperationId, action: TaskAction, task: Task, reason: String) -> Error {
    Error::TaskState {
        operation: op,
        action,
        task_id: task.id,
        state: task.result_code,
        task: Some(Box::new(task)),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskResultCode::*;

    #[test]
    fn which_states_need_a_toggle() {
        assert!(reached(TaskAction::Pause, Paused));
        assert!(!reached(TaskAction::Pause, InProgress));
        assert!(reached(TaskAction::Resume, InProgress));
        assert!(reached(TaskAction::Resume, Pending));
        assert!(!reached(TaskAction::Resume, Paused));
        for ended in [Done, DoneWithError, Cancelled, Unknown(9)] {
            assert!(refusal(ended).is_some(), "{ended}");
        }
        for live in [Pending, InProgress, Paused] {
            assert!(refusal(live).is_none(), "{live}");
        }
    }
}
