//! The journal: every API request the simulator received, with what it
//! answered. Credentials are redacted before anything is stored.
//!
//! It keeps the last [`Journal::DEFAULT_CAPACITY`] entries (configurable);
//! older ones are dropped, but the per-operation counts cover every request
//! since the start (or the last [`Journal::clear`]).
//!
//! What it keeps fits a byte budget ([`Journal::DEFAULT_BUDGET`],
//! configurable): past it, the oldest bodies give way to their length and
//! digest, so that a client sending large bodies cannot grow the simulator
//! without bound while the newest bodies stay readable.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cfp_model::OperationId;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

/// One request and its answer.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    /// Sequence number, from 1, never reused.
    pub seq: u64,
    /// The operation it was routed to (`None` for an unknown route).
    pub operation: Option<OperationId>,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Request headers, lowercase names; credentials redacted.
    pub headers: Vec<(String, String)>,
    /// Request body, when kept: empty when it gave way to the byte budget,
    /// and for requests to no operation or with refused credentials (see
    /// [`JournalEntry::body_kept`]).
    pub body: Bytes,
    /// The request body's length, kept or not.
    pub body_len: u64,
    /// The FNV-1a (64-bit) digest of the request body ([`body_digest`]),
    /// when the simulator read it to answer (not for requests to no
    /// operation or with refused credentials, nor for an empty body).
    pub body_digest: Option<u64>,
    /// Simulated time when it arrived.
    pub sim_time: Timestamp,
    /// Real time when it arrived.
    pub received: Instant,
    /// The status sent (for a reset or slow body, the status of the headers
    /// that went out).
    pub status: u16,
    /// The fault injected, if any (see [`crate::Fault::name`]).
    pub fault: Option<String>,
    /// The `Retry-After` the answer carried, if any.
    pub retry_after: Option<Duration>,
}

impl JournalEntry {
    /// A request header's value (after redaction), by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy; empty when not kept).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether [`JournalEntry::body`] is the whole request body.
    pub fn body_kept(&self) -> bool {
        self.body.len() as u64 == self.body_len
    }

    /// The entry as one JSON object (the NDJSON line of `/_sim/journal`).
    pub fn to_json(&self, started: Instant) -> Value {
        serde_json::to_value(self.line(started)).unwrap_or_default()
    }

    fn line(&self, started: Instant) -> Line<'_> {
        Line {
            seq: self.seq,
            operation: self.operation.map(OperationId::name),
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| [n.as_str(), v.as_str()])
                .collect(),
            body: String::from_utf8_lossy(&self.body),
            body_length: self.body_len,
            body_kept: self.body_kept(),
            body_digest: self.body_digest.map(|d| format!("fnv1a64:{d:016x}")),
            sim_time: self.sim_time.as_second(),
            sim_time_rfc3339: self.sim_time.to_string(),
            elapsed_ms: millis(self.received.saturating_duration_since(started)),
            status: self.status,
            fault: self.fault.as_deref(),
            retry_after_ms: self.retry_after.map(millis),
        }
    }

    /// About how many bytes the entry holds, for the byte budget.
    fn retained_bytes(&self) -> usize {
        const STRING: usize = std::mem::size_of::<String>();
        std::mem::size_of::<JournalEntry>()
            + self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self
                .headers
                .iter()
                .map(|(n, v)| 2 * STRING + n.len() + v.len())
                .sum::<usize>()
            + self.fault.as_ref().map_or(0, String::len)
            + self.body.len()
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One NDJSON line of `/_sim/journal`, serialised from borrowed fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    seq: u64,
    operation: Option<&'static str>,
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: Vec<[&'a str; 2]>,
    body: Cow<'a, str>,
    body_length: u64,
    body_kept: bool,
    body_digest: Option<String>,
    sim_time: i64,
    sim_time_rfc3339: String,
    elapsed_ms: u64,
    status: u16,
    fault: Option<&'a str>,
    retry_after_ms: Option<u64>,
}

/// The 64-bit FNV-1a digest the journal keeps of a body: stable across
/// runs and platforms (unlike std's `DefaultHasher`), cheap, and not meant
/// to resist anyone; it tells bodies apart in assertions.
///
/// ```
/// assert_eq!(cfp_testkit::body_digest(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(cfp_testkit::body_digest(b"a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub fn body_digest(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// Replaces credentials in a request header's value.
pub(crate) fn redact(name: &str, value: &str) -> String {
    const REDACTED: &str = "** redacted **";
    match name {
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {REDACTED}"),
            None => REDACTED.to_owned(),
        },
        "private-token" | "cookie" | "x-sim-token" | "x-api-key" => REDACTED.to_owned(),
        _ => value.to_owned(),
    }
}

