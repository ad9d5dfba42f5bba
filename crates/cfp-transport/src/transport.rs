//! The transport trait: one HTTP exchange, `http` crate types at the
//! boundary.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::TransportError;

/// Sends one prepared HTTP request and returns the response, whatever its
/// status.
///
/// A transport does one exchange: no retries, no auth, no per-attempt
/// timeout (the [`Dispatcher`](crate::Dispatcher) adds those around it). It
/// follows redirects only within the same origin, if at all: credentials
/// must never reach another host.
///
/// # Context
///
/// The dispatcher inserts the [`OperationId`](cfp_model::OperationId) being
/// called and the [`Attempt`] number into the request's
/// [extensions](http::Request::extensions). A transport may use them (the
/// [`MockTransport`](crate::MockTransport) scripts answers per operation) or
/// ignore them (the [`ReqwestTransport`](crate::ReqwestTransport) does).
///
/// ```
/// use async_trait::async_trait;
/// use bytes::Bytes;
/// use cfp_transport::{Transport, TransportError};
///
/// /// Answers every request with 204.
/// #[derive(Debug)]
/// struct NoContent;
///
/// #[async_trait]
/// impl Transport for NoContent {
///     async fn send(
///         &self,
///         _request: http::Request<Bytes>,
///     ) -> Result<http::Response<Bytes>, TransportError> {
///         let mut response = http::Response::new(Bytes::new());
///         *response.status_mut() = http::StatusCode::NO_CONTENT;
///         Ok(response)
///     }
/// }
/// ```
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and reads the whole response.
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError>;
}

/// The number of an attempt, 1 for the first.
///
/// The dispatcher puts it in each request's extensions, and in the
/// extensions of the response it returns (there: how many attempts the call
/// took).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Attempt(pub u32);
