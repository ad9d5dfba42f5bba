//! Each fault class of the simulator, met by the client over the real
//! transport: what is retried (only operations safe to repeat), what the
//! caller sees (a typed error), that `Retry-After` is waited for (checked
//! in the journal), and that no call outlives its total timeout.
//!
//! The client has the default retry policy (4 attempts) and short limits:
//! attempt 300 ms, total 2 s.

use std::time::{Duration, Instant};

use cfp_api::model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, ImageId, MachineId, OperationId,
    TaskBatchId, TaskId, TaskResultCode, TaskTemplateId,
};
use cfp_api::params::GetImageStatusParams;
use cfp_api::{Call, Client, Error, TransportErrorKind};
use cfp_testkit::{Fault, FaultRule, RetryAfter};

use crate::api_support::{Api, quick_timeouts};

/// A little more than the scheduler needs to run a timer and finish a call.
const TOLERANCE: Duration = Duration::from_millis(250);

fn rule(fault: Fault, op: OperationId, times: u64) -> FaultRule {
    FaultRule::new(fault).operation(op).times(times)
}

fn image_status(client: &Client) -> Call<GetImageStatusParams> {
    client
        .clanforge(AccountServiceId(1))
        .get_image_status(ImageId(1))
        .detail(true)
}

fn one_instance(id: u64) -> CreateTaskBatch {
    CreateTaskBatch::for_instances(TaskTemplateId(2), [ApplicationInstanceId(id)])
}

/// A task that exists (created before any fault is added).
async fn a_task(api: &Api) -> (TaskBatchId, TaskId) {
    let b = api
        .client
        .create_task_batch(one_instance(50))
        .send()
        .await
        .unwrap();
    api.sim.journal().clear();
    (b.id, b.task_ids[0])
}

fn transport_kind(e: &Error) -> Option<TransportErrorKind> {
    match e {
        Error::Transport { source, .. } => Some(source.kind()),
        _ => None,
    }
}

#[tokio::test]
async fn a_502_on_a_safe_operation_is_retried_until_it_succeeds() {
    let api = Api::start().await;
    let (_, task) = a_task(&api).await;
    api.sim
        .faults()
        .add(FaultRule::fail_next(OperationId::GetTask, 2, 502));
    api.client.get_task(task).send().await.unwrap();
    assert_eq!(api.sim.journal().count(OperationId::GetTask), 3);
}

#[tokio::test]
async fn a_500_is_a_service_error_and_is_not_retried() {
    let api = Api::start().await;
    api.sim
        .faults()
        .add(FaultRule::fail_next(OperationId::ListTasks, 1, 500));
    let e = api.client.list_tasks().send().await.unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert!(
        e.service_error().is_some(),
        "the task API's error shape: {e}"
    );
    assert!(!e.is_retryable());
    assert_eq!(api.sim.journal().count(OperationId::ListTasks), 1);
}

#[tokio::test]
async fn a_run_of_504s_longer_than_the_retry_budget_ends_in_the_last_504() {
    let api = Api::start().await;
    api.sim.faults().add(rule(
        Fault::Status { status: 504 },
        OperationId::ListTaskBatches,
        10,
    ));
    let e = api.client.list_task_batches().send().await.unwrap_err();
    assert_eq!(e.status(), Some(504));
    assert!(e.is_retryable(), "trying again later is safe: {e}");
    assert_eq!(api.sim.journal().count(OperationId::ListTaskBatches), 4);
}

#[tokio::test]
async fn a_503_on_an_unsafe_operation_is_not_retried_and_nothing_was_created() {
    let api = Api::start().await;
    api.sim
        .faults()
        .add(FaultRule::fail_next(OperationId::CreateTaskBatch, 1, 503));
    let e = api
        .client
        .create_task_batch(one_instance(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(!e.is_retryable());
    assert_eq!(api.sim.journal().count(OperationId::CreateTaskBatch), 1);
    assert_eq!(api.sim.world().batch_count(), 0);
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_for() {
    let api = Api::start().await;
    api.sim.faults().add(rule(
        Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(1),
        },
        OperationId::GetImageStatus,
        1,
    ));
    let started = Instant::now();
    image_status(&api.client).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    let j = api.sim.journal();
    assert_eq!(j.count(OperationId::GetImageStatus), 2);
    j.check_retry_after(Some(OperationId::GetImageStatus))
        .unwrap();
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_for() {
    let api = Api::start().await;
    api.sim.faults().add(rule(
        Fault::Unavailable {
            retry_after: RetryAfter::HttpDate(1),
        },
        OperationId::ListTaskTemplates,
        1,
    ));
    api.client.list_task_templates().send().await.unwrap();
    let j = api.sim.journal();
    assert_eq!(j.count(OperationId::ListTaskTemplates), 2);
    assert_eq!(j.entries()[0].status, 503);
    j.check_retry_after(Some(OperationId::ListTaskTemplates))
        .unwrap();
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_is_not_waited_for_and_is_told_to_the_caller() {
    let api = Api::start().await;
    api.sim.faults().add(rule(
        Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(30),
        },
        OperationId::ListTasks,
        1,
    ));
    let started = Instant::now();
    let e = api.client.list_tasks().send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "no 30 s wait");
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)), "{e:?}");
    assert_eq!(api.sim.journal().count(OperationId::ListTasks), 1);
}

#[tokio::test]
async fn a_connection_reset_on_a_safe_operation_is_retried() {
    let api = Api::start().await;
    let (batch, _) = a_task(&api).await;
    api.sim
        .faults()
        .add(rule(Fault::ConnectionReset, OperationId::GetTaskBatch, 1));
    api.client.get_task_batch(batch).send().await.unwrap();
    assert_eq!(api.sim.journal().count(OperationId::GetTaskBatch), 2);
}

