//! Waiters with a fake clock: ETA-guided polling against a fixed 1 s poller,
//! progress, outcomes, deadlines, cancellation.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cfp_api::model::{AccountServiceId, DiffId, ImageId, OperationId, TaskBatchId, TaskId};
use cfp_api::{Clock as _, ManualClock, MockResponse};
use cfp_api::{PollPolicy, WaitError, WaitEvent};
use futures_util::{FutureExt as _, StreamExt as _};
use support::*;

const ASID: AccountServiceId = AccountServiceId(1);
const DIFF: DiffId = DiffId(218_595);
const DEADLINE: Duration = Duration::from_secs(24 * 3600);

fn unix(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// Scripts a diff job that runs from now for `secs` seconds of simulated
/// time, reporting an accurate `jobeta`, and completes exactly then.
fn script_job(rig: &Rig, secs: u64) -> f64 {
    let start = unix(rig.clock.wall_now());
    let eta = start + secs as f64;
    let clock = rig.clock.clone();
    rig.mock
        .respond_with(OperationId::GetImageDiffStatus, move |_| {
            let now = unix(clock.wall_now());
            let body = if now >= eta {
                diff_json(5, 100, Some(eta as i64), false)
            } else {
                let progress = ((now - start) / (eta - start) * 100.0) as u32;
                diff_json(4, progress, Some(eta as i64), false)
            };
            MockResponse::json(200, body)
        });
    eta
}

/// Waits for a scripted job with `policy`; returns (polls, seconds from
/// completion to noticing it).
async fn run_job(secs: u64, policy: PollPolicy) -> (usize, f64) {
    let rig = support::rig();
    let eta = script_job(&rig, secs);
    let done = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .poll_policy(policy)
        .wait(DEADLINE)
        .await
        .unwrap();
    assert!(done.job.state().is_success());
    let noticed = unix(rig.clock.wall_now());
    (
        rig.mock.calls(OperationId::GetImageDiffStatus),
        noticed - eta,
    )
}

#[tokio::test]
async fn eta_guided_polling_needs_far_fewer_polls_than_a_fixed_1s_poller() {
    for secs in [10, 60, 300, 3600] {
        let (ours, our_lag) = run_job(secs, PollPolicy::default()).await;
        let (fixed, fixed_lag) = run_job(secs, PollPolicy::fixed(Duration::from_secs(1))).await;
        eprintln!(
            "{secs}s job: {ours} polls (noticed +{our_lag}s) against {fixed} (+{fixed_lag}s)"
        );
        assert!(
            fixed >= 5 * ours,
            "{secs}s job: {ours} polls against {fixed} for the 1 s poller"
        );
        // Each completion is noticed within one simulated second.
        assert!(
            (0.0..=1.0).contains(&our_lag),
            "{secs}s job: noticed {our_lag}s late"
        );
        assert!((0.0..=1.0).contains(&fixed_lag));
    }
}

#[tokio::test]
async fn a_known_eta_is_polled_shortly_after_it() {
    let (polls, lag) = run_job(300, PollPolicy::default()).await;
    // 0, 30, 60, …, 270 (the 30 s cap), then at the ETA.
    assert_eq!(polls, 11);
    assert!(lag <= 0.5, "{lag}");
    let far = PollPolicy::default().with_max_delay(Duration::from_secs(3600));
    let (polls, lag) = run_job(300, far).await;
    assert_eq!(polls, 2);
    assert!((lag - 0.5).abs() < 1e-9, "{lag}");
}

#[tokio::test]
async fn without_hints_backoff_grows_and_restarts_on_progress() {
    let rig = support::rig();
    let running = |p| MockResponse::json(200, diff_json(4, p, None, false));
    rig.mock.respond_sequence(
        OperationId::GetImageDiffStatus,
        [
            running(10),
            running(10),
            running(10),
            running(20),
            running(20),
            MockResponse::json(200, diff_json(5, 100, None, false)),
        ],
    );
    rig.client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(
        rig.clock.completed_sleeps(),
        [1, 2, 4, 1, 2].map(Duration::from_secs)
    );
}

#[tokio::test]
async fn progress_is_reported_on_every_change_and_only_then() {
    let rig = support::rig();
    let body = |state, p| MockResponse::json(200, diff_json(state, p, None, false));
    rig.mock.respond_sequence(
        OperationId::GetImageDiffStatus,
        [
            body(1, 0),
            body(1, 0),
            body(4, 30),
            body(4, 30),
            body(4, 60),
            body(5, 100),
        ],
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    rig.client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .on_progress(move |p| {
            log.lock()
                .unwrap()
                .push((p.state.clone(), p.percent, p.polls))
        })
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("Created".to_owned(), Some(0), 1),
            ("Running".to_owned(), Some(30), 3),
            ("Running".to_owned(), Some(60), 5),
            ("Complete".to_owned(), Some(100), 6),
        ]
    );
}