/// What of a request the journal and the simulator's log keep of the
/// secrets some operations carry outside the headers: the update URL of
/// image update create (it may hold storage credentials), the session in
/// ZStack logout's path, and the password digest of ZStack login.
pub(crate) fn redact_request(
    op: Option<OperationId>,
    path: &mut String,
    query: &mut Option<String>,
    body: &mut Bytes,
) {
    const REDACTED: &str = "** redacted **";
    match op {
        Some(OperationId::CreateImageUpdate) => {
            if let Some(q) = query.as_mut() {
                *q = q
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some(("url", _)) => "url=**redacted**".to_owned(),
                        _ => pair.to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("&");
            }
        }
        Some(OperationId::LogOut) => {
            if let Some(i) = path.rfind('/') {
                path.truncate(i + 1);
                path.push_str(REDACTED);
            }
        }
        Some(OperationId::LogInByAccount) => {
            let redacted = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .map(|mut v| {
                    if let Some(p) = v.pointer_mut("/logInByAccount/password") {
                        *p = serde_json::Value::from(REDACTED);
                    }
                    v
                })
                .and_then(|v| serde_json::to_vec(&v).ok())
                .unwrap_or_default();
            *body = Bytes::from(redacted);
        }
        _ => {}
    }
}

/// The client sent a request earlier than a `Retry-After` asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "request {next_seq} ({method} {path}) came {early:?} before the Retry-After of {retry_after:?} \
     sent with request {seq} had passed"
)]
pub struct RetryAfterViolation {
    /// The request that was answered with `Retry-After`.
    pub seq: u64,
    /// The request that came too early.
    pub next_seq: u64,
    /// Its method.
    pub method: String,
    /// Its path.
    pub path: String,
    /// What `Retry-After` said.
    pub retry_after: Duration,
    /// How early it came.
    pub early: Duration,
}

/// The entries kept, and what they hold.
#[derive(Debug, Default)]
struct Kept {
    /// In arrival (sequence) order.
    entries: VecDeque<Arc<JournalEntry>>,
    /// The sum of their `retained_bytes`.
    bytes: usize,
    /// No entry before this index holds a body: where the search for the
    /// oldest body to digest starts.
    bodies_from: usize,
}

impl Kept {
    fn pop_oldest(&mut self) -> Option<Arc<JournalEntry>> {
        let old = self.entries.pop_front()?;
        self.bytes = self.bytes.saturating_sub(old.retained_bytes());
        self.bodies_from = self.bodies_from.saturating_sub(1);
        Some(old)
    }

    /// Replaces the oldest body kept by its length and digest.
    fn digest_oldest_body(&mut self) -> Option<Arc<JournalEntry>> {
        let Some(i) =
            (self.bodies_from..self.entries.len()).find(|&i| !self.entries[i].body.is_empty())
        else {
            self.bodies_from = self.entries.len();
            return None;
        };
        let mut stripped = (*self.entries[i]).clone();
        stripped.body = Bytes::new();
        let old = std::mem::replace(&mut self.entries[i], Arc::new(stripped));
        self.bytes = self.bytes.saturating_sub(old.body.len());
        self.bodies_from = i + 1;
        Some(old)
    }
}

