//! The soak: mixed operations from 32 concurrent callers sharing one
//! `cfp_api::Client` (real reqwest transport) against the simulator with
//! 20% of requests faulted (every fault class), counting what could leak.
//! The mix is every operation of the contract, each called with its example
//! from `cfp_testkit::examples` through `Client::send_any` (its subject
//! spread over the world's machines, game servers and tasks), plus
//! `pause_task` and `resume_task`.
//!
//! - panics: every operation runs under `catch_unwind`, every caller is a
//!   task whose `JoinError::is_panic` is checked;
//! - tasks: the client runs on a runtime of its own; once the client is
//!   dropped, `RuntimeMetrics::num_alive_tasks` must be back to what it was
//!   (the simulator runs on another runtime, so its tasks do not count);
//! - connections: the simulator's count of open connections must fall back
//!   to 0, and the process's open file descriptors (and sockets among them,
//!   from `/proc/self/fd`) to what they were;
//! - memory: resident memory (`VmRSS`) is sampled as the run goes; the
//!   second half may not grow past the first half's peak by more than a
//!   generous bound (the simulator's journal and world are bounded for the
//!   run, so that their filling up does not hide a client leak);
//! - deadlines: no call outlives the client's total timeout (three of them
//!   for pause and resume);
//! - unsafe operations: the simulator received no more diff creates, diff
//!   retries, batch creates and toggles than the callers made.
//!
//! It runs 10,000 operations (about 20 s in a debug build on two cores);
//! `CFP_SOAK_OPS=N` runs another count, e.g. a longer soak:
//! `CFP_SOAK_OPS=100000 cargo test --release -p cfp-testkit --test soak -- --nocapture`.
//! The figures printed (also written to `target/tmp/soak.md`) are the ones
//! in `docs/reliability.md`.

// Test code: a panic is a failure, and the report is printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod api_support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cfp_api::model::{
    ApplicationInstanceId, CreateTaskBatch, ImageId, OperationId, TaskBatchId, TaskId,
    TaskTemplateId, UnixTime,
};
use cfp_api::{Client, Error};
use cfp_testkit::examples::{self, Subject};
use cfp_testkit::world::World;
use cfp_testkit::{ClockMode, Fault, FaultPlan, RetryAfter, RunningSimulator};
use futures_util::FutureExt as _;

use api_support::{client_for, open_fds, outcome, quick_timeouts, rss_kib, sim_builder};

const CALLERS: usize = 32;
const RATE: f64 = 0.2;
const TOLERANCE: Duration = Duration::from_millis(250);
/// Memory samples over the run.
const SAMPLES: usize = 40;

fn operations() -> usize {
    std::env::var("CFP_SOAK_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(10_000)
}

/// Every fault class, evenly.
fn every_fault() -> Vec<Fault> {
    vec![
        Fault::Status { status: 500 },
        Fault::Status { status: 502 },
        Fault::Status { status: 504 },
        Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(1),
        },
        Fault::Unavailable {
            retry_after: RetryAfter::HttpDate(1),
        },
        Fault::ConnectionReset,
        Fault::TruncatedJson,
        Fault::HtmlErrorPage { status: 502 },
        Fault::SlowBody { millis: 1_000 },
        Fault::Latency { millis: 100 },
    ]
}

/// splitmix64: a deterministic spread of operation numbers.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    /// One operation of the contract, called with its example.
    Call(OperationId),
    Pause,
    Resume,
}

/// Every operation of the contract, then the composite methods.
fn ops() -> Vec<Op> {
    OperationId::ALL
        .into_iter()
        .map(Op::Call)
        .chain([Op::Pause, Op::Resume])
        .collect()
}

impl Op {
    /// Pause and resume make up to three calls, a cancel two (a read after
    /// its 204 or 409).
    fn composite(self) -> bool {
        matches!(
            self,
            Op::Pause | Op::Resume | Op::Call(OperationId::CancelTask)
        )
    }
}

/// Tasks scheduled a day ahead (they stay pending, so pause, resume,
/// toggle and cancel have something to act on) and their batch.
struct Targets {
    tasks: Vec<TaskId>,
    batch: TaskBatchId,
}

async fn run(op: Op, r: u64, client: &Client, t: &Targets) -> Result<(), Error> {
    let task = t.tasks[(r % t.tasks.len() as u64) as usize];
    match op {
        Op::Call(op) => {
            let example = examples::example(op);
            let subject = match example.subject {
                // Four images: most creates find their image locked by a
                // diff nobody accepted or rejected, or an update running.
                Subject::Image(_) => Subject::Image(ImageId(1 + (r / 2) % 4)),
                Subject::Instance(_) => Subject::Instance(ApplicationInstanceId(1 + r % 100)),
                Subject::Task(_) => Subject::Task(task),
                Subject::Batch(_) => Subject::Batch(t.batch),
                other => other,
            };
            let params = example
                .on(subject)
                .unwrap_or_else(|| panic!("{op} cannot be about {subject:?}"));
            client.send_any(params).await.map(drop)
        }
        Op::Pause => client.pause_task(task).await.map(drop),
        Op::Resume => client.resume_task(task).await.map(drop),
    }
}

