//! Polling efficiency: many concurrent waits against one simulator in scaled
//! time, with cfp's waiters or with a naive fixed 1-second poller.
//!
//! One run starts an in-process simulator (`ClockMode::Scaled(speed)`) with
//! a world of `diffs` machines and enough game servers, creates one diff per
//! machine and two task batches — one of the two-action Restart template,
//! one of the one-action Stop template — and then waits for every diff job
//! and every task at once, each with its own waiter. The client's clock
//! follows the simulator's ([`SimTime`]), so server ETAs and the
//! waiter's sleeps are in the same simulated time.
//!
//! - **Requests** come from the simulator's journal (per-operation counts
//!   cover every request); the split between the two task groups comes from
//!   each waiter's own poll count, checked against the journal's total.
//! - **Lateness** of a wait is the simulated time at which the waiter
//!   returned minus the instant the work completed, read from the final
//!   answer: a diff's `jobupdated` (the instant it became Complete), a
//!   task's `finishedAt`. The simulator's state changes exactly at those
//!   whole seconds, so this is how long the completion went unnoticed.
//!
//! The waiters see nothing but the API's answers; the journal and the
//! simulator's clock are read only to measure.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use cfp_api::model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, DiffId, FleetId, ImageId, MachineId,
    OperationId, RegionId, TaskId, TaskTemplateId,
};
use cfp_api::{Answer, Client, PollPolicy, WaitError};
use cfp_testkit::{ClockMode, RunningSimulator, SimClock, SimTime, Simulator, World};
use serde::Serialize;
use tokio::task::JoinSet;

/// Which waiter polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Poller {
    /// cfp's waiters with their default [`PollPolicy`].
    Cfp,
    /// The same waiters with `PollPolicy::fixed(1 s)`: a poll every
    /// simulated second, whatever the server says.
    Fixed,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct PollingConfig {
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Diff jobs to wait for.
    pub diffs: u32,
    /// Tasks of the two-action Restart template to wait for.
    pub restart_tasks: u32,
    /// Tasks of the one-action Stop template to wait for.
    pub stop_tasks: u32,
    /// Which waiter.
    pub poller: Poller,
    /// The simulator's seed (job and task durations).
    pub seed: u64,
}

/// The waits of one kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Group {
    /// Waits started.
    pub waits: u32,
    /// Requests the waits sent.
    pub requests: u64,
    /// Per finished wait: simulated milliseconds between the completion and
    /// the waiter noticing it.
    pub lateness_ms: Vec<i64>,
    /// Waits that ended otherwise (deadline, error, unsuccessful work).
    pub unfinished: u32,
}

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct PollingResult {
    /// Which waiter polled.
    pub poller: Poller,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Diff jobs.
    pub diffs: Group,
    /// Restart tasks (two actions).
    pub restart_tasks: Group,
    /// Stop tasks (one action).
    pub stop_tasks: Group,
    /// Real seconds the waits took.
    pub real_seconds: f64,
}

/// Template ids of the default world's templates.
const RESTART: TaskTemplateId = TaskTemplateId(1);
const STOP: TaskTemplateId = TaskTemplateId(2);
/// The longest a wait may take (simulated).
const DEADLINE: Duration = Duration::from_secs(900);

/// How one wait ended: polls made, lateness if it finished.
struct Ended {
    kind: Kind,
    polls: u32,
    lateness_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Diff,
    Restart,
    Stop,
}

/// The world: `machines` machines and as many images (one diff each: a
/// diff locks its image until accepted or rejected), `servers` game
/// servers, in one fleet and region.
fn world(machines: u32, servers: u32) -> World {
    let (fleet, region) = (FleetId(1), RegionId(1));
    let mut w = World::empty()
        .account_service(1)
        .region(region, "Bench Region")
        .fleet(fleet, "bench-fleet", [region]);
    for m in 1..=u64::from(machines) {
        w = w.image(ImageId(m), format!("bench-image-{m}")).machine(
            MachineId(m),
            format!("machine-{m}"),
            fleet,
            region,
        );
    }
    w.instances(1..=u64::from(servers), fleet, region)
}

/// Runs one poller over a fresh simulator.
pub fn run(cfg: &PollingConfig) -> Result<PollingResult, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    rt.block_on(run_async(cfg))
}

async fn run_async(cfg: &PollingConfig) -> Result<PollingResult, String> {
    let sim = Simulator::builder()
        .world(world(cfg.diffs, cfg.restart_tasks + cfg.stop_tasks))
        .seed(cfg.seed)
        .clock(ClockMode::Scaled(cfg.speed))
        .start()
        .await
        .map_err(|e| format!("cannot start the simulator: {e}"))?;
    let client = client_for(&sim)?;
    let (diffs, restart, stop) = create_work(&client, cfg).await?;

    let policy = match cfg.poller {
        Poller::Cfp => PollPolicy::default(),
        Poller::Fixed => PollPolicy::fixed(Duration::from_secs(1)),
    };
    let started = Instant::now();
    let mut waits = JoinSet::new();
    for id in diffs {
        let (client, clock) = (client.clone(), sim.clock().clone());
        waits.spawn(wait_diff(client, clock, policy, id));
    }
    for (ids, kind) in [(restart, Kind::Restart), (stop, Kind::Stop)] {
        for id in ids {
            let (client, clock) = (client.clone(), sim.clock().clone());
            waits.spawn(wait_task(client, clock, policy, id, kind));
        }
    }
    let mut groups = [Group::default(), Group::default(), Group::default()];
    while let Some(joined) = waits.join_next().await {
        let ended = joined.map_err(|e| format!("a wait panicked: {e}"))?;
        let g = &mut groups[ended.kind as usize];
        g.waits += 1;
        g.requests += u64::from(ended.polls);
        match ended.lateness_ms {
            Some(ms) => g.lateness_ms.push(ms),
            None => g.unfinished += 1,
        }
    }
    let real_seconds = started.elapsed().as_secs_f64();
    let [mut diffs, restart_tasks, stop_tasks] = groups;
    check_counts(&sim, &diffs, &restart_tasks, &stop_tasks)?;
    diffs.requests = sim.journal().count(OperationId::GetImageDiffStatus);
    sim.shutdown().await;
    Ok(PollingResult {
        poller: cfg.poller,
        speed: cfg.speed,
        diffs,
        restart_tasks,
        stop_tasks,
        real_seconds,
    })
}

