//! One call of every operation, succeeding and failing in every way.

use std::time::Duration;

use cfp_api::model::{
    AccountServiceId, CreateTaskBatch, DiffId, FleetId, ImageId, MachineId, OperationId,
    TaskBatchId, TaskId, TaskTemplateId, ZStackImageId,
};
use cfp_api::{Error, MockResponse, PollPolicy, TransportError};

use super::*;

fn upload() -> ZStackImageId {
    ZStackImageId::new("ccf943310d86335bb3d2511ca8e14137").unwrap()
}

/// Runs one call of every operation, succeeding and failing in every way,
/// and returns every error met.
pub(crate) async fn exercise_everything(rig: &Rig) -> Vec<Error> {
    let c = &rig.client;
    let m = &rig.mock;
    let mut errors = Vec::new();

    // Successes, one per operation (some after a retry).
    m.respond_once(
        OperationId::GetTask,
        MockResponse::status(503).retry_after_secs(1),
    )
    .respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(42, 1)),
    );
    m.respond(
        OperationId::ListTasks,
        MockResponse::json(200, format!("[{}]", task_json(42, 1))),
    );
    m.respond(
        OperationId::ListTaskTemplates,
        MockResponse::json(200, TEMPLATES),
    );
    m.respond(
        OperationId::ListTaskBatches,
        MockResponse::json(200, format!("[{}]", batch_json(3, 0, 0, 3))),
    );
    m.respond(
        OperationId::GetTaskBatch,
        MockResponse::json(200, batch_json(3, 0, 0, 3)),
    );
    m.respond(
        OperationId::CreateTaskBatch,
        MockResponse::json(200, batch_json(0, 0, 0, 3)),
    );
    m.respond(
        OperationId::CancelTask,
        MockResponse::json(200, task_json(42, 125)),
    );
    m.respond(
        OperationId::CreateImageDiff,
        MockResponse::json(200, diff_json(1, 0, None, false)),
    );
    m.respond(
        OperationId::RetryImageDiff,
        MockResponse::json(200, diff_json(1, 0, None, false)),
    );
    m.respond(
        OperationId::GetImageDiffStatus,
        MockResponse::json(200, diff_json(5, 100, None, false)),
    );
    m.respond(
        OperationId::GetImageStatus,
        MockResponse::json(200, image_status_json(0, 0, 3)),
    );
    m.respond(OperationId::GetUploadJobDetails, MockResponse::status(405));
    m.respond(
        OperationId::GetUploadJobDetailsByQuery,
        MockResponse::json(200, UPLOAD_JOBS),
    );

    let cf = c.clanforge(AccountServiceId(1));
    c.get_task(TaskId(42)).send().await.unwrap();
    c.list_tasks().send().await.unwrap();
    c.list_task_templates().send().await.unwrap();
    c.list_task_batches().send().await.unwrap();
    c.get_task_batch(TaskBatchId(7)).send().await.unwrap();
    c.create_task_batch(CreateTaskBatch::for_fleet(TaskTemplateId(1), FleetId(2)))
        .send()
        .await
        .unwrap();
    c.cancel_task(TaskId(42)).send().await.unwrap();
    let diff = || cf.create_image_diff(ImageId(2), MachineId(3));
    diff().send().await.unwrap();
    cf.retry_image_diff(DiffId(5)).send().await.unwrap();
    c.get_upload_job_details(upload()).send().await.unwrap();
    cf.get_image_status(ImageId(2))
        .detail(true)
        .send()
        .await
        .unwrap();
    cf.wait_for_diff(DiffId(5))
        .poll_policy(PollPolicy::default())
        .wait(Duration::from_secs(60))
        .await
        .unwrap();

    // Invalid input.
    errors.push(
        c.create_task_batch(CreateTaskBatch::for_instances(TaskTemplateId(1), []))
            .send()
            .await
            .unwrap_err(),
    );
    // Transport: never sent, and timed out.
    m.respond_once(
        OperationId::ToggleTaskPause,
        MockResponse::error(TransportError::connect("connection refused")),
    );
    m.respond(OperationId::ToggleTaskPause, MockResponse::hang());
    errors.push(c.toggle_task_pause(TaskId(42)).send().await.unwrap_err());
    // HTTP status with an HTML page.
    m.respond(
        OperationId::GetTask,
        MockResponse::html(502, "<html><title>502 Bad Gateway</title></html>"),
    );
    errors.push(c.get_task(TaskId(42)).send().await.unwrap_err());
    // Service errors, one per surface.
    m.respond(
        OperationId::CreateImageDiff,
        MockResponse::json(401, r#"{"success": false, "error": true, "error_code": 401, "error_message": "invalid credentials"}"#),
    );
    errors.push(diff().send().await.unwrap_err());
    m.respond(
        OperationId::ListTasks,
        MockResponse::json(
            403,
            r#"{"errorCode": 403, "errorMessage": "Forbidden", "errors": []}"#,
        ),
    );
    errors.push(c.list_tasks().send().await.unwrap_err());
    m.respond(
        OperationId::GetUploadJobDetailsByQuery,
        MockResponse::json(
            503,
            r#"{"error": {"code": "ID.1001", "description": "session expired"}}"#,
        ),
    );
    errors.push(c.get_upload_job_details(upload()).send().await.unwrap_err());
    // Decode.
    m.respond(
        OperationId::GetTaskBatch,
        MockResponse::json(200, r#"{"id": "seven"}"#),
    );
    errors.push(c.get_task_batch(TaskBatchId(7)).send().await.unwrap_err());
    // Task state.
    m.respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(42, 127)),
    );
    errors.push(c.pause_task(TaskId(42)).await.unwrap_err());
    errors
}
