//! `ReqwestTransport` against tiny loopback servers: gzip, timeouts,
//! connection refused, redirects (never carrying credentials to another
//! host), TLS with an extra root certificate, body limits.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cfp_model::OperationId;
use cfp_transport::{
    Credentials, Dispatcher, ManualClock, ReqwestTransport, Transport, TransportErrorKind,
};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

type BoxFut = Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>;
type Handler = Arc<dyn Fn(Request<Incoming>) -> BoxFut + Send + Sync>;

/// What a test server saw: the path and headers of each request.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, HeaderMap)>>>);

impl Seen {
    fn push(&self, req: &Request<Incoming>) {
        self.0
            .lock()
            .unwrap()
            .push((req.uri().path().to_owned(), req.headers().clone()));
    }

    fn all(&self) -> Vec<(String, HeaderMap)> {
        self.0.lock().unwrap().clone()
    }
}

async fn serve(ip: &str, handler: Handler) -> SocketAddr {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let h = handler.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let h = h.clone();
                    async move { Ok::<_, Infallible>(h(req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    for (k, v) in headers {
        r.headers_mut().insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    r
}

fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

/// A request carrying the credentials of every surface.
fn with_credentials(url: &str) -> http::Request<Bytes> {
    let mut req = get(url);
    let (name, value) = Credentials::basic("test-key-DO-NOT-USE", "test-secret-DO-NOT-USE")
        .unwrap()
        .header();
    req.headers_mut().insert(name, value);
    let (name, value) = Credentials::private_token("test-token-DO-NOT-USE")
        .unwrap()
        .header();
    req.headers_mut().insert(name, value);
    req
}

fn transport() -> ReqwestTransport {
    ReqwestTransport::builder().build().unwrap()
}

/// A gzip member holding `data` in one stored (uncompressed) deflate block.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let len = u16::try_from(data.len()).unwrap();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.push(1); // final block, stored
    out.write_all(&len.to_le_bytes()).unwrap();
    out.write_all(&(!len).to_le_bytes()).unwrap();
    out.write_all(data).unwrap();
    out.write_all(&crc32(data).to_le_bytes()).unwrap();
    out.write_all(&(data.len() as u32).to_le_bytes()).unwrap();
    out
}

#[tokio::test]
async fn gzip_bodies_are_decoded() {
    let seen = Seen::default();
    let s = seen.clone();
    let json = br#"{"numTasks": 3, "taskIds": [41, 42, 43]}"#;
    let addr = serve(
        "127.0.0.1",
        Arc::new(move |req| {
            s.push(&req);
            Box::pin(async move {
                respond(
                    200,
                    &[
                        ("content-encoding", "gzip"),
                        ("content-type", "application/json"),
                    ],
                    gzip_stored(json),
                )
            })
        }),
    )
    .await;
    let r = transport()
        .send(get(&format!(
            "http://{addr}/v3/applicationInstance/taskBatch/7"
        )))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.body().as_ref(), json);
    let accept = seen.all()[0].1["accept-encoding"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(accept.contains("gzip"), "{accept}");
}

#[tokio::test]
async fn connection_refused_is_classified_as_never_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = transport()
        .send(get(&format!("http://{addr}/v3/applicationInstance/task")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Connect, "{e}");
    assert!(!e.may_have_been_delivered());
    // The message names no URL.
    assert!(!e.to_string().contains("http://"), "{e}");
}

// Real I/O with retries: tokio's paused time (auto-advancing only when the
// runtime is idle) rather than an auto-advancing manual clock, which would
// also fire the per-attempt timeout while a real connect is under way.
#[tokio::test(start_paused = true)]
async fn connection_refused_is_retried_even_for_an_unsafe_operation() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let dispatcher = Dispatcher::new(Arc::new(transport()));
    let req = http::Request::post(format!("http://{addr}/v3/applicationInstance/task"))
        .body(Bytes::from_static(b"{}"))
        .unwrap();
    let e = dispatcher
        .send(OperationId::CreateTaskBatch, req, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Connect);
    assert_eq!(e.attempts(), 4);
}

#[tokio::test]
async fn a_silent_server_times_out_per_attempt_as_possibly_delivered() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let addr = serve(
        "127.0.0.1",
        Arc::new(move |_req| {
            let _ = tx.send(());
            Box::pin(std::future::pending())
        }),
    )
    .await;
    let clock = ManualClock::new();
    let dispatcher = Dispatcher::new(Arc::new(transport())).with_clock(Arc::new(clock.clone()));
    let url = format!("http://{addr}/v3/applicationInstance/task");
    let call = tokio::spawn(async move {
        let req = http::Request::post(url)
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        dispatcher
            .send(OperationId::CreateTaskBatch, req, None)
            .await
    });
    // The server has the request; now let the attempt's 30 s pass.
    rx.recv().await.unwrap();
    while clock.pending_sleeps() == 0 {
        tokio::task::yield_now().await;
    }
    clock.advance(Duration::from_secs(30));
    let e = call.await.unwrap().unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Timeout, "{e}");
    assert!(e.may_have_been_delivered());
    // Unsafe and possibly delivered: sent once only.
    assert_eq!(e.attempts(), 1);
}

