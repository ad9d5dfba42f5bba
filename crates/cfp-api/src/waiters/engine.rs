//! The polling loop shared by every waiter.

use std::fmt;
use std::time::{Duration, Instant};

use futures_core::Stream;

use super::policy::{PollPolicy, Scheduler};
use super::server_clock::ServerClock;
use super::targets::{Observation, Options, Outcome, Watched};
use super::{Progress, WaitError};
use crate::answer::Answer;
use crate::client::Client;
use crate::error::Error;

/// How long a poll still in flight at the deadline may take to answer before
/// the wait gives up on it: the bound on how far a wait can outlive its
/// deadline.
pub const FINAL_POLL_GRACE: Duration = Duration::from_secs(2);

/// One event of a wait: a change observed, or the end.
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitEvent<T> {
    /// Something changed.
    Progress(Progress<T>),
    /// The wait is over; no event follows.
    Done(Result<Answer<T>, WaitError<T>>),
}

type Callback<T> = Box<dyn FnMut(&Progress<T>) + Send>;

/// Waits for a diff job, a task, a batch or a rollout; see
/// [`crate::waiters`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use cfp_api::{Client, ManualClock, MockResponse, MockTransport, PollPolicy};
/// use cfp_api::model::{OperationId, TaskBatchId};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let batch = |ok: u32| format!(r#"{{"id": 7, "createdAt": 1763899990, "executeAt": 1763900000,
///     "finishedAt": 0, "numTasks": 2, "numTasksOk": {ok}, "numTasksFailed": 0,
///     "numTasksCancelled": 0, "taskIds": [41, 42]}}"#);
/// let mock = MockTransport::new();
/// mock.respond_sequence(OperationId::GetTaskBatch, [
///     MockResponse::json(200, batch(0)),
///     MockResponse::json(200, batch(1)),
///     MockResponse::json(200, batch(2)),
/// ]);
/// let client = Client::builder()
///     .task_token("test-token-DO-NOT-USE")
///     .transport(Arc::new(mock))
///     .clock(Arc::new(ManualClock::new().auto_advance()))
///     .build()
///     .unwrap();
///
/// let mut seen = Vec::new();
/// let (tx, rx) = std::sync::mpsc::channel();
/// let done = client
///     .wait_for_batch(TaskBatchId(7))
///     .poll_policy(PollPolicy::default())
///     .on_progress(move |p| tx.send(p.percent).unwrap())
///     .wait(Duration::from_secs(600))
///     .await
///     .unwrap();
/// seen.extend(rx.try_iter());
/// assert_eq!(done.num_tasks_ok, 2);
/// assert_eq!(seen, [Some(0), Some(50), Some(100)]);
/// # });
/// ```
pub struct Waiter<T: Watched> {
    client: Client,
    target: T::Target,
    pub(crate) options: Options,
    policy: PollPolicy,
    on_progress: Option<Callback<T>>,
}

impl<T: Watched> Waiter<T> {
    pub(crate) fn new(client: Client, target: T::Target) -> Self {
        Self {
            client,
            target,
            options: Options::default(),
            policy: PollPolicy::default(),
            on_progress: None,
        }
    }

    /// What is awaited, as a kind and an id: `("diff", 218595)`,
    /// `("batch", 9)`, `("image", 1)` for a rollout, `("fleet", 2)` for a
    /// profile switch.
    pub fn subject(&self) -> (&'static str, u64) {
        T::subject(&self.target)
    }

    /// The poll policy set so far.
    pub fn policy(&self) -> PollPolicy {
        self.policy
    }

