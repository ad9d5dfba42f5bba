//! `createTaskBatch`: run a template on game servers, now or later.

use bytes::Bytes;
use cfp_model::TaskBatch;
use cfp_model::params::CreateTaskBatchParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// The body is checked first ([`CreateTaskBatch::validate`](cfp_model::CreateTaskBatch::validate)):
/// what the vendor would refuse with 422 is an [`Error::InvalidInput`] and
/// nothing is sent. It creates something, so it is retried only when the
/// request provably never left.
impl Operation for CreateTaskBatchParams {
    type Output = TaskBatch;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<TaskBatch>, Error> {
        response::task_single(Self::OPERATION, "task batch", r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{BATCH, request, response};
    use cfp_model::{ApplicationInstanceId, CreateTaskBatch, FleetId, TaskTemplateId};

    #[test]
    fn the_body_is_validated_json_with_ids_as_strings() {
        let body = CreateTaskBatch::for_instances(
            TaskTemplateId(3),
            [ApplicationInstanceId(17), ApplicationInstanceId(18)],
        );
        let req = request(&CreateTaskBatchParams::new(body)).unwrap();
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
    fn an_invalid_batch_is_refused_before_sending() {
        let e = request(&CreateTaskBatchParams::new(CreateTaskBatch::for_instances(
            TaskTemplateId(3),
            [],
        )))
        .unwrap_err();
        assert!(e.is_invalid_input());
        assert!(
            e.to_string()
                .starts_with("createTaskBatch: invalid applicationInstanceIds: no target"),
            "{e}"
        );
        let e = request(&CreateTaskBatchParams::new(CreateTaskBatch::for_fleet(
            TaskTemplateId(3),
            FleetId(0),
        )))
        .unwrap_err();
        assert!(e.is_invalid_input());
    }

    #[test]
    fn the_batch_is_read_from_the_live_array_form() {
        let batch = CreateTaskBatchParams::parse(&response(200, &format!("[{BATCH}]"))).unwrap();
        assert_eq!(batch.task_ids.len(), 3);
        assert!(batch.json().is_object(), "the JSON answer is the object");
        let body = r#"{"errorCode": 422, "errorMessage": "Invalid", "errors": [{"property": "taskTemplateId", "message": "unknown"}]}"#;
        let e = CreateTaskBatchParams::parse(&response(422, body)).unwrap_err();
        assert!(e.to_string().contains("taskTemplateId: unknown"), "{e}");
    }
}
