//! What can go wrong between handing a request to a [`Transport`](crate::Transport)
//! and holding a response.

use std::fmt;
use std::time::Duration;

/// The class of a [`TransportError`].
///
/// The class decides whether the request may have reached the server, and
/// with that whether an operation that is not safe to repeat may be sent
/// again (see [`TransportError::may_have_been_delivered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made: DNS failure, connection refused, TLS
    /// handshake failure, connect timeout. The request was never sent.
    Connect,
    /// No (complete) answer in time. The request may have been delivered.
    Timeout,
    /// The connection failed after the request may have been written.
    Io,
    /// The response body could not be read.
    Body,
    /// The response body is larger than the transport accepts. The request
    /// was delivered and answered; asking again gets the same body, so it
    /// is never retried.
    BodyTooLarge,
    /// The server redirected to another host (credentials are never carried
    /// there) or redirected too often. The request was delivered.
    Redirect,
    /// The request could not be built or sent as given (bad URL, bad header).
    /// Nothing was sent.
    InvalidRequest,
    /// The HTTP client could not be set up (for example an unreadable root
    /// certificate). Nothing was sent.
    Config,
    /// Anything else. Treated as possibly delivered.
    Other,
}

impl TransportErrorKind {
    /// A few words for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Connect => "cannot connect",
            Self::Timeout => "timed out",
            Self::Io => "connection failed",
            Self::Body => "cannot read the response body",
            Self::BodyTooLarge => "the response body is too large",
            Self::Redirect => "redirect refused",
            Self::InvalidRequest => "invalid request",
            Self::Config => "cannot set up the http client",
            Self::Other => "transport failed",
        }
    }
}

/// A request that got no HTTP response.
///
/// Messages are built from the underlying error chain without the request
/// URL, headers or body, so they never carry credentials.
///
/// ```
/// use cfp_transport::{TransportError, TransportErrorKind};
///
/// let e = TransportError::connect("connection refused");
/// assert_eq!(e.kind(), TransportErrorKind::Connect);
/// assert!(!e.may_have_been_delivered());
/// assert_eq!(e.to_string(), "cannot connect: connection refused (not sent)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    attempts: u32,
}

impl TransportError {
    /// An error of `kind` with a message (which must not hold secrets).
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            attempts: 1,
        }
    }

    /// No connection could be made; the request was never sent.
    pub fn connect(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Connect, message)
    }

    /// No answer within `after`.
    pub fn timeout(after: Duration) -> Self {
        Self::new(
            TransportErrorKind::Timeout,
            format!("no response within {}", crate::fmt_duration(after)),
        )
    }

    /// The connection failed after the request may have been written.
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Io, message)
    }

    /// The response body could not be read.
    pub fn body(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Body, message)
    }

    /// The response body is over the transport's limit of `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            TransportErrorKind::BodyTooLarge,
            format!("over the limit of {limit} bytes"),
        )
    }

    /// A redirect was refused.
    pub fn redirect(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Redirect, message)
    }

    /// The request could not be built; nothing was sent.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::InvalidRequest, message)
    }

    /// The HTTP client could not be set up.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Config, message)
    }

    /// Anything else.
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(TransportErrorKind::Other, message)
    }

    /// The class of the error.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The detail, without the class.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How many attempts were made before giving up (1 without retries).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The same error, recording how many attempts were made.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// Whether the server may have received (and acted on) the request.
    ///
    /// `false` only where the failure proves the request never left:
    /// [`TransportErrorKind::Connect`], [`TransportErrorKind::InvalidRequest`]
    /// and [`TransportErrorKind::Config`]. Everything else, including a
    /// timeout, may have been delivered.
    pub fn may_have_been_delivered(&self) -> bool {
        !matches!(
            self.kind,
            TransportErrorKind::Connect
                | TransportErrorKind::InvalidRequest
                | TransportErrorKind::Config
        )
    }

    /// The error is a timeout.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }

    /// The error is a connect failure.
    pub fn is_connect(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if !self.may_have_been_delivered() {
            f.write_str(" (not sent)")?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_proven_never_sent_failures_are_undelivered() {
        use TransportErrorKind::*;
        for (kind, delivered) in [
            (Connect, false),
            (InvalidRequest, false),
            (Config, false),
            (Timeout, true),
            (Io, true),
            (Body, true),
            (BodyTooLarge, true),
            (Redirect, true),
            (Other, true),
        ] {
            let e = TransportError::new(kind, "x");
            assert_eq!(e.may_have_been_delivered(), delivered, "{kind:?}");
        }
    }

    #[test]
    fn display_is_short_and_counts_attempts() {
        let e = TransportError::timeout(Duration::from_secs(30)).with_attempts(3);
        assert_eq!(
            e.to_string(),
            "timed out: no response within 30s (after 3 attempts)"
        );
    }
}