/// A server that answers every request with a 302 to `location(path)`.
async fn redirector(
    ip: &str,
    seen: Seen,
    location: Arc<dyn Fn() -> String + Send + Sync>,
) -> SocketAddr {
    serve(
        ip,
        Arc::new(move |req| {
            seen.push(&req);
            let to = location();
            Box::pin(async move { respond(302, &[("location", &to)], "") })
        }),
    )
    .await
}

async fn recorder(ip: &str, seen: Seen) -> SocketAddr {
    serve(
        ip,
        Arc::new(move |req| {
            seen.push(&req);
            Box::pin(async move { respond(200, &[("content-type", "application/json")], "{}") })
        }),
    )
    .await
}

#[tokio::test]
async fn a_redirect_to_another_host_is_refused_and_carries_nothing_there() {
    let (first, other) = (Seen::default(), Seen::default());
    // 127.0.0.2 where the loopback network has it (Linux); elsewhere
    // another name for this machine, which is another host all the same.
    let target = if TcpListener::bind("127.0.0.2:0").await.is_ok() {
        recorder("127.0.0.2", other.clone()).await.to_string()
    } else {
        let addr = recorder("127.0.0.1", other.clone()).await;
        format!("localhost:{}", addr.port())
    };
    let origin = redirector(
        "127.0.0.1",
        first.clone(),
        Arc::new(move || format!("http://{target}/v3/applicationInstance/task")),
    )
    .await;
    let e = transport()
        .send(with_credentials(&format!(
            "http://{origin}/v3/applicationInstance/task"
        )))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Redirect, "{e}");
    assert!(e.may_have_been_delivered());
    assert!(e.to_string().contains("another host"), "{e}");
    assert_eq!(first.all().len(), 1);
    // The other host never saw a request, let alone a credential.
    assert!(other.all().is_empty());
}

