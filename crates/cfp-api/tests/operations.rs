//! Every operation through the mock transport: the method, path, query,
//! headers and body sent, and the answer parsed.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use cfp_api::model::params::GetUploadJobDetailsParams;
use cfp_api::model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, DiffId, FleetId, ImageId, JobState,
    MachineId, OperationId, Surface, TaskBatchId, TaskId, TaskResultCode, TaskTemplateId,
    ZStackImageId,
};
use cfp_api::{Call, Client, Error};
use cfp_api::{MockResponse, MockTransport, RecordedRequest};
use support::*;

fn only_request(mock: &MockTransport) -> RecordedRequest {
    let all = mock.requests();
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap()
}

/// The headers every request carries, and the surface's auth header.
fn assert_common_headers(r: &RecordedRequest, surface: Surface) {
    assert_eq!(r.header("accept"), Some("application/json"));
    let ua = r.header("user-agent").unwrap();
    assert_eq!(ua, format!("cfp/{}", env!("CARGO_PKG_VERSION")));
    match surface {
        Surface::Clanforge => {
            assert_eq!(
                r.header("authorization").unwrap(),
                format!("Basic {}", basic_b64())
            );
            assert!(r.headers["authorization"].is_sensitive());
            assert!(r.header("private-token").is_none());
        }
        Surface::Task => {
            assert_eq!(r.header("private-token"), Some(TOKEN));
            assert!(r.headers["private-token"].is_sensitive());
            assert!(r.header("authorization").is_none());
        }
        Surface::ZStack => {
            assert_eq!(
                r.header("authorization").unwrap(),
                format!("OAuth {SESSION}")
            );
            assert!(r.headers["authorization"].is_sensitive());
        }
    }
}

#[tokio::test]
async fn create_image_diff() {
    let rig = rig();
    rig.mock.respond(
        OperationId::CreateImageDiff,
        MockResponse::json(200, diff_json(1, 0, None, false)),
    );
    let job = rig
        .client
        .clanforge(AccountServiceId(1))
        .create_image_diff(ImageId(22), MachineId(333))
        .send()
        .await
        .unwrap();
    assert_eq!(job.diff_id, DiffId(218_595));
    assert_eq!(job.state(), JobState::Created);
    let r = only_request(&rig.mock);
    assert_eq!(r.operation, Some(OperationId::CreateImageDiff));
    assert_eq!(r.method, http::Method::GET);
    assert_eq!(
        r.uri,
        "https://clanforge.test/cfp/v1/imagediff/create?accountserviceid=1&imageid=22&machineid=333"
    );
    assert!(r.body.is_empty());
    assert!(r.header("content-type").is_none());
    assert_common_headers(&r, Surface::Clanforge);
}

#[tokio::test]
async fn retry_image_diff() {
    let rig = rig();
    rig.mock.respond(
        OperationId::RetryImageDiff,
        MockResponse::json(200, diff_json(2, 0, None, false)),
    );
    let job = rig
        .client
        .clanforge(AccountServiceId(1))
        .retry_image_diff(DiffId(218_595))
        .send()
        .await
        .unwrap();
    assert_eq!(job.state(), JobState::Pending);
    let r = only_request(&rig.mock);
    assert_eq!(r.method, http::Method::GET);
    assert_eq!(
        r.uri,
        "https://clanforge.test/cfp/v1/imagediff/218595/retry?accountserviceid=1"
    );
    assert_common_headers(&r, Surface::Clanforge);
}

#[tokio::test]
async fn image_diff_status() {
    let rig = rig();
    let body = r#"{"diffid": 218595, "jobcreated": 1763900000, "joberror": "", "jobeta": 1763900600,
        "jobfailed": 0, "jobprogress": 100, "jobstart": "1763900100", "jobstateid": 5,
        "jobstatename": "Completed", "jobupdated": 1763900580,
        "game": {"gameid": 1, "name": "Demo Game"},
        "image": {"imageid": 1, "name": "demo-server"},
        "machine": {"machineid": 1, "name": "machine-1"}}"#;
    rig.mock.respond(
        OperationId::GetImageDiffStatus,
        MockResponse::json(200, body),
    );
    let status = rig
        .client
        .clanforge(AccountServiceId(1))
        .get_image_diff_status(DiffId(218_595))
        .info(true)
        .send()
        .await
        .unwrap();
    assert_eq!(status.job.state(), JobState::Complete);
    assert_eq!(
        status.game.clone().unwrap().name.as_deref(),
        Some("Demo Game")
    );
    let r = only_request(&rig.mock);
    assert_eq!(
        r.uri,
        "https://clanforge.test/cfp/v1/imagediff/218595/status?accountserviceid=1&diff_info=1"
    );
    assert_eq!(
        r.query_pairs(),
        [
            ("accountserviceid".into(), "1".into()),
            ("diff_info".into(), "1".into())
        ]
    );
    assert_common_headers(&r, Surface::Clanforge);
}

