//! A scripted transport for unit tests: answers per operation, a record of
//! every request, call counts.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use cfp_model::OperationId;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

use crate::error::TransportError;
use crate::transport::{Attempt, Transport};

/// A transport that answers from a script and records every request.
///
/// Answers are scripted per [`OperationId`] (the dispatcher puts the
/// operation in each request's extensions; without it the mock routes the
/// method and path with [`OperationId::route`], ignoring a base-URL path
/// prefix). For each request, the mock takes the first of:
///
/// 1. the next one-shot answer queued with [`respond_once`](Self::respond_once)
///    or [`respond_sequence`](Self::respond_sequence);
/// 2. the standing answer set with [`respond`](Self::respond) or
///    [`respond_with`](Self::respond_with) (the last one set wins);
/// 3. a [`TransportError`] of kind `Other` saying nothing was scripted.
///
/// Clones share the script and the record, so a test keeps one clone for
/// assertions and hands another to the client.
///
/// ```
/// use std::sync::Arc;
/// use cfp_model::OperationId;
/// use cfp_transport::{MockResponse, MockTransport, Transport};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mock = MockTransport::new();
/// mock.respond(OperationId::ListTaskTemplates, MockResponse::json(200, "[]"));
/// let request = http::Request::get("https://api.i3d.net/v3/applicationInstance/task/template")
///     .body(bytes::Bytes::new())
///     .unwrap();
/// let response = mock.send(request).await.unwrap();
/// assert_eq!(response.body().as_ref(), b"[]");
/// assert_eq!(mock.calls(OperationId::ListTaskTemplates), 1);
/// assert_eq!(mock.requests()[0].path(), "/v3/applicationInstance/task/template");
/// # });
/// ```
#[derive(Clone, Default)]
pub struct MockTransport {
    state: Arc<Mutex<MockState>>,
}

type Responder = Arc<dyn Fn(&RecordedRequest) -> MockResponse + Send + Sync>;

#[derive(Default)]
struct MockState {
    rules: HashMap<OperationId, Rule>,
    log: Vec<RecordedRequest>,
}

#[derive(Default)]
struct Rule {
    queue: VecDeque<MockResponse>,
    standing: Option<Responder>,
}

impl MockTransport {
    /// A mock with nothing scripted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers every request for `operation` with `response` (after any
    /// queued one-shot answers).
    pub fn respond(&self, operation: OperationId, response: MockResponse) -> &Self {
        self.respond_with(operation, move |_| response.clone())
    }

    /// Answers every request for `operation` by calling `f` with the
    /// recorded request (after any queued one-shot answers). For answers
    /// that depend on the request or on a test clock.
    pub fn respond_with<F>(&self, operation: OperationId, f: F) -> &Self
    where
        F: Fn(&RecordedRequest) -> MockResponse + Send + Sync + 'static,
    {
        self.lock().rules.entry(operation).or_default().standing = Some(Arc::new(f));
        self
    }

    /// Queues one answer for the next request for `operation`.
    pub fn respond_once(&self, operation: OperationId, response: MockResponse) -> &Self {
        self.lock()
            .rules
            .entry(operation)
            .or_default()
            .queue
            .push_back(response);
        self
    }

    /// Queues answers for the next requests for `operation`, in order.
    pub fn respond_sequence(
        &self,
        operation: OperationId,
        responses: impl IntoIterator<Item = MockResponse>,
    ) -> &Self {
        self.lock()
            .rules
            .entry(operation)
            .or_default()
            .queue
            .extend(responses);
        self
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.clone()
    }

    /// The requests received for `operation`, in order.
    pub fn requests_for(&self, operation: OperationId) -> Vec<RecordedRequest> {
        self.lock()
            .log
            .iter()
            .filter(|r| r.operation == Some(operation))
            .cloned()
            .collect()
    }

