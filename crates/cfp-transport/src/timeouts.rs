//! How long a call may take.

use std::time::Duration;

/// Time limits of a call.
///
/// | limit | default | what it bounds |
/// |---|---|---|
/// | `connect` | 10 s | establishing a connection (used by [`ReqwestTransport`](crate::ReqwestTransport)) |
/// | `attempt` | 30 s | one attempt: sending the request and reading the whole response |
/// | `total` | 120 s | the whole call: every attempt and every wait between them |
///
/// ```
/// use std::time::Duration;
/// use cfp_transport::Timeouts;
///
/// let t = Timeouts::default().with_attempt(Duration::from_secs(5));
/// assert_eq!(t.connect, Duration::from_secs(10));
/// assert_eq!(t.attempt, Duration::from_secs(5));
/// assert_eq!(t.total, Duration::from_secs(120));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing a connection.
    pub connect: Duration,
    /// One attempt, from sending to the end of the response body.
    pub attempt: Duration,
    /// The whole call, retries and waits included.
    pub total: Duration,
}

impl Timeouts {
    /// The default connect timeout: 10 s.
    pub const DEFAULT_CONNECT: Duration = Duration::from_secs(10);
    /// The default per-attempt timeout: 30 s.
    pub const DEFAULT_ATTEMPT: Duration = Duration::from_secs(30);
    /// The default total timeout: 120 s.
    pub const DEFAULT_TOTAL: Duration = Duration::from_secs(120);

    /// The same limits with another connect timeout.
    pub fn with_connect(mut self, d: Duration) -> Self {
        self.connect = d;
        self
    }

    /// The same limits with another per-attempt timeout.
    pub fn with_attempt(mut self, d: Duration) -> Self {
        self.attempt = d;
        self
    }

    /// The same limits with another total timeout.
    pub fn with_total(mut self, d: Duration) -> Self {
        self.total = d;
        self
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Self::DEFAULT_CONNECT,
            attempt: Self::DEFAULT_ATTEMPT,
            total: Self::DEFAULT_TOTAL,
        }
    }
}