#[derive(Default)]
struct Tally {
    calls: BTreeMap<Op, usize>,
    outcomes: BTreeMap<String, usize>,
    op_panics: usize,
    late: Vec<String>,
    /// The longest single call, and the longest pause or resume.
    longest: (Duration, Duration),
    rss: Vec<(usize, u64)>,
}

/// Waits (up to 10 s) until `done` holds; the bounded wait for sockets and
/// tasks to close after the client is dropped.
fn settle(mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

async fn targets(sim: &RunningSimulator) -> Targets {
    let client = client_for(&sim.base_url()).build().unwrap();
    let tomorrow = sim.clock().now_secs() + 86_400;
    let request =
        CreateTaskBatch::for_instances(TaskTemplateId(2), (1..=100).map(ApplicationInstanceId))
            .execute_at(UnixTime::from_secs(tomorrow).unwrap());
    let batch = client
        .create_task_batch(request)
        .send()
        .await
        .unwrap()
        .into_inner();
    Targets {
        tasks: batch.task_ids,
        batch: batch.id,
    }
}

#[test]
fn ten_thousand_mixed_operations_from_32_callers_under_faults_leak_nothing() {
    let total_ops = operations();
    // The simulator on a runtime of its own, so that the client's runtime
    // counts only the client's tasks.
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("soak-sim")
        .enable_all()
        .build()
        .unwrap();
    let sim = sim_rt
        .block_on(
            sim_builder()
                .clock(ClockMode::Scaled(60.0))
                .world(World::default().limits(5_000, 2_000))
                .journal_capacity(2_000)
                .faults(FaultPlan::none().mix(every_fault()))
                .start(),
        )
        .unwrap();
    let targets = Arc::new(sim_rt.block_on(targets(&sim)));
    sim.faults().set_rate(RATE);
    sim.journal().clear();
    let accepted_before = sim.accepted_connections();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("soak-client")
        .enable_all()
        .build()
        .unwrap();
    let tasks_before = rt.metrics().num_alive_tasks();
    let fds_before = open_fds();
    let rss_start = rss_kib();

    let url = sim.base_url();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let (caller_panics, peak_connections) = rt.block_on(async {
        let client = client_for(&url).timeouts(quick_timeouts()).build().unwrap();
        let next = Arc::new(AtomicUsize::new(0));
        let every = (total_ops / SAMPLES).max(1);
        let mut callers = Vec::new();
        let ops = Arc::new(ops());
        for _ in 0..CALLERS {
            let (client, next, tally, targets, ops) = (
                client.clone(),
                next.clone(),
                tally.clone(),
                targets.clone(),
                ops.clone(),
            );
            callers.push(tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total_ops {
                        break;
                    }
                    let r = mix(n as u64);
                    let op = ops[(r % ops.len() as u64) as usize];
                    let t0 = Instant::now();
                    let caught = AssertUnwindSafe(run(op, r >> 8, &client, &targets))
                        .catch_unwind()
                        .await;
                    let took = t0.elapsed();
                    let limit = if op.composite() {
                        quick_timeouts().total * 3
                    } else {
                        quick_timeouts().total
                    };
                    let mut t = tally.lock().unwrap();
                    *t.calls.entry(op).or_default() += 1;
                    match caught {
                        Ok(result) => *t.outcomes.entry(outcome(&result)).or_default() += 1,
                        Err(_) => t.op_panics += 1,
                    }
                    if op.composite() {
                        t.longest.1 = t.longest.1.max(took);
                    } else {
                        t.longest.0 = t.longest.0.max(took);
                    }
                    if took > limit + TOLERANCE {
                        t.late
                            .push(format!("{op:?} #{n} took {took:?} (deadline {limit:?})"));
                    }
                    if n % every == 0
                        && let Some(rss) = rss_kib()
                    {
                        t.rss.push((n, rss));
                    }
                }
            }));
        }
        let mut panics = 0;
        let mut peak = 0;
        let mut pending = callers;
        while !pending.is_empty() {
            peak = peak.max(sim.open_connections());
            tokio::time::sleep(Duration::from_millis(20)).await;
            let (finished, still): (Vec<_>, Vec<_>) =
                pending.into_iter().partition(|h| h.is_finished());
            pending = still;
            for h in finished {
                if let Err(e) = h.await {
                    assert!(e.is_panic(), "{e}");
                    panics += 1;
                }
            }
        }
        drop(client);
        (panics, peak)
    });
    let elapsed = started.elapsed();

    // Everything the client opened is closed once it is gone.
    let connections_closed = settle(|| sim.open_connections() == 0);
    let tasks_back = settle(|| rt.metrics().num_alive_tasks() <= tasks_before);
    let fds_back = settle(|| match (open_fds(), fds_before) {
        (Some((now, _)), Some((before, _))) => now <= before,
        _ => true,
    });
    let tasks_after = rt.metrics().num_alive_tasks();
    let fds_after = open_fds();

    let journal = sim.journal();
    let t = tally.lock().unwrap();
    let calls = |ops: &[Op]| -> u64 {
        ops.iter()
            .map(|o| t.calls.get(o).copied().unwrap_or(0) as u64)
            .sum()
    };
    // Each operation the contract says may not be repeated, against the
    // calls that send it: its own, and pause and resume for the toggle.
    let unsafe_checks: Vec<(OperationId, u64)> = OperationId::ALL
        .into_iter()
        .filter(|op| !op.spec().retry.may_repeat())
        .map(|op| {
            let made = if op == OperationId::ToggleTaskPause {
                calls(&[Op::Call(op), Op::Pause, Op::Resume])
            } else {
                calls(&[Op::Call(op)])
            };
            (op, made)
        })
        .collect();
    let requests = journal.total();
    let faults_seen = journal.faulted();

    // Memory: after a warm-up tenth, the second half's peak against the
    // first half's.
    let samples: Vec<u64> = t.rss.iter().map(|(_, kib)| *kib).collect();
    let warm = samples.len() / 10;
    let body = &samples[warm.min(samples.len())..];
    let (first, second) = body.split_at(body.len() / 2);
    let first_peak = first.iter().copied().max().unwrap_or(0);
    let second_peak = second.iter().copied().max().unwrap_or(0);
    let allowed = first_peak + (first_peak / 4).max(16 * 1024);

    let mut report = String::new();
    let _ = writeln!(
        report,
        "Soak: {total_ops} operations from {CALLERS} callers in {:.1} s: {requests} requests, \
         {faults_seen} of them faulted (rate {RATE}); {} connections accepted, at most \
         {peak_connections} open at once.\n",
        elapsed.as_secs_f64(),
        sim.accepted_connections() - accepted_before,
    );
    let _ = writeln!(report, "| figure | value |\n|---|---:|");
    let _ = writeln!(report, "| operations | {total_ops} |");
    let _ = writeln!(
        report,
        "| requests received by the simulator | {requests} |"
    );
    let _ = writeln!(report, "| requests that met a fault | {faults_seen} |");
    for (outcome, n) in &t.outcomes {
        let _ = writeln!(report, "| outcome: {outcome} | {n} |");
    }
    let _ = writeln!(
        report,
        "| panics (operations / callers) | {} / {caller_panics} |",
        t.op_panics
    );
    let total = quick_timeouts().total.as_millis();
    let _ = writeln!(report, "| calls past their deadline | {} |", t.late.len());
    let _ = writeln!(
        report,
        "| longest call (deadline {total} ms) | {} ms |",
        t.longest.0.as_millis()
    );
    let _ = writeln!(
        report,
        "| longest pause/resume/cancel (deadline {} ms) | {} ms |",
        3 * total,
        t.longest.1.as_millis()
    );
    for (op, made) in &unsafe_checks {
        let _ = writeln!(
            report,
            "| {op}: requests received / calls made | {} / {made} |",
            journal.count(*op)
        );
    }
    let _ = writeln!(
        report,
        "| client tasks alive before / after | {tasks_before} / {tasks_after} |"
    );
    let _ = writeln!(
        report,
        "| simulator connections open after | {} |",
        sim.open_connections()
    );
    let fd = |f: Option<(usize, usize)>| {
        f.map_or_else(|| "n/a".to_owned(), |(a, s)| format!("{a} ({s} sockets)"))
    };
    let _ = writeln!(
        report,
        "| open fds before / after | {} / {} |",
        fd(fds_before),
        fd(fds_after)
    );
    let _ = writeln!(
        report,
        "| RSS at start / first-half peak / second-half peak | {} / {first_peak} / \
         {second_peak} KiB |",
        rss_start.unwrap_or(0)
    );
    println!("{report}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("soak.md");
    let _ = std::fs::write(&path, &report);

    assert_eq!(t.op_panics, 0, "{report}");
    assert_eq!(caller_panics, 0, "{report}");
    assert_eq!(t.calls.values().sum::<usize>(), total_ops);
    assert!(t.late.is_empty(), "{:?}\n{report}", t.late);
    assert!(
        !t.outcomes.keys().any(|k| k.starts_with("other")),
        "{report}"
    );
    for (op, made) in unsafe_checks {
        assert!(
            journal.count(op) <= made,
            "{op} sent more often than called\n{report}"
        );
    }
    assert!(faults_seen > 0, "{report}");
    assert!(connections_closed, "connections left open\n{report}");
    assert!(tasks_back, "client tasks left alive\n{report}");
    assert!(fds_back, "file descriptors left open\n{report}");
    if !samples.is_empty() {
        assert!(
            second_peak <= allowed,
            "memory grew: {second_peak} KiB > {allowed} KiB\n{report}"
        );
    }
    drop(t);
    sim_rt.block_on(sim.shutdown());
}
