//! Runs one call: auth, per-attempt and total timeouts, retries, tracing.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cfp_model::OperationId;
use http::request::Parts;
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::auth::Credentials;
use crate::clock::{Clock, TokioClock};
use crate::error::{TransportError, TransportErrorKind};
use crate::fmt_duration;
use crate::random::{RandomSource, ThreadRandom};
use crate::retry::{RetryPolicy, Verdict, verdict};
use crate::timeouts::Timeouts;
use crate::transport::{Attempt, Transport};

/// Sends calls through a [`Transport`] with auth, timeouts, retries and a
/// `tracing` span per call.
///
/// Whether an operation may be retried comes from its retry class in the
/// generated operation table (see [`crate::retry`]). The span is named
/// `cfp.call` and carries `operation` (the contract's operationId),
/// `method`, `path` (the path template, never the concrete URL or query),
/// `attempt`, `status` (or `error`) and `latency_ms`. Retries are `debug`
/// events, each attempt a `trace` event. Headers and bodies are never
/// recorded.
///
/// ```
/// use std::sync::Arc;
/// use cfp_model::OperationId;
/// use cfp_transport::{Dispatcher, ManualClock, MockResponse, MockTransport};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mock = MockTransport::new();
/// mock.respond_sequence(
///     OperationId::ListTasks,
///     [MockResponse::status(503), MockResponse::json(200, "[]")],
/// );
/// let clock = ManualClock::new().auto_advance();
/// let dispatcher = Dispatcher::new(Arc::new(mock.clone())).with_clock(Arc::new(clock));
/// let request = http::Request::get("https://api.i3d.net/v3/applicationInstance/task")
///     .body(bytes::Bytes::new())
///     .unwrap();
/// let response = dispatcher.send(OperationId::ListTasks, request, None).await.unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(mock.calls(OperationId::ListTasks), 2);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Dispatcher {
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
}