    /// The last request received, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.lock().log.last().cloned()
    }

    /// How many requests were received for `operation`.
    pub fn calls(&self, operation: OperationId) -> usize {
        self.lock()
            .log
            .iter()
            .filter(|r| r.operation == Some(operation))
            .count()
    }

    /// How many requests were received in all.
    pub fn total_calls(&self) -> usize {
        self.lock().log.len()
    }

    /// Forgets the record (the script stays).
    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    fn lock(&self) -> MutexGuard<'_, MockState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn answer(&self, recorded: RecordedRequest) -> MockResponse {
        let mut state = self.lock();
        state.log.push(recorded.clone());
        let Some(op) = recorded.operation else {
            return MockResponse::error(TransportError::other(format!(
                "mock transport: no operation matches {} {}",
                recorded.method,
                recorded.path()
            )));
        };
        let rule = state.rules.entry(op).or_default();
        if let Some(r) = rule.queue.pop_front() {
            return r;
        }
        match rule.standing.clone() {
            Some(f) => {
                drop(state);
                f(&recorded)
            }
            None => MockResponse::error(TransportError::other(format!(
                "mock transport: no response scripted for {op}"
            ))),
        }
    }
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        let mut scripted: Vec<_> = s.rules.keys().map(|op| op.name()).collect();
        scripted.sort_unstable();
        f.debug_struct("MockTransport")
            .field("scripted", &scripted)
            .field("requests", &s.log.len())
            .finish()
    }
}

#[async_trait]
impl Transport for MockTransport {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let recorded = RecordedRequest::from_request(request);
        match self.answer(recorded).outcome {
            Outcome::Respond {
                status,
                headers,
                body,
            } => {
                let mut response = http::Response::new(body);
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                Ok(response)
            }
            Outcome::Fail(e) => Err(e),
            Outcome::Hang => std::future::pending().await,
        }
    }
}