#[tokio::test]
async fn a_failed_or_squashed_diff_ends_unsuccessfully_with_the_job() {
    let rig = support::rig();
    rig.mock.respond(
        OperationId::GetImageDiffStatus,
        MockResponse::json(200, diff_json(6, 40, None, true)),
    );
    let e = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful());
    assert_eq!(e.last().unwrap().job.progress, 40);
    assert_eq!(
        e.to_string(),
        "image diff 218595 ended unsuccessfully: machine 2 did not answer"
    );

    let rig = support::rig();
    rig.mock.respond(
        OperationId::GetImageDiffStatus,
        MockResponse::json(200, diff_json(7, 10, None, false)),
    );
    let e = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.to_string().ends_with("the job ended Squashed"), "{e}");
}

/// Clanforge's `jobfailed` counts the failed attempts of a retried job: a
/// complete diff that failed twice before is a success. A failed job's
/// answer may say `success: false` beside its job fields: still a job,
/// ended unsuccessfully with its `joberror`.
#[tokio::test]
async fn the_outcome_comes_from_the_state_not_from_jobfailed_or_success() {
    let rig = support::rig();
    rig.mock.respond(
        OperationId::GetImageDiffStatus,
        MockResponse::json(
            200,
            diff_json(5, 100, None, false).replace(r#""jobfailed": 0"#, r#""jobfailed": 2"#),
        ),
    );
    let done = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(done.job.failures, 2);
    assert!(!done.job.has_failed());

    let rig = support::rig();
    rig.mock.respond(
        OperationId::GetImageDiffStatus,
        MockResponse::json(
            200,
            diff_json(6, 40, None, true).replacen('{', r#"{"success": false, "#, 1),
        ),
    );
    let e = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful(), "a job, not a service error: {e}");
    assert!(e.to_string().ends_with("machine 2 did not answer"), "{e}");
}

#[tokio::test]
async fn the_deadline_stops_the_wait_with_the_last_object() {
    let rig = support::rig();
    rig.mock.respond(
        OperationId::GetImageDiffStatus,
        MockResponse::json(200, diff_json(4, 50, None, false)),
    );
    let start = rig.clock.elapsed();
    let e = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(e.is_deadline_exceeded());
    assert!(!e.is_unsuccessful());
    assert_eq!(e.last().unwrap().job.progress, 50);
    // Polls at 0, 1, 3, 7, 15, 31, and the last one at the deadline.
    assert_eq!(rig.clock.elapsed() - start, Duration::from_secs(60));
    assert_eq!(rig.mock.calls(OperationId::GetImageDiffStatus), 7);
    assert_eq!(
        e.to_string(),
        "gave up waiting for image diff 218595 after 1m: last seen Running"
    );
}

#[tokio::test]
async fn a_zero_deadline_polls_once() {
    let rig = support::rig();
    rig.mock.respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(42, 1)),
    );
    let e = rig
        .client
        .wait_for_task(TaskId(42))
        .wait(Duration::ZERO)
        .await
        .unwrap_err();
    assert!(e.is_deadline_exceeded());
    assert_eq!(rig.mock.calls(OperationId::GetTask), 1);
}

#[tokio::test]
async fn a_failing_poll_ends_the_wait_with_the_api_error() {
    let rig = support::rig();
    rig.mock.respond(
        OperationId::GetTask,
        MockResponse::json(
            404,
            r#"{"errorCode": 10001, "errorMessage": "Entity not found", "errors": []}"#,
        ),
    );
    let e = rig
        .client
        .wait_for_task(TaskId(42))
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.api_error().unwrap().is_not_found());
    assert!(e.last().is_none());
}

#[tokio::test]
async fn tasks_end_done_with_error_or_cancelled() {
    for (code, ok, reason) in [
        (127, true, ""),
        (
            126,
            false,
            "task 42 ended unsuccessfully: it finished with an error: text 126",
        ),
        (125, false, "task 42 ended unsuccessfully: it was cancelled"),
    ] {
        let rig = support::rig();
        rig.mock.respond_sequence(
            OperationId::GetTask,
            [
                MockResponse::json(200, task_json(42, 1)),
                MockResponse::json(200, task_json(42, code)),
            ],
        );
        let r = rig.client.wait_for_task(TaskId(42)).wait(DEADLINE).await;
        match r {
            Ok(t) => assert!(ok && t.result_code.is_success()),
            Err(e) => {
                assert!(!ok);
                assert!(e.is_unsuccessful());
                assert_eq!(e.to_string(), reason);
            }
        }
    }
}

