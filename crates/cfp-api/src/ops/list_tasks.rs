//! `listTasks`: the last 100 tasks.

use bytes::Bytes;
use cfp_model::Task;
use cfp_model::params::ListTasksParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// The most recent tasks (at most 100), newest first.
impl Operation for ListTasksParams {
    type Output = Vec<Task>;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<Vec<Task>>, Error> {
        response::task_api(Self::OPERATION, "tasks", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{TASK, request, response};

    #[test]
    fn tasks_decode_and_403_is_refused_credentials() {
        let req = request(&ListTasksParams::new()).unwrap();
        assert_eq!(req.uri().path(), "/prefix/v3/applicationInstance/task");
        let tasks = ListTasksParams::parse(&response(200, &format!("[{TASK}, {TASK}]"))).unwrap();
        assert_eq!(tasks.len(), 2);
        let e = ListTasksParams::parse(&response(
            403,
            r#"{"errorCode": 403, "errorMessage": "Forbidden"}"#,
        ))
        .unwrap_err();
        assert!(e.is_auth());
    }
}
