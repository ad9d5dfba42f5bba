//! Retry policy as data, and the decision whether a failed attempt may be
//! sent again.
//!
//! Which operations may be repeated comes from the generated operation table
//! ([`cfp_model::RetryClass`], from `x-cfp-retry` in `docs/openapi.yaml`):
//!
//! | outcome of an attempt | `Safe` | `Unsafe`, `Toggle` |
//! |---|---|---|
//! | 429, 502, 503, 504 | retried (honouring `Retry-After`), except a surface's final answer (ZStack's 503 with its error body: [`Surface::is_final_answer`]) | not retried |
//! | any other status | not retried | not retried |
//! | connect failure (refused, DNS, TLS handshake, connect timeout): never sent | retried | retried |
//! | timeout, connection failure after sending, body read failure: may have been delivered | retried | not retried |
//! | a body over the transport's size limit: answered, and the same again | not retried | not retried |
//! | redirect refused, invalid request, client setup | not retried | not retried |
//!
//! The delay before a retry is `Retry-After` when the answer carries one
//! (seconds or an HTTP date), else full-jitter exponential backoff:
//! a random duration between zero and `min(max_delay, base_delay × 2^(n-1))`
//! for the `n`-th retry. A retry is made only while attempts remain and its
//! delay ends within the budget; otherwise the last outcome is returned.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cfp_model::{RetryClass, Surface};
use http::{HeaderMap, StatusCode};

use crate::error::{TransportError, TransportErrorKind};
use crate::random::RandomSource;

/// How often and how patiently a call is retried.
///
/// Defaults: 4 attempts, backoff base 200 ms, capped at 10 s, budget = the
/// call's total timeout ([`Timeouts::total`](crate::Timeouts)).
///
/// ```
/// use std::time::Duration;
/// use cfp_transport::{FixedRandom, RetryPolicy};
///
/// let policy = RetryPolicy::default().with_max_attempts(6);
/// // Full jitter: the n-th retry waits up to min(cap, base * 2^(n-1)).
/// assert_eq!(policy.backoff(1, &FixedRandom(1.0)), Duration::from_millis(200));
/// assert_eq!(policy.backoff(3, &FixedRandom(1.0)), Duration::from_millis(800));
/// assert_eq!(policy.backoff(3, &FixedRandom(0.5)), Duration::from_millis(400));
/// assert_eq!(policy.backoff(20, &FixedRandom(1.0)), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included; `1` disables retries.
    pub max_attempts: u32,
    /// The backoff of the first retry, before jitter.
    pub base_delay: Duration,
    /// The longest backoff, before jitter.
    pub max_delay: Duration,
    /// How long retrying may go on, from the start of the call; `None` means
    /// the call's total timeout. A retry whose delay would end past it is
    /// not made.
    pub budget: Option<Duration>,
}

impl RetryPolicy {
    /// Default attempts: 4.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
    /// Default backoff base: 200 ms.
    pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(200);
    /// Default backoff cap: 10 s.
    pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(10);

    /// No retries at all: one attempt.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The same policy with another number of attempts (at least 1).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The same policy with another backoff base.
    pub fn with_base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// The same policy with another backoff cap.
    pub fn with_max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// The same policy with a retry budget shorter than the total timeout.
    pub fn with_budget(mut self, d: Duration) -> Self {
        self.budget = Some(d);
        self
    }

    /// The full-jitter backoff before the `retry`-th retry (1 for the first).
    pub fn backoff(&self, retry: u32, random: &dyn RandomSource) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let f = random.fraction();
        let f = if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        };
        ceiling.mul_f64(f)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            base_delay: Self::DEFAULT_BASE_DELAY,
            max_delay: Self::DEFAULT_MAX_DELAY,
            budget: None,
        }
    }
}

