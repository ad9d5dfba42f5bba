//! The real transport: reqwest with rustls, connection pooling and gzip.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::{TransportError, TransportErrorKind};
use crate::origins::OriginUrls;
use crate::timeouts::Timeouts;
use crate::transport::Transport;

/// An HTTP transport over reqwest: rustls (the platform's roots, plus any
/// added with [`ReqwestTransportBuilder::add_root_certificate_pem`]),
/// pooled connections, HTTP/2 where the server offers it, gzip.
///
/// Building one is cheap: the platform's root certificates are read when the
/// first HTTPS connection is made, not when the transport is built, so a
/// transport that only talks plain HTTP never reads them (and a system
/// without any shows as a failed connection, not a failed build).
///
/// # Redirects
///
/// Credentials must never reach another host, and reqwest strips only the
/// standard `Authorization` header on a cross-host redirect, not the task
/// API's `PRIVATE-TOKEN`. So a redirect to another origin (scheme, host or
/// port differ from the original request's) is refused: the call fails with
/// a [`TransportErrorKind::Redirect`] error and nothing is sent there. A
/// redirect within the same origin is followed with the same headers, up to
/// [`max_redirects`](ReqwestTransportBuilder::max_redirects) times (5 by
/// default); no `Referer` is added.
///
/// # Certificates
///
/// There is deliberately no way to turn certificate verification off. To
/// talk to a server with a self-signed certificate (a test simulator), add
/// its CA certificate.
///
/// ```
/// use std::time::Duration;
/// use cfp_transport::ReqwestTransport;
///
/// let transport = ReqwestTransport::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// # let _ = transport;
/// ```
#[derive(Clone)]
pub struct ReqwestTransport {
    client: ::reqwest::Client,
    max_body_bytes: usize,
    origins: Arc<OriginUrls>,
}

impl ReqwestTransport {
    /// A builder with the defaults.
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder::default()
    }

    /// A transport with the defaults.
    pub fn new() -> Result<Self, TransportError> {
        Self::builder().build()
    }
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`ReqwestTransport`].
#[derive(Clone)]
pub struct ReqwestTransportBuilder {
    connect_timeout: Duration,
    request_timeout: Option<Duration>,
    pool_idle_timeout: Duration,
    max_redirects: usize,
    max_body_bytes: usize,
    root_pems: Vec<Vec<u8>>,
}

impl Default for ReqwestTransportBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: Timeouts::DEFAULT_CONNECT,
            request_timeout: None,
            pool_idle_timeout: Duration::from_secs(90),
            max_redirects: 5,
            max_body_bytes: 32 * 1024 * 1024,
            root_pems: Vec::new(),
        }
    }
}

impl fmt::Debug for ReqwestTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransportBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("max_redirects", &self.max_redirects)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("extra_root_certificates", &self.root_pems.len())
            .finish()
    }
}

impl ReqwestTransportBuilder {
    /// How long establishing a connection may take (default 10 s). A
    /// connect timeout proves the request was never sent.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// A time limit for each exchange inside reqwest (default none: the
    /// [`Dispatcher`](crate::Dispatcher) applies the per-attempt timeout
    /// with its injected clock). Useful when the transport is used alone.
    pub fn request_timeout(mut self, d: Option<Duration>) -> Self {
        self.request_timeout = d;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s).
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.pool_idle_timeout = d;
        self
    }

    /// How many same-origin redirects are followed (default 5; 0 follows
    /// none and returns the 3xx response).
    pub fn max_redirects(mut self, n: usize) -> Self {
        self.max_redirects = n;
        self
    }

    /// The largest response body read (default 32 MiB); a larger one is a
    /// [`TransportErrorKind::BodyTooLarge`] error, which is never retried.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// Trusts more root CA certificates, in PEM form (one or a bundle), besides the
    /// platform's roots: for a test server with a self-signed certificate.
    /// The PEM is checked by [`build`](Self::build).
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_pems.push(pem.into());
        self
    }

    /// Builds the transport.
    pub fn build(self) -> Result<ReqwestTransport, TransportError> {
        let mut extra_roots = Vec::with_capacity(self.root_pems.len());
        for pem in &self.root_pems {
            let found = crate::tls::parse_pem_bundle(pem)
                .map_err(|e| TransportError::config(format!("unreadable root certificate: {e}")))?;
            extra_roots.extend(found);
        }
        // The platform's roots are loaded on the first HTTPS connection, not
        // here: see `crate::tls`.
        let tls = crate::tls::client_config(extra_roots)?;
        let max_redirects = self.max_redirects;
        let policy = ::reqwest::redirect::Policy::custom(move |attempt| {
            let Some(first) = attempt.previous().first() else {
                return attempt.follow();
            };
            if !same_origin(first, attempt.url()) {
                let to = origin(attempt.url());
                return attempt.error(RedirectRefused::OtherHost(to));
            }
            if attempt.previous().len() > max_redirects {
                return attempt.error(RedirectRefused::TooMany(max_redirects));
            }
            attempt.follow()
        });
        let mut builder = ::reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(self.pool_idle_timeout)
            .redirect(policy)
            .referer(false)
            .gzip(true)
            .tls_backend_preconfigured(tls);
        if let Some(t) = self.request_timeout {
            builder = builder.timeout(t);
        }
        let client = builder.build().map_err(|e| {
            TransportError::config(format!("cannot build the http client: {}", chain(&e)))
        })?;
        Ok(ReqwestTransport {
            client,
            max_body_bytes: self.max_body_bytes,
            origins: Arc::default(),
        })
    }
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let request = to_reqwest(request, &self.origins)?;
        let mut response = self.client.execute(request).await.map_err(classify)?;
        let status = response.status();
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
        let body = read_body(&mut response, self.max_body_bytes).await?;
        let mut out = http::Response::new(body);
        *out.status_mut() = status;
        *out.version_mut() = version;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// The reqwest form of a request: what `reqwest::Request::try_from` does,
