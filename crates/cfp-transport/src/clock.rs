//! Time, injected: the monotonic clock, the wall clock (for `Retry-After`
//! HTTP dates and server ETAs) and sleeping.
//!
//! [`TokioClock`] is the real one. [`ManualClock`] is for tests: its time
//! moves only when the test says so (or, in auto-advance mode, when someone
//! sleeps), so a test of retries or waiters never sleeps for real.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

/// A boxed sleep future, as returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic now: for deadlines, budgets and latencies.
    fn now(&self) -> Instant;

    /// Wall-clock now: for `Retry-After` HTTP dates and Unix timestamps sent
    /// by the server (a job's ETA, a task's `executeAt`).
    fn wall_now(&self) -> SystemTime;

    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock: tokio's time (so tokio's paused test time works too) and
/// the system wall clock. Sleeping needs a tokio runtime with its time
/// driver enabled (`enable_time`, or `enable_all`, or `#[tokio::main]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn wall_now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests: time moves only by [`ManualClock::advance`], or, with
/// [auto-advance](ManualClock::auto_advance), whenever a sleep is awaited.
///
/// Clones share the same time. The wall clock starts at
/// [`ManualClock::DEFAULT_WALL_START`] (or the time given to
/// [`ManualClock::with_wall_start`]) and moves with the monotonic clock.
///
/// Auto-advance makes every awaited sleep complete at once, moving the clock
/// to the sleep's end, as if the test had waited. A sleep that is created but
/// never awaited (such as a timeout that lost a race) does not move the
/// clock. It suits scripted transports such as the
/// [`MockTransport`](crate::MockTransport); with real I/O it would also fire
/// timeouts racing a network exchange, so use tokio's paused time
/// ([`TokioClock`]) there. Every sleep that completes is recorded ([`ManualClock::completed_sleeps`]).
///
/// ```
/// use std::time::Duration;
/// use cfp_transport::{Clock, ManualClock};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let clock = ManualClock::new().auto_advance();
/// let start = clock.now();
/// clock.sleep(Duration::from_secs(30)).await;
/// assert_eq!(clock.now() - start, Duration::from_secs(30));
/// assert_eq!(clock.completed_sleeps(), [Duration::from_secs(30)]);
/// # });
/// ```
#[derive(Clone)]
pub struct ManualClock {
    state: Arc<Mutex<State>>,
}

struct State {
    origin: Instant,
    wall_start: SystemTime,
    elapsed: Duration,
    auto_advance: bool,
    next_id: u64,
    sleepers: Vec<Sleeper>,
    completed: Vec<Duration>,
}

struct Sleeper {
    id: u64,
    until: Duration,
    waker: Waker,
}

impl ManualClock {
    /// Where the wall clock starts by default: 2025-11-23T12:13:20Z
    /// (Unix time 1 763 900 000, the time of the contract's examples).
    pub const DEFAULT_WALL_START: Duration = Duration::from_secs(1_763_900_000);

