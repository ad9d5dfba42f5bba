//! What a client can hold: stalled requests (and clients that stop
//! reading) are closed, and a body sent a byte at a time costs its length.
//!
//! The memory figures are measured on `cfp-sim` as a process
//! (`/proc/PID/status`), so the test's own allocations do not count. The
//! figures printed with `--nocapture` are the ones in
//! `docs/reliability.md`. `CFP_SIM_BIN=path/to/cfp-sim` measures another build of cfp-sim in the
//! process tests (a build from before a change, say).

// The figures are printed for docs/reliability.md.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cfp_testkit::{DEFAULT_REQUEST_TIMEOUT, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::process::{SimProcess, base_of};
use crate::support::{Sim, builder};

const TASKS: &str = "/v3/applicationInstance/task";
const UPLOAD: &str = "/zstack/v1/images/upload-job/details/ccf943310d86335bb3d2511ca8e14137";

async fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Reads until the server closes the connection (or `within` passes):
/// what came, and when it closed.
async fn read_until_closed(s: &mut TcpStream, within: Duration) -> (Vec<u8>, Option<Duration>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = within.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return (got, None),
            Ok(Ok(0) | Err(_)) => return (got, Some(started.elapsed())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn head(method: &str, path: &str, headers: &str, content_length: usize) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nhost: sim\r\n{headers}content-length: {content_length}\r\n\r\n"
    )
    .into_bytes()
}

// ---------------------------------------------------------------------------
// Stalled requests

#[tokio::test]
async fn the_request_timeout_is_30_seconds_by_default() {
    assert_eq!(DEFAULT_REQUEST_TIMEOUT, Duration::from_secs(30));
    let sim = Simulator::builder().start().await.unwrap();
    assert_eq!(sim.request_timeout(), Duration::from_secs(30));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_request_whose_body_stalls_is_answered_408_and_closed() {
    let timeout = Duration::from_millis(300);
    let sim = Sim::with(builder().request_timeout(timeout)).await;
    let mut s = connect(sim.addr()).await;
    let mut req = head("POST", TASKS, "private-token: demo\r\n", 100);
    req.extend_from_slice(br#"{"taskTemplateId""#);
    s.write_all(&req).await.unwrap();
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(10)).await;
    let closed = closed.expect("the server closed the connection");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    assert!(
        closed >= timeout && closed < timeout + Duration::from_secs(2),
        "{closed:?}"
    );
    eventually("the connection is counted out", || {
        sim.open_connections() == 0
    })
    .await;
    println!(
        "stalled body: 408 and closed after {} ms (timeout 300 ms)",
        closed.as_millis()
    );
}

#[tokio::test]
async fn a_request_whose_head_stalls_is_closed() {
    let timeout = Duration::from_millis(300);
    let sim = Sim::with(builder().request_timeout(timeout)).await;
    let mut s = connect(sim.addr()).await;
    s.write_all(b"GET /_sim/health HTTP/1.1\r\nhost: sim\r\n")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut s, Duration::from_secs(10)).await;
    let closed = closed.expect("the server closed the connection");
    assert!(
        closed >= timeout && closed < timeout + Duration::from_secs(2),
        "{closed:?}"
    );
    eventually("the connection is counted out", || {
        sim.open_connections() == 0
    })
    .await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_request_timeout() {
    let timeout = Duration::from_millis(300);
    let sim = Sim::with(builder().request_timeout(timeout)).await;
    let mut s = connect(sim.addr()).await;
    s.write_all(b"GET /_sim/health HTTP/1.1\r\nhost: sim\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&got).contains(r#"{"ok":true}"#) {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer");
        got.extend_from_slice(&buf[..n]);
    }
    let (_, closed) = read_until_closed(&mut s, Duration::from_secs(10)).await;
    let closed = closed.expect("the server closed the idle connection");
    assert!(closed >= timeout - Duration::from_millis(50), "{closed:?}");
    assert!(closed < timeout + Duration::from_secs(2), "{closed:?}");
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_after_the_request_timeout() {
    let timeout = Duration::from_millis(500);
    let sim = Sim::with(builder().request_timeout(timeout)).await;
    for _ in 0..16 {
        let r = sim
            .send_raw(
                sim.http
                    .put(sim.url(UPLOAD))
                    .header("Authorization", "OAuth demo")
                    .body(vec![b'r'; 1 << 20]),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200);
    }
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut s = socket.connect(sim.addr()).await.unwrap();
    s.write_all(b"GET /_sim/journal HTTP/1.1\r\nhost: sim\r\n\r\n")
        .await
        .unwrap();
    // 16 MiB of NDJSON, never read: the socket buffers fill, then writes
    // block (`eventually` gives it 10 s).
    let started = Instant::now();
    eventually("the server closes the connection", || {
        sim.open_connections() == 0
    })
    .await;
    let closed = started.elapsed();
    assert!(closed >= timeout, "{closed:?}");
    println!(
        "a client that stopped reading the journal: closed after {} ms (timeout 500 ms)",
        closed.as_millis()
    );
    drop(s);
}

// ---------------------------------------------------------------------------
// cfp-sim as a process: memory

/// A `VmRSS`-style field of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// cfp-sim on a free loopback port, its stderr discarded; with `nofile`,
/// under that soft open-file limit. `CFP_SIM_BIN` runs another build (to
/// measure one from before a change).
fn spawn_sim(nofile: Option<u64>, args: &[&str]) -> (SimProcess, String) {
    let bin =
        std::env::var("CFP_SIM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_cfp-sim").to_owned());
    let mut cmd = match nofile {
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -Sn {n} && exec \"$0\" \"$@\""))
                .arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    cmd.args(["--addr", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::null());
    let mut p = SimProcess::spawn_command(cmd);
    let base = base_of(&p.line());
    (p, base)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_body_sent_one_byte_per_segment_costs_its_length_not_kilobytes_per_byte() {
    const CONNECTIONS: usize = 64;
    const BODY: usize = 1024;
    let (p, base) = spawn_sim(None, &[]);
    let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let mut conns = Vec::new();
    for _ in 0..CONNECTIONS {
        let mut s = connect(addr).await;
        s.write_all(&head("PUT", UPLOAD, "authorization: OAuth demo\r\n", BODY))
            .await
            .unwrap();
        conns.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = status_kib(p.pid(), "VmRSS");
    let started = Instant::now();
    // One byte per connection per round, a pause between rounds: the server
    // reads each byte as its own segment.
    for _ in 0..BODY - 1 {
        for s in &mut conns {
            s.write_all(b" ").await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let during = status_kib(p.pid(), "VmRSS");
    let sent = started.elapsed();
    for s in &mut conns {
        s.write_all(b" ").await.unwrap();
    }
    for s in &mut conns {
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
    }
    let bytes = (CONNECTIONS * (BODY - 1)) as u64;
    let grown = during.saturating_sub(before);
    println!(
        "{CONNECTIONS} bodies of {BODY} bytes sent one byte per segment ({} ms): \
         VmRSS {before} -> {during} KiB (+{grown} KiB for {bytes} bytes held, {:.0} bytes per byte)",
        sent.as_millis(),
        grown as f64 * 1024.0 / bytes as f64
    );
    // Kept as frames, each byte held a slice of a 4-8 KiB read buffer:
    // 250-500 MiB here. Kept as one buffer per body: well under 16 MiB.
    assert!(grown < 16 * 1024, "+{grown} KiB for {bytes} bytes");
    p.signal("-TERM");
    assert!(p.wait().0.success());
}
