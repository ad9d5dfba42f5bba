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
pub use reqwest::{ReqwestTransport, ReqwestTransportBuilder};
pub use retry::RetryPolicy;
pub use timeouts::Timeouts;
pub use transport::{Attempt, Transport};

use std::time::Duration;

/// A duration for messages: `30s`, `250ms`, `1.5s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        let secs = format!("{:.3}", d.as_secs_f64());
        format!("{}s", secs.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(Duration::from_secs(30)), "30s");
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
    }
}
