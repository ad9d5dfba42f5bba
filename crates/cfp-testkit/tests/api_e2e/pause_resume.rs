//! Pause and resume are idempotent over the toggle endpoint: read, toggle
//! only if needed, read again; the toggle is never sent twice for one call.

use cfp_api::Error;
use cfp_api::model::{
    ApplicationInstanceId, CreateTaskBatch, OperationId, TaskId, TaskResultCode, TaskTemplateId,
};
use cfp_testkit::{Fault, FaultRule};

use crate::api_support::Api;

/// A task that has started and will not end (the manual clock stands
/// still).
async fn pending_task(api: &Api, instance: u64) -> TaskId {
    let b = api
        .client
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(instance)],
        ))
        .send()
        .await
        .unwrap();
    b.task_ids[0]
}

/// Pending or in progress: not paused, not ended.
fn running(code: TaskResultCode) -> bool {
    matches!(code, TaskResultCode::Pending | TaskResultCode::InProgress)
}

fn toggles(api: &Api) -> u64 {
    api.sim.journal().count(OperationId::ToggleTaskPause)
}

fn state(api: &Api, id: TaskId) -> TaskResultCode {
    api.sim.world().task(id).unwrap().result_code
}

#[tokio::test]
async fn pausing_twice_sends_one_toggle() {
    let api = Api::start().await;
    let id = pending_task(&api, 1).await;
    let t = api.client.pause_task(id).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
    let t = api.client.pause_task(id).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
    assert_eq!(toggles(&api), 1);
    assert_eq!(state(&api, id), TaskResultCode::Paused);
}

#[tokio::test]
async fn resuming_a_task_that_is_not_paused_sends_no_toggle() {
    let api = Api::start().await;
    let id = pending_task(&api, 2).await;
    let t = api.client.resume_task(id).await.unwrap();
    assert!(running(t.result_code), "{}", t.result_code);
    assert_eq!(toggles(&api), 0);
}

#[tokio::test]
async fn pause_then_resume_round_trips_with_one_toggle_each() {
    let api = Api::start().await;
    let id = pending_task(&api, 3).await;
    api.client.pause_task(id).await.unwrap();
    let t = api.client.resume_task(id).await.unwrap();
    assert!(running(t.result_code), "{}", t.result_code);
    assert_eq!(toggles(&api), 2);
    // Each call read the task before and after its toggle.
    assert_eq!(api.sim.journal().count(OperationId::GetTask), 4);
}

#[tokio::test]
async fn a_cancelled_task_is_a_state_conflict_and_no_toggle_is_sent() {
    let api = Api::start().await;
    let id = pending_task(&api, 4).await;
    api.client.cancel_task(id).send().await.unwrap();
    for e in [
        api.client.pause_task(id).await.unwrap_err(),
        api.client.resume_task(id).await.unwrap_err(),
    ] {
        assert!(matches!(e, Error::TaskState { .. }), "{e}");
        assert!(e.is_conflict());
        assert!(e.to_string().contains("cancelled"), "{e}");
    }
    assert_eq!(toggles(&api), 0);
}

#[tokio::test]
async fn a_toggle_whose_answer_is_lost_is_not_repeated_the_task_is_read_again() {
    let api = Api::start().await;
    let id = pending_task(&api, 5).await;
    // The toggle is carried out, then the connection is reset mid-answer.
    api.sim.faults().add(
        FaultRule::new(Fault::ConnectionReset)
            .operation(OperationId::ToggleTaskPause)
            .times(1),
    );
    let t = api.client.pause_task(id).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
    assert_eq!(toggles(&api), 1, "the toggle was not sent again");
    assert_eq!(state(&api, id), TaskResultCode::Paused);
}

#[tokio::test]
async fn a_toggle_whose_answer_is_truncated_is_not_repeated_the_task_is_read_again() {
    let api = Api::start().await;
    let id = pending_task(&api, 8).await;
    // Carried out, answered with half a body: a decode error.
    api.sim.faults().add(
        FaultRule::new(Fault::TruncatedJson)
            .operation(OperationId::ToggleTaskPause)
            .times(1),
    );
    let t = api.client.pause_task(id).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
    assert_eq!(toggles(&api), 1, "the toggle was not sent again");
    let toggle = &api.sim.journal().entries_for(OperationId::ToggleTaskPause)[0];
    assert_eq!(toggle.fault.as_deref(), Some("truncated-json"));
    assert_eq!(state(&api, id), TaskResultCode::Paused);
}

#[tokio::test]
async fn a_toggle_refused_with_503_is_not_retried() {
    let api = Api::start().await;
    let id = pending_task(&api, 6).await;
    api.sim
        .faults()
        .add(FaultRule::fail_next(OperationId::ToggleTaskPause, 1, 503));
    let e = api.client.pause_task(id).await.unwrap_err();
    assert_eq!(e.status(), Some(503), "{e}");
    assert!(!e.is_retryable(), "a toggle is never blindly repeated");
    assert_eq!(toggles(&api), 1);
    assert!(running(state(&api, id)));
    // Calling again is the caller's decision, and then it works.
    api.client.pause_task(id).await.unwrap();
    assert_eq!(toggles(&api), 2);
}

#[tokio::test]
async fn a_slow_toggle_answer_is_a_timeout_and_the_task_is_read_again() {
    let api = Api::start().await;
    let id = pending_task(&api, 7).await;
    // Carried out, but the answer takes longer than the attempt timeout.
    api.sim.faults().add(
        FaultRule::new(Fault::SlowBody { millis: 1_000 })
            .operation(OperationId::ToggleTaskPause)
            .times(1),
    );
    let t = api.client.pause_task(id).await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Paused);
    assert_eq!(toggles(&api), 1);
}
