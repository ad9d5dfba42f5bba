//! The connections the server holds: how many, which are idle, and the cap.
//!
//! The simulator runs in other teams' CI, sometimes on a shared address, so
//! a client must not be able to hold it: connections are capped below the
//! process's open-file limit, and at the cap the connection idle the longest
//! is closed to admit a new one. A connection that is idle (no request in
//! the handler, no answer being written) holds nothing that closing it
//! would lose; one whose request is in the handler is bounded by the
//! request timeout instead. When every connection is busy, a new one is
//! closed at once.
//!
//! The cap is counted in admitted connections: one chosen to make room
//! leaves the count at once, though its socket closes a moment later (the
//! reserve below the open-file limit covers that moment).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::task::AbortHandle;

/// The most connections admitted by default, whatever the open-file limit:
/// each idle connection costs about 10 KiB (its read buffer and task), so
/// this keeps a flood of idle connections to about 40 MiB.
pub(crate) const MAX_CONNECTIONS_CEILING: usize = 4096;

/// The open-file limit assumed where it cannot be read (macOS's default
/// soft limit).
const ASSUMED_SOFT_LIMIT: u64 = 256;

/// The soft `RLIMIT_NOFILE` of this process, from `/proc/self/limits`
/// (Linux); `None` elsewhere or when unlimited.
pub(crate) fn soft_open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_soft_open_files(&text)
}

/// The soft limit in the "Max open files" line of `/proc/<pid>/limits`.
fn parse_soft_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The default cap for a soft open-file limit (`None`: unknown): the limit
/// less a reserve of an eighth (at least 64) for the listener, the
/// runtime, TLS files, the accept that makes room at the cap and whatever
/// else the process opens; at most [`MAX_CONNECTIONS_CEILING`].
pub(crate) fn max_connections_for(soft_limit: Option<u64>) -> usize {
    let soft = soft_limit.unwrap_or(ASSUMED_SOFT_LIMIT);
    let reserve = (soft / 8).max(64);
    let cap = usize::try_from(soft.saturating_sub(reserve)).unwrap_or(usize::MAX);
    cap.clamp(1, MAX_CONNECTIONS_CEILING)
}

/// One admitted connection.
#[derive(Debug)]
struct Live {
    /// Requests in the handler or answers being written.
    busy: usize,
    /// When it last became idle, in milliseconds since `Connections::epoch`.
    idle_since: u64,
    abort: AbortHandle,
}

#[derive(Debug, Default)]
struct Registry {
    live: HashMap<u64, Live>,
    /// The idle ones, longest idle first: `(idle_since, id)`. Kept beside
    /// `live` so that making room is a lookup, not a scan of thousands of
    /// connections for each new one in a flood.
    idle: BTreeSet<(u64, u64)>,
}

/// The connections the server accepted, admitted and still holds.
#[derive(Debug)]
pub(crate) struct Connections {
    max: usize,
    epoch: Instant,
    registry: Mutex<Registry>,
    next_id: AtomicU64,
    open: AtomicUsize,
    accepted: AtomicU64,
    evicted: AtomicU64,
    refused: AtomicU64,
}