#[tokio::test]
async fn a_scheduled_task_is_first_polled_at_its_start_time() {
    let rig = support::rig();
    let start = unix(rig.clock.wall_now()) as i64;
    let scheduled = task_json(42, 0).replace(
        "\"executeAt\": 1763900000",
        &format!("\"executeAt\": {}", start + 600),
    );
    rig.mock.respond_sequence(
        OperationId::GetTask,
        [
            MockResponse::json(200, scheduled),
            MockResponse::json(200, task_json(42, 127)),
        ],
    );
    rig.client
        .wait_for_task(TaskId(42))
        .poll_policy(PollPolicy::default().with_max_delay(Duration::from_secs(3600)))
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(
        rig.clock.completed_sleeps(),
        [Duration::from_millis(600_500)]
    );
}

#[tokio::test]
async fn batches_report_counts_and_fail_on_failed_or_cancelled_tasks() {
    let rig = support::rig();
    rig.mock.respond_sequence(
        OperationId::GetTaskBatch,
        [
            MockResponse::json(200, batch_json(0, 0, 0, 3)),
            MockResponse::json(200, batch_json(1, 1, 0, 3)),
            MockResponse::json(200, batch_json(1, 1, 1, 3)),
        ],
    );
    let counts = Arc::new(Mutex::new(Vec::new()));
    let log = counts.clone();
    let e = rig
        .client
        .wait_for_batch(TaskBatchId(7))
        .on_progress(move |p| log.lock().unwrap().push(p.counts.unwrap()))
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful());
    assert_eq!(
        e.to_string(),
        "task batch 7 ended unsuccessfully: 1 failed and 1 cancelled of 3 tasks"
    );
    let counts = counts.lock().unwrap().clone();
    assert_eq!(counts.len(), 3);
    assert_eq!(
        (counts[1].done, counts[1].failed, counts[1].pending),
        (1, 1, 1)
    );
    assert_eq!(counts[2].pending, 0);

    let rig = support::rig();
    rig.mock.respond(
        OperationId::GetTaskBatch,
        MockResponse::json(200, batch_json(3, 0, 0, 3)),
    );
    let b = rig
        .client
        .wait_for_batch(TaskBatchId(7))
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(b.num_tasks_ok, 3);
}

#[tokio::test]
async fn a_rollout_is_ready_when_nothing_is_pending() {
    let script = |rig: &Rig| {
        rig.mock.respond_sequence(
            OperationId::GetImageStatus,
            [
                MockResponse::json(200, image_status_json(5, 0, 0)),
                MockResponse::json(200, image_status_json(2, 1, 2)),
                MockResponse::json(200, image_status_json(0, 1, 4)),
            ],
        );
    };
    let rig = support::rig();
    script(&rig);
    let s = rig
        .client
        .clanforge(ASID)
        .wait_for_rollout(ImageId(22))
        .wait(DEADLINE)
        .await
        .unwrap();
    assert!(s.is_ready());

    let rig = support::rig();
    script(&rig);
    let e = rig
        .client
        .clanforge(ASID)
        .wait_for_rollout(ImageId(22))
        .fail_on_failed(true)
        .detail(true)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful());
    assert_eq!(
        e.to_string(),
        "the rollout of image 22 ended unsuccessfully: 1 machine failed to install the image"
    );
    assert_eq!(
        rig.mock.requests()[0].query_pairs(),
        [("detail".to_owned(), "true".to_owned())]
    );
}

#[tokio::test]
async fn the_wait_is_also_a_stream_of_events() {
    let rig = support::rig();
    rig.mock.respond_sequence(
        OperationId::GetTask,
        [
            MockResponse::json(200, task_json(42, 0)),
            MockResponse::json(200, task_json(42, 1)),
            MockResponse::json(200, task_json(42, 127)),
        ],
    );
    let events: Vec<_> = rig
        .client
        .wait_for_task(TaskId(42))
        .into_stream(DEADLINE)
        .collect()
        .await;
    assert_eq!(events.len(), 4);
    let states: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            WaitEvent::Progress(p) => Some(p.state.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(states, ["pending (0)", "in progress (1)", "done (127)"]);
    assert!(matches!(events.last(), Some(WaitEvent::Done(Ok(_)))));
}

#[tokio::test]
async fn dropping_the_wait_stops_it() {
    // A clock that moves only when told: the wait parks in its sleep.
    let mock = cfp_transport::MockTransport::new();
    let clock = ManualClock::new();
    let client = builder(&mock, &clock).build().unwrap();
    mock.respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(42, 1)),
    );
    let wait = client.wait_for_task(TaskId(42)).wait(DEADLINE);
    // One poll, then asleep: not ready; `now_or_never` drops the future.
    assert!(wait.now_or_never().is_none());
    assert_eq!(mock.calls(OperationId::GetTask), 1);
    assert_eq!(clock.pending_sleeps(), 0);
    clock.advance(Duration::from_secs(3600));
    tokio::task::yield_now().await;
    assert_eq!(mock.calls(OperationId::GetTask), 1);
}