/// A request as the mock received it.
///
/// Header values keep their sensitive mark, so `Debug` of a recorded
/// request shows `Sensitive` for credentials.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The operation, from the request's extensions or routed from its
    /// method and path.
    pub operation: Option<OperationId>,
    /// The attempt number the dispatcher gave it, if any.
    pub attempt: Option<u32>,
    /// The method.
    pub method: Method,
    /// The full URI, query included.
    pub uri: Uri,
    /// Every header sent.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl RecordedRequest {
    fn from_request(request: http::Request<Bytes>) -> Self {
        let (parts, body) = request.into_parts();
        let operation = parts
            .extensions
            .get::<OperationId>()
            .copied()
            .or_else(|| route(&parts.method, parts.uri.path()));
        Self {
            operation,
            attempt: parts.extensions.get::<Attempt>().map(|a| a.0),
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        }
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    /// The query as decoded `(name, value)` pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// A header's value as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (lossily).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Routes a method and path, trying without leading segments so that a
/// base-URL path prefix does not hide the operation.
fn route(method: &Method, path: &str) -> Option<OperationId> {
    let method = match *method {
        Method::GET => cfp_model::Method::Get,
        Method::POST => cfp_model::Method::Post,
        Method::PUT => cfp_model::Method::Put,
        Method::DELETE => cfp_model::Method::Delete,
        _ => return None,
    };
    let mut rest = path;
    loop {
        if let Some(op) = OperationId::route(method, rest) {
            return Some(op);
        }
        let next = rest.get(1..)?.find('/')?;
        rest = &rest[next + 1..];
    }
}

/// A scripted answer: a response, a transport error, or no answer at all.
///
/// ```
/// use http::{header::RETRY_AFTER, HeaderValue};
/// use cfp_transport::{MockResponse, TransportError};
///
/// let ok = MockResponse::json(200, r#"{"id": 1}"#);
/// let busy = MockResponse::status(503).header(RETRY_AFTER, HeaderValue::from_static("2"));
/// let refused = MockResponse::error(TransportError::connect("connection refused"));
/// let silent = MockResponse::hang();
/// # let _ = (ok, busy, refused, silent);
/// ```
#[derive(Debug, Clone)]
pub struct MockResponse {
    outcome: Outcome,
}

#[derive(Debug, Clone)]
enum Outcome {
    Respond {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    Fail(TransportError),
    Hang,
}

impl MockResponse {
    /// A response with this status and an empty body. A code outside
    /// 100–999 becomes 500.
    pub fn status(code: u16) -> Self {
        Self {
            outcome: Outcome::Respond {
                status: StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                headers: HeaderMap::new(),
                body: Bytes::new(),
            },
        }
    }

    /// A JSON response.
    pub fn json(code: u16, body: impl Into<Bytes>) -> Self {
        Self::status(code)
            .header(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .body(body)
    }

    /// An HTML response (an error page from a proxy, say).
    pub fn html(code: u16, body: impl Into<Bytes>) -> Self {
        Self::status(code)
            .header(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )
            .body(body)
    }

    /// A transport error instead of a response.
    pub fn error(error: TransportError) -> Self {
        Self {
            outcome: Outcome::Fail(error),
        }
    }

    /// No answer, ever: the request hangs until the caller's timeout.
    pub fn hang() -> Self {
        Self {
            outcome: Outcome::Hang,
        }
    }

    /// The same response with a header added.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        if let Outcome::Respond { headers, .. } = &mut self.outcome {
            headers.append(name, value);
        }
        self
    }

    /// The same response with a `Retry-After` of `secs` seconds.
    pub fn retry_after_secs(self, secs: u64) -> Self {
        self.header(http::header::RETRY_AFTER, HeaderValue::from(secs))
    }

    /// The same response with another body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        if let Outcome::Respond { body: b, .. } = &mut self.outcome {
            *b = body.into();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(uri: &str) -> http::Request<Bytes> {
        http::Request::get(uri).body(Bytes::new()).unwrap()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn sequences_come_first_then_the_standing_answer() {
        let mock = MockTransport::new();
        mock.respond(OperationId::ListTasks, MockResponse::json(200, "[]"))
            .respond_sequence(
                OperationId::ListTasks,
                [MockResponse::status(502), MockResponse::status(503)],
            );
        let statuses: Vec<u16> = block_on(async {
            let mut v = Vec::new();
            for _ in 0..4 {
                let r = mock.send(get("http://h/v3/applicationInstance/task")).await;
                v.push(r.unwrap().status().as_u16());
            }
            v
        });
        assert_eq!(statuses, [502, 503, 200, 200]);
        assert_eq!(mock.calls(OperationId::ListTasks), 4);
        assert_eq!(mock.total_calls(), 4);
    }

    #[test]
    fn unscripted_operations_fail_with_a_clear_message() {
        let mock = MockTransport::new();
        let e = block_on(mock.send(get("http://h/v3/applicationInstance/taskBatch"))).unwrap_err();
        assert!(
            e.to_string()
                .contains("no response scripted for listTaskBatches"),
            "{e}"
        );
        let e = block_on(mock.send(get("http://h/nowhere"))).unwrap_err();
        assert!(
            e.to_string().contains("no operation matches GET /nowhere"),
            "{e}"
        );
    }

    #[test]
    fn routes_past_a_base_path_prefix_and_prefers_the_extension() {
        let mock = MockTransport::new();
        mock.respond(OperationId::GetTask, MockResponse::status(204));
        block_on(mock.send(get("http://h/prefix/v3/applicationInstance/task/7"))).unwrap();
        let mut req = get("http://h/anything");
        req.extensions_mut().insert(OperationId::GetTask);
        block_on(mock.send(req)).unwrap();
        assert_eq!(mock.calls(OperationId::GetTask), 2);
    }

    #[test]
    fn respond_with_sees_the_request() {
        let mock = MockTransport::new();
        mock.respond_with(OperationId::GetTask, |req| {
            MockResponse::json(200, format!("{{\"path\": \"{}\"}}", req.path()))
        });
        let r = block_on(mock.send(get("http://h/v3/applicationInstance/task/9?x=1"))).unwrap();
        assert_eq!(
            r.body().as_ref(),
            br#"{"path": "/v3/applicationInstance/task/9"}"#
        );
        let rec = mock.last_request().unwrap();
        assert_eq!(rec.query_pairs(), [("x".to_owned(), "1".to_owned())]);
    }
}
