//! Building requests from the operation table: method and path template
//! from the generated [`OperationSpec`](cfp_model::OperationSpec), path
//! segments percent-encoded, query parameters checked against the table.

use std::fmt::Write as _;

use bytes::Bytes;
use cfp_model::OperationId;
use http::HeaderValue;
use http::header::{ACCEPT, CONTENT_TYPE};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;

use crate::base_url::BaseUrl;
use crate::error::Error;

/// Characters escaped in a path segment: everything but RFC 3986's
/// unreserved characters and sub-delimiters (so `/`, `?`, `#`, `%` and
/// spaces never change the path's shape).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `application/json`, the body type of the task API.
pub(crate) const JSON: &str = "application/json";
/// The body type the ZStack doc shows.
pub(crate) const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// A value that goes into a request's path or query, written without the
/// formatting machinery (this runs on every call).
pub(crate) trait UriValue {
    /// Appends the value's text to `out`.
    fn write_to(&self, out: &mut String);
}

impl UriValue for u64 {
    fn write_to(&self, out: &mut String) {
        let mut digits = [0u8; 20];
        let mut n = *self;
        let mut i = digits.len();
        loop {
            i -= 1;
            // `n % 10` is below 10, so the cast cannot truncate.
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            out.push(char::from(d));
        }
    }
}