#[tokio::test]
async fn a_wait_can_be_cancelled_by_a_timeout_from_outside() {
    let mock = cfp_transport::MockTransport::new();
    let clock = ManualClock::new();
    let client = builder(&mock, &clock).build().unwrap();
    mock.respond(
        OperationId::GetTask,
        MockResponse::json(200, task_json(42, 1)),
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let waiting = tokio::spawn(async move {
        tokio::select! {
            r = client.wait_for_task(TaskId(42)).wait(DEADLINE) => Some(r),
            _ = rx => None,
        }
    });
    while clock.pending_sleeps() == 0 {
        tokio::task::yield_now().await;
    }
    tx.send(()).unwrap();
    assert!(waiting.await.unwrap().is_none());
    assert_eq!(clock.pending_sleeps(), 0);
}

#[test]
fn wait_errors_are_send_and_sync_and_futures_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<WaitError<cfp_model::Task>>();
    let rig = support::rig();
    send(
        &rig.client
            .clanforge(ASID)
            .wait_for_diff(DIFF)
            .wait(DEADLINE),
    );
    send(
        &rig.client
            .clanforge(ASID)
            .wait_for_rollout(ImageId(1))
            .into_stream(DEADLINE),
    );
}

fn unavailable() -> MockResponse {
    MockResponse::json(
        503,
        r#"{"success": false, "error": true, "error_code": 503}"#,
    )
}

#[tokio::test]
async fn an_outage_longer_than_the_clients_retries_does_not_end_the_wait() {
    let rig = support::rig();
    let mut answers = vec![MockResponse::json(200, diff_json(4, 10, None, false))];
    // Ten 503s in a row: more than one call's four attempts, twice over.
    answers.extend((0..10).map(|_| unavailable()));
    answers.push(MockResponse::json(200, diff_json(5, 100, None, false)));
    rig.mock
        .respond_sequence(OperationId::GetImageDiffStatus, answers);
    let done = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(DEADLINE)
        .await
        .unwrap();
    assert!(done.job.state().is_success());
    assert_eq!(rig.mock.calls(OperationId::GetImageDiffStatus), 12);
}

#[tokio::test]
async fn an_outage_until_the_deadline_ends_with_the_last_object_seen() {
    let rig = support::rig();
    let mut answers = vec![MockResponse::json(200, diff_json(4, 50, None, false))];
    answers.extend((0..1000).map(|_| unavailable()));
    rig.mock
        .respond_sequence(OperationId::GetImageDiffStatus, answers);
    let start = rig.clock.elapsed();
    let e = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(Duration::from_secs(120))
        .await
        .unwrap_err();
    assert!(e.is_deadline_exceeded(), "{e}");
    assert_eq!(e.last().unwrap().job.progress, 50);
    assert!(rig.clock.elapsed() - start <= Duration::from_secs(120) + cfp_api::FINAL_POLL_GRACE);
}

/// Deliberately changed: this wait used to end with `WaitError::Api` (CLI
/// exit 1). A deadline that passes during an outage is a timeout (exit 6):
/// more time might have ended it well. The 503 is kept as its last error.
#[tokio::test]
async fn an_outage_with_nothing_ever_seen_times_out_with_the_last_error() {
    let rig = support::rig();
    rig.mock
        .respond(OperationId::GetImageDiffStatus, unavailable());
    let start = rig.clock.elapsed();
    let e = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(e.is_deadline_exceeded(), "{e:?}");
    assert!(e.api_error().is_none());
    assert_eq!(e.last_error().unwrap().status(), Some(503), "{e}");
    assert!(e.last().is_none());
    assert!(rig.clock.elapsed() - start <= Duration::from_secs(60) + cfp_api::FINAL_POLL_GRACE);
    let message = e.to_string();
    // The last poll starts at the deadline; its own retries may take it
    // into the grace.
    assert!(
        message.starts_with("gave up waiting for image diff 218595 after 1m"),
        "{message}"
    );
    assert!(
        message.contains(": last seen no answer yet; the last poll failed: getImageDiffStatus: "),
        "{message}"
    );
    assert!(message.contains("(http 503)"), "{message}");
}