    /// A clock standing still until advanced.
    pub fn new() -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                origin: Instant::now(),
                wall_start: SystemTime::UNIX_EPOCH + Self::DEFAULT_WALL_START,
                elapsed: Duration::ZERO,
                auto_advance: false,
                next_id: 0,
                sleepers: Vec::new(),
                completed: Vec::new(),
            })),
        }
    }

    /// The same clock, in auto-advance mode: every awaited sleep completes at
    /// once and moves the time to its end.
    pub fn auto_advance(self) -> Self {
        self.lock().auto_advance = true;
        self
    }

    /// The same clock, its wall time starting at `start` (moved by however
    /// much time has already elapsed).
    pub fn with_wall_start(self, start: SystemTime) -> Self {
        self.lock().wall_start = start;
        self
    }

    /// Moves time forward, completing the sleeps that end by then.
    pub fn advance(&self, by: Duration) {
        let wakers = {
            let mut s = self.lock();
            s.elapsed = s.elapsed.saturating_add(by);
            s.take_due()
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Moves time to the end of the earliest pending sleep, if any; returns
    /// whether there was one.
    pub fn advance_to_next_sleep(&self) -> bool {
        let next = self.lock().sleepers.iter().map(|s| s.until).min();
        match next {
            Some(until) => {
                let by = until.saturating_sub(self.elapsed());
                self.advance(by);
                true
            }
            None => false,
        }
    }

    /// Time elapsed since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }

    /// Every sleep that has completed, in completion order.
    pub fn completed_sleeps(&self) -> Vec<Duration> {
        self.lock().completed.clone()
    }

    /// How many sleeps are waiting.
    pub fn pending_sleeps(&self) -> usize {
        self.lock().sleepers.len()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn take_due(&mut self) -> Vec<Waker> {
        let now = self.elapsed;
        let (due, waiting): (Vec<_>, Vec<_>) =
            self.sleepers.drain(..).partition(|s| s.until <= now);
        self.sleepers = waiting;
        due.into_iter().map(|s| s.waker).collect()
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.lock();
        f.debug_struct("ManualClock")
            .field("elapsed", &s.elapsed)
            .field("auto_advance", &s.auto_advance)
            .field("pending_sleeps", &s.sleepers.len())
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let s = self.lock();
        s.origin + s.elapsed
    }

    fn wall_now(&self) -> SystemTime {
        let s = self.lock();
        s.wall_start + s.elapsed
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let mut s = self.lock();
        let id = s.next_id;
        s.next_id += 1;
        let until = s.elapsed.saturating_add(duration);
        drop(s);
        Box::pin(ManualSleep {
            state: Arc::clone(&self.state),
            id,
            until,
            duration,
            done: false,
        })
    }
}

struct ManualSleep {
    state: Arc<Mutex<State>>,
    id: u64,
    until: Duration,
    duration: Duration,
    done: bool,
}

impl Future for ManualSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let (id, until, duration) = (self.id, self.until, self.duration);
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if s.elapsed < until && s.auto_advance {
            s.elapsed = until;
        }
        if s.elapsed >= until {
            s.sleepers.retain(|w| w.id != id);
            s.completed.push(duration);
            let others = s.take_due();
            drop(s);
            others.into_iter().for_each(Waker::wake);
            self.done = true;
            return Poll::Ready(());
        }
        match s.sleepers.iter_mut().find(|w| w.id == id) {
            Some(w) => w.waker.clone_from(cx.waker()),
            None => s.sleepers.push(Sleeper {
                id,
                until,
                waker: cx.waker().clone(),
            }),
        }
        Poll::Pending
    }
}

impl Drop for ManualSleep {
    fn drop(&mut self) {
        if !self.done {
            let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            s.sleepers.retain(|w| w.id != self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn manual_time_moves_only_when_advanced() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        let w0 = clock.wall_now();
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now() - t0, Duration::from_secs(5));
        assert_eq!(
            clock.wall_now().duration_since(w0).unwrap(),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn a_sleep_completes_when_time_reaches_its_end() {
        let clock = ManualClock::new();
        let mut sleep = clock.sleep(Duration::from_secs(10));
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        assert_eq!(clock.pending_sleeps(), 1);
        clock.advance(Duration::from_secs(9));
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        assert!(clock.advance_to_next_sleep());
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
        assert_eq!(clock.pending_sleeps(), 0);
        assert_eq!(clock.completed_sleeps(), [Duration::from_secs(10)]);
    }

    #[test]
    fn auto_advance_completes_awaited_sleeps_at_once() {
        let clock = ManualClock::new().auto_advance();
        let start = clock.now();
        block_on(async {
            clock.sleep(Duration::from_millis(1500)).await;
            clock.sleep(Duration::from_millis(500)).await;
        });
        assert_eq!(clock.now() - start, Duration::from_secs(2));
    }

    #[test]
    fn a_dropped_sleep_is_forgotten_and_not_recorded() {
        let clock = ManualClock::new();
        let mut sleep = clock.sleep(Duration::from_secs(1));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        drop(sleep);
        assert_eq!(clock.pending_sleeps(), 0);
        clock.advance(Duration::from_secs(2));
        assert!(clock.completed_sleeps().is_empty());
    }

    #[test]
    fn tokio_clock_follows_paused_tokio_time() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let clock = TokioClock;
            let t0 = clock.now();
            clock.sleep(Duration::from_secs(60)).await;
            assert!(clock.now() - t0 >= Duration::from_secs(60));
        });
    }
}
