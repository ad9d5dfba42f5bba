//! `cancelTask`: cancel a task that has not finished.

use bytes::Bytes;
use cfp_model::Task;
use cfp_model::params::{CancelTaskParams, GetTaskParams};

use crate::answer::Answer;
use crate::call::{Call, Operation};
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// Safe to repeat (cancelling twice leaves the task cancelled), so it is
/// retried on transient failures. i3D's usage guide says a DELETE answers
/// `204 No Content` while its OpenAPI shows the task in a one-element
/// array: both are accepted, and after a 204 the task is read once to
/// report its state. A repeat whose first attempt did arrive gets 409: the
/// task is then read again, and a task that is cancelled is a success; any
/// other state stays the conflict. Up to two calls, each within the
/// client's timeouts.
impl Operation for CancelTaskParams {
    type Output = Task;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<Task>, Error> {
        response::task_single(Self::OPERATION, "task", r)
    }

    async fn send(call: Call<Self>) -> Result<Answer<Task>, Error> {
        let client = &call.client;
        let read = GetTaskParams::new(call.params.task_id);
        let answer = match client.dispatch(&call.params).await {
            Ok(r) if r.status() == http::StatusCode::NO_CONTENT => {
                return client.execute(&read).await;
            }
            Ok(r) => client.read::<Self>(&r),
            Err(e) => Err(e),
        };
        match answer {
            Err(e) if e.status() == Some(409) => match client.execute(&read).await {
                Ok(task) if task.result_code.is_cancelled() => Ok(task),
                _ => Err(e),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::request;
    use cfp_model::TaskId;

    #[test]
    fn a_delete_without_body() {
        let req = request(&CancelTaskParams::new(TaskId(42))).unwrap();
        assert_eq!(req.method(), http::Method::DELETE);
        assert_eq!(req.uri().path(), "/prefix/v3/applicationInstance/task/42");
        assert!(req.body().is_empty());
    }
}