/// A client of the simulator whose clock follows the simulator's.
fn client_for(sim: &RunningSimulator) -> Result<Client, String> {
    let c = sim.credentials();
    Client::builder()
        .clanforge_url(sim.base_url())
        .task_url(sim.base_url())
        .clanforge_credentials(&c.clanforge_key, &c.clanforge_secret)
        .task_token(&c.task_token)
        .clock(Arc::new(SimTime::new(sim.clock().clone())))
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))
}

/// Creates the diffs and the two batches; their ids.
async fn create_work(
    client: &Client,
    cfg: &PollingConfig,
) -> Result<(Vec<DiffId>, Vec<TaskId>, Vec<TaskId>), String> {
    let mut diffs = Vec::new();
    for m in 1..=u64::from(cfg.diffs) {
        let job = client
            .clanforge(AccountServiceId(1))
            .create_image_diff(ImageId(m), MachineId(m))
            .send()
            .await
            .map_err(|e| format!("cannot create a diff: {e}"))?;
        diffs.push(job.diff_id);
    }
    let servers =
        |from: u32, n: u32| (u64::from(from) + 1..=u64::from(from + n)).map(ApplicationInstanceId);
    let mut batches = Vec::new();
    for (template, ids) in [
        (RESTART, servers(0, cfg.restart_tasks)),
        (STOP, servers(cfg.restart_tasks, cfg.stop_tasks)),
    ] {
        let ids: Vec<_> = ids.collect();
        if ids.is_empty() {
            batches.push(Vec::new());
            continue;
        }
        let batch = client
            .create_task_batch(CreateTaskBatch::for_instances(template, ids))
            .send()
            .await
            .map_err(|e| format!("cannot create a batch: {e}"))?;
        batches.push(batch.into_inner().task_ids);
    }
    let stop = batches.pop().unwrap_or_default();
    let restart = batches.pop().unwrap_or_default();
    Ok((diffs, restart, stop))
}

/// A progress callback that keeps the wait's poll count.
fn poll_counter() -> (Arc<AtomicU32>, impl Fn(u32) + Send + 'static) {
    let polls = Arc::new(AtomicU32::new(0));
    let seen = polls.clone();
    (polls, move |n| seen.store(n, Ordering::Relaxed))
}

async fn wait_diff(client: Client, clock: SimClock, policy: PollPolicy, id: DiffId) -> Ended {
    let (polls, count) = poll_counter();
    let result = client
        .clanforge(AccountServiceId(1))
        .wait_for_diff(id)
        .poll_policy(policy)
        .on_progress(move |p| count(p.polls))
        .wait(DEADLINE)
        .await;
    let noticed = clock.now_ms();
    Ended {
        kind: Kind::Diff,
        polls: polls.load(Ordering::Relaxed),
        lateness_ms: finished_at(&result, |s| s.job.updated.as_secs()).map(|at| noticed - at),
    }
}

async fn wait_task(
    client: Client,
    clock: SimClock,
    policy: PollPolicy,
    id: TaskId,
    kind: Kind,
) -> Ended {
    let (polls, count) = poll_counter();
    let result = client
        .wait_for_task(id)
        .poll_policy(policy)
        .on_progress(move |p| count(p.polls))
        .wait(DEADLINE)
        .await;
    let noticed = clock.now_ms();
    Ended {
        kind,
        polls: polls.load(Ordering::Relaxed),
        lateness_ms: finished_at(&result, |t| t.finished_at.as_secs()).map(|at| noticed - at),
    }
}

/// The completion instant (Unix milliseconds) of a successful wait.
fn finished_at<T>(
    result: &Result<Answer<T>, WaitError<T>>,
    secs: impl Fn(&T) -> i64,
) -> Option<i64> {
    result.as_ref().ok().map(|v| secs(v) * 1000)
}

/// The waiters' own poll counts agree with the journal.
fn check_counts(
    sim: &RunningSimulator,
    diffs: &Group,
    restart: &Group,
    stop: &Group,
) -> Result<(), String> {
    let journal_tasks = sim.journal().count(OperationId::GetTask);
    let waiter_tasks = restart.requests + stop.requests;
    if journal_tasks != waiter_tasks {
        return Err(format!(
            "the simulator saw {journal_tasks} task requests, the waiters counted {waiter_tasks}"
        ));
    }
    let journal_diffs = sim.journal().count(OperationId::GetImageDiffStatus);
    if journal_diffs != diffs.requests {
        return Err(format!(
            "the simulator saw {journal_diffs} diff status requests, the waiters counted {}",
            diffs.requests
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_has_a_machine_per_diff_and_the_servers() {
        let w = world(3, 5);
        assert!(w.has_image(ImageId(1)));
        assert_eq!(w.instance_ids().count(), 5);
    }
}