#[derive(Debug)]
struct Inner {
    kept: Mutex<Kept>,
    capacity: usize,
    budget: usize,
    next_seq: AtomicU64,
    counts: [AtomicU64; OperationId::ALL.len()],
    unrouted: AtomicU64,
    dropped: AtomicU64,
    faulted: AtomicU64,
    digested: AtomicU64,
    started: Instant,
}

/// A handle to the journal. Cheap to clone.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use cfp_model::OperationId;
/// use cfp_testkit::Simulator;
///
/// let sim = Simulator::builder().start().await?;
/// // … drive a client against sim.base_url() …
/// assert_eq!(sim.journal().count(OperationId::CreateTaskBatch), 0);
/// sim.journal().check_retry_after(None)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("len", &self.len())
            .field("total", &self.total())
            .field("capacity", &self.inner.capacity)
            .field("budget", &self.inner.budget)
            .finish()
    }
}

/// Index of an operation in [`OperationId::ALL`].
fn index(op: OperationId) -> usize {
    OperationId::ALL
        .iter()
        .position(|o| *o == op)
        .unwrap_or_default()
}

impl Journal {
    /// How many entries a journal keeps by default (oldest dropped first).
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// The byte budget of a journal by default: 64 MiB.
    pub const DEFAULT_BUDGET: usize = 64 << 20;

