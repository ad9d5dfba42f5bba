//! The HTTP server: hyper 1 over loopback (or another address), HTTP/1.1
//! with keep-alive, optionally behind TLS. Each request is routed, faults are
//! applied, and the exchange is journaled.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use cfp_model::{Method, OperationId, Surface};
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, DATE, RETRY_AFTER};
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::admin::{self, AdminReply};
use crate::connections::{BusyGuard, Ticket};
use crate::faults::{Fault, RequestFacts, RetryAfter};
use crate::journal::{JournalEntry, NdjsonChunks, body_digest, redact};
use crate::reply::Reply;
use crate::request_body::{self, BodyError};
use crate::routes::{self, Call};
use crate::shared::Shared;

/// The largest request body read (1 MiB).
const MAX_BODY: usize = 1 << 20;

/// The most a connection buffers for reading (and the largest request
/// head): hyper's default (about 400 KiB) would let each of thousands of
/// connections grow that far.
const MAX_CONNECTION_BUFFER: usize = 16 * 1024;

/// How many evicted connections may still be closing when the next one is
/// accepted: well inside the reserve below the open-file limit (at least
/// 64), and enough that a flood is accepted at full speed.
const CLOSING_SLACK: usize = 16;

// ---------------------------------------------------------------------------
// Bodies

enum Step {
    Data(Bytes),
    Pause(Duration),
    Reset,
}

/// A response body: all at once, scripted (part, pause, rest or reset), or
/// the journal a chunk at a time.
pub(crate) struct SimBody {
    steps: VecDeque<Step>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    reset: Option<Arc<AtomicBool>>,
    exact: Option<u64>,
    journal: Option<NdjsonChunks>,
    /// The connection counts as busy until the answer is written.
    busy: Option<BusyGuard>,
}

impl SimBody {
    pub(crate) fn full(b: impl Into<Bytes>) -> Self {
        let b = b.into();
        Self {
            exact: Some(b.len() as u64),
            steps: VecDeque::from([Step::Data(b)]),
            sleep: None,
            reset: None,
            journal: None,
            busy: None,
        }
    }

    fn scripted(steps: Vec<Step>, reset: Option<Arc<AtomicBool>>) -> Self {
        Self {
            steps: steps.into(),
            sleep: None,
            reset,
            exact: None,
            journal: None,
            busy: None,
        }
    }

    fn journal(chunks: NdjsonChunks) -> Self {
        Self {
            journal: Some(chunks),
            ..Self::scripted(Vec::new(), None)
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        loop {
            if let Some(sleep) = this.sleep.as_mut() {
                ready!(sleep.as_mut().poll(cx));
                this.sleep = None;
            }
            match this.steps.pop_front() {
                None => {
                    let chunk = this.journal.as_mut().and_then(NdjsonChunks::next_chunk);
                    if chunk.is_none() {
                        this.journal = None;
                    }
                    return Poll::Ready(chunk.map(|c| Ok(Frame::data(c))));
                }
                Some(Step::Data(b)) => return Poll::Ready(Some(Ok(Frame::data(b)))),
                Some(Step::Pause(d)) => this.sleep = Some(Box::pin(tokio::time::sleep(d))),
                Some(Step::Reset) => {
                    if let Some(flag) = &this.reset {
                        flag.store(true, Ordering::Release);
                    }
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "simulated connection reset",
                    ))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.steps.is_empty() && self.sleep.is_none() && self.journal.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        self.exact
            .map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

// ---------------------------------------------------------------------------
// Connections

/// A TCP stream that resets (RST) instead of closing (FIN) once its flag is
/// set, for the connection-reset fault; and that gives up on a client that
/// stops reading: a write that cannot proceed for the request timeout
/// fails, which closes the connection (else a client that never reads a
/// long answer, the journal say, would hold it forever).
struct ServerStream {
    tcp: TcpStream,
    reset: Arc<AtomicBool>,
    write_timeout: Duration,
    /// Running while writes are blocked.
    write_stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ServerStream {
    fn new(tcp: TcpStream, write_timeout: Duration) -> Self {
        Self {
            tcp,
            reset: Arc::new(AtomicBool::new(false)),
            write_timeout,
            write_stalled: None,
        }
    }

    /// After a write returned `Pending`: an error once writes have been
    /// blocked for the timeout.
    fn poll_stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let timeout = self.write_timeout;
        let stalled = self
            .write_stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(stalled.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client stopped reading",
        )))
    }

    fn written<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match r {
            Poll::Pending => self.poll_stalled(cx),
            ready => {
                self.write_stalled = None;
                ready
            }
        }
    }
}

impl Drop for ServerStream {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Acquire) {
            // A zero linger makes close() send RST at once; it never blocks
            // (tokio deprecates set_linger for non-zero values, which do).
            #[allow(deprecated)]
            let _ = self.tcp.set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for ServerStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for ServerStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.tcp).poll_write(cx, buf);
        this.written(cx, r)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.tcp).poll_flush(cx);
        this.written(cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs);
        this.written(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// Accepts connections until `shutdown` says stop, then closes them
/// gracefully (in-flight requests get up to two seconds).
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        // A connection evicted to make room closes when its aborted task
        // next runs: past a few, let those run before accepting more, so
        // that a flood does not pile closing sockets on top of the cap (and
        // reach the open-file limit).
        for _ in 0..64 {
            if shared.connections.open() <= shared.connections.max() + CLOSING_SLACK {
                break;
            }
            tokio::task::yield_now().await;
        }
        let accepted = tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let stream = ServerStream::new(tcp, shared.request_timeout);
        let task = |ticket| {
            let task = serve_connection(
                stream,
                ticket,
                tls.clone(),
                shared.clone(),
                graceful.watcher(),
            );
            tokio::spawn(task).abort_handle()
        };
        if !shared.connections.admit(task) {
            // Every admitted connection is busy: the new one was closed at
            // once (with the closure that held it), so that the client
            // learns it now and the server holds nothing.
            tracing::debug!(
                max = shared.connections.max(),
                "connection refused: every admitted connection is busy"
            );
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(2), graceful.shutdown()).await;
}

