//! The journal: every API request the simulator received, with what it
//! answered. Credentials are redacted before anything is stored.
//!
//! It keeps the last [`Journal::DEFAULT_CAPACITY`] entries (configurable);
//! older ones are dropped, but the per-operation counts cover every request
//! since the start (or the last [`Journal::clear`]).

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cfp_model::OperationId;
use jiff::Timestamp;
use serde_json::{Value, json};

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
    /// Request body.
    pub body: Bytes,
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

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The entry as one JSON object (the NDJSON line of `/_sim/journal`).
    pub fn to_json(&self, started: Instant) -> Value {
        json!({
            "seq": self.seq,
            "operation": self.operation.map(OperationId::name),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
            "body": self.body_text(),
            "simTime": self.sim_time.as_second(),
            "simTimeRfc3339": self.sim_time.to_string(),
            "elapsedMs": u64::try_from(self.received.saturating_duration_since(started).as_millis()).unwrap_or(u64::MAX),
            "status": self.status,
            "fault": self.fault,
            "retryAfterMs": self.retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        })
    }
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

#[derive(Debug)]
struct Inner {
    entries: Mutex<VecDeque<Arc<JournalEntry>>>,
    capacity: usize,
    next_seq: AtomicU64,
    counts: [AtomicU64; OperationId::ALL.len()],
    unrouted: AtomicU64,
    dropped: AtomicU64,
    faulted: AtomicU64,
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

    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
                capacity: capacity.max(1),
                next_seq: AtomicU64::new(1),
                counts: std::array::from_fn(|_| AtomicU64::new(0)),
                unrouted: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                faulted: AtomicU64::new(0),
                started: Instant::now(),
            }),
        }
    }

    fn entries_lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<JournalEntry>>> {
        self.inner
            .entries
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
        let entry = Arc::new(entry);
        let evicted = {
            let mut entries = self.entries_lock();
            let evicted = if entries.len() >= self.inner.capacity {
                self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                entries.pop_front()
            } else {
                None
            };
            // Requests finish out of order; keep the journal in arrival order.
            let pos = entries
                .iter()
                .rposition(|e| e.seq < entry.seq)
                .map_or(0, |i| i + 1);
            entries.insert(pos, entry);
            evicted
        };
        // Freed outside the lock.
        drop(evicted);
    }

    /// The real instant the simulator started.
    pub fn started(&self) -> Instant {
        self.inner.started
    }

    /// The entries kept, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries_lock().iter().map(|e| (**e).clone()).collect()
    }

    /// The entries kept for one operation, oldest first.
    pub fn entries_for(&self, op: OperationId) -> Vec<JournalEntry> {
        self.entries_lock()
            .iter()
            .filter(|e| e.operation == Some(op))
            .map(|e| (**e).clone())
            .collect()
    }

    /// The most recent entry.
    pub fn last(&self) -> Option<JournalEntry> {
        self.entries_lock().back().map(|e| (**e).clone())
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
        self.entries_lock().len()
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

    /// Forgets every entry and count.
    pub fn clear(&self) {
        let mut entries = self.entries_lock();
        entries.clear();
        for c in &self.inner.counts {
            c.store(0, Ordering::Relaxed);
        }
        self.inner.unrouted.store(0, Ordering::Relaxed);
        self.inner.dropped.store(0, Ordering::Relaxed);
        self.inner.faulted.store(0, Ordering::Relaxed);
    }

    /// The average rate of requests (to `op`, or all) between the first and
    /// the last kept entry, in requests per real second; 0 with fewer than
    /// two.
    pub fn requests_per_second(&self, op: Option<OperationId>) -> f64 {
        let entries = self.entries_lock();
        let mut times = entries
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
        let entries = self.entries_lock();
        let times: Vec<Instant> = entries
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
        let started = self.inner.started;
        let mut out = String::new();
        for e in self.entries_lock().iter() {
            if e.seq < since || op.is_some_and(|op| e.operation != Some(op)) {
                continue;
            }
            out.push_str(&e.to_json(started).to_string());
            out.push('\n');
        }
        out
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
        let j = Journal::new(3);
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
        let j = Journal::new(10);
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
        let j = Journal::new(100);
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
        let j = Journal::new(10);
        j.record(entry(&j, OperationId::GetTask, Instant::now(), None));
        let text = j.to_ndjson(None, 0);
        assert_eq!(text.lines().count(), 1);
        assert!(!text.contains("ZGVtbzpkZW1v"));
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["operation"], "getTask");
    }
}
