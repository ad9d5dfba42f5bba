//! The server's clock as the client sees it, estimated from the `Date`
//! header of its answers.

use std::time::{Duration, SystemTime};

/// How long after the first answer the rate of the server's clock is
/// measured (shorter spans say too little with whole-second dates).
const MIN_RATE_SPAN: f64 = 0.2;

/// How far (in seconds) the server's clock must have moved differently from
/// the client's before it is taken to run at another rate: whole-second
/// dates and network delays never account for that much.
const RATE_EVIDENCE: f64 = 2.0;

/// Bounds on the offset that miss each other by more than this (seconds)
/// mean the server's clock was stepped, not that an answer was slow.
const STEP: f64 = 1.0;

/// The server's clock, estimated from the `Date` header of its answers, as a
/// function of the client's wall clock.
///
/// Every answer with a `Date` is an observation: "at local wall time `l`
/// the server's clock read `d`", `d` in whole seconds, rounded down — so
/// the offset (server − local) was between `d − l` and `d + 1 − l`. At the
/// same rate (a server on real time, however skewed the local clock) those
/// bounds are intersected over the answers, which narrows the offset well
/// below a second after a few answers read at different fractions of a
/// second. (An answer delayed on its way gives too low an upper bound: when
/// the bounds then miss each other by less than a second, the lower ones,
/// which always hold, win; by more, the server's clock was stepped, and
/// they start over from the latest answer.) The estimate is the middle.
///
/// The rate is 1 unless the server's dates moved more than 2 s apart from
/// the local clock since the first answer — a simulator running N times
/// real time (`cfp-sim --speed 30`) — then it is the rate measured over
/// that span, and the server's "now" is the latest answer (the middle of
/// its second) carried forward at that rate.
///
/// Without any `Date` (a server or proxy that sends none), the server's
/// clock is taken to be the local one.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cfp_api::waiters::ServerClock;
///
/// let local = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
/// let mut clock = ServerClock::new();
/// assert_eq!(clock.now_at(local), local);
/// // The server is 10 minutes ahead.
/// clock.observe(local, local + Duration::from_secs(600));
/// let server_now = clock.now_at(local + Duration::from_secs(5));
/// assert_eq!(server_now, local + Duration::from_millis(605_500));
/// assert_eq!(clock.rate(), 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerClock {
    /// The first observation `(local wall time, server date)`.
    first: Option<(SystemTime, SystemTime)>,
    /// The latest one.
    latest: Option<(SystemTime, SystemTime)>,
    /// Server seconds per local second.
    rate: f64,
    /// The offset (server − local, in seconds) lies in `[lo, hi]`, from
    /// the answers so far at rate 1.
    bounds: Option<(f64, f64)>,
}

impl Default for ServerClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerClock {
    /// No observation yet: the server's clock is taken to be the local one.
    pub const fn new() -> Self {
        Self {
            first: None,
            latest: None,
            rate: 1.0,
            bounds: None,
        }
    }

    /// Records an answer's `Date` (`server`), received at local wall time
    /// `local`.
    pub fn observe(&mut self, local: SystemTime, server: SystemTime) {
        // A local clock that went back: start over.
        if self.first.is_none_or(|(l, _)| local < l) {
            self.first = Some((local, server));
        }
        // A rate other than 1 that does not explain this answer (it came
        // from a step of the server's clock, not from a scaled clock):
        // measure again from the previous answer.
        if self.rate != 1.0
            && let Some((pl, ps)) = self.latest
        {
            let predicted = secs_between(pl, local) * self.rate;
            let seen = secs_between(ps, server);
            if (seen - predicted).abs() > RATE_EVIDENCE + self.rate.max(1.0) {
                self.first = Some((pl, ps));
            }
        }
        self.latest = Some((local, server));
        let was = self.rate;
        self.rate = 1.0;
        if let Some((l0, s0)) = self.first {
            let span_local = secs_between(l0, local);
            let span_server = secs_between(s0, server);
            if span_local >= MIN_RATE_SPAN
                && span_server > 0.0
                && (span_server - span_local).abs() > RATE_EVIDENCE
            {
                self.rate = (span_server / span_local).clamp(1e-3, 1e3);
            }
        }
        // This answer's bounds on the offset: the date is rounded down.
        let lo = secs_between(local, server);
        let hi = lo + 1.0;
        self.bounds = match self.bounds {
            Some((a, b)) if was == 1.0 && self.rate == 1.0 => {
                let (a, b) = (lo.max(a), hi.min(b));
                if a <= b {
                    Some((a, b))
                } else if a - b > STEP {
                    // The server's clock was stepped: start over.
                    Some((lo, hi))
                } else {
                    // An answer that took long to arrive gives too low an
                    // upper bound; the lower bounds always hold.
                    Some((a, a))
                }
            }
            _ => Some((lo, hi)),
        };
    }

    /// Whether any answer carried a `Date`.
    pub fn is_measured(&self) -> bool {
        self.latest.is_some()
    }

    /// Server seconds per local second (1 unless the server's clock was
    /// seen running at another rate).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The server's time when the local wall clock reads `local`.
    pub fn now_at(&self, local: SystemTime) -> SystemTime {
        let Some((l, s)) = self.latest else {
            return local;
        };
        if self.rate == 1.0
            && let Some((lo, hi)) = self.bounds
        {
            return shift(local, (lo + hi) / 2.0);
        }
        // The middle of the second the server's date names.
        let s = s + Duration::from_millis(500);
        let since = secs_between(l, local) * self.rate;
        shift(s, since)
    }