/// Serves one admitted connection until it closes (or is evicted: its task
/// is aborted, which drops the ticket).
async fn serve_connection(
    stream: ServerStream,
    ticket: Ticket,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let ticket = Arc::new(ticket);
    let reset = stream.reset.clone();
    let timeout = shared.request_timeout;
    let service = {
        let ticket = ticket.clone();
        service_fn(move |req| {
            let shared = shared.clone();
            let reset = reset.clone();
            let busy = ticket.busy();
            async move {
                let mut resp = handle(&shared, &reset, req).await;
                // The simulator's own clock, scaled or not (hyper would
                // write the real one): clients schedule against it.
                if !resp.headers().contains_key(DATE) {
                    resp.headers_mut()
                        .insert(DATE, sim_date(shared.clock.now_ms()));
                }
                resp.body_mut().busy = Some(busy);
                Ok::<_, Infallible>(resp)
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .timer(TokioTimer::new())
        // Also bounds an idle keep-alive connection: the timer runs while
        // hyper waits for the next request's head.
        .header_read_timeout(timeout)
        .max_buf_size(MAX_CONNECTION_BUFFER);
    let result = match tls {
        Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
            Ok(Ok(tls_stream)) => {
                watcher
                    .watch(builder.serve_connection(TokioIo::new(tls_stream), service))
                    .await
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                return;
            }
        },
        None => {
            watcher
                .watch(builder.serve_connection(TokioIo::new(stream), service))
                .await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

// ---------------------------------------------------------------------------
// Requests

fn model_method(m: &http::Method) -> Option<Method> {
    Some(match *m {
        http::Method::GET => Method::Get,
        http::Method::POST => Method::Post,
        http::Method::PUT => Method::Put,
        http::Method::PATCH => Method::Patch,
        http::Method::DELETE => Method::Delete,
        _ => return None,
    })
}

fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The methods the contract serves on `path`.
fn methods_on(path: &str) -> Vec<&'static str> {
    OperationId::ALL
        .iter()
        .filter(|op| cfp_model::operation::path_values(op.spec().path, path).is_some())
        .map(|op| op.spec().method.as_str())
        .collect()
}

fn response(reply: Reply, body: SimBody, extra_len: Option<usize>) -> Response<SimBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() = reply.status;
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    if let Some(len) = extra_len {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    resp
}

/// The `Date` header at simulated Unix milliseconds `ms`.
fn sim_date(ms: i64) -> HeaderValue {
    let at = u64::try_from(ms)
        .ok()
        .and_then(|ms| SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    HeaderValue::from_str(&httpdate::fmt_http_date(at))
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

fn retry_after_header(r: RetryAfter) -> String {
    retry_after_header_at(r, SystemTime::now())
}

/// The `Retry-After` value sent at wall time `now`.
fn retry_after_header_at(r: RetryAfter, now: SystemTime) -> String {
    match r {
        RetryAfter::Seconds(s) => s.to_string(),
        RetryAfter::HttpDate(s) => {
            // An HTTP date has whole seconds and formatting drops the
            // fraction: adding just under a second rounds `now + s` up, so
            // that a client waiting until that date waits at least `s`.
            let at = now + Duration::from_secs(s) + Duration::from_nanos(999_999_999);
            httpdate::fmt_http_date(at)
        }
    }
}

const HTML_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head><title>{status}</title></head>\n<body>\n<center><h1>{status}</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n";

/// The answer of a fault that stops the request before the service.
fn fault_reply(fault: Fault, surface: Option<Surface>) -> Option<(Reply, Option<Duration>)> {
    let status_of = |s: u16| StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Some(match fault {
        Fault::Status { status } => (routes::fault_reply(surface, status_of(status)), None),
        Fault::TooManyRequests { retry_after } => (
            routes::fault_reply(surface, StatusCode::TOO_MANY_REQUESTS)
                .header(RETRY_AFTER, &retry_after_header(retry_after)),
            Some(retry_after.delay()),
        ),
        Fault::Unavailable { retry_after } => (
            routes::fault_reply(surface, StatusCode::SERVICE_UNAVAILABLE)
                .header(RETRY_AFTER, &retry_after_header(retry_after)),
            Some(retry_after.delay()),
        ),
        Fault::HtmlErrorPage { status } => {
            let status = status_of(status);
            let line = format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            );
            let mut reply = Reply::json(status, HTML_PAGE.replace("{status}", &line));
            reply.content_type = "text/html";
            (reply, None)
        }
        Fault::Latency { .. }
        | Fault::ConnectionReset
        | Fault::TruncatedJson
        | Fault::SlowBody { .. } => return None,
    })
}

/// The body of a reply, mangled by a fault that lets the service answer.
fn body_for(
    reply: &Reply,
    fault: Option<Fault>,
    reset: &Arc<AtomicBool>,
) -> (SimBody, Option<usize>) {
    let body = reply.body.clone();
    let half = body.len() / 2;
    match fault {
        Some(Fault::TruncatedJson) => (SimBody::full(body.slice(..half)), None),
        Some(Fault::ConnectionReset) => (
            SimBody::scripted(
                vec![
                    Step::Data(body.slice(..half)),
                    Step::Pause(Duration::from_millis(20)),
                    Step::Reset,
                ],
                Some(reset.clone()),
            ),
            Some(body.len()),
        ),
        Some(Fault::SlowBody { millis }) => (
            SimBody::scripted(
                vec![
                    Step::Data(body.slice(..half)),
                    Step::Pause(Duration::from_millis(millis)),
                    Step::Data(body.slice(half..)),
                ],
                None,
            ),
            Some(body.len()),
        ),
        _ => (SimBody::full(body), None),
    }
}

/// Serves one request.
async fn handle(
    shared: &Shared,
    reset: &Arc<AtomicBool>,
    req: Request<Incoming>,
) -> Response<SimBody> {
    let received = Instant::now();
    let sim_time = shared.clock.now();
    let (parts, incoming) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let admin_route = path == "/_sim" || path.starts_with("/_sim/");
    let op = if admin_route {
        None
    } else {
        model_method(&parts.method).and_then(|m| OperationId::route(m, &path))
    };
    // Only a body the simulator acts on is kept: one to no operation, or
    // with refused credentials, is read (so that the answer is not cut off
    // by a reset) and counted, never held.
    let keep = if admin_route {
        admin::authorized(shared, &parts.headers)
    } else {
        op.is_some_and(|op| routes::authenticated(shared, op, &parts.headers))
    };
    let deadline = tokio::time::Instant::now() + shared.request_timeout;
    let read = match request_body::read(incoming, MAX_BODY, deadline, keep).await {
        Ok(read) => read,
        Err(e) => return body_failed(&e, shared.request_timeout),
    };
    let body = read.bytes;

    if admin_route {
        let reply = admin::handle(
            shared,
            &parts.method,
            &path,
            query.as_deref(),
            &parts.headers,
            &body,
        );
        return match reply {
            AdminReply::Reply(reply) => {
                let body = reply.body.clone();
                response(reply, SimBody::full(body), None)
            }
            AdminReply::Journal(chunks) => {
                let mut reply = Reply::ok(Bytes::new());
                reply.content_type = "application/x-ndjson";
                response(reply, SimBody::journal(chunks), None)
            }
        };
    }

    let seq = shared.journal.next_seq();
    let params: Vec<String> = op
        .and_then(|op| cfp_model::operation::path_values(op.spec().path, &path))
        .map(|vals| vals.into_iter().map(decode_segment).collect())
        .unwrap_or_default();
    let query_pairs: Vec<(String, String)> = match query.as_deref() {
        Some(q) if !q.is_empty() => serde_urlencoded::from_str(q).unwrap_or_default(),
        _ => Vec::new(),
    };
    let now = sim_time.as_second();

    // Faults come first: they stand for the network and the proxies.
    let resource = op.and_then(|op| routes::resource(op, &params, &query_pairs));
    let state = match (op, resource.as_deref()) {
        (Some(op), Some(res)) if shared.faults.needs_state() => {
            routes::resource_state(shared, op, res, now)
        }
        _ => None,
    };
    let decision = shared.faults.decide(
        &RequestFacts {
            operation: op,
            resource: resource.as_deref(),
        },
        state,
    );
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let surface = op.map(|op| op.spec().surface);
    let stopped = decision.fault.and_then(|f| fault_reply(f, surface));
    let (reply, retry_after) = match stopped {
        Some((reply, retry_after)) => (reply, retry_after),
        None => {
            let now = if decision.latency.is_zero() {
                now
            } else {
                shared.clock.now_secs()
            };
            let reply = match op {
                Some(op) => routes::dispatch(
                    shared,
                    &Call {
                        op,
                        headers: &parts.headers,
                        query: query_pairs,
                        body: &body,
                        params,
                        now,
                    },
                ),
                None => unrouted(&parts.method, &path),
            };
            (reply, None)
        }
    };
    let (sim_body, content_length) = body_for(&reply, decision.fault, reset);

    let mut fault_name = decision.fault.map(|f| f.name());
    if fault_name.is_none() && !decision.latency.is_zero() {
        fault_name = Some(format!("latency-{}ms", decision.latency.as_millis()));
    }
    // Secrets outside the headers never reach the log or the journal.
    let (mut path, mut query, mut body) = (path, query, body);
    crate::journal::redact_request(op, &mut path, &mut query, &mut body);
    tracing::debug!(
        method = %parts.method,
        path = %path,
        status = reply.status.as_u16(),
        fault = fault_name.as_deref(),
        "request"
    );
    shared.journal.record(JournalEntry {
        seq,
        operation: op,
        method: parts.method.as_str().to_owned(),
        path,
        query,
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                let name = n.as_str();
                (
                    name.to_owned(),
                    redact(name, &String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect(),
        body_digest: (keep && read.len > 0).then(|| body_digest(&body)),
        body,
        body_len: read.len,
        sim_time,
        received,
        status: reply.status.as_u16(),
        fault: fault_name,
        retry_after,
    });
    response(reply, sim_body, content_length)
}

/// The answer to a request whose body could not be read; the connection
/// closes after it (the rest of the body, if any, is not awaited).
fn body_failed(e: &BodyError, timeout: Duration) -> Response<SimBody> {
    let (status, message) = match e {
        BodyError::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {MAX_BODY} bytes"),
        ),
        BodyError::TimedOut => (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} ms",
                timeout.as_millis()
            ),
        ),
        BodyError::Cut => (
            StatusCode::BAD_REQUEST,
            "the request body was cut".to_owned(),
        ),
    };
    let reply =
        Reply::value(status, &serde_json::json!({ "error": message })).header(CONNECTION, "close");
    let body = reply.body.clone();
    response(reply, SimBody::full(body), None)
}

/// No operation of the contract: 405 when the path exists with other
/// methods, else 404.
fn unrouted(method: &http::Method, path: &str) -> Reply {
    let allowed = methods_on(path);
    if allowed.is_empty() {
        return Reply::value(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"error": format!("no route for {method} {path}")}),
        );
    }
    Reply::value(
        StatusCode::METHOD_NOT_ALLOWED,
        &serde_json::json!({"error": format!("{method} is not allowed on {path}")}),
    )
    .header(http::header::ALLOW, &allowed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_after_date_is_never_earlier_than_asked() {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_900_000);
        // Whole seconds, and fractions just above them (where adding 999 ms
        // and dropping the fraction would land short).
        for nanos in [0, 1, 500_000, 999_999, 1_000_000, 500_000_000, 999_999_999] {
            let now = base + Duration::from_nanos(nanos);
            for s in [0, 1, 30] {
                let header = retry_after_header_at(RetryAfter::HttpDate(s), now);
                let at = httpdate::parse_http_date(&header).unwrap();
                let wait = at.duration_since(now).unwrap_or_default();
                assert!(
                    wait >= Duration::from_secs(s),
                    "{nanos} ns, {s} s: {wait:?}"
                );
                assert!(
                    wait < Duration::from_secs(s + 1),
                    "{nanos} ns, {s} s: {wait:?}"
                );
            }
        }
    }
}
