//! The dispatcher: the retry matrix, Retry-After, budgets and timeouts, with
//! an injected clock and a scripted transport (nothing sleeps for real).

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cfp_model::{OperationId, RetryClass};
use cfp_transport::{
    Attempt, Credentials, Dispatcher, FixedRandom, ManualClock, MockResponse, MockTransport,
    RetryPolicy, Timeouts, TransportError, TransportErrorKind,
};
use http::HeaderValue;

const SAFE: OperationId = OperationId::GetTask;
const UNSAFE: OperationId = OperationId::CreateTaskBatch;
const TOGGLE: OperationId = OperationId::ToggleTaskPause;

struct Rig {
    mock: MockTransport,
    clock: ManualClock,
    dispatcher: Dispatcher,
}

fn rig() -> Rig {
    let mock = MockTransport::new();
    let clock = ManualClock::new().auto_advance();
    let dispatcher = Dispatcher::new(Arc::new(mock.clone()))
        .with_clock(Arc::new(clock.clone()))
        .with_random(Arc::new(FixedRandom(1.0)));
    Rig {
        mock,
        clock,
        dispatcher,
    }
}

fn request(op: OperationId) -> http::Request<Bytes> {
    let spec = op.spec();
    let path = spec
        .path_params
        .iter()
        .fold(spec.path.to_owned(), |p, name| {
            p.replace(&format!("{{{name}}}"), "7")
        });
    http::Request::builder()
        .method(spec.method.as_str())
        .uri(format!("https://example.test{path}"))
        .body(Bytes::from_static(b"{}"))
        .unwrap()
}

impl Rig {
    async fn send(&self, op: OperationId) -> Result<http::Response<Bytes>, TransportError> {
        self.dispatcher.send(op, request(op), None).await
    }
}

fn attempts(r: &http::Response<Bytes>) -> u32 {
    r.extensions().get::<Attempt>().unwrap().0
}

#[test]
fn the_operations_used_here_have_the_classes_they_stand_for() {
    assert_eq!(SAFE.spec().retry, RetryClass::Safe);
    assert_eq!(UNSAFE.spec().retry, RetryClass::Unsafe);
    assert_eq!(TOGGLE.spec().retry, RetryClass::Toggle);
}

#[tokio::test]
async fn retryable_statuses_are_retried_for_safe_operations_only() {
    for status in [429, 502, 503, 504] {
        for (op, expected_calls) in [(SAFE, 4), (UNSAFE, 1), (TOGGLE, 1)] {
            let rig = rig();
            rig.mock.respond(op, MockResponse::status(status));
            let r = rig.send(op).await.unwrap();
            assert_eq!(r.status(), status);
            assert_eq!(rig.mock.calls(op), expected_calls, "{status} {op}");
            assert_eq!(attempts(&r), expected_calls as u32);
        }
    }
}

#[tokio::test]
async fn other_statuses_are_never_retried() {
    for status in [200, 204, 302, 400, 401, 403, 404, 405, 409, 422, 500, 501] {
        for op in [SAFE, UNSAFE, TOGGLE] {
            let rig = rig();
            rig.mock.respond(op, MockResponse::status(status));
            let r = rig.send(op).await.unwrap();
            assert_eq!(r.status(), status);
            assert_eq!(rig.mock.calls(op), 1, "{status} {op}");
        }
    }
}

#[tokio::test]
async fn a_safe_operation_recovers_after_transient_failures() {
    let rig = rig();
    rig.mock
        .respond_sequence(
            SAFE,
            [
                MockResponse::status(502),
                MockResponse::error(TransportError::io("connection reset")),
                MockResponse::status(504),
            ],
        )
        .respond(SAFE, MockResponse::json(200, "{}"));
    let r = rig.send(SAFE).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(attempts(&r), 4);
}

#[tokio::test]
async fn transport_errors_are_retried_by_delivery_and_class() {
    use TransportErrorKind::*;
    for (kind, safe_calls, unsafe_calls) in [
        (Connect, 4, 4),
        (Timeout, 4, 1),
        (Io, 4, 1),
        (Body, 4, 1),
        (BodyTooLarge, 1, 1),
        (Other, 4, 1),
        (Redirect, 1, 1),
        (InvalidRequest, 1, 1),
    ] {
        for (op, expected) in [
            (SAFE, safe_calls),
            (UNSAFE, unsafe_calls),
            (TOGGLE, unsafe_calls),
        ] {
            let rig = rig();
            rig.mock.respond(
                op,
                MockResponse::error(TransportError::new(kind, "scripted")),
            );
            let e = rig.send(op).await.unwrap_err();
            assert_eq!(e.kind(), kind);
            assert_eq!(rig.mock.calls(op), expected, "{kind:?} {op}");
            assert_eq!(e.attempts(), expected as u32);
        }
    }
}

#[tokio::test]
async fn an_unsafe_operation_is_never_sent_twice_once_it_may_have_arrived() {
    let rig = rig();
    rig.mock
        .respond_once(
            UNSAFE,
            MockResponse::error(TransportError::connect("refused")),
        )
        .respond_once(
            UNSAFE,
            MockResponse::error(TransportError::connect("refused")),
        )
        .respond_once(UNSAFE, MockResponse::hang())
        .respond(UNSAFE, MockResponse::json(200, "{}"));
    let e = rig.send(UNSAFE).await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(e.may_have_been_delivered());
    // Two never-sent attempts, then one that may have arrived: no fourth.
    assert_eq!(rig.mock.calls(UNSAFE), 3);
}