#[tokio::test]
async fn image_status() {
    let rig = rig();
    let body = r#"{"fleets": {"2": {"regions": {"5": {"name": "eu-west", "pending_machines": 1,
        "completed_machines": 3}}, "pending_machines": 1, "completed_machines": 3}},
        "pending_machines": 1, "failed_machines": 0, "completed_machines": 3}"#;
    rig.mock
        .respond(OperationId::GetImageStatus, MockResponse::json(200, body));
    let status = rig
        .client
        .clanforge(AccountServiceId(1))
        .get_image_status(ImageId(22))
        .detail(true)
        .send()
        .await
        .unwrap();
    assert_eq!(status.counts().pending, 1);
    assert_eq!(status.fleets.as_ref().unwrap().len(), 1);
    let r = only_request(&rig.mock);
    assert_eq!(
        r.uri,
        "https://clanforge.test/cfp/v2/project/1/image/22/status?detail=true"
    );
    assert_common_headers(&r, Surface::Clanforge);
}

#[tokio::test]
async fn task_templates() {
    let rig = rig();
    rig.mock.respond(
        OperationId::ListTaskTemplates,
        MockResponse::json(200, TEMPLATES),
    );
    let templates = rig.client.list_task_templates().send().await.unwrap();
    assert_eq!(templates.len(), 2);
    assert_eq!(templates[0].actions[0].action_type, "restart");
    let r = only_request(&rig.mock);
    assert_eq!(r.method, http::Method::GET);
    assert_eq!(
        r.uri,
        "https://task.test/v3/applicationInstance/task/template"
    );
    assert_common_headers(&r, Surface::Task);
}

#[tokio::test]
async fn list_tasks() {
    let rig = rig();
    rig.mock.respond(
        OperationId::ListTasks,
        MockResponse::json(
            200,
            format!("[{}, {}]", task_json(41, 127), task_json(42, 1)),
        ),
    );
    let tasks = rig.client.list_tasks().send().await.unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].result_code, TaskResultCode::Done);
    let r = only_request(&rig.mock);
    assert_eq!(r.uri, "https://task.test/v3/applicationInstance/task");
    assert_common_headers(&r, Surface::Task);
}

#[tokio::test]
async fn create_task_batch() {
    let rig = rig();
    rig.mock.respond(
        OperationId::CreateTaskBatch,
        MockResponse::json(200, format!("[{}]", batch_json(0, 0, 0, 3))),
    );
    let request =
        CreateTaskBatch::for_instances(TaskTemplateId(1), [41, 42, 43].map(ApplicationInstanceId));
    let batch = rig
        .client
        .create_task_batch(request.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(batch.id, TaskBatchId(7));
    let r = only_request(&rig.mock);
    assert_eq!(r.method, http::Method::POST);
    assert_eq!(r.uri, "https://task.test/v3/applicationInstance/task");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"taskTemplateId": "1", "applicationInstanceIds": ["41", "42", "43"]})
    );
    assert_common_headers(&r, Surface::Task);
}

#[tokio::test]
async fn an_invalid_batch_is_never_sent() {
    let rig = rig();
    let e = rig
        .client
        .create_task_batch(CreateTaskBatch::for_fleet(TaskTemplateId(0), FleetId(2)))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert_eq!(e.operation(), Some(OperationId::CreateTaskBatch));
    assert_eq!(rig.mock.total_calls(), 0);
}

#[tokio::test]
async fn get_task() {
    let rig = rig();
    rig.mock.respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(42, 1)),
    );
    let task = rig.client.get_task(TaskId(42)).send().await.unwrap();
    assert_eq!(task.id, TaskId(42));
    let r = only_request(&rig.mock);
    assert_eq!(r.method, http::Method::GET);
    assert_eq!(r.uri, "https://task.test/v3/applicationInstance/task/42");
    assert_common_headers(&r, Surface::Task);
}

#[tokio::test]
async fn toggle_task_pause() {
    let rig = rig();
    rig.mock.respond(
        OperationId::ToggleTaskPause,
        MockResponse::json(200, format!("[{}]", task_json(42, 2))),
    );
    let task = rig
        .client
        .toggle_task_pause(TaskId(42))
        .send()
        .await
        .unwrap();
    assert_eq!(task.result_code, TaskResultCode::Paused);
    let r = only_request(&rig.mock);
    assert_eq!(r.method, http::Method::PUT);
    assert_eq!(r.uri, "https://task.test/v3/applicationInstance/task/42");
    assert!(r.body.is_empty());
    assert_common_headers(&r, Surface::Task);
}