#[tokio::test]
async fn localhost_and_127_0_0_1_are_different_hosts() {
    let seen = Seen::default();
    let port = Arc::new(Mutex::new(0u16));
    let p = port.clone();
    let addr = serve(
        "127.0.0.1",
        Arc::new({
            let seen = seen.clone();
            move |req| {
                seen.push(&req);
                let to = format!("http://localhost:{}/elsewhere", p.lock().unwrap());
                let redirect = req.uri().path() != "/elsewhere";
                Box::pin(async move {
                    if redirect {
                        respond(302, &[("location", &to)], "")
                    } else {
                        respond(200, &[], "{}")
                    }
                })
            }
        }),
    )
    .await;
    *port.lock().unwrap() = addr.port();
    let e = transport()
        .send(with_credentials(&format!("http://{addr}/start")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Redirect);
    assert_eq!(seen.all().len(), 1);
}

#[tokio::test]
async fn a_redirect_to_another_port_on_the_same_host_is_refused() {
    let (first, other) = (Seen::default(), Seen::default());
    let target = recorder("127.0.0.1", other.clone()).await;
    let origin = redirector(
        "127.0.0.1",
        first.clone(),
        Arc::new(move || format!("http://{target}/x")),
    )
    .await;
    let e = transport()
        .send(with_credentials(&format!("http://{origin}/x")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Redirect);
    assert!(other.all().is_empty());
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_with_the_credentials() {
    let seen = Seen::default();
    let addr = serve(
        "127.0.0.1",
        Arc::new({
            let seen = seen.clone();
            move |req| {
                seen.push(&req);
                let moved = req.uri().path() == "/old";
                Box::pin(async move {
                    if moved {
                        respond(302, &[("location", "/new")], "")
                    } else {
                        respond(200, &[("content-type", "application/json")], "[]")
                    }
                })
            }
        }),
    )
    .await;
    let r = transport()
        .send(with_credentials(&format!("http://{addr}/old")))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = seen.all();
    assert_eq!(seen.len(), 2);
    let (path, headers) = &seen[1];
    assert_eq!(path, "/new");
    assert!(headers.contains_key("authorization"));
    assert_eq!(headers["private-token"], "test-token-DO-NOT-USE");
    assert!(!headers.contains_key("referer"));
}

#[tokio::test]
async fn a_redirect_loop_stops() {
    let addr = serve(
        "127.0.0.1",
        Arc::new(|_req| Box::pin(async { respond(302, &[("location", "/again")], "") })),
    )
    .await;
    let e = transport()
        .send(get(&format!("http://{addr}/start")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Redirect);
    assert!(e.to_string().contains("more than 5 redirects"), "{e}");
}

#[tokio::test]
async fn with_redirects_off_the_3xx_is_returned() {
    let addr = serve(
        "127.0.0.1",
        Arc::new(|_req| Box::pin(async { respond(302, &[("location", "/again")], "") })),
    )
    .await;
    let t = ReqwestTransport::builder()
        .max_redirects(0)
        .build()
        .unwrap();
    let e = t
        .send(get(&format!("http://{addr}/start")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Redirect);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_body_too_large_error() {
    let addr = serve(
        "127.0.0.1",
        Arc::new(|_req| Box::pin(async { respond(200, &[], vec![b'x'; 4096]) })),
    )
    .await;
    let t = ReqwestTransport::builder()
        .max_body_bytes(1024)
        .build()
        .unwrap();
    let e = t.send(get(&format!("http://{addr}/"))).await.unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::BodyTooLarge);
    assert!(e.may_have_been_delivered());
    assert_eq!(
        e.to_string(),
        "the response body is too large: over the limit of 1024 bytes"
    );
}

#[tokio::test]
async fn a_compressed_body_that_expands_past_the_limit_is_too_large() {
    // No usable Content-Length once decompressed: the limit is enforced
    // while reading.
    let addr = serve(
        "127.0.0.1",
        Arc::new(|_req| {
            Box::pin(async {
                respond(
                    200,
                    &[("content-encoding", "gzip")],
                    gzip_stored(&[b'x'; 4096]),
                )
            })
        }),
    )
    .await;
    let t = ReqwestTransport::builder()
        .max_body_bytes(1024)
        .build()
        .unwrap();
    let e = t.send(get(&format!("http://{addr}/"))).await.unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::BodyTooLarge, "{e}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_final_even_for_a_safe_operation() {
    let seen = Seen::default();
    let log = seen.clone();
    let addr = serve(
        "127.0.0.1",
        Arc::new(move |req| {
            log.push(&req);
            Box::pin(async { respond(200, &[], vec![b'x'; 4096]) })
        }),
    )
    .await;
    let t = ReqwestTransport::builder()
        .max_body_bytes(1024)
        .build()
        .unwrap();
    let dispatcher = Dispatcher::new(Arc::new(t)).with_clock(Arc::new(ManualClock::new()));
    let e = dispatcher
        .send(
            OperationId::GetTask,
            get(&format!("http://{addr}/v3/applicationInstance/task/1")),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::BodyTooLarge);
    assert_eq!(e.attempts(), 1);
    assert_eq!(
        seen.all().len(),
        1,
        "asked once: the same body would come back"
    );
}

mod tls {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    /// A TLS server on 127.0.0.1 with a certificate from a fresh CA; returns
    /// its address and the CA certificate in PEM form.
    async fn tls_server() -> (SocketAddr, String) {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let svc =
                        service_fn(|_req| async { Ok::<_, Infallible>(respond(200, &[], "{}")) });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), svc)
                        .await;
                });
            }
        });
        (addr, ca.pem())
    }

    #[tokio::test]
    async fn an_unknown_certificate_is_refused_before_sending() {
        let (addr, _) = tls_server().await;
        let e = transport()
            .send(get(&format!("https://localhost:{}/", addr.port())))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), TransportErrorKind::Connect, "{e}");
        assert!(!e.may_have_been_delivered());
    }

    #[tokio::test]
    async fn an_added_root_certificate_is_trusted() {
        let (addr, ca_pem) = tls_server().await;
        let t = ReqwestTransport::builder()
            .add_root_certificate_pem(ca_pem)
            .build()
            .unwrap();
        let r = t
            .send(get(&format!("https://localhost:{}/", addr.port())))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}
