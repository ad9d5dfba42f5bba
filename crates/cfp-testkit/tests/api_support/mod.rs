//! Shared by the cross-crate suites (`api_e2e`, `fault_matrix`, `soak`,
//! `api_trace`): a simulator that accepts obviously fake credentials, a
//! `cfp_api::Client` over the real `ReqwestTransport` pointed at it,
//! per-call attribution of journal entries, and the secret check. (The
//! client clock that follows a scaled simulator is `cfp_testkit::SimTime`.)
#![allow(dead_code)] // each suite uses a different subset

use std::sync::Arc;
use std::time::Duration;

use cfp_api::{Client, ClientBuilder, Error, ReqwestTransport, Timeouts, TransportErrorKind};
use cfp_testkit::{
    ClockMode, Credentials, JournalEntry, RunningSimulator, Simulator, SimulatorBuilder,
};

pub(crate) const KEY: &str = "api-e2e-key-DO-NOT-USE";
pub(crate) const SECRET: &str = "api-e2e-secret-DO-NOT-USE";
pub(crate) const TOKEN: &str = "api-e2e-token-DO-NOT-USE";
pub(crate) const SESSION: &str = "api-e2e-session-DO-NOT-USE";

/// The simulator's credentials: obviously fake, and distinct per surface so
/// that a leak says which one leaked.
pub(crate) fn credentials() -> Credentials {
    Credentials {
        clanforge_key: KEY.into(),
        clanforge_secret: SECRET.into(),
        task_token: TOKEN.into(),
        zstack_session: SESSION.into(),
    }
}

/// `base64(key:secret)`, the Basic header's payload.
pub(crate) fn basic_b64() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"))
}

/// Every string that must never appear outside a request header.
pub(crate) fn secrets() -> Vec<String> {
    vec![
        KEY.into(),
        SECRET.into(),
        TOKEN.into(),
        SESSION.into(),
        basic_b64(),
        "DO-NOT-USE".into(),
    ]
}

/// Panics, naming the secret, if `text` holds any.
pub(crate) fn assert_no_secret(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(&s), "{what} leaks {s:?}:\n{text}");
    }
}

/// Manual clock, seed 1, the default world, the fake credentials.
pub(crate) fn sim_builder() -> SimulatorBuilder {
    Simulator::builder()
        .clock(ClockMode::Manual)
        .seed(1)
        .credentials(credentials())
}

/// A client builder for `base_url` (all three surfaces) with the fake
/// credentials; `build()` gives the real reqwest transport.
pub(crate) fn client_for(base_url: &str) -> ClientBuilder {
    Client::builder()
        .clanforge_url(base_url)
        .clanforge_credentials(KEY, SECRET)
        .task_url(base_url)
        .task_token(TOKEN)
        .zstack_url(base_url)
        .zstack_session(SESSION)
}

/// A simulator and a client of it over the real reqwest transport.
pub(crate) struct Api {
    pub(crate) sim: RunningSimulator,
    pub(crate) client: Client,
}

impl Api {
    /// The default world, manual clock, seed 1; the client has the default
    /// retry policy and [`quick_timeouts`], and tokio's clock.
    pub(crate) async fn start() -> Self {
        Self::with(sim_builder()).await
    }

    /// A simulator of the test's own; the client as in [`Api::start`].
    pub(crate) async fn with(b: SimulatorBuilder) -> Self {
        let sim = b.start().await.expect("the simulator starts");
        let client = client_for(&sim.base_url())
            .timeouts(quick_timeouts())
            .build()
            .expect("the client builds");
        Self { sim, client }
    }

    /// Another client of the same simulator, from a builder of the test's
    /// own (for example with a scaled clock or other credentials).
    pub(crate) fn client(&self, f: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Client {
        f(client_for(&self.sim.base_url()))
            .build()
            .expect("the client builds")
    }
}

/// Short limits, so that faults resolve fast: connect 1 s, attempt 300 ms,
/// total 2 s.
pub(crate) fn quick_timeouts() -> Timeouts {
    Timeouts::default()
        .with_connect(Duration::from_secs(1))
        .with_attempt(Duration::from_millis(300))
        .with_total(Duration::from_secs(2))
}

/// One reqwest transport to share among many clients (one pool).
pub(crate) fn shared_transport(timeouts: Timeouts) -> Arc<ReqwestTransport> {
    Arc::new(
        ReqwestTransport::builder()
            .connect_timeout(timeouts.connect)
            .build()
            .expect("the reqwest transport builds"),
    )
}

/// The `User-Agent` suffix that tags one call, so that its journal entries
/// can be told from every other call's.
pub(crate) fn call_tag(n: usize) -> String {
    format!("call-{n}")
}

/// The journal entries of the call tagged `tag`, oldest first.
pub(crate) fn entries_of<'a>(entries: &'a [JournalEntry], tag: &str) -> Vec<&'a JournalEntry> {
    let suffix = format!(" {tag}");
    entries
        .iter()
        .filter(|e| {
            e.header("user-agent")
                .is_some_and(|ua| ua.ends_with(&suffix))
        })
        .collect()
}

/// Checks that within each call (each `tag`), the next request with the
/// same method and path as an answer carrying `Retry-After` came no earlier
/// than it asked (real time). This is the journal's own rule
/// (`Journal::check_retry_after`), applied per call: the journal's check
/// pairs requests by method and path alone, which mixes concurrent calls to
/// the same path.
pub(crate) fn check_retry_after_per_call(entries: &[JournalEntry], tags: &[String]) {
    for tag in tags {
        let mine = entries_of(entries, tag);
        for (i, first) in mine.iter().enumerate() {
            let Some(wait) = first.retry_after else {
                continue;
            };
            let Some(next) = mine[i + 1..]
                .iter()
                .find(|n| n.method == first.method && n.path == first.path)
            else {
                continue;
            };
            let waited = next.received.saturating_duration_since(first.received);
            assert!(
                waited >= wait,
                "{tag}: request {} ({} {} {}) came {waited:?} after request {} ({}) whose \
                 answer said Retry-After {wait:?}",
                next.seq,
                next.method,
                next.path,
                next.status,
                first.seq,
                first.status,
            );
        }
    }
}

/// Open file descriptors of this process, and how many are sockets (Linux;
/// `None` elsewhere).
pub(crate) fn open_fds() -> Option<(usize, usize)> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    let mut all = 0;
    let mut sockets = 0;
    for entry in dir.flatten() {
        all += 1;
        if std::fs::read_link(entry.path())
            .is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
        {
            sockets += 1;
        }
    }
    Some((all, sockets))
}

/// Resident memory of this process in KiB (Linux; `None` elsewhere).
pub(crate) fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// What a call ended with, as the fault matrix and the soak tally it.
pub(crate) fn outcome(r: &Result<(), Error>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(Error::Service { status, .. }) if *status < 300 => "service error in a 2xx body".into(),
        Err(Error::Service { status, .. }) => format!("service {status}"),
        Err(Error::Http { status, .. }) => format!("http {status}"),
        Err(Error::Decode { .. }) => "decode".into(),
        Err(Error::TaskState { .. }) => "task state".into(),
        Err(Error::Transport { source, .. }) => match source.kind() {
            TransportErrorKind::Timeout => "transport timeout".into(),
            TransportErrorKind::Io | TransportErrorKind::Body => "transport io".into(),
            other => format!("transport {other:?}"),
        },
        Err(e) => format!("other: {e}"),
    }
}
