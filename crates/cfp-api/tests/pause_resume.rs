//! Idempotent pause and resume over the toggle: read, toggle only if
//! needed, confirm; never toggle blindly.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use cfp_api::model::{OperationId, TaskId, TaskResultCode};
use cfp_api::{Error, TaskAction};
use cfp_api::{MockResponse, TransportError};
use support::*;

const ID: TaskId = TaskId(42);

fn task(code: i64) -> MockResponse {
    MockResponse::json(200, format!("[{}]", task_json(42, code)))
}

const CONFLICT: &str =
    r#"{"errorCode": 10409, "errorMessage": "Task cannot be paused", "errors": []}"#;

#[tokio::test]
async fn pausing_a_running_task_toggles_once_and_confirms() {
    let rig = rig();
    rig.mock
        .respond_sequence(OperationId::GetTask, [task(1), task(2)])
        .respond(OperationId::ToggleTaskPause, task(2));
    let t = rig.client.pause_task(ID).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);
    assert_eq!(rig.mock.calls(OperationId::GetTask), 2);
    let order: Vec<_> = rig
        .mock
        .requests()
        .iter()
        .map(|r| r.operation.unwrap())
        .collect();
    assert_eq!(
        order,
        [
            OperationId::GetTask,
            OperationId::ToggleTaskPause,
            OperationId::GetTask
        ]
    );
}

#[tokio::test]
async fn pausing_a_pending_task_toggles_too() {
    let rig = rig();
    rig.mock
        .respond_sequence(OperationId::GetTask, [task(0), task(2)])
        .respond(OperationId::ToggleTaskPause, task(2));
    rig.client.pause_task(ID).await.unwrap();
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);
}

#[tokio::test]
async fn pausing_a_paused_task_sends_no_toggle() {
    let rig = rig();
    rig.mock.respond(OperationId::GetTask, task(2));
    let t = rig.client.pause_task(ID).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 0);
    assert_eq!(rig.mock.total_calls(), 1);
}

#[tokio::test]
async fn resuming_a_paused_task_toggles_once_and_confirms() {
    let rig = rig();
    rig.mock
        .respond_sequence(OperationId::GetTask, [task(2), task(1)])
        .respond(OperationId::ToggleTaskPause, task(1));
    let t = rig.client.resume_task(ID).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::InProgress);
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);
}

#[tokio::test]
async fn resuming_a_running_task_sends_no_toggle() {
    for running in [0, 1] {
        let rig = rig();
        rig.mock.respond(OperationId::GetTask, task(running));
        rig.client.resume_task(ID).await.unwrap();
        assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 0);
    }
}

#[tokio::test]
async fn a_task_that_has_ended_is_a_conflict_and_nothing_is_toggled() {
    for (code, name) in [
        (127, "done (127)"),
        (126, "done with error (126)"),
        (125, "cancelled (125)"),
    ] {
        for action in [TaskAction::Pause, TaskAction::Resume] {
            let rig = rig();
            rig.mock.respond(OperationId::GetTask, task(code));
            let e = match action {
                TaskAction::Pause => rig.client.pause_task(ID).await,
                TaskAction::Resume => rig.client.resume_task(ID).await,
            }
            .unwrap_err();
            assert!(e.is_conflict(), "{e}");
            assert!(!e.is_invalid_input());
            assert_eq!(
                e.to_string(),
                format!("getTask: cannot {action} task 42: it has ended: {name}")
            );
            assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 0);
        }
    }
}

#[tokio::test]
async fn an_unknown_state_is_not_toggled_blindly() {
    let rig = rig();
    rig.mock.respond(OperationId::GetTask, task(9));
    let e = rig.client.pause_task(ID).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::TaskState {
                state: TaskResultCode::Unknown(9),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 0);
}

#[tokio::test]
async fn a_409_is_followed_by_a_re_read_that_reports_the_state() {
    let rig = rig();
    rig.mock
        .respond_sequence(OperationId::GetTask, [task(1), task(127)])
        .respond(
            OperationId::ToggleTaskPause,
            MockResponse::json(409, CONFLICT),
        );
    let e = rig.client.pause_task(ID).await.unwrap_err();
    assert!(e.is_conflict());
    match &e {
        Error::TaskState {
            state,
            task,
            operation,
            ..
        } => {
            assert_eq!(*state, TaskResultCode::Done);
            assert_eq!(task.as_ref().unwrap().result_code, TaskResultCode::Done);
            assert_eq!(*operation, OperationId::ToggleTaskPause);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "toggleTaskPause: cannot pause task 42: the service refused the toggle (http 409); the task is done (127)"
    );
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);
    assert_eq!(rig.mock.calls(OperationId::GetTask), 2);
}

