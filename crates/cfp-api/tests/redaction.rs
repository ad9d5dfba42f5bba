//! No credential ever shows in `Debug` or `Display` of the configuration,
//! the client, the requests sent, and every kind of error (nor base64 of
//! key:secret). The TRACE-level capture is in `trace_capture.rs`.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use cfp_api::Client;
use cfp_api::model::{OperationId, Surface, TaskId};
use cfp_api::{Credentials, MockResponse};
use support::exercise::exercise_everything;
use support::*;

#[tokio::test]
async fn debug_and_display_of_every_error_kind_hold_no_secret() {
    let rig = rig();
    let mut errors = exercise_everything(&rig).await;
    // Configuration errors, including credentials that cannot be sent.
    errors.push(
        Client::builder()
            .task_url(format!("https://user:{SECRET}@task.test"))
            .build()
            .unwrap_err(),
    );
    errors.push(
        Client::builder()
            .clanforge_credentials(format!("bad {KEY}"), SECRET)
            .build()
            .unwrap_err(),
    );
    errors.push(
        Client::builder()
            .task_token(format!("{TOKEN}\n"))
            .build()
            .unwrap_err(),
    );
    errors.push(
        Client::builder()
            .credentials(Surface::Task, Credentials::basic(KEY, SECRET).unwrap())
            .build()
            .unwrap_err(),
    );
    let kinds: std::collections::BTreeSet<_> = errors
        .iter()
        .map(|e| {
            format!("{e:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    for kind in [
        "Config",
        "InvalidInput",
        "Transport",
        "Http",
        "Service",
        "Decode",
        "TaskState",
    ] {
        assert!(kinds.contains(kind), "no {kind} error exercised: {kinds:?}");
    }
    for e in &errors {
        assert_no_secret("an error's Display", &e.to_string());
        assert_no_secret("an error's Debug", &format!("{e:?}"));
        assert_no_secret("an error's Debug", &format!("{e:#?}"));
    }
    // Wait errors of each kind.
    rig.mock.respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(42, 1)),
    );
    let deadline = rig
        .client
        .wait_for_task(TaskId(42))
        .wait(Duration::from_secs(5))
        .await
        .unwrap_err();
    rig.mock.respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(42, 126)),
    );
    let failed = rig
        .client
        .wait_for_task(TaskId(42))
        .wait(Duration::from_secs(5))
        .await
        .unwrap_err();
    rig.mock
        .respond(OperationId::GetTask, MockResponse::status(403));
    let api = rig
        .client
        .wait_for_task(TaskId(42))
        .wait(Duration::from_secs(5))
        .await
        .unwrap_err();
    for e in [deadline, failed, api] {
        assert_no_secret("a wait error", &format!("{e} {e:?}"));
    }
}

#[tokio::test]
async fn debug_of_configuration_client_and_requests_holds_no_secret() {
    let rig = rig();
    let builder =
        builder(&rig.mock, &rig.clock).zstack_url(format!("https://u:{SECRET}@zstack.test"));
    assert_no_secret("ClientBuilder Debug", &format!("{builder:?} {builder:#?}"));
    assert_no_secret(
        "Client Debug",
        &format!("{:?} {:#?}", rig.client, rig.client),
    );
    assert_no_secret(
        "Credentials Debug",
        &format!(
            "{:?} {:?} {:?}",
            Credentials::basic(KEY, SECRET).unwrap(),
            Credentials::private_token(TOKEN).unwrap(),
            Credentials::oauth_session(SESSION).unwrap()
        ),
    );
    exercise_everything(&rig).await;
    let sent = rig.mock.requests();
    assert!(sent.len() > 15);
    assert_no_secret("RecordedRequest Debug", &format!("{sent:?}"));
    assert_no_secret("MockTransport Debug", &format!("{:?}", rig.mock));
    // The credentials did go out, in sensitive header values.
    assert!(sent.iter().all(|r| {
        r.headers
            .get("authorization")
            .or_else(|| r.headers.get("private-token"))
            .is_some_and(http::HeaderValue::is_sensitive)
    }));
}

/// A server (or a proxy) that echoes the request's credentials back in its
/// error: the error the caller sees, and its excerpt, hold none of them.
#[tokio::test]
async fn credentials_echoed_by_a_server_are_redacted_from_errors() {
    let rig = support::rig();
    let basic = basic_b64();
    rig.mock.respond(
        OperationId::ListTasks,
        MockResponse::html(
            502,
            format!("<html>bad gateway; you sent PRIVATE-TOKEN: {TOKEN}</html>"),
        ),
    );
    rig.mock.respond(
        OperationId::GetTask,
        MockResponse::json(
            403,
            format!(
                r#"{{"errorCode": 1, "errorMessage": "token {TOKEN} refused",
                "errors": [{{"property": "{TOKEN}", "message": "{TOKEN}"}}]}}"#
            ),
        ),
    );
    rig.mock.respond(
        OperationId::ListTaskTemplates,
        MockResponse::json(200, format!(r#"{{"not": "a list", "echo": "{TOKEN}"}}"#)),
    );
    rig.mock.respond(
        OperationId::GetImageStatus,
        MockResponse::json(
            401,
            format!(
                r#"{{"success": false, "error": true, "error_code": 401,
                "error_message": "bad Basic {basic} for {KEY}:{SECRET}"}}"#
            ),
        ),
    );
    rig.mock.respond(
        OperationId::GetUploadJobDetails,
        MockResponse::json(
            200,
            format!(
                r#"{{"success": false, "error": {{"code": "ID.1001",
                "description": "session OAuth {SESSION}", "cause": {{"code": "{SESSION}", "details": "{SESSION}"}}}}}}"#
            ),
        ),
    );
    // A decode error whose message quotes the value it could not read
    // (serde: `invalid type: string "…", expected u64`).
    rig.mock.respond(
        OperationId::ListTaskBatches,
        MockResponse::json(200, format!(r#"[{{"id": "{TOKEN}"}}]"#)),
    );
    let errors = [
        rig.client
            .list_task_batches()
            .send()
            .await
            .map(|_| ())
            .unwrap_err(),
        rig.client
            .list_tasks()
            .send()
            .await
            .map(|_| ())
            .unwrap_err(),
        rig.client
            .get_task(TaskId(1))
            .send()
            .await
            .map(|_| ())
            .unwrap_err(),
        rig.client
            .list_task_templates()
            .send()
            .await
            .map(|_| ())
            .unwrap_err(),
        rig.client
            .clanforge(cfp_api::model::AccountServiceId(1))
            .get_image_status(cfp_api::model::ImageId(1))
            .detail(false)
            .send()
            .await
            .map(|_| ())
            .unwrap_err(),
        rig.client
            .get_upload_job_details(cfp_api::model::ZStackImageId::new("img").unwrap())
            .send()
            .await
            .map(|_| ())
            .unwrap_err(),
    ];
    for e in &errors {
        let shown = format!("{e} {e:?}");
        assert_no_secret("an error echoing credentials", &shown);
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
