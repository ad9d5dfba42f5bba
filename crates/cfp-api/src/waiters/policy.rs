//! When to poll next: from the server's ETA where it gives one, else capped
//! exponential backoff that starts over whenever progress changes.

use std::time::{Duration, SystemTime};

use super::server_clock::ServerClock;

/// How a waiter schedules its polls.
///
/// After each poll that is not final, the next one is scheduled:
///
/// 1. When the answer says when to look again and that time is ahead, the
///    next poll is [`eta_margin`](Self::eta_margin) after it. The hints: a
///    diff job's `jobeta`; a scheduled task's or batch's `executeAt`; for a
///    running task past its first action, the predicted end of its current
///    action (from `executeAt`, `lastActivityAt` and `currentActionIdx`:
///    the actions so far took on average `(lastActivityAt − executeAt) /
///    currentActionIdx` each).
/// 2. Otherwise, capped exponential backoff: [`initial_delay`](Self::initial_delay),
///    multiplied by [`backoff_factor`](Self::backoff_factor) after each poll
///    that saw no change, up to [`max_delay`](Self::max_delay); any observed
///    change (state, progress, counts) starts it over, and so does a hint
///    that came true without the work moving on (a passed ETA: the change is
///    due any moment).
///
/// Every delay is kept within [`min_delay`](Self::min_delay) and
/// [`max_delay`](Self::max_delay) (so a far ETA is still checked now and
/// then, and an early failure is seen), and no poll is scheduled past the
/// waiter's deadline: the last one happens at the deadline.
///
/// With an accurate ETA this polls a few times over a long job and notices
/// its completion `eta_margin` after the ETA, where a fixed 1 s poller
/// polls once a second.
///
/// Server ETAs and scheduled starts are times on the **server's** clock,
/// and they are compared with the server's "now", not the local clock's:
/// the client estimates each API's clock from the `Date` header of every
/// answer ([`Client::server_clock`](crate::Client::server_clock), a
/// [`ServerClock`](super::ServerClock): the offset, narrowed over the
/// answers, and the rate when the server's clock runs faster or slower, as
/// a simulator's scaled clock does). So a skewed local clock does not shift
/// the polls, and against `cfp-sim --speed 30` an ETA 30 s ahead on the
/// server's clock is 1 s ahead locally. Without a `Date` header, the local
/// clock stands in for the server's. The delays themselves (`min_delay`,
/// `max_delay`, `eta_margin`, the backoff) are on the local clock.
///
/// Someone watching a wait (the CLI, when it draws a bar on a terminal)
/// lowers [`max_delay`](Self::max_delay) (the CLI: to 10 s), because an ETA
/// can be wrong and a person notices a late end; an unattended wait keeps
/// the 30 s cap.
///
/// ```
/// use std::time::Duration;
/// use cfp_api::PollPolicy;
///
/// let default = PollPolicy::default();
/// assert_eq!(default.initial_delay, Duration::from_secs(1));
/// assert_eq!(default.max_delay, Duration::from_secs(30));
/// let fixed = PollPolicy::fixed(Duration::from_secs(1));
/// assert!(!fixed.follow_server_hints);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollPolicy {
    /// The first backoff delay, and the delay after any change (default 1 s).
    pub initial_delay: Duration,
    /// The longest delay between polls (default 30 s).
    pub max_delay: Duration,
    /// The shortest delay between polls (default 250 ms).
    pub min_delay: Duration,
    /// How much the backoff grows after a poll without change (default 2).
    pub backoff_factor: u32,
    /// How long after the server's ETA or scheduled start to poll (default
    /// 500 ms: ETAs are whole seconds).
    pub eta_margin: Duration,
    /// Schedule from the server's ETA and scheduled start times (default
    /// `true`).
    pub follow_server_hints: bool,
}

impl PollPolicy {
    /// Polls every `interval`, ignoring server hints: the naive poller.
    pub fn fixed(interval: Duration) -> Self {
        Self {
            initial_delay: interval,
            max_delay: interval,
            min_delay: interval,
            backoff_factor: 1,
            eta_margin: Duration::ZERO,
            follow_server_hints: false,
        }
    }

