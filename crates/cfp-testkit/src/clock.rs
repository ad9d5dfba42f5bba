//! The simulated clock: real, scaled, or manual.
//!
//! Every simulated state (diff jobs, tasks, rollouts, uploads) is a function
//! of this clock, read when a request arrives; nothing ticks in the
//! background. A manual clock therefore makes tests exact: advance it, then
//! ask.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;

/// How simulated time passes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// One simulated second per real second.
    Real,
    /// `N` simulated seconds per real second (`Scaled(60.0)`: a minute
    /// passes every second).
    Scaled(f64),
    /// Time stands still until [`SimClock::advance`] moves it.
    Manual,
}

impl ClockMode {
    /// Simulated seconds per real second (0 for a manual clock).
    pub fn speed(self) -> f64 {
        match self {
            Self::Real => 1.0,
            Self::Scaled(s) if s.is_finite() && s > 0.0 => s,
            Self::Scaled(_) | Self::Manual => 0.0,
        }
    }

    /// The mode that runs at `speed` simulated seconds per real second.
    pub fn from_speed(speed: f64) -> Self {
        if !speed.is_finite() || speed <= 0.0 {
            Self::Manual
        } else if speed == 1.0 {
            Self::Real
        } else {
            Self::Scaled(speed)
        }
    }
}

/// A handle to the simulator's clock. Cheap to clone; every clone is the
/// same clock.
///
/// ```
/// use std::time::Duration;
/// use cfp_testkit::{ClockMode, SimClock};
///
/// let clock = SimClock::new(ClockMode::Manual, "2025-11-23T12:13:20Z".parse().unwrap());
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now().to_string(), "2025-11-23T12:14:50Z");
/// ```
#[derive(Debug, Clone)]
pub struct SimClock {
    inner: Arc<RwLock<State>>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    /// Real instant at which `anchor_ms` was the simulated time.
    anchor_real: Instant,
    /// Simulated milliseconds since the Unix epoch at `anchor_real`.
    anchor_ms: i64,
    /// Simulated seconds per real second; 0 when manual.
    speed: f64,
}

impl State {
    fn now_ms(&self) -> i64 {
        if self.speed == 0.0 {
            return self.anchor_ms;
        }
        let real = self.anchor_real.elapsed().as_secs_f64();
        // Saturating float-to-int conversion: fine for any plausible run.
        self.anchor_ms
            .saturating_add((real * self.speed * 1000.0) as i64)
    }
}

impl SimClock {
    /// A clock starting at `start`.
    pub fn new(mode: ClockMode, start: Timestamp) -> Self {
        Self {
            inner: Arc::new(RwLock::new(State {
                anchor_real: Instant::now(),
                anchor_ms: start.as_millisecond(),
                speed: mode.speed(),
            })),
        }
    }

    fn state(&self) -> State {
        *self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The simulated time now.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.now_ms()).unwrap_or(Timestamp::MAX)
    }

    /// The simulated time now, in whole Unix seconds (rounded down).
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// The simulated time now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.state().now_ms()
    }

    /// Moves simulated time forward by `by` (in any mode).
    pub fn advance(&self, by: Duration) {
        let mut s = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let add = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        s.anchor_ms = s.anchor_ms.saturating_add(add);
    }

    /// Runs at `speed` simulated seconds per real second from now on; `0`
    /// stops the clock (manual), `1` is real time.
    pub fn set_speed(&self, speed: f64) {
        let mut s = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let now = s.now_ms();
        s.anchor_ms = now;
        s.anchor_real = Instant::now();
        s.speed = ClockMode::from_speed(speed).speed();
    }

    /// Simulated seconds per real second (0 when manual).
    pub fn speed(&self) -> f64 {
        self.state().speed
    }

    /// The current mode.
    pub fn mode(&self) -> ClockMode {
        ClockMode::from_speed(self.speed())
    }

    /// How long in real time `sim` simulated time takes at the current
    /// speed (`None` when the clock is manual).
    pub fn real_duration(&self, sim: Duration) -> Option<Duration> {
        let speed = self.speed();
        (speed > 0.0).then(|| Duration::from_secs_f64(sim.as_secs_f64() / speed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Timestamp {
        Timestamp::from_second(1_763_900_000).unwrap()
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = SimClock::new(ClockMode::Manual, start());
        assert_eq!(c.now_secs(), 1_763_900_000);
        c.advance(Duration::from_millis(1500));
        assert_eq!(c.now_ms(), 1_763_900_001_500);
        assert_eq!(c.now_secs(), 1_763_900_001);
        assert_eq!(c.mode(), ClockMode::Manual);
        assert_eq!(c.real_duration(Duration::from_secs(1)), None);
    }

    #[test]
    fn speed_changes_keep_the_current_time() {
        let c = SimClock::new(ClockMode::Scaled(1000.0), start());
        c.set_speed(0.0);
        let frozen = c.now_ms();
        assert!(frozen >= 1_763_900_000_000);
        assert_eq!(c.now_ms(), frozen);
        assert_eq!(c.mode(), ClockMode::Manual);
        c.set_speed(1.0);
        assert_eq!(c.mode(), ClockMode::Real);
        assert!(c.now_ms() >= frozen);
    }

    #[test]
    fn modes_and_speeds_correspond() {
        assert_eq!(ClockMode::from_speed(1.0), ClockMode::Real);
        assert_eq!(ClockMode::from_speed(30.0), ClockMode::Scaled(30.0));
        assert_eq!(ClockMode::from_speed(-1.0), ClockMode::Manual);
        assert_eq!(ClockMode::from_speed(f64::NAN), ClockMode::Manual);
        assert_eq!(ClockMode::Scaled(f64::INFINITY).speed(), 0.0);
    }
}
