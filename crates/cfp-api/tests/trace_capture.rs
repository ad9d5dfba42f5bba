//! A TRACE-level capture of every kind of call (successes, retries, each
//! error kind, a real refused connection) holds no credential, nor base64
//! of key:secret.
//!
//! Alone in its test binary: `tracing` caches per-callsite interest
//! process-wide, so a test without a subscriber running in parallel could
//! hide the callsites from this one.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io;
use std::sync::{Arc, Mutex};

use cfp_api::Client;
use cfp_api::model::TaskId;
use cfp_api::{ReqwestTransport, RetryPolicy};
use support::exercise::exercise_everything;
use support::*;
use tracing_subscriber::fmt::format::FmtSpan;

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn a_trace_capture_of_every_kind_of_call_holds_no_secret() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let rig = rig();
    let errors = exercise_everything(&rig).await;
    for e in &errors {
        tracing::error!(error = %e, debug = ?e, "reported");
    }
    // A real transport too: a refused connection.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let real = Client::builder()
        .task_url(format!("http://127.0.0.1:{port}"))
        .task_token(TOKEN)
        .transport(Arc::new(ReqwestTransport::new().unwrap()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = real.get_task(TaskId(1)).send().await.unwrap_err();
    tracing::error!(error = %e, debug = ?e, "reported");

    let text = capture.text();
    assert!(text.contains("cfp.call"), "no span captured:\n{text}");
    assert!(text.contains("TRACE"), "not a TRACE-level capture");
    assert_no_secret("the trace", &text);
}
