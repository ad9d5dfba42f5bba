//! Building requests from the operation table: method and path template
//! from the generated [`OperationSpec`](cfp_model::OperationSpec), path
//! segments percent-encoded, query parameters checked against the table.

use std::fmt::Display;

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

/// A request under construction for one operation.
#[derive(Debug)]
pub(crate) struct RequestSpec {
    op: OperationId,
    path_values: Vec<String>,
    query: Vec<(&'static str, String)>,
    body: Option<(Bytes, &'static str)>,
}

impl RequestSpec {
    pub(crate) fn new(op: OperationId) -> Self {
        Self {
            op,
            path_values: Vec::new(),
            query: Vec::new(),
            body: None,
        }
    }

    /// The value of the next `{…}` segment of the path template.
    pub(crate) fn path(mut self, value: impl Display) -> Self {
        self.path_values.push(value.to_string());
        self
    }

    /// A query parameter (repeat the call for a repeated one).
    pub(crate) fn query(mut self, name: &'static str, value: impl Display) -> Self {
        self.query.push((name, value.to_string()));
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

    pub(crate) fn build(self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        let spec = self.op.spec();
        if self.path_values.len() != spec.path_params.len() {
            return Err(Error::invalid(
                self.op,
                "path",
                format!(
                    "expected {} path parameters, got {}",
                    spec.path_params.len(),
                    self.path_values.len()
                ),
            ));
        }
        let mut path = spec.path.to_owned();
        for (name, value) in spec.path_params.iter().zip(&self.path_values) {
            if value.is_empty() {
                return Err(Error::invalid(self.op, *name, "must not be empty"));
            }
            let encoded = utf8_percent_encode(value, SEGMENT).to_string();
            path = path.replacen(&format!("{{{name}}}"), &encoded, 1);
        }
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.query {
            if !spec.query_params.iter().any(|q| q.name == *name) {
                return Err(Error::invalid(
                    self.op,
                    *name,
                    "is not a query parameter of this operation",
                ));
            }
            query.append_pair(name, value);
        }
        let uri = base.join(&path, &query.finish());
        let (body, content_type) = match self.body {
            Some((b, ct)) => (b, Some(ct)),
            None => (Bytes::new(), None),
        };
        let mut request = http::Request::new(body);
        *request.method_mut() = method(spec.method);
        *request.uri_mut() = uri
            .parse()
            .map_err(|e| Error::invalid(self.op, "url", format!("{e}")))?;
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static(JSON));
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        Ok(request)
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
            .query("page", 2)
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