/// The statuses that say "try again later": 429, 502, 503, 504.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// Reads `Retry-After`: delay-seconds, or an HTTP date (compared with
/// `wall_now`; a date in the past means no wait).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use http::{HeaderMap, HeaderValue, header::RETRY_AFTER};
/// use cfp_transport::retry::retry_after;
///
/// let mut h = HeaderMap::new();
/// h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
/// assert_eq!(retry_after(&h, SystemTime::now()), Some(Duration::from_secs(7)));
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
/// h.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:30 GMT"));
/// assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
/// ```
pub fn retry_after(headers: &HeaderMap, wall_now: SystemTime) -> Option<Duration> {
    let raw = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        // An absurd number of seconds is as good as "very long".
        return Some(Duration::from_secs(raw.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(raw).ok()?;
    Some(at.duration_since(wall_now).unwrap_or(Duration::ZERO))
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Return this outcome.
    Done,
    /// Another attempt may be made.
    Retry {
        /// Why, for the trace.
        reason: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
}

/// Decides whether the outcome of an attempt of an operation of `class` may
/// be retried (see the module docs for the table).
pub(crate) fn verdict(
    class: RetryClass,
    surface: Surface,
    outcome: &Result<http::Response<Bytes>, TransportError>,
    wall_now: SystemTime,
) -> Verdict {
    match outcome {
        Ok(resp)
            if is_retryable_status(resp.status())
                && class.may_repeat()
                && !surface.is_final_answer(resp.status().as_u16(), resp.body()) =>
        {
            Verdict::Retry {
                reason: format!("http {}", resp.status().as_u16()),
                retry_after: retry_after(resp.headers(), wall_now),
            }
        }
        Ok(_) => Verdict::Done,
        Err(e) => {
            let retry = match e.kind() {
                TransportErrorKind::Connect => true,
                TransportErrorKind::Timeout
                | TransportErrorKind::Io
                | TransportErrorKind::Body
                | TransportErrorKind::Other => class.may_repeat(),
                _ => false,
            };
            if retry {
                Verdict::Retry {
                    reason: e.kind().describe().to_owned(),
                    retry_after: None,
                }
            } else {
                Verdict::Done
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::FixedRandom;

    fn response(status: u16) -> Result<http::Response<Bytes>, TransportError> {
        let mut r = http::Response::new(Bytes::new());
        *r.status_mut() = StatusCode::from_u16(status).unwrap();
        Ok(r)
    }

    fn retried(class: RetryClass, outcome: &Result<http::Response<Bytes>, TransportError>) -> bool {
        matches!(
            verdict(class, Surface::Task, outcome, SystemTime::UNIX_EPOCH),
            Verdict::Retry { .. }
        )
    }

    #[test]
    fn a_zstack_503_with_its_error_body_is_final_and_a_bare_503_is_not() {
        let with_body = |body: &'static str| {
            let mut r = http::Response::new(Bytes::from_static(body.as_bytes()));
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            Ok(r)
        };
        let zstack = |outcome| {
            matches!(
                verdict(
                    RetryClass::Safe,
                    Surface::ZStack,
                    &outcome,
                    SystemTime::UNIX_EPOCH
                ),
                Verdict::Retry { .. }
            )
        };
        assert!(!zstack(with_body(
            r#"{"error": {"code": "SYS.1001", "description": "not found"}}"#
        )));
        assert!(zstack(with_body("<html>503 Service Unavailable</html>")));
        assert!(zstack(with_body("")));
        // The same body on another surface is just a 503.
        assert!(matches!(
            verdict(
                RetryClass::Safe,
                Surface::Task,
                &with_body(r#"{"error": {"code": "SYS.1001"}}"#),
                SystemTime::UNIX_EPOCH
            ),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn statuses_are_retried_only_for_safe_operations() {
        for status in [
            200, 201, 204, 301, 400, 401, 403, 404, 405, 409, 422, 500, 501,
        ] {
            for class in [RetryClass::Safe, RetryClass::Unsafe, RetryClass::Toggle] {
                assert!(!retried(class, &response(status)), "{status} {class:?}");
            }
        }
        for status in [429, 502, 503, 504] {
            assert!(retried(RetryClass::Safe, &response(status)), "{status}");
            assert!(!retried(RetryClass::Unsafe, &response(status)), "{status}");
            assert!(!retried(RetryClass::Toggle, &response(status)), "{status}");
        }
    }

    #[test]
    fn transport_errors_follow_delivery() {
        use TransportErrorKind::*;
        for (kind, safe, unsafe_) in [
            (Connect, true, true),
            (Timeout, true, false),
            (Io, true, false),
            (Body, true, false),
            (BodyTooLarge, false, false),
            (Other, true, false),
            (Redirect, false, false),
            (InvalidRequest, false, false),
            (Config, false, false),
        ] {
            let outcome = Err(TransportError::new(kind, "x"));
            assert_eq!(retried(RetryClass::Safe, &outcome), safe, "{kind:?}");
            assert_eq!(retried(RetryClass::Unsafe, &outcome), unsafe_, "{kind:?}");
            assert_eq!(retried(RetryClass::Toggle, &outcome), unsafe_, "{kind:?}");
        }
    }

    #[test]
    fn retry_after_seconds_date_and_junk() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_500);
        let parse = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static(v));
            retry_after(&h, now)
        };
        assert_eq!(parse("0"), Some(Duration::ZERO));
        assert_eq!(parse(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse("Wed, 21 Oct 2015 07:28:30 GMT"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-5"), None);
        assert_eq!(
            parse("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_is_full_jitter_under_an_exponential_cap() {
        let p = RetryPolicy::default();
        let max: Vec<_> = (1..=8).map(|n| p.backoff(n, &FixedRandom(1.0))).collect();
        assert_eq!(
            max,
            [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000].map(Duration::from_millis)
        );
        assert_eq!(p.backoff(4, &FixedRandom(0.0)), Duration::ZERO);
        assert_eq!(p.backoff(4, &FixedRandom(0.25)), Duration::from_millis(400));
        // Out-of-range randomness is clamped, never a panic.
        assert_eq!(p.backoff(1, &FixedRandom(f64::NAN)), Duration::ZERO);
        assert_eq!(p.backoff(1, &FixedRandom(7.0)), Duration::from_millis(200));
        assert_eq!(
            p.backoff(u32::MAX, &FixedRandom(1.0)),
            Duration::from_secs(10)
        );
    }
}