#[tokio::test]
async fn backoff_is_exponential_with_full_jitter() {
    let rig = rig();
    rig.mock.respond(SAFE, MockResponse::status(503));
    rig.send(SAFE).await.unwrap();
    // FixedRandom(1.0): each wait is its ceiling, 200 ms doubling.
    assert_eq!(
        rig.clock.completed_sleeps(),
        [200, 400, 800].map(Duration::from_millis)
    );

    let half = Dispatcher::new(Arc::new(rig.mock.clone()))
        .with_clock(Arc::new(rig.clock.clone()))
        .with_random(Arc::new(FixedRandom(0.5)));
    let before = rig.clock.completed_sleeps().len();
    half.send(SAFE, request(SAFE), None).await.unwrap();
    assert_eq!(
        rig.clock.completed_sleeps()[before..],
        [100, 200, 400].map(Duration::from_millis)
    );
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let rig = rig();
    rig.mock
        .respond_once(SAFE, MockResponse::status(429).retry_after_secs(7))
        .respond(SAFE, MockResponse::json(200, "{}"));
    let r = rig.send(SAFE).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(rig.clock.completed_sleeps(), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured_against_the_wall_clock() {
    let rig = rig();
    let at = rig.clock.wall_now_plus(Duration::from_secs(12));
    let date = HeaderValue::from_str(&httpdate::fmt_http_date(at)).unwrap();
    rig.mock
        .respond_once(
            SAFE,
            MockResponse::status(503).header(http::header::RETRY_AFTER, date),
        )
        .respond(SAFE, MockResponse::json(200, "{}"));
    rig.send(SAFE).await.unwrap();
    assert_eq!(rig.clock.completed_sleeps(), [Duration::from_secs(12)]);
}

trait WallPlus {
    fn wall_now_plus(&self, d: Duration) -> SystemTime;
}

impl WallPlus for ManualClock {
    fn wall_now_plus(&self, d: Duration) -> SystemTime {
        use cfp_transport::Clock as _;
        self.wall_now() + d
    }
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_returns_the_last_answer() {
    let rig = rig();
    rig.mock
        .respond_once(SAFE, MockResponse::status(429).retry_after_secs(3600))
        .respond(SAFE, MockResponse::json(200, "{}"));
    let r = rig.send(SAFE).await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(rig.mock.calls(SAFE), 1);
    assert!(rig.clock.completed_sleeps().is_empty());
}

#[tokio::test]
async fn a_short_retry_budget_stops_retrying_early() {
    let mut rig = rig();
    rig.dispatcher = rig.dispatcher.with_retry_policy(
        RetryPolicy::default()
            .with_max_attempts(10)
            .with_budget(Duration::from_secs(1)),
    );
    rig.mock.respond(SAFE, MockResponse::status(503));
    let r = rig.send(SAFE).await.unwrap();
    // Waits of 200, 400 ms fit in one second; the next (800 ms) does not.
    assert_eq!(attempts(&r), 3);
    let waited: Duration = rig.clock.completed_sleeps().iter().sum();
    assert!(waited < Duration::from_secs(1));
}

#[tokio::test]
async fn max_attempts_of_one_disables_retries() {
    let mut rig = rig();
    rig.dispatcher = rig.dispatcher.with_retry_policy(RetryPolicy::none());
    rig.mock.respond(SAFE, MockResponse::status(503));
    rig.send(SAFE).await.unwrap();
    assert_eq!(rig.mock.calls(SAFE), 1);
}

#[tokio::test]
async fn an_attempt_without_an_answer_times_out_per_attempt() {
    let rig = rig();
    rig.mock
        .respond_once(SAFE, MockResponse::hang())
        .respond(SAFE, MockResponse::json(200, "{}"));
    let r = rig.send(SAFE).await.unwrap();
    assert_eq!(attempts(&r), 2);
    assert_eq!(
        rig.clock.completed_sleeps(),
        [Duration::from_secs(30), Duration::from_millis(200)]
    );
}

#[tokio::test]
async fn the_total_timeout_bounds_every_attempt_and_wait() {
    let mut rig = rig();
    rig.dispatcher = rig
        .dispatcher
        .with_timeouts(Timeouts::default().with_total(Duration::from_secs(45)))
        .with_retry_policy(RetryPolicy::default().with_max_attempts(10));
    rig.mock.respond(SAFE, MockResponse::hang());
    let start = rig.clock.elapsed();
    let e = rig.send(SAFE).await.unwrap_err();
    assert!(e.is_timeout());
    assert!(e.to_string().contains("total timeout of 45s"), "{e}");
    assert_eq!(e.attempts(), 2);
    assert!(rig.clock.elapsed() - start <= Duration::from_secs(45));
}

#[tokio::test]
async fn every_attempt_carries_auth_operation_and_attempt_number() {
    let rig = rig();
    rig.mock
        .respond_once(SAFE, MockResponse::status(502))
        .respond(SAFE, MockResponse::json(200, "{}"));
    let token = Credentials::private_token("test-token-DO-NOT-USE").unwrap();
    rig.dispatcher
        .send(SAFE, request(SAFE), Some(&token))
        .await
        .unwrap();
    let sent = rig.mock.requests();
    assert_eq!(sent.len(), 2);
    for (i, r) in sent.iter().enumerate() {
        assert_eq!(r.operation, Some(SAFE));
        assert_eq!(r.attempt, Some(i as u32 + 1));
        assert_eq!(r.header("private-token"), Some("test-token-DO-NOT-USE"));
        assert!(r.headers["private-token"].is_sensitive());
        assert!(!format!("{r:?}").contains("DO-NOT-USE"));
        assert_eq!(r.body.as_ref(), b"{}");
    }
}