#[tokio::test]
async fn cancel_task() {
    let rig = rig();
    rig.mock.respond(
        OperationId::CancelTask,
        MockResponse::json(200, format!("[{}]", task_json(43, 125))),
    );
    let task = rig.client.cancel_task(TaskId(43)).send().await.unwrap();
    assert_eq!(task.result_code, TaskResultCode::Cancelled);
    let r = only_request(&rig.mock);
    assert_eq!(r.method, http::Method::DELETE);
    assert_eq!(r.uri, "https://task.test/v3/applicationInstance/task/43");
    assert_common_headers(&r, Surface::Task);
}

#[tokio::test]
async fn list_task_batches() {
    let rig = rig();
    rig.mock.respond(
        OperationId::ListTaskBatches,
        MockResponse::json(200, format!("[{}]", batch_json(1, 0, 0, 3))),
    );
    let batches = rig.client.list_task_batches().send().await.unwrap();
    assert_eq!(batches[0].num_tasks_ok, 1);
    let r = only_request(&rig.mock);
    assert_eq!(r.uri, "https://task.test/v3/applicationInstance/taskBatch");
    assert_common_headers(&r, Surface::Task);
}

#[tokio::test]
async fn get_task_batch() {
    let rig = rig();
    rig.mock.respond(
        OperationId::GetTaskBatch,
        MockResponse::json(200, batch_json(2, 0, 1, 3)),
    );
    let batch = rig
        .client
        .get_task_batch(TaskBatchId(7))
        .send()
        .await
        .unwrap();
    assert!(batch.has_failures());
    let r = only_request(&rig.mock);
    assert_eq!(
        r.uri,
        "https://task.test/v3/applicationInstance/taskBatch/7"
    );
    assert_common_headers(&r, Surface::Task);
}

fn upload_request(client: &Client) -> Call<GetUploadJobDetailsParams> {
    client
        .get_upload_job_details(ZStackImageId::new("ccf943310d86335bb3d2511ca8e14137").unwrap())
        .system_tags(["resumable::true"])
        .user_tags(["release-1.4.2", "second tag"])
}

#[tokio::test]
async fn upload_job_details_sends_the_documented_put() {
    let rig = rig();
    rig.mock.respond(
        OperationId::GetUploadJobDetails,
        MockResponse::json(200, UPLOAD_JOBS),
    );
    let details = upload_request(&rig.client).send().await.unwrap();
    assert_eq!(
        details.existing_job_details[0].offset.unwrap().get(),
        45_298_483_200_000_000
    );
    let r = only_request(&rig.mock);
    assert_eq!(r.method, http::Method::PUT);
    assert_eq!(
        r.uri,
        "http://zstack.test:8080/zstack/v1/images/upload-job/details/ccf943310d86335bb3d2511ca8e14137"
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"systemTags": ["resumable::true"], "userTags": ["release-1.4.2", "second tag"]})
    );
    assert_common_headers(&r, Surface::ZStack);
}

#[tokio::test]
async fn upload_job_details_falls_back_to_get_after_405_and_remembers_it() {
    let rig = rig();
    rig.mock
        .respond(OperationId::GetUploadJobDetails, MockResponse::status(405))
        .respond(
            OperationId::GetUploadJobDetailsByQuery,
            MockResponse::json(200, UPLOAD_JOBS),
        );
    let details = upload_request(&rig.client).send().await.unwrap();
    assert_eq!(details.existing_job_details.len(), 1);
    let sent = rig.mock.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method, http::Method::PUT);
    assert_eq!(
        sent[1].operation,
        Some(OperationId::GetUploadJobDetailsByQuery)
    );
    assert_eq!(sent[1].method, http::Method::GET);
    assert_eq!(
        sent[1].uri,
        "http://zstack.test:8080/zstack/v1/images/upload-job/details/ccf943310d86335bb3d2511ca8e14137\
         ?systemTags=resumable%3A%3Atrue&userTags=release-1.4.2&userTags=second%20tag"
    );
    assert!(sent[1].body.is_empty());
    assert_common_headers(&sent[1], Surface::ZStack);

    // Remembered, by this client and its clones: the PUT is not tried again.
    let clone = rig.client.clone();
    upload_request(&clone).send().await.unwrap();
    upload_request(&rig.client).send().await.unwrap();
    assert_eq!(rig.mock.calls(OperationId::GetUploadJobDetails), 1);
    assert_eq!(rig.mock.calls(OperationId::GetUploadJobDetailsByQuery), 3);
}

