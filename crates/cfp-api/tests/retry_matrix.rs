//! The retry matrix through the client, with an injected clock: each status
//! and error class against safe, unsafe and toggle operations; Retry-After
//! honoured; the budget respected; an unsafe operation never sent twice.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use cfp_api::model::{
    AccountServiceId, CreateTaskBatch, FleetId, ImageId, MachineId, OperationId, RetryClass,
    TaskId, TaskTemplateId,
};
use cfp_api::{Client, Error};
use cfp_api::{MockResponse, RetryPolicy, Timeouts, TransportError, TransportErrorKind};
use support::*;

/// One operation of each retry class, called through the client.
#[derive(Debug, Clone, Copy)]
enum Call {
    GetTask,
    CancelTask,
    CreateBatch,
    CreateDiff,
    Toggle,
}

const CALLS: [Call; 5] = [
    Call::GetTask,
    Call::CancelTask,
    Call::CreateBatch,
    Call::CreateDiff,
    Call::Toggle,
];

impl Call {
    fn op(self) -> OperationId {
        match self {
            Call::GetTask => OperationId::GetTask,
            Call::CancelTask => OperationId::CancelTask,
            Call::CreateBatch => OperationId::CreateTaskBatch,
            Call::CreateDiff => OperationId::CreateImageDiff,
            Call::Toggle => OperationId::ToggleTaskPause,
        }
    }

    fn safe(self) -> bool {
        self.op().spec().retry == RetryClass::Safe
    }

    async fn run(self, client: &Client) -> Result<(), Error> {
        match self {
            Call::GetTask => client.get_task(TaskId(1)).send().await.map(drop),
            Call::CancelTask => client.cancel_task(TaskId(1)).send().await.map(drop),
            Call::Toggle => client.toggle_task_pause(TaskId(1)).send().await.map(drop),
            Call::CreateBatch => client
                .create_task_batch(CreateTaskBatch::for_fleet(TaskTemplateId(1), FleetId(2)))
                .send()
                .await
                .map(drop),
            Call::CreateDiff => client
                .clanforge(AccountServiceId(1))
                .create_image_diff(ImageId(2), MachineId(3))
                .send()
                .await
                .map(drop),
        }
    }

    fn ok_body(self) -> String {
        match self {
            Call::CreateBatch => batch_json(0, 0, 0, 3),
            Call::CreateDiff => diff_json(1, 0, None, false),
            _ => task_json(1, 1),
        }
    }
}

#[test]
fn the_calls_cover_every_retry_class() {
    let classes: Vec<_> = CALLS.iter().map(|c| c.op().spec().retry).collect();
    for class in [RetryClass::Safe, RetryClass::Unsafe, RetryClass::Toggle] {
        assert!(classes.contains(&class), "{class:?}");
    }
}

#[tokio::test]
async fn retryable_statuses_are_retried_only_for_safe_operations() {
    for status in [429, 502, 503, 504] {
        for call in CALLS {
            let rig = rig();
            rig.mock.respond(call.op(), MockResponse::status(status));
            let e = call.run(&rig.client).await.unwrap_err();
            let expected = if call.safe() { 4 } else { 1 };
            assert_eq!(rig.mock.calls(call.op()), expected, "{status} {call:?}");
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.is_retryable(), call.safe(), "{status} {call:?}");
            if call.safe() {
                assert!(e.to_string().ends_with("(after 4 attempts)"), "{e}");
            }
        }
    }
}

#[tokio::test]
async fn a_transient_failure_then_success_is_invisible_for_safe_operations() {
    for call in CALLS.into_iter().filter(|c| c.safe()) {
        let rig = rig();
        rig.mock
            .respond_sequence(
                call.op(),
                [MockResponse::status(503), MockResponse::status(502)],
            )
            .respond(call.op(), MockResponse::json(200, call.ok_body()));
        call.run(&rig.client).await.unwrap();
        assert_eq!(rig.mock.calls(call.op()), 3);
    }
}

#[tokio::test]
async fn other_statuses_are_never_retried() {
    for status in [400, 401, 403, 404, 409, 422, 500] {
        for call in CALLS {
            let rig = rig();
            rig.mock.respond(call.op(), MockResponse::status(status));
            let e = call.run(&rig.client).await.unwrap_err();
            assert_eq!(rig.mock.calls(call.op()), 1, "{status} {call:?}");
            assert_eq!(e.status(), Some(status));
            assert!(!e.is_retryable());
        }
    }
}