#[tokio::test]
async fn a_409_after_someone_else_paused_it_is_success() {
    let rig = rig();
    rig.mock
        .respond_sequence(OperationId::GetTask, [task(1), task(2)])
        .respond(
            OperationId::ToggleTaskPause,
            MockResponse::json(409, CONFLICT),
        );
    let t = rig.client.pause_task(ID).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
}

#[tokio::test]
async fn a_lost_toggle_answer_is_settled_by_reading_not_by_toggling_again() {
    let rig = rig();
    rig.mock
        .respond_sequence(OperationId::GetTask, [task(1), task(2)])
        .respond(OperationId::ToggleTaskPause, MockResponse::hang());
    let t = rig.client.pause_task(ID).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);
}

#[tokio::test]
async fn a_lost_toggle_that_did_not_happen_reports_the_transport_error() {
    let rig = rig();
    rig.mock.respond(OperationId::GetTask, task(1)).respond(
        OperationId::ToggleTaskPause,
        MockResponse::error(TransportError::io("connection reset by peer")),
    );
    let e = rig.client.pause_task(ID).await.unwrap_err();
    assert_eq!(e.may_have_been_delivered(), Some(true));
    assert_eq!(e.operation(), Some(OperationId::ToggleTaskPause));
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);
}

/// The toggle's answer cut short: it arrived, and was carried out.
fn cut_short() -> MockResponse {
    MockResponse::json(200, r#"[{"id": 42, "name": "Res"#)
}

fn operations(rig: &Rig) -> Vec<OperationId> {
    rig.mock
        .requests()
        .iter()
        .map(|r| r.operation.unwrap())
        .collect()
}

#[tokio::test]
async fn a_truncated_toggle_answer_is_settled_by_reading_not_by_toggling_again() {
    for action in [TaskAction::Pause, TaskAction::Resume] {
        let rig = rig();
        let (before, after) = match action {
            TaskAction::Pause => (1, 2),
            TaskAction::Resume => (2, 1),
        };
        rig.mock
            .respond_sequence(OperationId::GetTask, [task(before), task(after)])
            .respond(OperationId::ToggleTaskPause, cut_short());
        let t = match action {
            TaskAction::Pause => rig.client.pause_task(ID).await,
            TaskAction::Resume => rig.client.resume_task(ID).await,
        }
        .unwrap();
        assert_eq!(t.result_code.code(), after, "{action}");
        assert_eq!(
            operations(&rig),
            [
                OperationId::GetTask,
                OperationId::ToggleTaskPause,
                OperationId::GetTask
            ],
            "{action}: read, one toggle, read"
        );
    }
}

#[tokio::test]
async fn a_truncated_toggle_answer_and_an_unchanged_task_may_have_been_carried_out() {
    let rig = rig();
    rig.mock
        .respond_sequence(OperationId::GetTask, [task(1), task(1)])
        .respond(OperationId::ToggleTaskPause, cut_short());
    let e = rig.client.pause_task(ID).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    assert_eq!(e.operation(), Some(OperationId::ToggleTaskPause));
    assert!(e.may_have_been_carried_out(), "{e}");
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);
    assert_eq!(rig.mock.calls(OperationId::GetTask), 2);
}

#[tokio::test]
async fn a_toggle_answered_by_a_gateway_is_settled_by_reading() {
    for status in [502, 504] {
        let rig = rig();
        rig.mock
            .respond_sequence(OperationId::GetTask, [task(1), task(2)])
            .respond(OperationId::ToggleTaskPause, MockResponse::status(status));
        let t = rig.client.pause_task(ID).await.unwrap();
        assert_eq!(t.result_code, TaskResultCode::Paused, "{status}");
        assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);

        let rig = support::rig();
        rig.mock
            .respond_sequence(OperationId::GetTask, [task(1), task(1)])
            .respond(OperationId::ToggleTaskPause, MockResponse::status(status));
        let e = rig.client.pause_task(ID).await.unwrap_err();
        assert_eq!(e.status(), Some(status));
        assert!(e.may_have_been_carried_out(), "{e}");
        assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 1);
    }
}

#[tokio::test]
async fn a_toggle_that_did_not_stick_is_reported() {
    let rig = rig();
    rig.mock
        .respond_sequence(OperationId::GetTask, [task(1), task(127)])
        .respond(OperationId::ToggleTaskPause, task(2));
    let e = rig.client.pause_task(ID).await.unwrap_err();
    assert!(e.is_conflict());
    assert!(
        e.to_string()
            .contains("the toggle was accepted but the task is now done (127)"),
        "{e}"
    );
}

#[tokio::test]
async fn a_missing_task_is_not_found() {
    let rig = rig();
    rig.mock.respond(
        OperationId::GetTask,
        MockResponse::json(
            404,
            r#"{"errorCode": 10001, "errorMessage": "Entity not found", "errors": []}"#,
        ),
    );
    let e = rig.client.resume_task(ID).await.unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(rig.mock.calls(OperationId::ToggleTaskPause), 0);
}
