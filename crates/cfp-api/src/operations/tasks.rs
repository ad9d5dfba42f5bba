//! The task API: templates, tasks, and creating a batch.

use bytes::Bytes;
use cfp_model::{CreateTaskBatch, OperationId, Task, TaskBatch, TaskId, TaskTemplate};

use super::request::{JSON, RequestSpec};
use super::{Operation, positive, response};
use crate::base_url::BaseUrl;
use crate::error::Error;

/// `listTaskTemplates`: `GET /v3/applicationInstance/task/template`.
pub(crate) struct ListTemplatesOp;

impl Operation for ListTemplatesOp {
    type Output = Vec<TaskTemplate>;
    const ID: OperationId = OperationId::ListTaskTemplates;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        RequestSpec::new(Self::ID).build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<Vec<TaskTemplate>, Error> {
        response::task_api(Self::ID, "task templates", response)
    }
}

/// `listTasks`: `GET /v3/applicationInstance/task`.
pub(crate) struct ListTasksOp;

impl Operation for ListTasksOp {
    type Output = Vec<Task>;
    const ID: OperationId = OperationId::ListTasks;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        RequestSpec::new(Self::ID).build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<Vec<Task>, Error> {
        response::task_api(Self::ID, "tasks", response)
    }
}

/// `createTaskBatch`: `POST /v3/applicationInstance/task` with the
/// [`CreateTaskBatch`] JSON body, validated first.
pub(crate) struct CreateBatchOp<'a>(pub(crate) &'a CreateTaskBatch);

impl Operation for CreateBatchOp<'_> {
    type Output = TaskBatch;
    const ID: OperationId = OperationId::CreateTaskBatch;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        self.0
            .validate()
            .map_err(|e| Error::invalid(Self::ID, e.field, e.reason))?;
        RequestSpec::new(Self::ID).json(self.0, JSON)?.build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<TaskBatch, Error> {
        response::task_single(Self::ID, "task batch", response)
    }
}

