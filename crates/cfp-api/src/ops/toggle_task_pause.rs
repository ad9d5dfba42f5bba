//! `toggleTaskPause`: the vendor's one call that pauses or resumes a task.

use bytes::Bytes;
use cfp_model::Task;
use cfp_model::params::ToggleTaskPauseParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// The same call pauses a pending or running task and resumes a paused one,
/// so it is never retried blindly (retry class `toggle`). Prefer
/// [`Client::pause_task`](crate::Client::pause_task) and
/// [`Client::resume_task`](crate::Client::resume_task), which are idempotent.
impl Operation for ToggleTaskPauseParams {
    type Output = Task;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<Task>, Error> {
        response::task_single(Self::OPERATION, "task", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::TaskId;

    #[test]
    fn a_put_without_body_and_409_is_a_conflict() {
        let req = request(&ToggleTaskPauseParams::new(TaskId(42))).unwrap();
        assert_eq!(req.method(), http::Method::PUT);
        assert!(req.body().is_empty());
        assert!(req.headers().get(http::header::CONTENT_TYPE).is_none());
        let e = ToggleTaskPauseParams::parse(&response(
            409,
            r#"{"errorCode": 10409, "errorMessage": "Task cannot be paused"}"#,
        ))
        .unwrap_err();
        assert!(e.is_conflict());
    }
}