impl UriValue for &str {
    fn write_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl UriValue for &String {
    fn write_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl UriValue for &cfp_model::ZStackImageId {
    fn write_to(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

macro_rules! uri_ids {
    ($($t:ty),*) => {$(
        impl UriValue for $t {
            fn write_to(&self, out: &mut String) {
                self.get().write_to(out);
            }
        }
    )*};
}
uri_ids!(
    cfp_model::AccountServiceId,
    cfp_model::ImageId,
    cfp_model::MachineId,
    cfp_model::DiffId,
    cfp_model::TaskId,
    cfp_model::TaskBatchId
);

/// The most path parameters an operation has (the table has at most two).
const MAX_PATH_PARAMS: usize = 4;

/// A request under construction for one operation.
///
/// Values are written as they are given, into one buffer for the path
/// parameters and one for the encoded query, so that building a request
/// (which happens on every call) allocates little.
#[derive(Debug)]
pub(crate) struct RequestSpec {
    op: OperationId,
    /// The path parameters' values, back to back.
    path_values: String,
    /// Where each path value ends in `path_values`.
    path_ends: [usize; MAX_PATH_PARAMS],
    /// How many path values were given (may exceed `MAX_PATH_PARAMS`).
    path_count: usize,
    /// The query, form-encoded, without `?`.
    query: String,
    /// The first query parameter the operation does not have.
    unknown_query: Option<&'static str>,
    /// Room to write a query value before encoding it.
    scratch: String,
    body: Option<(Bytes, &'static str)>,
}

impl RequestSpec {
    pub(crate) fn new(op: OperationId) -> Self {
        Self {
            op,
            path_values: String::new(),
            path_ends: [0; MAX_PATH_PARAMS],
            path_count: 0,
            query: String::new(),
            unknown_query: None,
            scratch: String::new(),
            body: None,
        }
    }

    /// The value of the next `{…}` segment of the path template.
    pub(crate) fn path(mut self, value: impl UriValue) -> Self {
        value.write_to(&mut self.path_values);
        if let Some(end) = self.path_ends.get_mut(self.path_count) {
            *end = self.path_values.len();
        }
        self.path_count += 1;
        self
    }

    /// A query parameter (repeat the call for a repeated one). A name the
    /// operation's table does not list makes [`build`](Self::build) fail.
    pub(crate) fn query(mut self, name: &'static str, value: impl UriValue) -> Self {
        if !self.op.spec().query_params.iter().any(|q| q.name == name) {
            self.unknown_query.get_or_insert(name);
            return self;
        }
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query
            .extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
        self.query.push('=');
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        value.write_to(&mut text);
        self.query
            .extend(url::form_urlencoded::byte_serialize(text.as_bytes()));
        self.scratch = text;
        self
    }

    /// A JSON body.
    pub(crate) fn json<T: Serialize>(
        mut self,
        body: &T,
        content_type: &'static str,
    ) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::invalid(self.op, "body", format!("cannot encode: {e}")))?;
        self.body = Some((Bytes::from(bytes), content_type));
        Ok(self)
    }

    /// The `i`-th path value.
    fn path_value(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.path_ends[i - 1] };
        &self.path_values[start..self.path_ends[i]]
    }

    /// The request: the base URL, the path template with each `{name}`
    /// replaced by its percent-encoded value, the query, and the body.
    ///
    /// The URI is written in one pass into one string (this runs on every
    /// call: see `docs/benchmarks.md`, call overhead).
    pub(crate) fn build(self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        let spec = self.op.spec();
        if self.path_count != spec.path_params.len() || self.path_count > MAX_PATH_PARAMS {
            return Err(Error::invalid(
                self.op,
                "path",
                format!(
                    "expected {} path parameters, got {}",
                    spec.path_params.len(),
                    self.path_count
                ),
            ));
        }
        if let Some(name) = self.unknown_query {
            return Err(Error::invalid(
                self.op,
                name,
                "is not a query parameter of this operation",
            ));
        }
        let mut uri =
            base.start(spec.path.len() + self.path_values.len() * 3 + self.query.len() + 1);
        self.write_path(spec.path, spec.path_params, &mut uri)?;
        if !self.query.is_empty() {
            uri.push('?');
            uri.push_str(&self.query);
        }
        let (body, content_type) = match self.body {
            Some((b, ct)) => (b, Some(ct)),
            None => (Bytes::new(), None),
        };
        let mut request = http::Request::new(body);
        *request.method_mut() = method(spec.method);
        *request.uri_mut() =
            http::Uri::try_from(uri).map_err(|e| Error::invalid(self.op, "url", format!("{e}")))?;
        // Room for what the client and the dispatcher add (user agent, auth).
        let headers = request.headers_mut();
        headers.reserve(4);
        headers.insert(ACCEPT, HeaderValue::from_static(JSON));
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        Ok(request)
    }

    /// Appends the path template to `out`, each `{name}` replaced by the
    /// value given for that name (path parameters are given in the table's
    /// order), percent-encoded.
    fn write_path(
        &self,
        template: &str,
        names: &[&'static str],
        out: &mut String,
    ) -> Result<(), Error> {
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|i| open + i) else {
                break;
            };
            let name = &rest[open + 1..close];
            let Some(i) = names.iter().position(|n| *n == name) else {
                return Err(Error::invalid(
                    self.op,
                    "path",
                    format!("the path template names an unknown parameter {name:?}"),
                ));
            };
            let value = self.path_value(i);
            if value.is_empty() {
                return Err(Error::invalid(self.op, names[i], "must not be empty"));
            }
            out.push_str(&rest[..open]);
            out.extend(utf8_percent_encode(value, SEGMENT));
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        Ok(())
    }
}

fn method(m: cfp_model::Method) -> http::Method {
    match m {
        cfp_model::Method::Get => http::Method::GET,
        cfp_model::Method::Post => http::Method::POST,
        cfp_model::Method::Put => http::Method::PUT,
        cfp_model::Method::Delete => http::Method::DELETE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::test_support::base;

    #[test]
    fn path_segments_are_percent_encoded() {
        let req = RequestSpec::new(OperationId::GetUploadJobDetailsByQuery)
            .path("a/b?c#d e%")
            .build(&base())
            .unwrap();
        assert_eq!(
            req.uri().path(),
            "/prefix/zstack/v1/images/upload-job/details/a%2Fb%3Fc%23d%20e%25"
        );
    }

    #[test]
    fn query_names_come_from_the_table() {
        let e = RequestSpec::new(OperationId::ListTasks)
            .query("page", 2u64)
            .build(&base())
            .unwrap_err();
        assert!(e.is_invalid_input());
        let req = RequestSpec::new(OperationId::GetUploadJobDetailsByQuery)
            .path("x")
            .query("systemTags", "a b")
            .query("systemTags", "c&d")
            .build(&base())
            .unwrap();
        assert_eq!(req.uri().query(), Some("systemTags=a+b&systemTags=c%26d"));
    }

    #[test]
    fn a_missing_path_value_is_invalid_input() {
        let e = RequestSpec::new(OperationId::GetTask)
            .build(&base())
            .unwrap_err();
        assert!(e.is_invalid_input());
    }
}