#[tokio::test]
async fn a_connection_reset_on_an_unsafe_operation_may_have_been_delivered_and_is_not_repeated() {
    let api = Api::start().await;
    api.sim.faults().add(rule(
        Fault::ConnectionReset,
        OperationId::CreateTaskBatch,
        1,
    ));
    let e = api
        .client
        .create_task_batch(one_instance(2))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            transport_kind(&e),
            Some(TransportErrorKind::Io | TransportErrorKind::Body)
        ),
        "{e:?}"
    );
    assert_eq!(e.may_have_been_delivered(), Some(true));
    assert!(!e.is_retryable());
    assert_eq!(api.sim.journal().count(OperationId::CreateTaskBatch), 1);
    // It was: the simulator carried it out before the reset.
    assert_eq!(api.sim.world().batch_count(), 1);
}

#[tokio::test]
async fn a_cancel_whose_answer_was_reset_is_repeated_and_its_409_is_a_success() {
    let api = Api::start().await;
    let (_, task) = a_task(&api).await;
    // The first DELETE is carried out, then its answer is cut by a reset.
    api.sim
        .faults()
        .add(rule(Fault::ConnectionReset, OperationId::CancelTask, 1));
    let t = api.client.cancel_task(task).send().await.unwrap();
    assert_eq!(t.result_code, TaskResultCode::Cancelled);
    let j = api.sim.journal();
    let deletes = j.entries_for(OperationId::CancelTask);
    assert_eq!(deletes.len(), 2, "cancel is safe to repeat, and was");
    assert_eq!(deletes[0].fault.as_deref(), Some("reset"));
    assert_eq!(
        deletes[1].status, 409,
        "the repeat found the task already cancelled"
    );
    assert_eq!(j.count(OperationId::GetTask), 1, "one read settles the 409");
    assert_eq!(
        api.sim.world().task(task).unwrap().result_code,
        TaskResultCode::Cancelled
    );
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_that_names_where_it_broke() {
    let api = Api::start().await;
    api.sim
        .faults()
        .add(rule(Fault::TruncatedJson, OperationId::GetImageStatus, 1));
    let e = image_status(&api.client).send().await.unwrap_err();
    match &e {
        Error::Decode { status, source, .. } => {
            assert_eq!(*status, 200);
            assert_eq!(source.what, "image status");
            assert!(!source.path.is_empty());
            assert!(source.message.contains("EOF"), "{source}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("cannot decode image status"), "{e}");
}

#[tokio::test]
async fn an_html_error_page_is_an_http_error_with_an_excerpt_after_every_attempt() {
    let api = Api::start().await;
    api.sim.faults().add(rule(
        Fault::HtmlErrorPage { status: 502 },
        OperationId::ListTaskBatches,
        4,
    ));
    let e = api.client.list_task_batches().send().await.unwrap_err();
    match &e {
        Error::Http {
            status,
            excerpt,
            attempts,
            ..
        } => {
            assert_eq!(*status, 502);
            assert!(excerpt.contains("502 Bad Gateway"), "{excerpt}");
            assert_eq!(*attempts, 4);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().ends_with("(after 4 attempts)"), "{e}");
}

#[tokio::test]
async fn a_slow_body_times_out_the_attempt_and_a_safe_call_tries_again() {
    let api = Api::start().await;
    let (_, task) = a_task(&api).await;
    api.sim.faults().add(rule(
        Fault::SlowBody { millis: 1_000 },
        OperationId::GetTask,
        1,
    ));
    let started = Instant::now();
    api.client.get_task(task).send().await.unwrap();
    assert!(started.elapsed() >= quick_timeouts().attempt);
    assert_eq!(api.sim.journal().count(OperationId::GetTask), 2);
}

#[tokio::test]
async fn a_slow_body_on_an_unsafe_operation_is_a_timeout_that_may_have_been_delivered() {
    let api = Api::start().await;
    api.sim.faults().add(rule(
        Fault::SlowBody { millis: 1_000 },
        OperationId::CreateImageDiff,
        1,
    ));
    let e = api
        .client
        .clanforge(AccountServiceId(1))
        .create_image_diff(ImageId(1), MachineId(2))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(e.may_have_been_delivered(), Some(true));
    assert!(!e.is_retryable());
    assert_eq!(api.sim.journal().count(OperationId::CreateImageDiff), 1);
}

#[tokio::test]
async fn latency_within_the_attempt_timeout_only_slows_the_answer() {
    let api = Api::start().await;
    api.sim.faults().add(rule(
        Fault::Latency { millis: 100 },
        OperationId::ListTaskTemplates,
        1,
    ));
    let started = Instant::now();
    api.client.list_task_templates().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    let j = api.sim.journal();
    assert_eq!(j.count(OperationId::ListTaskTemplates), 1);
    assert_eq!(j.last().unwrap().fault.as_deref(), Some("latency-100ms"));
}

#[tokio::test]
async fn a_call_never_outlives_its_total_timeout() {
    let api = Api::start().await;
    let (_, task) = a_task(&api).await;
    // Every answer is slower than an attempt may take.
    api.sim
        .faults()
        .add(FaultRule::new(Fault::SlowBody { millis: 5_000 }).operation(OperationId::GetTask));
    let started = Instant::now();
    let e = api.client.get_task(task).send().await.unwrap_err();
    let took = started.elapsed();
    assert!(e.is_timeout(), "{e:?}");
    assert!(took <= quick_timeouts().total + TOLERANCE, "{took:?}");
    assert!(api.sim.journal().count(OperationId::GetTask) >= 2);
}
