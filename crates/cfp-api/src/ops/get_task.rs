//! `getTask`: a task's state.

use bytes::Bytes;
use cfp_model::Task;
use cfp_model::params::GetTaskParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read; see [`Client::wait_for_task`](crate::Client::wait_for_task) to
/// wait for it to end.
impl Operation for GetTaskParams {
    type Output = Task;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<Task>, Error> {
        response::task_single(Self::OPERATION, "task", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;
    use crate::ops::test_support::{TASK, request, response};
    use cfp_model::{TaskId, TaskResultCode};

    #[test]
    fn a_task_decodes_as_object_or_one_element_array() {
        let req = request(&GetTaskParams::new(TaskId(42))).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(req.uri().path(), "/prefix/v3/applicationInstance/task/42");
        let a = GetTaskParams::parse(&response(200, TASK)).unwrap();
        let b = GetTaskParams::parse(&response(200, &format!("[{TASK}]"))).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.result_code, TaskResultCode::InProgress);
        assert_eq!(
            a.json(),
            b.json(),
            "the JSON answer is the object either way"
        );
    }

    #[test]
    fn task_api_errors_are_service_errors() {
        let body = r#"{"errorCode": 10001, "errorMessage": "Entity not found", "errors": []}"#;
        let e = GetTaskParams::parse(&response(404, body)).unwrap_err();
        assert!(e.is_not_found());
        assert!(matches!(e.service_error(), Some(ServiceError::Task(t)) if t.error_code == 10001));
        assert_eq!(
            e.to_string(),
            "getTask: Entity not found (task api error 10001) (http 404)"
        );
    }
}