/// `getTask`, `toggleTaskPause` and `cancelTask`: one verb each on
/// `/v3/applicationInstance/task/{taskId}`, no body, all answering with the
/// task.
macro_rules! task_verb {
    ($(#[$doc:meta])* $name:ident => $id:ident) => {
        $(#[$doc])*
        pub(crate) struct $name(pub(crate) TaskId);

        impl Operation for $name {
            type Output = Task;
            const ID: OperationId = OperationId::$id;

            fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
                positive(Self::ID, "taskId", self.0.get())?;
                RequestSpec::new(Self::ID).path(self.0).build(base)
            }

            fn parse(response: &http::Response<Bytes>) -> Result<Task, Error> {
                response::task_single(Self::ID, "task", response)
            }
        }
    };
}

task_verb!(
    /// `GET /v3/applicationInstance/task/{taskId}`.
    GetTaskOp => GetTask
);
task_verb!(
    /// `PUT /v3/applicationInstance/task/{taskId}` (no body): pause or resume.
    ToggleTaskOp => ToggleTaskPause
);
task_verb!(
    /// `DELETE /v3/applicationInstance/task/{taskId}`.
    CancelTaskOp => CancelTask
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;
    use crate::operations::test_support::{BATCH, TASK, base, response};
    use cfp_model::{ApplicationInstanceId, FleetId, TaskResultCode, TaskTemplateId};

    #[test]
    fn the_three_verbs_on_a_task() {
        for (req, method) in [
            (
                GetTaskOp(TaskId(42)).request(&base()).unwrap(),
                http::Method::GET,
            ),
            (
                ToggleTaskOp(TaskId(42)).request(&base()).unwrap(),
                http::Method::PUT,
            ),
            (
                CancelTaskOp(TaskId(42)).request(&base()).unwrap(),
                http::Method::DELETE,
            ),
        ] {
            assert_eq!(req.method(), method);
            assert_eq!(req.uri().path(), "/prefix/v3/applicationInstance/task/42");
            assert!(req.body().is_empty());
            assert!(req.headers().get(http::header::CONTENT_TYPE).is_none());
        }
        assert_eq!(GetTaskOp::ID, OperationId::GetTask);
        assert_eq!(ToggleTaskOp::ID, OperationId::ToggleTaskPause);
        assert_eq!(CancelTaskOp::ID, OperationId::CancelTask);
    }

    #[test]
    fn a_task_decodes_as_object_or_one_element_array() {
        let a = GetTaskOp::parse(&response(200, TASK)).unwrap();
        let b = GetTaskOp::parse(&response(200, &format!("[{TASK}]"))).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.result_code, TaskResultCode::InProgress);
    }

    #[test]
    fn task_api_errors_are_service_errors() {
        let body = r#"{"errorCode": 10001, "errorMessage": "Entity not found", "errors": []}"#;
        let e = GetTaskOp::parse(&response(404, body)).unwrap_err();
        assert!(e.is_not_found());
        assert!(matches!(e.service_error(), Some(ServiceError::Task(t)) if t.error_code == 10001));
        assert_eq!(
            e.to_string(),
            "getTask: Entity not found (task api error 10001) (http 404)"
        );
        let e = ToggleTaskOp::parse(&response(
            409,
            r#"{"errorCode": 10409, "errorMessage": "Task cannot be paused"}"#,
        ))
        .unwrap_err();
        assert!(e.is_conflict());
        let e = ListTasksOp::parse(&response(
            403,
            r#"{"errorCode": 403, "errorMessage": "Forbidden"}"#,
        ))
        .unwrap_err();
        assert!(e.is_auth());
    }

    #[test]
    fn create_sends_validated_json_with_ids_as_strings() {
        let body = CreateTaskBatch::for_instances(
            TaskTemplateId(3),
            [ApplicationInstanceId(17), ApplicationInstanceId(18)],
        );
        let req = CreateBatchOp(&body).request(&base()).unwrap();
        assert_eq!(req.method(), http::Method::POST);
        assert_eq!(req.uri().path(), "/prefix/v3/applicationInstance/task");
        assert_eq!(
            req.headers()[http::header::CONTENT_TYPE],
            "application/json"
        );
        let json: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"taskTemplateId": "3", "applicationInstanceIds": ["17", "18"]})
        );
    }

    #[test]
    fn create_refuses_an_invalid_batch_before_sending() {
        let e = CreateBatchOp(&CreateTaskBatch::for_instances(TaskTemplateId(3), []))
            .request(&base())
            .unwrap_err();
        assert!(e.is_invalid_input());
        assert!(
            e.to_string()
                .starts_with("createTaskBatch: invalid applicationInstanceIds: no target"),
            "{e}"
        );
        let e = CreateBatchOp(&CreateTaskBatch::for_fleet(TaskTemplateId(3), FleetId(0)))
            .request(&base())
            .unwrap_err();
        assert!(e.is_invalid_input());
    }

    #[test]
    fn create_reads_the_batch_from_the_live_array_form() {
        let batch = CreateBatchOp::parse(&response(200, &format!("[{BATCH}]"))).unwrap();
        assert_eq!(batch.task_ids.len(), 3);
        let body = r#"{"errorCode": 422, "errorMessage": "Invalid", "errors": [{"property": "taskTemplateId", "message": "unknown"}]}"#;
        let e = CreateBatchOp::parse(&response(422, body)).unwrap_err();
        assert!(e.to_string().contains("taskTemplateId: unknown"), "{e}");
    }

    #[test]
    fn lists_decode() {
        let templates = ListTemplatesOp::parse(&response(
            200,
            r#"[{"id": 1, "name": "Restart", "description": "Restart"}]"#,
        ))
        .unwrap();
        assert_eq!(templates[0].name, "Restart");
        let tasks = ListTasksOp::parse(&response(200, &format!("[{TASK}, {TASK}]"))).unwrap();
        assert_eq!(tasks.len(), 2);
        let req = ListTemplatesOp.request(&base()).unwrap();
        assert_eq!(
            req.uri().path(),
            "/prefix/v3/applicationInstance/task/template"
        );
        let req = ListTasksOp.request(&base()).unwrap();
        assert_eq!(req.uri().path(), "/prefix/v3/applicationInstance/task");
    }
}
