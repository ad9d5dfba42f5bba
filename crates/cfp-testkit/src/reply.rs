//! An answer, as the API routes, the admin routes and the server's own
//! errors build it, before faults touch it and the server writes it.

use bytes::Bytes;
use http::StatusCode;
use http::header::{HeaderName, HeaderValue};

/// An answer, before faults touch it.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub(crate) fn ok(body: impl Into<Bytes>) -> Self {
        Self::json(StatusCode::OK, body)
    }

    /// A JSON value as the body (serialising a `Value` cannot fail).
    pub(crate) fn value(status: StatusCode, v: &impl serde::Serialize) -> Self {
        Self::json(status, serde_json::to_vec(v).unwrap_or_default())
    }

    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}