    /// How long on the local clock `server` (a span on the server's clock)
    /// lasts.
    pub fn local_span(&self, server: Duration) -> Duration {
        if self.rate == 1.0 {
            return server;
        }
        Duration::try_from_secs_f64(server.as_secs_f64() / self.rate).unwrap_or(Duration::MAX)
    }
}

/// `b − a` in seconds, negative when `b` is earlier.
fn secs_between(a: SystemTime, b: SystemTime) -> f64 {
    match b.duration_since(a) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// `t` moved by `secs` (either way), saturating at the representable range.
fn shift(t: SystemTime, secs: f64) -> SystemTime {
    let d = Duration::try_from_secs_f64(secs.abs()).unwrap_or(Duration::MAX);
    if secs >= 0.0 {
        t.checked_add(d).unwrap_or(t)
    } else {
        t.checked_sub(d).unwrap_or(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_763_900_000_000 + ms)
    }

    #[test]
    fn without_a_date_the_server_clock_is_the_local_one() {
        let c = ServerClock::new();
        assert!(!c.is_measured());
        assert_eq!(c.now_at(at(123)), at(123));
        assert_eq!(c.local_span(Duration::from_secs(4)), Duration::from_secs(4));
    }

    #[test]
    fn a_skewed_server_clock_is_followed_at_the_same_rate() {
        let mut c = ServerClock::new();
        // The local clock is 90 s ahead of the server's.
        for ms in [0, 1_000, 30_000, 61_000] {
            let server = at(ms) - Duration::from_secs(90);
            // Whole seconds, as the header says.
            let server = SystemTime::UNIX_EPOCH
                + Duration::from_secs(
                    server
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .unwrap()
                        .as_secs(),
                );
            c.observe(at(ms), server);
            assert_eq!(c.rate(), 1.0);
        }
        let now = c.now_at(at(65_000));
        let expect = at(65_000) - Duration::from_secs(90);
        let err = secs_between(expect, now).abs();
        assert!(err <= 0.5, "off by {err} s");
    }

    #[test]
    fn a_scaled_server_clock_is_measured_and_followed() {
        let mut c = ServerClock::new();
        let server0 = at(0) + Duration::from_secs(3600);
        // 30 server seconds per local second, whole seconds in the header.
        for ms in [0u64, 100, 300, 800] {
            let server = server0 + Duration::from_secs(ms * 30 / 1000);
            c.observe(at(ms), server);
        }
        assert!((c.rate() - 30.0).abs() < 2.0, "rate {}", c.rate());
        // 1 local second after the last answer, the server is ~30 s on.
        let ahead = secs_between(server0 + Duration::from_secs(24), c.now_at(at(1_800)));
        assert!((ahead - 30.0).abs() < 3.0, "{ahead}");
        let span = c.local_span(Duration::from_secs(4));
        assert!(span < Duration::from_millis(200), "{span:?}");
    }

    #[test]
    fn whole_second_dates_from_a_real_time_server_do_not_look_scaled() {
        let mut c = ServerClock::new();
        // Dates rounded down, answers 0.9 s apart: 0, 0, 1, 2, 3 …
        for i in 0..20u64 {
            let ms = i * 900;
            c.observe(at(ms), at(ms / 1000 * 1000));
            assert_eq!(c.rate(), 1.0, "after {ms} ms");
        }
    }

    #[test]
    fn answers_at_different_fractions_of_a_second_narrow_the_offset() {
        let mut c = ServerClock::new();
        // The server is exactly 7.3 s ahead; its dates are rounded down.
        let date = |ms: u64| {
            let server_ms = 1_763_900_000_000 + ms + 7_300;
            SystemTime::UNIX_EPOCH + Duration::from_secs(server_ms / 1000)
        };
        for ms in [0, 1_250, 2_600, 3_950, 5_100, 6_800] {
            c.observe(at(ms), date(ms));
        }
        let err = secs_between(
            at(10_000) + Duration::from_millis(7_300),
            c.now_at(at(10_000)),
        );
        assert!(err.abs() < 0.2, "off by {err} s");
    }

    #[test]
    fn a_stepped_server_clock_starts_the_bounds_over() {
        let mut c = ServerClock::new();
        c.observe(at(0), at(0));
        c.observe(at(1_500), at(1_000));
        // The server's clock jumps 1 h ahead: the old bounds no longer hold.
        // One answer cannot tell that from a fast clock; the next one can.
        let step = Duration::from_secs(3_600);
        c.observe(at(3_000), at(3_000) + step);
        c.observe(at(4_500), at(4_000) + step);
        assert_eq!(c.rate(), 1.0);
        let err = secs_between(at(5_000) + step, c.now_at(at(5_000)));
        assert!(err.abs() <= 1.0, "off by {err} s");
    }

    #[test]
    fn a_local_clock_that_goes_back_starts_the_estimate_over() {
        let mut c = ServerClock::new();
        c.observe(at(10_000), at(10_000));
        c.observe(at(5_000), at(11_000));
        assert_eq!(c.rate(), 1.0);
        let now = c.now_at(at(6_000));
        assert_eq!(now, at(12_500));
    }
}