    /// The same policy with another initial delay.
    pub fn with_initial_delay(mut self, d: Duration) -> Self {
        self.initial_delay = d;
        self
    }

    /// The same policy with another maximum delay.
    pub fn with_max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// The same policy with another minimum delay.
    pub fn with_min_delay(mut self, d: Duration) -> Self {
        self.min_delay = d;
        self
    }

    /// The same policy with another backoff factor (at least 1).
    pub fn with_backoff_factor(mut self, f: u32) -> Self {
        self.backoff_factor = f.max(1);
        self
    }

    /// The same policy with another margin after server ETAs.
    pub fn with_eta_margin(mut self, d: Duration) -> Self {
        self.eta_margin = d;
        self
    }

    /// The same policy, following server hints or not.
    pub fn with_server_hints(mut self, follow: bool) -> Self {
        self.follow_server_hints = follow;
        self
    }

    fn clamp(&self, d: Duration) -> Duration {
        d.max(self.min_delay).min(self.max_delay)
    }
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            min_delay: Duration::from_millis(250),
            backoff_factor: 2,
            eta_margin: Duration::from_millis(500),
            follow_server_hints: true,
        }
    }
}

/// The backoff state of one wait.
#[derive(Debug)]
pub(crate) struct Scheduler {
    policy: PollPolicy,
    backoff: Duration,
    /// The hint the last delay was scheduled from, until a poll after it.
    awaited: Option<SystemTime>,
}

impl Scheduler {
    pub(crate) fn new(policy: PollPolicy) -> Self {
        Self {
            policy,
            backoff: policy.initial_delay,
            awaited: None,
        }
    }