/// 503 with `Retry-After: secs`, in Clanforge's error shape.
fn unavailable_for(secs: u64) -> MockResponse {
    unavailable().retry_after_secs(secs)
}

#[tokio::test]
async fn a_retry_after_longer_than_the_backoff_is_waited_for_before_the_next_poll() {
    let rig = support::rig();
    // 600 s is past the call's own retry budget (its 120 s total): the
    // client gives the 503 back at once, and the waiter must wait.
    rig.mock.respond_sequence(
        OperationId::GetImageDiffStatus,
        [
            MockResponse::json(200, diff_json(4, 10, None, false)),
            unavailable_for(600),
            MockResponse::json(200, diff_json(5, 100, None, false)),
        ],
    );
    let done = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(DEADLINE)
        .await
        .unwrap();
    assert!(done.job.state().is_success());
    assert_eq!(rig.mock.calls(OperationId::GetImageDiffStatus), 3);
    // 1 s of backoff after the first answer, then the whole Retry-After.
    assert_eq!(
        rig.clock.completed_sleeps(),
        [1, 600].map(Duration::from_secs)
    );
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_ends_the_wait_at_the_deadline_without_polling_again() {
    let rig = support::rig();
    rig.mock
        .respond(OperationId::GetTaskBatch, unavailable_for(999_999));
    let start = rig.clock.elapsed();
    let e = rig
        .client
        .wait_for_batch(TaskBatchId(7))
        .wait(Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(e.is_deadline_exceeded(), "{e:?}");
    assert_eq!(
        e.last_error().unwrap().retry_after(),
        Some(Duration::from_secs(999_999))
    );
    // One poll; no other before the server's time, and the wait lasted
    // exactly its deadline.
    assert_eq!(rig.mock.calls(OperationId::GetTaskBatch), 1);
    assert_eq!(rig.clock.elapsed() - start, Duration::from_secs(60));
    assert_eq!(rig.clock.completed_sleeps(), [Duration::from_secs(60)]);
}

#[tokio::test]
async fn a_deadline_passing_during_429s_is_a_timeout_with_the_last_object() {
    let rig = support::rig();
    let too_many = MockResponse::json(
        429,
        r#"{"success": false, "error": true, "error_code": 429}"#,
    )
    .retry_after_secs(200);
    let mut answers = vec![MockResponse::json(200, diff_json(4, 40, None, false))];
    answers.extend((0..10).map(|_| too_many.clone()));
    rig.mock
        .respond_sequence(OperationId::GetImageDiffStatus, answers);
    let e = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(Duration::from_secs(300))
        .await
        .unwrap_err();
    assert!(e.is_deadline_exceeded(), "{e:?}");
    assert_eq!(e.last().unwrap().job.progress, 40);
    assert_eq!(e.last_error().unwrap().status(), Some(429));
    // Polls at 0 (Running), 1 (429: come back in 200 s) and 201 (429 again:
    // 200 s would pass the deadline, so it waits out the last 99 s).
    assert_eq!(rig.mock.calls(OperationId::GetImageDiffStatus), 3);
    assert_eq!(
        rig.clock.completed_sleeps(),
        [1, 200, 99].map(Duration::from_secs)
    );
    assert!(
        e.to_string()
            .starts_with("gave up waiting for image diff 218595 after 5m: last seen Running; the last poll failed: getImageDiffStatus: "),
        "{e}"
    );
}

/// tokio's paused time fires the earliest timer first, as real time does
/// (the manual clock completes whichever sleep is polled first), so this
/// test races the deadline against the client's own 30 s attempt timeout
/// on tokio's clock.
#[tokio::test(start_paused = true)]
async fn a_poll_that_hangs_does_not_carry_the_wait_past_its_deadline() {
    let mock = cfp_transport::MockTransport::new();
    let client = support::builder(&mock, &ManualClock::new())
        .clock(std::sync::Arc::new(cfp_transport::TokioClock))
        .build()
        .unwrap();
    mock.respond_sequence(
        OperationId::GetImageDiffStatus,
        [
            MockResponse::json(200, diff_json(4, 30, None, false)),
            MockResponse::hang(),
        ],
    );
    let start = tokio::time::Instant::now();
    let e = client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .wait(Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(e.is_deadline_exceeded(), "{e}");
    assert_eq!(e.last().unwrap().job.progress, 30);
    let took = start.elapsed();
    assert!(
        took <= Duration::from_secs(10) + cfp_api::FINAL_POLL_GRACE,
        "the wait took {took:?}, past its 10 s deadline and the grace"
    );
}
