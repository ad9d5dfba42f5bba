//! The client's view of time when it talks to an in-process simulator
//! (feature `client-clock`).
//!
//! The simulated fleet runs N times faster than real time, and its
//! timestamps (a diff's ETA, a task's `executeAt`) are simulated instants. A
//! client on the real clock would sleep N times too long before the next
//! poll and compare ETAs against the wrong "now". This clock follows the
//! simulator: the wall clock is the simulator's, and a sleep of `d`
//! simulated seconds lasts `d / N` real seconds. Timeouts and
//! `--wait-timeout` are therefore in simulated time as well.

use std::time::{Duration, Instant, SystemTime};

use cfp_transport::{Clock, Sleep};

use crate::clock::SimClock;

/// A client [`Clock`] that runs with a simulator's [`SimClock`]: give it to
/// `cfp_api::ClientBuilder::clock` so that a client's waits, timeouts and
/// ETA comparisons follow a scaled simulator.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use cfp_testkit::{ClockMode, SimTime, Simulator};
///
/// let sim = Simulator::builder().clock(ClockMode::Scaled(60.0)).start().await?;
/// let clock = SimTime::new(sim.clock().clone());
/// # let _ = clock;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SimTime {
    sim: SimClock,
    started: Instant,
}

impl SimTime {
    /// A clock following `sim`.
    pub fn new(sim: SimClock) -> Self {
        Self {
            sim,
            started: Instant::now(),
        }
    }

    fn speed(&self) -> f64 {
        // A manual simulator clock never moves on its own: treat it as real
        // time so that sleeps still end.
        match self.sim.speed() {
            s if s.is_finite() && s > 0.0 => s,
            _ => 1.0,
        }
    }
}

impl Clock for SimTime {
    fn now(&self) -> Instant {
        let real = self.started.elapsed();
        self.started + real.mul_f64(self.speed())
    }

    fn wall_now(&self) -> SystemTime {
        let now = self.sim.now();
        let secs = now.as_second();
        let nanos = u32::try_from(now.subsec_nanosecond()).unwrap_or(0);
        if secs >= 0 {
            SystemTime::UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration.div_f64(self.speed())))
    }
}