#[tokio::test]
async fn a_405_on_the_get_form_is_an_http_error_not_a_loop() {
    let rig = rig();
    rig.mock
        .respond(OperationId::GetUploadJobDetails, MockResponse::status(405))
        .respond(
            OperationId::GetUploadJobDetailsByQuery,
            MockResponse::status(405),
        );
    let e = upload_request(&rig.client).send().await.unwrap_err();
    assert_eq!(e.status(), Some(405));
    assert_eq!(e.operation(), Some(OperationId::GetUploadJobDetailsByQuery));
    assert_eq!(rig.mock.total_calls(), 2);
}

#[tokio::test]
async fn a_zstack_error_in_a_200_is_a_service_error() {
    let rig = rig();
    let body = r#"{"success": false, "existingJobDetails": null, "error": {
        "code": "SYS.1001", "description": "A resource is not found",
        "details": "no upload job details for image[ccf943310d86335bb3d2511ca8e14137]",
        "cause": {"code": "SYS.1000", "description": "An internal error happened in system"}}}"#;
    rig.mock.respond(
        OperationId::GetUploadJobDetails,
        MockResponse::json(200, body),
    );
    let e = upload_request(&rig.client).send().await.unwrap_err();
    assert!(matches!(e, Error::Service { status: 200, .. }), "{e:?}");
    assert!(e.to_string().contains("SYS.1001"));
    assert!(e.to_string().contains("caused by SYS.1000"));
}

#[tokio::test]
async fn a_base_url_path_prefix_is_kept() {
    let mock = MockTransport::new();
    let client = Client::builder()
        .task_url("http://127.0.0.1:9999/sim/")
        .task_token(TOKEN)
        .transport(Arc::new(mock.clone()))
        .build()
        .unwrap();
    mock.respond(OperationId::ListTasks, MockResponse::json(200, "[]"));
    client.list_tasks().send().await.unwrap();
    assert_eq!(
        only_request(&mock).uri,
        "http://127.0.0.1:9999/sim/v3/applicationInstance/task"
    );
}

#[tokio::test]
async fn default_urls_are_the_vendors_and_zstack_has_none() {
    let mock = MockTransport::new();
    let client = Client::builder()
        .clanforge_credentials(KEY, SECRET)
        .task_token(TOKEN)
        .zstack_session(SESSION)
        .transport(Arc::new(mock.clone()))
        .build()
        .unwrap();
    assert_eq!(
        client.base_url(Surface::Clanforge).as_deref(),
        Some("https://api.multiplay.co.uk")
    );
    assert_eq!(
        client.base_url(Surface::Task).as_deref(),
        Some("https://api.i3d.net")
    );
    assert_eq!(client.base_url(Surface::ZStack), None);
    let e = upload_request(&client).send().await.unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(
        e.to_string(),
        "getUploadJobDetails: zstack url: not set (CFP_ZSTACK_URL)"
    );
    assert_eq!(mock.total_calls(), 0);
}

#[tokio::test]
async fn a_surface_without_credentials_sends_nothing() {
    let mock = MockTransport::new();
    let client = Client::builder()
        .transport(Arc::new(mock.clone()))
        .build()
        .unwrap();
    let e = client.get_task(TaskId(1)).send().await.unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(
        e.to_string(),
        "getTask: task token: not set (CFP_TASK_TOKEN)"
    );
    let e = client
        .clanforge(AccountServiceId(1))
        .get_image_status(ImageId(2))
        .detail(false)
        .send()
        .await
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(mock.total_calls(), 0);
}

#[tokio::test]
async fn zero_ids_are_invalid_input() {
    let rig = rig();
    for e in [
        rig.client.get_task(TaskId(0)).send().await.unwrap_err(),
        rig.client
            .get_task_batch(TaskBatchId(0))
            .send()
            .await
            .unwrap_err(),
        rig.client
            .clanforge(AccountServiceId(0))
            .retry_image_diff(DiffId(1))
            .send()
            .await
            .unwrap_err(),
    ] {
        assert!(e.is_invalid_input(), "{e}");
    }
    assert_eq!(rig.mock.total_calls(), 0);
}

#[tokio::test]
async fn the_user_agent_can_name_the_caller() {
    let mock = MockTransport::new();
    let client = Client::builder()
        .task_token(TOKEN)
        .user_agent_suffix("cfp-cli/9.9.9")
        .transport(Arc::new(mock.clone()))
        .build()
        .unwrap();
    mock.respond(OperationId::ListTasks, MockResponse::json(200, "[]"));
    client.list_tasks().send().await.unwrap();
    assert_eq!(
        only_request(&mock).header("user-agent").unwrap(),
        format!("cfp/{} cfp-cli/9.9.9", env!("CARGO_PKG_VERSION"))
    );
}