    /// The delay before the next poll, after a poll that saw a change (or
    /// not) and a server hint (a time on the server's clock to look again,
    /// if any), at local wall time `wall_now`, the server's clock being
    /// `server`.
    pub(crate) fn next_delay(
        &mut self,
        changed: bool,
        hint: Option<SystemTime>,
        wall_now: SystemTime,
        server: &ServerClock,
    ) -> Duration {
        let p = self.policy;
        let server_now = server.now_at(wall_now);
        // The time a poll was scheduled for came, and the work did not move
        // on: what it waited for is due, so look again soon.
        let overdue = self.awaited.take().is_some_and(|at| at <= server_now);
        if changed || (overdue && p.follow_server_hints) {
            self.backoff = p.initial_delay;
        }
        if p.follow_server_hints
            && let Some(at) = hint
            && let Ok(ahead) = at.duration_since(server_now)
            && !ahead.is_zero()
        {
            // How long that is on the local clock (a simulator's scaled
            // clock runs faster).
            let ahead = server.local_span(ahead);
            let delay = p.clamp(ahead.saturating_add(p.eta_margin));
            // Only a poll at (or after) the hint can find it overdue.
            if delay >= ahead {
                self.awaited = Some(at);
            }
            return delay;
        }
        let delay = self.backoff;
        self.backoff = self
            .backoff
            .saturating_mul(p.backoff_factor.max(1))
            .min(p.max_delay);
        p.clamp(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: SystemTime = SystemTime::UNIX_EPOCH;
    /// No `Date` seen: the server's clock is the local one.
    const SC: ServerClock = ServerClock::new();

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn backoff_grows_to_the_cap_and_restarts_on_change() {
        let mut s = Scheduler::new(PollPolicy::default());
        let seen: Vec<_> = (0..7)
            .map(|_| s.next_delay(false, None, NOW, &SC))
            .collect();
        assert_eq!(seen, [1, 2, 4, 8, 16, 30, 30].map(secs));
        assert_eq!(s.next_delay(true, None, NOW, &SC), secs(1));
        assert_eq!(s.next_delay(false, None, NOW, &SC), secs(2));
    }

    #[test]
    fn a_future_eta_is_followed_plus_the_margin_within_the_bounds() {
        let mut s = Scheduler::new(PollPolicy::default());
        let eta = |d| Some(NOW + d);
        assert_eq!(
            s.next_delay(true, eta(secs(10)), NOW, &SC),
            Duration::from_millis(10_500)
        );
        assert_eq!(s.next_delay(true, eta(secs(600)), NOW, &SC), secs(30));
        // A passed ETA falls back to backoff.
        assert_eq!(s.next_delay(true, Some(NOW), NOW + secs(5), &SC), secs(1));
    }

    #[test]
    fn a_hint_that_came_true_without_a_change_restarts_the_backoff_once() {
        let mut s = Scheduler::new(PollPolicy::default());
        // Back off to 4 s without change.
        for _ in 0..3 {
            s.next_delay(false, None, NOW, &SC);
        }
        // Told to look at 10 s: the poll is at 10.5 s.
        let eta = NOW + secs(10);
        assert_eq!(
            s.next_delay(false, Some(eta), NOW, &SC),
            Duration::from_millis(10_500)
        );
        // At 10.5 s nothing changed and the hint has passed: 1 s, then 2 s.
        let later = NOW + Duration::from_millis(10_500);
        assert_eq!(s.next_delay(false, Some(eta), later, &SC), secs(1));
        assert_eq!(
            s.next_delay(false, Some(eta), later + secs(1), &SC),
            secs(2)
        );
    }

    #[test]
    fn a_far_hint_checked_early_is_not_overdue() {
        let mut s = Scheduler::new(PollPolicy::default());
        for _ in 0..3 {
            s.next_delay(false, None, NOW, &SC);
        }
        // 600 s ahead: checked after max_delay (30 s), before the hint.
        let eta = NOW + secs(600);
        assert_eq!(s.next_delay(false, Some(eta), NOW, &SC), secs(30));
        assert_eq!(
            s.next_delay(false, Some(eta), NOW + secs(30), &SC),
            secs(30)
        );
    }

    #[test]
    fn fixed_polls_at_one_interval_whatever_the_server_says() {
        let mut s = Scheduler::new(PollPolicy::fixed(secs(1)));
        for changed in [true, false, false] {
            assert_eq!(
                s.next_delay(changed, Some(NOW + secs(100)), NOW, &SC),
                secs(1)
            );
        }
    }

    #[test]
    fn etas_are_compared_with_the_servers_clock_not_the_local_one() {
        // The local clock runs 10 minutes ahead of the server's.
        let mut server = ServerClock::new();
        let server_now = NOW;
        let local_now = NOW + secs(600);
        server.observe(local_now, server_now);
        let mut s = Scheduler::new(PollPolicy::default());
        // The server says: done 10 s from (its) now. Against the local
        // clock that ETA passed 590 s ago; against the server's it is ahead.
        let delay = s.next_delay(true, Some(server_now + secs(10)), local_now, &server);
        assert_eq!(delay, secs(10));
        // And the local clock behind the server's: the ETA 10 s ahead is not
        // taken as 610 s ahead (the cap).
        let mut server = ServerClock::new();
        server.observe(NOW, NOW + secs(600));
        let mut s = Scheduler::new(PollPolicy::default());
        let delay = s.next_delay(true, Some(NOW + secs(610)), NOW, &server);
        assert_eq!(delay, secs(10));
    }

    #[test]
    fn an_eta_on_a_scaled_server_clock_is_scaled_to_local_time() {
        // 30 server seconds per local second (cfp-sim --speed 30).
        let mut server = ServerClock::new();
        server.observe(NOW, NOW);
        server.observe(NOW + secs(1), NOW + secs(30));
        let mut s = Scheduler::new(PollPolicy::default());
        // 4 s on the server's clock from its now (30.5 s): ~133 ms locally,
        // then the margin.
        let eta = NOW + Duration::from_millis(34_500);
        let delay = s.next_delay(true, Some(eta), NOW + secs(1), &server);
        assert!(delay < Duration::from_millis(700), "{delay:?}");
    }

    #[test]
    fn a_watched_wait_lowers_the_cap() {
        let mut s = Scheduler::new(PollPolicy::default().with_max_delay(secs(10)));
        let seen: Vec<_> = (0..6)
            .map(|_| s.next_delay(false, None, NOW, &SC))
            .collect();
        assert_eq!(seen, [1, 2, 4, 8, 10, 10].map(secs));
        assert_eq!(
            s.next_delay(false, Some(NOW + secs(120)), NOW, &SC),
            secs(10)
        );
    }
}