#[tokio::test]
async fn a_failure_that_proves_the_request_never_left_is_retried_for_every_operation() {
    for call in CALLS {
        let rig = rig();
        rig.mock
            .respond_sequence(
                call.op(),
                [
                    MockResponse::error(TransportError::connect("connection refused")),
                    MockResponse::error(TransportError::connect("dns error: no such host")),
                ],
            )
            .respond(call.op(), MockResponse::json(200, call.ok_body()));
        call.run(&rig.client).await.unwrap();
        assert_eq!(rig.mock.calls(call.op()), 3, "{call:?}");
    }
}

#[tokio::test]
async fn failures_that_may_have_been_delivered_are_retried_only_for_safe_operations() {
    for kind in [
        TransportErrorKind::Timeout,
        TransportErrorKind::Io,
        TransportErrorKind::Body,
    ] {
        for call in CALLS {
            let rig = rig();
            rig.mock.respond(
                call.op(),
                MockResponse::error(TransportError::new(kind, "scripted")),
            );
            let e = call.run(&rig.client).await.unwrap_err();
            let expected = if call.safe() { 4 } else { 1 };
            assert_eq!(rig.mock.calls(call.op()), expected, "{kind:?} {call:?}");
            assert_eq!(e.may_have_been_delivered(), Some(true));
            assert_eq!(e.is_retryable(), call.safe());
        }
    }
}

#[tokio::test]
async fn an_unsafe_operation_is_never_sent_twice() {
    for call in CALLS.into_iter().filter(|c| !c.safe()) {
        let rig = rig();
        rig.mock
            .respond_once(call.op(), MockResponse::hang())
            .respond(call.op(), MockResponse::json(200, call.ok_body()));
        let e = call.run(&rig.client).await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        assert_eq!(e.may_have_been_delivered(), Some(true));
        assert!(!e.is_retryable());
        assert_eq!(rig.mock.calls(call.op()), 1, "{call:?}");
        assert_eq!(rig.clock.completed_sleeps(), [Duration::from_secs(30)]);
    }
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let rig = rig();
    rig.mock
        .respond_once(
            OperationId::GetTask,
            MockResponse::status(429).retry_after_secs(9),
        )
        .respond(
            OperationId::GetTask,
            MockResponse::json(200, task_json(1, 1)),
        );
    rig.client.get_task(TaskId(1)).send().await.unwrap();
    assert_eq!(rig.clock.completed_sleeps(), [Duration::from_secs(9)]);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    use cfp_api::Clock as _;
    let rig = rig();
    let at = rig.clock.wall_now() + Duration::from_secs(20);
    let date = http::HeaderValue::from_str(&httpdate::fmt_http_date(at)).unwrap();
    rig.mock
        .respond_once(
            OperationId::ListTasks,
            MockResponse::status(503).header(http::header::RETRY_AFTER, date),
        )
        .respond(OperationId::ListTasks, MockResponse::json(200, "[]"));
    rig.client.list_tasks().send().await.unwrap();
    assert_eq!(rig.clock.completed_sleeps(), [Duration::from_secs(20)]);
}

#[tokio::test]
async fn a_retry_after_past_the_budget_returns_the_error_with_it() {
    let rig = rig();
    rig.mock
        .respond_once(
            OperationId::GetTask,
            MockResponse::status(429).retry_after_secs(3600),
        )
        .respond(
            OperationId::GetTask,
            MockResponse::json(200, task_json(1, 1)),
        );
    let e = rig.client.get_task(TaskId(1)).send().await.unwrap_err();
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
    assert!(e.is_retryable());
    assert_eq!(rig.mock.calls(OperationId::GetTask), 1);
    assert!(rig.clock.completed_sleeps().is_empty());
}

#[tokio::test]
async fn the_total_timeout_bounds_a_safe_call() {
    let mock = cfp_transport::MockTransport::new();
    let clock = cfp_transport::ManualClock::new().auto_advance();
    let client = builder(&mock, &clock)
        .timeouts(Timeouts::default().with_total(Duration::from_secs(50)))
        .retry_policy(RetryPolicy::default().with_max_attempts(10))
        .build()
        .unwrap();
    mock.respond(OperationId::GetTask, MockResponse::hang());
    let start = clock.elapsed();
    let e = client.get_task(TaskId(1)).send().await.unwrap_err();
    assert!(e.is_timeout());
    assert!(clock.elapsed() - start <= Duration::from_secs(50));
    assert_eq!(mock.calls(OperationId::GetTask), 2);
}

#[tokio::test]
async fn the_retry_policy_is_configurable() {
    let mock = cfp_transport::MockTransport::new();
    let clock = cfp_transport::ManualClock::new().auto_advance();
    let client = builder(&mock, &clock)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    mock.respond(OperationId::GetTask, MockResponse::status(503));
    client.get_task(TaskId(1)).send().await.unwrap_err();
    assert_eq!(mock.calls(OperationId::GetTask), 1);
}
