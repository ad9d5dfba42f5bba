//! HTTP behind a trait, for cfp: auth, retries, timeouts and tracing, with a
//! reqwest implementation and a scripted mock.
//!
//! `cfp-transport` knows HTTP but no endpoint. Its pieces:
//!
//! | piece | what it does |
//! |---|---|
//! | [`Transport`] | one HTTP exchange with `http` crate types: [`ReqwestTransport`] (rustls, pooling, gzip, no credentials across hosts) or [`MockTransport`] (scripted answers, a record of requests) |
//! | [`Dispatcher`] | one call: the auth header, per-attempt and total timeouts, retries per the operation's retry class, a `tracing` span |
//! | [`Credentials`] | the auth of one surface, redacted everywhere |
//! | [`RetryPolicy`], [`Timeouts`] | policy as data |
//! | [`Clock`], [`RandomSource`] | time and randomness, injected so tests never sleep |
//!
//! Which operations may be retried comes from the generated operation table
//! in `cfp-model` (see [`retry`]): a failure that proves the request never
//! left (connection refused, DNS) is retried for every operation; 429, 502,
//! 503, 504, timeouts and other failures only for operations safe to repeat.
//!
//! # Example
//!
//! A call that meets a 503 with `Retry-After: 2` and then succeeds, with a
//! manual clock, so the test does not wait:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use cfp_model::OperationId;
//! use cfp_transport::{
//!     Credentials, Dispatcher, ManualClock, MockResponse, MockTransport, RetryPolicy,
//! };
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mock = MockTransport::new();
//! mock.respond_once(OperationId::GetTask, MockResponse::status(503).retry_after_secs(2))
//!     .respond(OperationId::GetTask, MockResponse::json(200, "{}"));
//! let clock = ManualClock::new().auto_advance();
//! let dispatcher = Dispatcher::new(Arc::new(mock.clone()))
//!     .with_retry_policy(RetryPolicy::default().with_max_attempts(3))
//!     .with_clock(Arc::new(clock.clone()));
//!
//! let token = Credentials::private_token("test-token-DO-NOT-USE").unwrap();
//! let request = http::Request::get("https://api.i3d.net/v3/applicationInstance/task/42")
//!     .body(bytes::Bytes::new())
//!     .unwrap();
//! let response = dispatcher
//!     .send(OperationId::GetTask, request, Some(&token))
//!     .await
//!     .unwrap();
//!
//! assert_eq!(response.status(), 200);
//! assert_eq!(mock.calls(OperationId::GetTask), 2);
//! assert_eq!(clock.completed_sleeps(), [Duration::from_secs(2)]);
//! let sent = mock.last_request().unwrap();
//! assert!(sent.headers["private-token"].is_sensitive());
//! # });
//! ```

pub mod auth;
pub mod clock;
mod dispatch;
pub mod error;
pub mod mock;
mod origins;
pub mod random;
pub mod redact;
mod reqwest;
pub mod retry;
pub mod timeouts;
mod tls;
mod transport;

pub use auth::{CredentialError, Credentials};
pub use clock::{Clock, ManualClock, Sleep, TokioClock};
pub use dispatch::Dispatcher;
pub use error::{TransportError, TransportErrorKind};
pub use mock::{MockResponse, MockTransport, RecordedRequest};
pub use random::{FixedRandom, RandomSource, SeededRandom, ThreadRandom};
pub use redact::Redactor;
pub use reqwest::{ReqwestTransport, ReqwestTransportBuilder};
pub use retry::RetryPolicy;
pub use timeouts::Timeouts;
pub use transport::{Attempt, Transport};

use std::time::Duration;

/// A duration as people write it, for every message and table cfp prints:
/// `250ms`, `1.5s`, `42s`, `1m30s`, `5m`, `1h30m`, `2d3h`. Precision falls
/// as the duration grows (tenths of a second under 10 s, whole seconds under
/// an hour, whole minutes under a day), never `5s 2ms 213µs`.
///
/// ```
/// use std::time::Duration;
/// use cfp_transport::human_duration;
///
/// assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
/// assert_eq!(human_duration(Duration::from_millis(5_002)), "5s");
/// assert_eq!(human_duration(Duration::from_secs(90)), "1m30s");
/// assert_eq!(human_duration(Duration::from_secs(5400)), "1h30m");
/// ```
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if ms < 10_000 {
        // Tenths, rounded; `5.0s` reads `5s`.
        let tenths = (ms + 50) / 100;
        return if tenths.is_multiple_of(10) {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        };
    }
    let secs = (ms + 500) / 1000;
    let unit = |n: u128, u: &str| {
        if n > 0 {
            format!("{n}{u}")
        } else {
            String::new()
        }
    };
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m{}", secs / 60, unit(secs % 60, "s"))
    } else if secs < 86_400 {
        let mins = (secs + 30) / 60;
        format!("{}h{}", mins / 60, unit(mins % 60, "m"))
    } else {
        let hours = (secs + 1800) / 3600;
        format!("{}d{}", hours / 24, unit(hours % 24, "h"))
    }
}

/// Kept for the messages of this crate.
pub(crate) fn fmt_duration(d: Duration) -> String {
    human_duration(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        for (d, want) in [
            (Duration::ZERO, "0ms"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(9_960), "10s"),
            (Duration::from_secs(30), "30s"),
            (Duration::from_secs(60), "1m"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(300), "5m"),
            (Duration::from_secs(3600), "1h"),
            (Duration::from_secs(5400), "1h30m"),
            (Duration::from_secs(86_400 + 3 * 3600), "1d3h"),
            (Duration::new(5, 2_213_471), "5s"),
        ] {
            assert_eq!(human_duration(d), want, "{d:?}");
        }
    }
}