/// without formatting the URI through `Display` and parsing its origin
/// again on every call (see `crate::origins`). Extensions are not passed on.
fn to_reqwest(
    request: http::Request<Bytes>,
    origins: &OriginUrls,
) -> Result<::reqwest::Request, TransportError> {
    let (parts, body) = request.into_parts();
    let url = origins.url(&parts.uri)?;
    let mut out = ::reqwest::Request::new(parts.method, url);
    *out.headers_mut() = parts.headers;
    *out.version_mut() = parts.version;
    *out.body_mut() = Some(::reqwest::Body::from(body));
    Ok(out)
}

/// Reads a whole body of at most `limit` bytes.
async fn read_body(
    response: &mut ::reqwest::Response,
    limit: usize,
) -> Result<Bytes, TransportError> {
    let too_large = || TransportError::body_too_large(limit);
    // A declared length over the limit is refused before reading.
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// Sorts a reqwest error into a [`TransportErrorKind`], with a message made
/// of the error chain without the URL.
fn classify(e: ::reqwest::Error) -> TransportError {
    let kind = if e.is_redirect() {
        TransportErrorKind::Redirect
    } else if e.is_connect() {
        // Refused, DNS, TLS handshake, connect timeout: nothing was sent.
        TransportErrorKind::Connect
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_builder() {
        TransportErrorKind::InvalidRequest
    } else if e.is_body() || e.is_decode() {
        TransportErrorKind::Body
    } else {
        TransportErrorKind::Io
    };
    TransportError::new(kind, chain(&e.without_url()))
}

/// An error and its sources, `: `-separated, repeated parts dropped.
fn chain(e: &dyn StdError) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn StdError> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn origin(u: &url::Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
        (Some(h), None) => format!("{}://{h}", u.scheme()),
        _ => u.scheme().to_owned(),
    }
}

#[derive(Debug)]
enum RedirectRefused {
    OtherHost(String),
    TooMany(usize),
}

impl fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OtherHost(to) => write!(
                f,
                "the server redirected to another host ({to}); cfp never sends credentials to another host"
            ),
            Self::TooMany(n) => write!(f, "more than {n} redirects"),
        }
    }
}

impl StdError for RedirectRefused {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(same_origin(
            &u("https://a.example/x"),
            &u("https://a.example:443/y")
        ));
        assert!(!same_origin(
            &u("https://a.example/x"),
            &u("http://a.example/x")
        ));
        assert!(!same_origin(
            &u("http://127.0.0.1:1/x"),
            &u("http://127.0.0.2:1/x")
        ));
        assert!(!same_origin(&u("http://h:1/x"), &u("http://h:2/x")));
        assert_eq!(
            origin(&u("http://127.0.0.2:8080/p?q=1")),
            "http://127.0.0.2:8080"
        );
    }

    #[test]
    fn a_bad_pem_is_a_config_error() {
        let e = ReqwestTransport::builder()
            .add_root_certificate_pem(b"not a certificate".to_vec())
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), TransportErrorKind::Config);
    }
}