    pub(crate) fn new(capacity: usize, budget: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                kept: Mutex::new(Kept {
                    entries: VecDeque::with_capacity(capacity.min(1024)),
                    ..Kept::default()
                }),
                capacity: capacity.max(1),
                budget,
                next_seq: AtomicU64::new(1),
                counts: std::array::from_fn(|_| AtomicU64::new(0)),
                unrouted: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                faulted: AtomicU64::new(0),
                digested: AtomicU64::new(0),
                started: Instant::now(),
            }),
        }
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        self.inner
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.inner.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn record(&self, entry: JournalEntry) {
        match entry.operation {
            Some(op) => self.inner.counts[index(op)].fetch_add(1, Ordering::Relaxed),
            None => self.inner.unrouted.fetch_add(1, Ordering::Relaxed),
        };
        if entry.fault.is_some() {
            self.inner.faulted.fetch_add(1, Ordering::Relaxed);
        }
        let cost = entry.retained_bytes();
        let entry = Arc::new(entry);
        let mut freed = Vec::new();
        {
            let mut kept = self.kept();
            if kept.entries.len() >= self.inner.capacity {
                self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                freed.extend(kept.pop_oldest());
            }
            // Requests finish out of order; keep the journal in arrival order.
            let pos = kept
                .entries
                .iter()
                .rposition(|e| e.seq < entry.seq)
                .map_or(0, |i| i + 1);
            kept.entries.insert(pos, entry);
            kept.bytes += cost;
            kept.bodies_from = kept.bodies_from.min(pos);
            while kept.bytes > self.inner.budget {
                if let Some(old) = kept.digest_oldest_body() {
                    self.inner.digested.fetch_add(1, Ordering::Relaxed);
                    freed.push(old);
                } else if let Some(old) = kept.pop_oldest() {
                    // Only when the entries alone outgrow the budget.
                    self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                    freed.push(old);
                } else {
                    break;
                }
            }
        }
        // Freed outside the lock.
        drop(freed);
    }

    /// The real instant the simulator started.
    pub fn started(&self) -> Instant {
        self.inner.started
    }

    /// The entries kept, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.kept().entries.iter().map(|e| (**e).clone()).collect()
    }

    /// The entries kept for one operation, oldest first.
    pub fn entries_for(&self, op: OperationId) -> Vec<JournalEntry> {
        self.kept()
            .entries
            .iter()
            .filter(|e| e.operation == Some(op))
            .map(|e| (**e).clone())
            .collect()
    }

    /// The most recent entry.
    pub fn last(&self) -> Option<JournalEntry> {
        self.kept().entries.back().map(|e| (**e).clone())
    }

    /// Requests to `op` since the start or the last clear, including those
    /// whose entries were dropped.
    pub fn count(&self, op: OperationId) -> u64 {
        self.inner.counts[index(op)].load(Ordering::Relaxed)
    }

    /// Every request since the start or the last clear.
    pub fn total(&self) -> u64 {
        self.inner
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum::<u64>()
            + self.inner.unrouted.load(Ordering::Relaxed)
    }

    /// Entries kept now.
    pub fn len(&self) -> usize {
        self.kept().entries.len()
    }

    /// No entry kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests that met a fault (latency included) since the start or the
    /// last clear, including those whose entries were dropped.
    pub fn faulted(&self) -> u64 {
        self.inner.faulted.load(Ordering::Relaxed)
    }

    /// Entries dropped because the journal was full.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// The most entries kept.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// The most bytes the kept entries hold (about: their fields' lengths
    /// and sizes); past it the oldest bodies give way to their length and
    /// digest.
    pub fn budget(&self) -> usize {
        self.inner.budget
    }

    /// About how many bytes the kept entries hold now (never more than
    /// [`Journal::budget`]).
    pub fn retained_bytes(&self) -> usize {
        self.kept().bytes
    }

    /// Bodies that gave way to the byte budget since the start or the last
    /// clear.
    pub fn bodies_digested(&self) -> u64 {
        self.inner.digested.load(Ordering::Relaxed)
    }

    /// Forgets every entry and count.
    pub fn clear(&self) {
        let mut kept = self.kept();
        let entries = std::mem::take(&mut *kept);
        for c in &self.inner.counts {
            c.store(0, Ordering::Relaxed);
        }
        self.inner.unrouted.store(0, Ordering::Relaxed);
        self.inner.dropped.store(0, Ordering::Relaxed);
        self.inner.faulted.store(0, Ordering::Relaxed);
        self.inner.digested.store(0, Ordering::Relaxed);
        drop(kept);
        // Freed outside the lock.
        drop(entries);
    }

    /// The average rate of requests (to `op`, or all) between the first and
    /// the last kept entry, in requests per real second; 0 with fewer than
    /// two.
    pub fn requests_per_second(&self, op: Option<OperationId>) -> f64 {
        let kept = self.kept();
        let mut times = kept
            .entries
            .iter()
            .filter(|e| op.is_none_or(|op| e.operation == Some(op)))
            .map(|e| e.received);
        let Some(first) = times.next() else {
            return 0.0;
        };
        let (n, last) = times.fold((1u64, first), |(n, last), t| (n + 1, last.max(t)));
        let span = last.saturating_duration_since(first).as_secs_f64();
        if n < 2 || span == 0.0 {
            return 0.0;
        }
        (n - 1) as f64 / span
    }

    /// The most requests (to `op`, or all) that arrived within any real
    /// `window`: assert a client's rate limit with it.
    pub fn max_requests_in(&self, op: Option<OperationId>, window: Duration) -> usize {
        let kept = self.kept();
        let times: Vec<Instant> = kept
            .entries
            .iter()
            .filter(|e| op.is_none_or(|op| e.operation == Some(op)))
            .map(|e| e.received)
            .collect();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].saturating_duration_since(times[start]) >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    /// Checks that after every answer carrying `Retry-After` (to `op`, or
    /// any), the client's next request with the same method and path came
    /// no earlier than it asked (real time).
    pub fn check_retry_after(&self, op: Option<OperationId>) -> Result<(), RetryAfterViolation> {
        self.check_waits(op, |first, next| {
            next.received.saturating_duration_since(first.received)
        })
    }

    /// Like [`Journal::check_retry_after`], in simulated time: for a client
    /// whose sleeps run on the simulator's scaled clock (as the CLI's
    /// `--sim` does), `Retry-After` seconds are simulated seconds.
    pub fn check_retry_after_simulated(
        &self,
        op: Option<OperationId>,
    ) -> Result<(), RetryAfterViolation> {
        self.check_waits(op, |first, next| {
            let ms = next.sim_time.as_millisecond() - first.sim_time.as_millisecond();
            Duration::from_millis(u64::try_from(ms).unwrap_or(0))
        })
    }

    fn check_waits(
        &self,
        op: Option<OperationId>,
        waited: impl Fn(&JournalEntry, &JournalEntry) -> Duration,
    ) -> Result<(), RetryAfterViolation> {
        let entries = self.entries();
        for (i, e) in entries.iter().enumerate() {
            let Some(wait) = e.retry_after else {
                continue;
            };
            if op.is_some_and(|op| e.operation != Some(op)) {
                continue;
            }
            let next = entries[i + 1..]
                .iter()
                .find(|n| n.method == e.method && n.path == e.path);
            if let Some(n) = next {
                let waited = waited(e, n);
                if waited < wait {
                    return Err(RetryAfterViolation {
                        seq: e.seq,
                        next_seq: n.seq,
                        method: n.method.clone(),
                        path: n.path.clone(),
                        retry_after: wait,
                        early: wait - waited,
                    });
                }
            }
        }
        Ok(())
    }

    /// The kept entries as NDJSON, from sequence number `since` on, for one
    /// operation or all.
    pub fn to_ndjson(&self, op: Option<OperationId>, since: u64) -> String {
        let mut out = Vec::new();
        let mut chunks = self.ndjson_chunks(op, since);
        while let Some(chunk) = chunks.next_chunk() {
            out.extend_from_slice(&chunk);
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// The NDJSON of [`Journal::to_ndjson`] a chunk at a time, for entries
    /// recorded so far: what `GET /_sim/journal` streams.
    pub(crate) fn ndjson_chunks(&self, op: Option<OperationId>, since: u64) -> NdjsonChunks {
        NdjsonChunks {
            journal: self.clone(),
            op,
            next: since,
            end: self.inner.next_seq.load(Ordering::Relaxed),
        }
    }
}

/// The journal as NDJSON, produced a chunk at a time: each chunk takes the
/// lock only to pick its entries, so a reader holds one chunk, not the
/// whole journal as text.
#[derive(Debug)]
pub(crate) struct NdjsonChunks {
    journal: Journal,
    op: Option<OperationId>,
    /// The next sequence number to look at.
    next: u64,
    /// The first sequence number not to send (the journal's next when the
    /// reading began: a journal that keeps growing still ends).
    end: u64,
}

impl NdjsonChunks {
    /// About how much text a chunk holds (one entry may make it more).
    const CHUNK_BYTES: usize = 64 * 1024;
    /// The most entries looked at under one lock.
    const SCAN: usize = 1024;

    /// The next lines, `None` at the end.
    pub(crate) fn next_chunk(&mut self) -> Option<Bytes> {
        while self.next < self.end {
            let picked = self.pick();
            if picked.is_empty() {
                continue;
            }
            let started = self.journal.inner.started;
            let mut out = Vec::with_capacity(Self::CHUNK_BYTES + 1024);
            for e in &picked {
                // Writing a borrowed struct to a Vec cannot fail.
                if serde_json::to_writer(&mut out, &e.line(started)).is_ok() {
                    out.push(b'\n');
                }
            }
            return Some(Bytes::from(out));
        }
        None
    }

    /// The entries of the next chunk; advances `next`.
    fn pick(&mut self) -> Vec<Arc<JournalEntry>> {
        let kept = self.journal.kept();
        let start = kept.entries.partition_point(|e| e.seq < self.next);
        let mut picked = Vec::new();
        let mut bytes = 0;
        for e in kept.entries.range(start..).take(Self::SCAN) {
            if e.seq >= self.end {
                break;
            }
            self.next = e.seq + 1;
            if self.op.is_some_and(|op| e.operation != Some(op)) {
                continue;
            }
            bytes += e.retained_bytes();
            picked.push(e.clone());
            if bytes >= Self::CHUNK_BYTES {
                return picked;
            }
        }
        if kept
            .entries
            .get(start + Self::SCAN)
            .is_none_or(|e| e.seq >= self.end)
        {
            self.next = self.end;
        }
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(j: &Journal, op: OperationId, at: Instant, retry_after: Option<u64>) -> JournalEntry {
        JournalEntry {
            seq: j.next_seq(),
            operation: Some(op),
            method: "GET".into(),
            path: "/x".into(),
            query: None,
            headers: vec![(
                "authorization".into(),
                redact("authorization", "Basic ZGVtbzpkZW1v"),
            )],
            body: Bytes::new(),
            body_len: 0,
            body_digest: None,
            sim_time: Timestamp::UNIX_EPOCH,
            received: at,
            status: if retry_after.is_some() { 429 } else { 200 },
            fault: None,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn credentials_are_redacted_keeping_the_scheme() {
        assert_eq!(redact("authorization", "Basic abc"), "Basic ** redacted **");
        assert_eq!(redact("authorization", "OAuth s"), "OAuth ** redacted **");
        assert_eq!(redact("private-token", "demo"), "** redacted **");
        assert_eq!(redact("accept", "*/*"), "*/*");
    }

    #[test]
    fn the_oldest_entries_are_dropped_but_counted() {
        let j = Journal::new(3, Journal::DEFAULT_BUDGET);
        let t = Instant::now();
        for _ in 0..5 {
            j.record(entry(&j, OperationId::GetTask, t, None));
        }
        assert_eq!(j.len(), 3);
        assert_eq!(j.dropped(), 2);
        assert_eq!(j.count(OperationId::GetTask), 5);
        assert_eq!(j.entries()[0].seq, 3);
        let mut faulted = entry(&j, OperationId::GetTask, t, None);
        faulted.fault = Some("reset".into());
        j.record(faulted);
        assert_eq!(j.faulted(), 1);
        j.clear();
        assert_eq!(j.total(), 0);
        assert_eq!(j.faulted(), 0);
        assert!(j.is_empty());
    }

    #[test]
    fn retry_after_is_checked_per_path() {
        let j = Journal::new(10, Journal::DEFAULT_BUDGET);
        let t = Instant::now();
        j.record(entry(&j, OperationId::GetTask, t, Some(2)));
        j.record(entry(
            &j,
            OperationId::GetTask,
            t + Duration::from_secs(3),
            None,
        ));
        assert!(j.check_retry_after(None).is_ok());
        j.record(entry(
            &j,
            OperationId::GetTask,
            t + Duration::from_secs(4),
            Some(2),
        ));
        j.record(entry(
            &j,
            OperationId::GetTask,
            t + Duration::from_secs(5),
            None,
        ));
        let v = j.check_retry_after(Some(OperationId::GetTask)).unwrap_err();
        assert_eq!(v.early, Duration::from_secs(1));
        assert_eq!(v.seq, 3);
        // In simulated time (all at the epoch here) every retry was early.
        let v = j.check_retry_after_simulated(None).unwrap_err();
        assert_eq!(v.seq, 1);
    }

    #[test]
    fn rates_over_the_kept_entries() {
        let j = Journal::new(100, Journal::DEFAULT_BUDGET);
        let t = Instant::now();
        for i in 0..11 {
            j.record(entry(
                &j,
                OperationId::GetTask,
                t + Duration::from_millis(100 * i),
                None,
            ));
        }
        let rps = j.requests_per_second(Some(OperationId::GetTask));
        assert!((rps - 10.0).abs() < 1e-6, "{rps}");
        assert_eq!(j.max_requests_in(None, Duration::from_millis(250)), 3);
        assert_eq!(j.requests_per_second(Some(OperationId::ListTasks)), 0.0);
    }

    #[test]
    fn ndjson_has_one_line_per_entry_without_credentials() {
        let j = Journal::new(10, Journal::DEFAULT_BUDGET);
        j.record(entry(&j, OperationId::GetTask, Instant::now(), None));
        let text = j.to_ndjson(None, 0);
        assert_eq!(text.lines().count(), 1);
        assert!(!text.contains("ZGVtbzpkZW1v"));
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["operation"], "getTask");
    }

    fn with_body(j: &Journal, body: &[u8]) -> JournalEntry {
        let mut e = entry(j, OperationId::CreateTaskBatch, Instant::now(), None);
        e.body = Bytes::copy_from_slice(body);
        e.body_len = body.len() as u64;
        e.body_digest = Some(body_digest(body));
        e
    }

    #[test]
    fn past_the_byte_budget_the_oldest_bodies_give_way_to_a_digest() {
        let j = Journal::new(100, 64 * 1024);
        let bodies: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 16 * 1024]).collect();
        for b in &bodies {
            j.record(with_body(&j, b));
            assert!(j.retained_bytes() <= j.budget(), "{}", j.retained_bytes());
        }
        let entries = j.entries();
        assert_eq!(entries.len(), 10, "entries stay; their bodies go");
        let kept: Vec<bool> = entries.iter().map(JournalEntry::body_kept).collect();
        // The newest bodies fit: three of 16 KiB and the entries' fields.
        assert_eq!(kept.iter().filter(|k| **k).count(), 3, "{kept:?}");
        assert!(kept[7..].iter().all(|k| *k), "{kept:?}");
        assert_eq!(j.bodies_digested(), 7);
        for (e, b) in entries.iter().zip(&bodies) {
            assert_eq!(e.body_len, 16 * 1024);
            assert_eq!(e.body_digest, Some(body_digest(b)));
        }
        let first: Value =
            serde_json::from_str(j.to_ndjson(None, 0).lines().next().unwrap()).unwrap();
        assert_eq!(first["body"], "");
        assert_eq!(first["bodyKept"], false);
        assert_eq!(first["bodyLength"], 16 * 1024);
        assert_eq!(
            first["bodyDigest"],
            format!("fnv1a64:{:016x}", body_digest(&bodies[0]))
        );
    }

    #[test]
    fn a_body_larger_than_the_budget_is_never_kept() {
        let j = Journal::new(100, 4096);
        j.record(with_body(&j, &[7; 8192]));
        let e = j.last().unwrap();
        assert!(!e.body_kept());
        assert_eq!(e.body_len, 8192);
        assert!(j.retained_bytes() <= 4096);
        // An entry whose fields alone outgrow the budget is not kept at all,
        // but counted.
        let j = Journal::new(100, 16);
        j.record(entry(&j, OperationId::GetTask, Instant::now(), None));
        assert!(j.is_empty());
        assert_eq!((j.total(), j.dropped()), (1, 1));
    }

    #[test]
    fn the_digest_is_fnv1a_64() {
        // The published FNV-1a 64-bit test vectors.
        assert_eq!(body_digest(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(body_digest(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(body_digest(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn ndjson_comes_in_chunks_of_bounded_size() {
        let j = Journal::new(1000, Journal::DEFAULT_BUDGET);
        for _ in 0..400 {
            j.record(with_body(&j, &[b'x'; 1024]));
        }
        j.record(entry(&j, OperationId::GetTask, Instant::now(), None));
        let mut chunks = j.ndjson_chunks(None, 0);
        // Recorded after the reading began: not part of it.
        j.record(entry(&j, OperationId::GetTask, Instant::now(), None));
        let mut lines = 0;
        let mut sizes = Vec::new();
        while let Some(c) = chunks.next_chunk() {
            sizes.push(c.len());
            lines += c.iter().filter(|b| **b == b'\n').count();
        }
        assert_eq!(lines, 401);
        assert!(sizes.len() >= 4, "{sizes:?}");
        assert!(sizes.iter().all(|s| *s < 128 * 1024), "{sizes:?}");
        // Filtered, from a sequence number on.
        let text = j.to_ndjson(Some(OperationId::GetTask), 0);
        assert_eq!(text.lines().count(), 2);
        let text = j.to_ndjson(None, 400);
        assert_eq!(text.lines().count(), 3);
    }
}