impl Connections {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            epoch: Instant::now(),
            registry: Mutex::new(Registry::default()),
            next_id: AtomicU64::new(0),
            open: AtomicUsize::new(0),
            accepted: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Connections open now (counted until the server has closed them).
    pub(crate) fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Connections accepted since the start, admitted or not.
    pub(crate) fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Idle connections closed to admit a new one.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Connections closed at once because every admitted one was busy.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The cap.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Admits a new connection, closing the longest-idle one at the cap:
    /// `spawn` starts serving it with its ticket and returns the task's
    /// abort handle. `false` when every admitted connection is busy:
    /// `spawn` is dropped uncalled, and with it the new connection.
    pub(crate) fn admit(self: &Arc<Self>, spawn: impl FnOnce(Ticket) -> AbortHandle) -> bool {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        // Held across the spawn, so that a connection that ends at once
        // removes itself after it was inserted, not before.
        let mut reg = self.registry();
        if reg.live.len() >= self.max {
            let Some((_, victim)) = reg.idle.pop_first() else {
                self.refused.fetch_add(1, Ordering::Relaxed);
                return false;
            };
            if let Some(v) = reg.live.remove(&victim) {
                v.abort.abort();
            }
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let now = self.now_ms();
        self.open.fetch_add(1, Ordering::AcqRel);
        let abort = spawn(Ticket {
            id,
            connections: self.clone(),
        });
        reg.live.insert(
            id,
            Live {
                busy: 0,
                idle_since: now,
                abort,
            },
        );
        reg.idle.insert((now, id));
        true
    }
}

/// An admitted connection: serving it holds its ticket, and dropping the
/// ticket (the connection closed or was evicted) counts it out.
#[derive(Debug)]
pub(crate) struct Ticket {
    id: u64,
    connections: Arc<Connections>,
}

impl Ticket {
    /// Marks the connection busy until the guard is dropped (after the
    /// answer was written, or when the request is abandoned).
    pub(crate) fn busy(&self) -> BusyGuard {
        let mut reg = self.connections.registry();
        let Registry { live, idle } = &mut *reg;
        // An evicted connection is no longer in `live`: its task is being
        // aborted, and nothing is counted.
        let counted = match live.get_mut(&self.id) {
            Some(conn) => {
                if conn.busy == 0 {
                    idle.remove(&(conn.idle_since, self.id));
                }
                conn.busy += 1;
                true
            }
            None => false,
        };
        BusyGuard {
            id: self.id,
            connections: self.connections.clone(),
            counted,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut reg = self.connections.registry();
        if let Some(conn) = reg.live.remove(&self.id)
            && conn.busy == 0
        {
            reg.idle.remove(&(conn.idle_since, self.id));
        }
        drop(reg);
        self.connections.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request in progress on a connection.
#[derive(Debug)]
pub(crate) struct BusyGuard {
    id: u64,
    connections: Arc<Connections>,
    counted: bool,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        let now = self.connections.now_ms();
        let mut reg = self.connections.registry();
        let Registry { live, idle } = &mut *reg;
        if let Some(conn) = live.get_mut(&self.id) {
            conn.busy = conn.busy.saturating_sub(1);
            if conn.busy == 0 {
                conn.idle_since = now;
                idle.insert((now, self.id));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str = "\
Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 1048576              files
Max locked memory         8388608              8388608              bytes
";

    #[test]
    fn the_soft_open_file_limit_is_read_from_proc_limits() {
        assert_eq!(parse_soft_open_files(LIMITS), Some(1024));
        assert_eq!(
            parse_soft_open_files("Max open files  unlimited  unlimited  files"),
            None
        );
        assert_eq!(parse_soft_open_files(""), None);
        if cfg!(target_os = "linux") {
            assert!(soft_open_file_limit().is_some());
        }
    }

    #[test]
    fn the_default_cap_stays_below_the_open_file_limit() {
        assert_eq!(max_connections_for(Some(1024)), 896);
        assert_eq!(max_connections_for(Some(256)), 192);
        assert_eq!(max_connections_for(None), 192);
        assert_eq!(max_connections_for(Some(20_000)), MAX_CONNECTIONS_CEILING);
        assert_eq!(max_connections_for(Some(10)), 1);
        for soft in [64, 100, 1024, 4096, 65_536, 1 << 20] {
            let cap = max_connections_for(Some(soft)) as u64;
            assert!(cap < soft, "{soft}: {cap}");
        }
    }

    fn idle_task() -> AbortHandle {
        tokio::spawn(std::future::pending::<()>()).abort_handle()
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_makes_room() {
        let c = Arc::new(Connections::new(2));
        let mut tickets = Vec::new();
        for _ in 0..2 {
            assert!(c.admit(|t| {
                tickets.push(t);
                idle_task()
            }));
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // The second one served a request since: the first is the longest idle.
        drop(tickets[1].busy());
        assert!(c.admit(|t| {
            tickets.push(t);
            idle_task()
        }));
        assert_eq!(c.evicted(), 1);
        let live: Vec<u64> = {
            let mut ids: Vec<u64> = c.registry().live.keys().copied().collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(live, vec![1, 2]);
        assert_eq!(c.registry().idle.len(), 2);
        // The evicted one counts as busy no more requests.
        let guard = tickets[0].busy();
        assert!(!guard.counted);
    }

    #[tokio::test]
    async fn when_every_connection_is_busy_a_new_one_is_refused() {
        let c = Arc::new(Connections::new(1));
        let mut tickets = Vec::new();
        assert!(c.admit(|t| {
            tickets.push(t);
            idle_task()
        }));
        let busy = tickets[0].busy();
        assert!(!c.admit(|_| idle_task()));
        assert_eq!((c.refused(), c.evicted(), c.accepted()), (1, 0, 2));
        drop(busy);
        assert!(c.admit(|t| {
            tickets.push(t);
            idle_task()
        }));
        assert_eq!(c.evicted(), 1);
        assert_eq!(c.open(), 2, "counted open until its ticket is dropped");
        tickets.clear();
        assert_eq!(c.open(), 0);
        let reg = c.registry();
        assert!(reg.live.is_empty() && reg.idle.is_empty());
    }
}