    /// How to schedule polls (default [`PollPolicy::default`]).
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Calls `f` on every observed change (the first poll counts as one),
    /// the final state included.
    pub fn on_progress(mut self, f: impl FnMut(&Progress<T>) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Polls until the work ends or `deadline` has passed since the first
    /// poll; the last poll happens at the deadline at the latest. After a
    /// poll refused with `Retry-After` the next one waits at least that
    /// long; when that is past the deadline, there is no next poll: the
    /// wait ends at the deadline, timed out.
    ///
    /// Cancel-safe: dropping the future stops the wait (not the work).
    pub async fn wait(self, deadline: Duration) -> Result<Answer<T>, WaitError<T>> {
        let (mut engine, mut on_progress) = self.into_engine(deadline);
        loop {
            match engine.next().await {
                WaitEvent::Progress(p) => {
                    if let Some(f) = on_progress.as_mut() {
                        f(&p);
                    }
                }
                WaitEvent::Done(result) => return result,
            }
        }
    }

    /// The wait as a stream of events: a [`WaitEvent::Progress`] per
    /// observed change, then one [`WaitEvent::Done`]. The progress callback,
    /// if set, is called too. Dropping the stream stops the wait.
    pub fn into_stream(self, deadline: Duration) -> impl Stream<Item = WaitEvent<T>> + Send {
        let state = Some(self.into_engine(deadline));
        futures_util::stream::unfold(state, |state| async move {
            let (mut engine, mut on_progress) = state?;
            let event = engine.next().await;
            let more = match &event {
                WaitEvent::Progress(p) => {
                    if let Some(f) = on_progress.as_mut() {
                        f(p);
                    }
                    true
                }
                WaitEvent::Done(_) => false,
            };
            Some((event, more.then_some((engine, on_progress))))
        })
    }

    fn into_engine(self, deadline: Duration) -> (Engine<T>, Option<Callback<T>>) {
        let engine = Engine {
            scheduler: Scheduler::new(self.policy),
            client: self.client,
            target: self.target,
            options: self.options,
            deadline,
            started: None,
            polls: 0,
            last_seen: None,
            sleep_first: None,
            queued_end: None,
            last_object: None,
            last_error: None,
            server_clock: ServerClock::new(),
        };
        (engine, self.on_progress)
    }
}

impl<T: Watched> fmt::Debug for Waiter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("target", &self.target)
            .field("options", &self.options)
            .field("policy", &self.policy)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

/// The state of one wait between events.
struct Engine<T: Watched> {
    client: Client,
    target: T::Target,
    options: Options,
    scheduler: Scheduler,
    deadline: Duration,
    started: Option<Instant>,
    polls: u32,
    /// What the last poll showed, to tell changes.
    last_seen: Option<Observation>,
    /// The delay before the next poll.
    sleep_first: Option<Duration>,
    /// The end, held back while the final change is reported.
    queued_end: Option<Result<Answer<T>, WaitError<T>>>,
    /// The object as last read.
    last_object: Option<Answer<T>>,
    /// The last poll's error, while polls keep failing in a way that may pass.
    last_error: Option<Error>,
    /// The server's clock, from the `Date` of its answers (as of the last
    /// poll).
    server_clock: ServerClock,
}

impl<T: Watched> Engine<T> {
    /// Polls until there is something to report.
    async fn next(&mut self) -> WaitEvent<T> {
        if let Some(end) = self.queued_end.take() {
            return WaitEvent::Done(end);
        }
        let clock = self.client.clock().clone();
        let start = *self.started.get_or_insert_with(|| clock.now());
        let deadline_at = start.checked_add(self.deadline);
        loop {
            if let Some(d) = self.sleep_first.take() {
                clock.sleep(d).await;
            }
            self.polls += 1;
            let remaining =
                deadline_at.map_or(Duration::MAX, |d| d.saturating_duration_since(clock.now()));
            let poll = T::poll(&self.client, &self.target, &self.options);
            // A poll in flight never carries the wait far past its deadline.
            let polled = match remaining.checked_add(FINAL_POLL_GRACE) {
                Some(limit) => {
                    let poll = std::pin::pin!(poll);
                    match futures_util::future::select(poll, clock.sleep(limit)).await {
                        futures_util::future::Either::Left((r, _)) => Some(r),
                        futures_util::future::Either::Right(_) => None,
                    }
                }
                None => Some(poll.await),
            };
            let object = match polled {
                Some(Ok(o)) => {
                    self.last_error = None;
                    o
                }
                Some(Err(e)) if e.is_retryable() => {
                    let now = clock.now();
                    let remaining =
                        deadline_at.map_or(Duration::MAX, |d| d.saturating_duration_since(now));
                    if remaining.is_zero() {
                        return WaitEvent::Done(self.deadline_end(start, now, Some(e)));
                    }
                    let backoff = self.scheduler.next_delay(
                        false,
                        None,
                        clock.wall_now(),
                        &self.server_clock,
                    );
                    let retry_after = e.retry_after();
                    if retry_after.is_some_and(|r| r > remaining) {
                        // The server asked not to be asked again before the
                        // deadline: a poll would be refused, or unwelcome.
                        tracing::debug!(
                            polls = self.polls,
                            error = %e,
                            "the server's Retry-After ends past the deadline; waiting it out"
                        );
                        clock.sleep(remaining).await;
                        let now = clock.now();
                        return WaitEvent::Done(self.deadline_end(start, now, Some(e)));
                    }
                    tracing::debug!(
                        polls = self.polls,
                        error = %e,
                        "poll failed in a way that may pass; waiting on"
                    );
                    self.last_error = Some(e);
                    let delay = retry_after.map_or(backoff, |r| backoff.max(r));
                    self.sleep_first = Some(delay.min(remaining));
                    continue;
                }
                Some(Err(e)) => return WaitEvent::Done(Err(WaitError::Api(e))),
                None => {
                    let now = clock.now();
                    return WaitEvent::Done(self.deadline_end(start, now, None));
                }
            };
            let now = clock.now();
            let wall = clock.wall_now();
            // The client read this answer's Date, and every other answer's
            // from the same API.
            self.server_clock = self.client.server_clock(T::SURFACE);
            let seen = object.observe(&self.target, &self.options);
            let changed = self.last_seen.as_ref() != Some(&seen);
            let elapsed = now.saturating_duration_since(start);
            let what = || T::describe(&self.target);
            let end = match &seen.outcome {
                Outcome::Succeeded => Some(Ok(object.clone())),
                Outcome::Failed(reason) => Some(Err(WaitError::Unsuccessful {
                    what: what(),
                    reason: reason.clone(),
                    last: Box::new(object.clone()),
                })),
                Outcome::Pending => {
                    let remaining =
                        deadline_at.map_or(Duration::MAX, |d| d.saturating_duration_since(now));
                    if remaining.is_zero() {
                        Some(Err(WaitError::DeadlineExceeded {
                            what: what(),
                            waited: elapsed,
                            state: seen.state.clone(),
                            last: Some(Box::new(object.clone())),
                            last_error: None,
                        }))
                    } else {
                        let delay =
                            self.scheduler
                                .next_delay(changed, seen.hint, wall, &self.server_clock);
                        self.sleep_first = Some(delay.min(remaining));
                        None
                    }
                }
            };
            self.last_object = Some(object.clone());
            let progress = changed.then(|| Progress {
                object,
                state: seen.state.clone(),
                percent: seen.percent,
                eta: seen.eta,
                counts: seen.counts,
                polls: self.polls,
                elapsed,
                next_poll_in: self.sleep_first,
                server_clock: self.server_clock,
            });
            self.last_seen = Some(seen);
            match (progress, end) {
                (Some(p), Some(end)) => {
                    self.queued_end = Some(end);
                    return WaitEvent::Progress(p);
                }
                (Some(p), None) => return WaitEvent::Progress(p),
                (None, Some(end)) => return WaitEvent::Done(end),
                (None, None) => {}
            }
        }
    }

    /// The end of a wait whose deadline passed while polls failed in a way
    /// that may pass, or hung: timed out, with the last object seen and the
    /// last error, whichever there are. Waiting longer might have ended it
    /// well, so it is a timeout, not the error.
    fn deadline_end(
        &mut self,
        start: Instant,
        now: Instant,
        error: Option<Error>,
    ) -> Result<Answer<T>, WaitError<T>> {
        let error = error.or_else(|| self.last_error.take());
        Err(WaitError::DeadlineExceeded {
            what: T::describe(&self.target),
            waited: now.saturating_duration_since(start),
            state: self
                .last_seen
                .as_ref()
                .map_or_else(|| "no answer yet".to_owned(), |s| s.state.clone()),
            last: self.last_object.take().map(Box::new),
            last_error: error.map(Box::new),
        })
    }
}