impl Dispatcher {
    /// A dispatcher over `transport` with the default policy, timeouts, the
    /// tokio clock and `rand`'s thread-local generator.
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Self {
            transport,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            clock: Arc::new(TokioClock),
            random: Arc::new(ThreadRandom),
        }
    }

    /// The same dispatcher with another retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The same dispatcher with other timeouts.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The same dispatcher with another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same dispatcher with another random source.
    pub fn with_random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The timeouts.
    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The transport.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// Sends `request` as `operation`, with `credentials` as its auth
    /// header, retrying as the operation's retry class and the policy allow.
    ///
    /// Returns the last response whatever its status (a 503 after the last
    /// attempt is `Ok`), with an [`Attempt`] extension saying how many
    /// attempts were made, or the last transport error (its
    /// [`attempts`](TransportError::attempts) set likewise). The request's
    /// own extensions are not passed on.
    pub async fn send(
        &self,
        operation: OperationId,
        request: http::Request<Bytes>,
        credentials: Option<&Credentials>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let spec = operation.spec();
        let span = tracing::info_span!(
            "cfp.call",
            operation = spec.name,
            method = spec.method.as_str(),
            path = spec.path,
            attempt = Empty,
            status = Empty,
            error = Empty,
            latency_ms = Empty,
        );
        self.run(operation, request, credentials)
            .instrument(span)
            .await
    }

    async fn run(
        &self,
        operation: OperationId,
        request: http::Request<Bytes>,
        credentials: Option<&Credentials>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let span = tracing::Span::current();
        let (parts, body) = request.into_parts();
        let class = operation.spec().retry;
        let start = self.clock.now();
        let total = self.timeouts.total;
        let budget = self.retry.budget.map_or(total, |b| b.min(total));
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            let outcome = self
                .attempt(operation, &parts, &body, attempt, credentials, start)
                .await;
            match &outcome {
                Ok(r) => span.record("status", r.status().as_u16()),
                Err(e) => span.record("error", e.kind().describe()),
            };
            let (reason, retry_after) = match verdict(
                class,
                operation.spec().surface,
                &outcome,
                self.clock.wall_now(),
            ) {
                Verdict::Done => return self.finish(outcome, attempt, start),
                Verdict::Retry {
                    reason,
                    retry_after,
                } => (reason, retry_after),
            };
            if attempt >= self.retry.max_attempts {
                tracing::debug!(attempt, reason, "not retrying: no attempts left");
                return self.finish(outcome, attempt, start);
            }
            let delay =
                retry_after.unwrap_or_else(|| self.retry.backoff(attempt, self.random.as_ref()));
            let elapsed = self.clock.now().saturating_duration_since(start);
            if elapsed.saturating_add(delay) >= budget {
                tracing::debug!(
                    attempt,
                    reason,
                    delay_ms = millis(delay),
                    "not retrying: the wait would exceed the retry budget"
                );
                return self.finish(outcome, attempt, start);
            }
            tracing::debug!(
                attempt,
                reason,
                delay_ms = millis(delay),
                from_retry_after = retry_after.is_some(),
                "retrying"
            );
            self.clock.sleep(delay).await;
        }
    }

    async fn attempt(
        &self,
        operation: OperationId,
        parts: &Parts,
        body: &Bytes,
        attempt: u32,
        credentials: Option<&Credentials>,
        start: std::time::Instant,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let total = self.timeouts.total;
        let remaining = total.saturating_sub(self.clock.now().saturating_duration_since(start));
        let total_ran_out = || {
            TransportError::new(
                TransportErrorKind::Timeout,
                format!(
                    "the call's total timeout of {} ran out",
                    fmt_duration(total)
                ),
            )
        };
        if remaining.is_zero() {
            return Err(total_ran_out());
        }
        let limit = self.timeouts.attempt.min(remaining);
        let request = prepare(
            operation,
            parts,
            body,
            attempt,
            credentials,
            self.clock.wall_now(),
        );
        let t0 = self.clock.now();
        let outcome = tokio::select! {
            biased;
            outcome = self.transport.send(request) => outcome,
            () = self.clock.sleep(limit) => Err(if limit < self.timeouts.attempt {
                total_ran_out()
            } else {
                TransportError::timeout(limit)
            }),
        };
        let latency = self.clock.now().saturating_duration_since(t0);
        match &outcome {
            Ok(r) => tracing::trace!(
                attempt,
                status = r.status().as_u16(),
                latency_ms = millis(latency),
                "attempt answered"
            ),
            Err(e) => tracing::trace!(
                attempt,
                error = %e,
                latency_ms = millis(latency),
                "attempt failed"
            ),
        }
        outcome
    }

    fn finish(
        &self,
        outcome: Result<http::Response<Bytes>, TransportError>,
        attempts: u32,
        start: std::time::Instant,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let latency = self.clock.now().saturating_duration_since(start);
        tracing::Span::current().record("latency_ms", millis(latency));
        match outcome {
            Ok(mut r) => {
                r.extensions_mut().insert(Attempt(attempts));
                Ok(r)
            }
            Err(e) => Err(e.with_attempts(attempts)),
        }
    }
}

/// The request of one attempt: the prepared parts, the auth header, and the
/// operation and attempt number as extensions.
fn prepare(
    operation: OperationId,
    parts: &Parts,
    body: &Bytes,
    attempt: u32,
    credentials: Option<&Credentials>,
    now: std::time::SystemTime,
) -> http::Request<Bytes> {
    let mut request = http::Request::new(body.clone());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    match credentials {
        // An AccessKey signs the method, `Date` and path of each attempt.
        Some(c) if c.scheme() == cfp_model::AuthScheme::AccessKey => {
            for (name, value) in c.headers_for(&parts.method, parts.uri.path(), now) {
                request.headers_mut().insert(name, value);
            }
        }
        Some(c) => {
            let (name, value) = c.header();
            request.headers_mut().insert(name, value);
        }
        None => {}
    }
    request.extensions_mut().insert(operation);
    request.extensions_mut().insert(Attempt(attempt));
    request
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
