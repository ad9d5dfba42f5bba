//! The fault matrix: every operation through `cfp_api::Client` (real
//! reqwest transport) against the simulator with 20% of requests faulted,
//! one fault class at a time and then all classes mixed.
//!
//! The operations are the contract's (`OperationId::ALL`), each called with
//! its example from `cfp_testkit::examples` through `Client::send_any`; a
//! call that changes something gets a subject of its own (image, diff,
//! update, reservation fleet, game server, task). Three rows are the client's composite methods:
//! `pause_task`, `resume_task`, and `get_upload_job_details` against a
//! server that refuses its `PUT` (the 405, then the `GET` form).
//!
//! For every call it checks, from the simulator's journal (each call is
//! tagged through its `User-Agent`, so its requests can be told apart):
//!
//! - it ended in success or in the typed error the last fault it met calls
//!   for (a 5xx or 429 in the surface's error shape is `Error::Service`, an
//!   HTML page `Error::Http`, a reset a transport error that may have been
//!   delivered, a cut body `Error::Decode`, a slow body a timeout);
//! - a safe operation made at most the policy's 4 attempts, and waited for
//!   every `Retry-After`;
//! - an unsafe operation (diff create and retry, batch create, the task
//!   toggle, and the toggle inside pause and resume) was sent at most once;
//! - the toggle and cancel left the simulated world as the journal says;
//! - it did not panic, and did not outlive its deadline (the client's total
//!   timeout; three of them for pause and resume, which make up to three
//!   calls).
//!
//! The tables it prints (run with `--nocapture`; also written to
//! `target/tmp/fault_matrix.md`) are the figures in `docs/reliability.md`.
//! `CFP_MATRIX_CALLS` sets the calls per operation and class (default 12).

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
use std::sync::Arc;
use std::time::{Duration, Instant};

use cfp_api::model::{
    ApplicationInstanceId, CreateTaskBatch, DiffId, FleetId, ImageId, ImageVersionId, MachineId,
    OperationId, RegionId, TaskBatchId, TaskId, TaskResultCode, TaskTemplateId, UpdateId,
};
use cfp_api::params::AnyParams;
use cfp_api::{Client, Error, RetryPolicy};
use cfp_testkit::examples::{self, Subject};
use cfp_testkit::world::{ExistingDiff, ExistingUpdate, World};
use cfp_testkit::{Fault, FaultPlan, JournalEntry, RetryAfter, RunningSimulator};
use futures_util::FutureExt as _;
use tokio::sync::Semaphore;

use api_support::{
    call_tag, check_retry_after_per_call, client_for, entries_of, outcome, quick_timeouts,
    shared_transport, sim_builder,
};

/// The share of requests that meet a fault.
const RATE: f64 = 0.2;
/// Calls in flight at once.
const CONCURRENCY: usize = 32;
/// Scheduling slack allowed past a deadline.
const TOLERANCE: Duration = Duration::from_millis(250);

fn calls_per_cell() -> usize {
    std::env::var("CFP_MATRIX_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(12)
}

// ---------------------------------------------------------------------------
// Fault classes

struct Class {
    name: &'static str,
    mix: Vec<Fault>,
}

fn one(name: &'static str, fault: Fault) -> Class {
    Class {
        name,
        mix: vec![fault],
    }
}

fn classes() -> Vec<Class> {
    let single = vec![
        one("500", Fault::Status { status: 500 }),
        one("502", Fault::Status { status: 502 }),
        one("504", Fault::Status { status: 504 }),
        one(
            "429 RA 1s",
            Fault::TooManyRequests {
                retry_after: RetryAfter::Seconds(1),
            },
        ),
        one(
            "503 RA date",
            Fault::Unavailable {
                retry_after: RetryAfter::HttpDate(1),
            },
        ),
        one("reset", Fault::ConnectionReset),
        one("truncated", Fault::TruncatedJson),
        one("html 502", Fault::HtmlErrorPage { status: 502 }),
        one("slow body", Fault::SlowBody { millis: 1_000 }),
        one("latency", Fault::Latency { millis: 100 }),
    ];
    let all = single.iter().flat_map(|c| c.mix.clone()).collect();
    let mut classes = single;
    classes.push(Class {
        name: "all mixed",
        mix: all,
    });
    classes
}

// ---------------------------------------------------------------------------
// Operations

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Row {
    /// One operation of the contract, called with its example.
    Op(OperationId),
    /// `get_upload_job_details` against a server that answers its `PUT`
    /// with 405: the `PUT`, then the `GET` form.
    UploadFallback,
    /// `pause_task`: read, toggle if needed, read again.
    Pause,
    /// `resume_task`: the same.
    Resume,
}

/// Every operation of the contract, then the composite methods.
fn rows() -> Vec<Row> {
    OperationId::ALL
        .into_iter()
        .map(Row::Op)
        .chain([Row::UploadFallback, Row::Pause, Row::Resume])
        .collect()
}

impl Row {
    fn name(self) -> &'static str {
        match self {
            Row::Op(op) => op.name(),
            Row::UploadFallback => "getUploadJobDetails (GET after a 405)",
            Row::Pause => "pause_task (idempotent)",
            Row::Resume => "resume_task (idempotent)",
        }
    }

    /// The operation that must never be sent twice for one call.
    fn unsafe_op(self) -> Option<OperationId> {
        match self {
            Row::Op(op) => (!op.spec().retry.may_repeat()).then_some(op),
            Row::Pause | Row::Resume => Some(OperationId::ToggleTaskPause),
            Row::UploadFallback => None,
        }
    }

    /// Pause and resume make up to three calls (read, toggle, read); a
    /// cancel two (the DELETE, and a read after a 204 or a 409).
    fn composite(self) -> bool {
        matches!(
            self,
            Row::Pause | Row::Resume | Row::Op(OperationId::CancelTask)
        )
    }

    /// Each of its calls acts on a task of its own.
    fn owns_a_task(self) -> bool {
        match self {
            Row::Op(op) => {
                let e = examples::example(op);
                e.changes_state && matches!(e.subject, Subject::Task(_))
            }
            Row::Pause | Row::Resume => true,
            Row::UploadFallback => false,
        }
    }
}

/// The resources one class's run works on: each call that changes
/// something has its own.
struct Plan {
    /// The task and the batch the reads read.
    get_task: TaskId,
    batch: TaskBatchId,
    /// The image version the reads read.
    version: ImageVersionId,
    /// Per row that acts on tasks, a task per call.
    tasks: BTreeMap<Row, Vec<TaskId>>,
}

const IMAGES: u64 = 1_000;
const UPDATE_IMAGES: u64 = 2_000;
const RETRY_DIFFS: u64 = 300_000;
const REJECT_DIFFS: u64 = 310_000;
const ACCEPT_DIFFS: u64 = 320_000;
/// Below the first new update id (7001), so the updates the calls create
/// keep their ids.
const RETRY_UPDATES: u64 = 1_000;
const FLEETS: u64 = 1_000;
const TASK_INSTANCES: u64 = 1_000;
const CREATE_INSTANCES: u64 = 5_000;

/// The game servers of the tasks the calls act on: one for the reads, then
/// one per call of each row that owns a task.
fn task_instances(k: usize) -> std::ops::Range<u64> {
    let rows = rows().into_iter().filter(|r| r.owns_a_task()).count();
    TASK_INSTANCES..TASK_INSTANCES + (rows * k) as u64 + 1
}

/// The default world plus, per call that changes something, its own
/// image, complete or failed diff, failed update, reservation fleet, or
/// game server.
fn world(k: usize) -> World {
    let k = k as u64;
    let (fleet, region) = (FleetId(9), RegionId(9));
    let machine = MachineId(9);
    let mut w = World::default()
        .region(region, "Matrix")
        .fleet(fleet, "matrix", [region])
        .machine(machine, "matrix", fleet, region)
        // The version the reads read.
        .image(ImageId(IMAGES - 1), "matrix-versioned")
        .existing_diff(ExistingDiff {
            id: DiffId(ACCEPT_DIFFS - 1),
            image: ImageId(IMAGES - 1),
            machine,
            created_before_start: 3_600,
        });
    let diff = |id: u64| ExistingDiff {
        id: DiffId(id),
        image: ImageId(2),
        machine,
        created_before_start: 3_600,
    };
    for i in 0..k {
        w = w
            .image(ImageId(IMAGES + i), "matrix")
            .image(ImageId(UPDATE_IMAGES + i), "matrix-update")
            .existing_diff(diff(RETRY_DIFFS + i))
            .existing_diff(diff(REJECT_DIFFS + i))
            .existing_diff(diff(ACCEPT_DIFFS + i))
            .existing_update(ExistingUpdate {
                id: UpdateId(RETRY_UPDATES + i),
                image: ImageId(2),
                machine,
                created_before_start: 3_600,
                failed: Some("matrix".into()),
            })
            .fleet(FleetId(FLEETS + i), "matrix-reservation", [region])
            .reservation(FleetId(FLEETS + i), true);
    }
    w.instances(task_instances(k as usize), fleet, region)
        .instances(CREATE_INSTANCES..CREATE_INSTANCES + k, fleet, region)
}

/// Creates the tasks the calls work on and pauses those to resume, before
/// any fault.
async fn set_up(sim: &RunningSimulator, k: usize) -> Plan {
    let client = client_for(&sim.base_url()).build().unwrap();
    let ids = task_instances(k).map(ApplicationInstanceId);
    let batch = client
        .create_task_batch(CreateTaskBatch::for_instances(TaskTemplateId(2), ids))
        .send()
        .await
        .unwrap();
    let (first, rest) = batch.task_ids.split_first().unwrap();
    let mut tasks = rest.chunks(k);
    let version = client
        .clanforge(examples::ACCOUNT_SERVICE)
        .create_image_version(DiffId(ACCEPT_DIFFS - 1), false)
        .send()
        .await
        .unwrap()
        .version_id;
    let mut plan = Plan {
        get_task: *first,
        batch: batch.id,
        version,
        tasks: BTreeMap::new(),
    };
    for row in rows().into_iter().filter(|r| r.owns_a_task()) {
        plan.tasks.insert(row, tasks.next().unwrap().to_vec());
    }
    for id in &plan.tasks[&Row::Resume] {
        client.pause_task(*id).await.unwrap();
    }
    plan
}

/// What call `i` of an operation's row sends: its example, about a subject
/// of its own when it changes something, else about the task and batch of
/// the set-up.
fn params(op: OperationId, i: usize, plan: &Plan) -> AnyParams {
    let example = examples::example(op);
    let n = i as u64;
    let subject = match example.subject {
        // A diff locks its image, so the updates get images of their own.
        Subject::Image(_) if op == OperationId::CreateImageUpdate => {
            Subject::Image(ImageId(UPDATE_IMAGES + n))
        }
        Subject::Image(_) => Subject::Image(ImageId(IMAGES + n)),
        Subject::Diff(_) if op == OperationId::RejectImageDiff => {
            Subject::Diff(DiffId(REJECT_DIFFS + n))
        }
        Subject::Diff(_) if op == OperationId::CreateImageVersion => {
            Subject::Diff(DiffId(ACCEPT_DIFFS + n))
        }
        Subject::Diff(_) if example.changes_state => Subject::Diff(DiffId(RETRY_DIFFS + n)),
        Subject::Update(_) if example.changes_state => Subject::Update(UpdateId(RETRY_UPDATES + n)),
        Subject::Update(_) => Subject::Update(UpdateId(RETRY_UPDATES)),
        Subject::Version(_) => Subject::Version(plan.version),
        Subject::Fleet(_) if example.changes_state => Subject::Fleet(FleetId(FLEETS + n)),
        Subject::Instance(_) => Subject::Instance(ApplicationInstanceId(CREATE_INSTANCES + n)),
        Subject::Task(_) if example.changes_state => Subject::Task(plan.tasks[&Row::Op(op)][i]),
        Subject::Task(_) => Subject::Task(plan.get_task),
        Subject::Batch(_) => Subject::Batch(plan.batch),
        other => other,
    };
    example
        .on(subject)
        .unwrap_or_else(|| panic!("{op} cannot be about {subject:?}"))
}

/// One call: which row, which of its `k` calls, and its tag.
#[derive(Debug, Clone)]
struct Call {
    row: Row,
    i: usize,
    tag: String,
}

async fn run(call: &Call, client: &Client, plan: &Plan) -> Result<(), Error> {
    let i = call.i;
    match call.row {
        Row::Op(op) => client.send_any(params(op, i, plan)).await.map(drop),
        Row::UploadFallback => client
            .send_any(examples::example(OperationId::GetUploadJobDetails).params)
            .await
            .map(drop),
        Row::Pause => client
            .pause_task(plan.tasks[&Row::Pause][i])
            .await
            .map(drop),
        Row::Resume => client
            .resume_task(plan.tasks[&Row::Resume][i])
            .await
            .map(drop),
    }
}

// ---------------------------------------------------------------------------
// Outcomes

/// Faults after which the request had been carried out.
fn carried_out(fault: Option<&str>) -> bool {
    match fault {
        None => true,
        Some(f) => {
            f.starts_with("latency")
                || f.starts_with("slow-body")
                || f == "reset"
                || f == "truncated-json"
        }
    }
}

/// The outcome the last fault a call met calls for, if it is not `ok`. A
/// status fault comes in the surface's error shape (a service error), except
/// on ZStack, where a 5xx in ZStack's shape would be the service's final word:
/// there it stands for a proxy and answers in plain text (an HTTP error).
fn expected_error(fault: &str) -> Option<&'static [&'static str]> {
    Some(match fault {
        "status-500" => &["service 500", "http 500"],
        "status-502" => &["service 502", "http 502"],
        "status-504" => &["service 504", "http 504"],
        "status-429" => &["service 429", "http 429"],
        "status-503-retry-after" => &["service 503", "http 503"],
        "html-502" => &["http 502"],
        "reset" => &["transport io"],
        "truncated-json" => &["decode"],
        f if f.starts_with("slow-body") => &["transport timeout"],
        _ => return None,
    })
}

/// What one call did, for the checks and the tables.
struct Done {
    call: Call,
    result: Result<(), Error>,
    panicked: bool,
    took: Duration,
}

#[derive(Default)]
struct Cell {
    calls: usize,
    ok: usize,
    requests: usize,
}

#[derive(Default)]
struct ClassReport {
    calls: usize,
    ok: usize,
    requests: usize,
    faults: usize,
    panics: usize,
    sent_twice: usize,
    /// The longest single call, and the longest pause or resume.
    longest: (Duration, Duration),
    cells: BTreeMap<Row, Cell>,
    errors: BTreeMap<String, usize>,
}

/// Runs one class; returns its report and every violation found.
async fn run_class(class: &Class, k: usize) -> (ClassReport, Vec<String>) {
    let plan_faults = FaultPlan::none().mix(class.mix.clone());
    let main = sim_builder()
        .world(world(k))
        .faults(plan_faults.clone())
        .start()
        .await
        .unwrap();
    let get_only = sim_builder()
        .world(World::default().zstack_put_allowed(false))
        .faults(plan_faults)
        .start()
        .await
        .unwrap();
    let plan = Arc::new(set_up(&main, k).await);
    main.journal().clear();
    main.faults().set_rate(RATE);
    get_only.faults().set_rate(RATE);

    let timeouts = quick_timeouts();
    let transports = [shared_transport(timeouts), shared_transport(timeouts)];
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let mut handles = Vec::new();
    let mut n = 0;
    for row in rows() {
        for i in 0..k {
            n += 1;
            let call = Call {
                row,
                i,
                tag: call_tag(n),
            };
            let (url, transport) = if row == Row::UploadFallback {
                (get_only.base_url(), transports[1].clone())
            } else {
                (main.base_url(), transports[0].clone())
            };
            let client = client_for(&url)
                .transport(transport)
                .retry_policy(RetryPolicy::default())
                .timeouts(timeouts)
                .user_agent_suffix(call.tag.clone())
                .build()
                .unwrap();
            let plan = plan.clone();
            let gate = gate.clone();
            handles.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                let started = Instant::now();
                let caught = AssertUnwindSafe(run(&call, &client, &plan))
                    .catch_unwind()
                    .await;
                let took = started.elapsed();
                let (result, panicked) = match caught {
                    Ok(r) => (r, false),
                    Err(_) => (Ok(()), true),
                };
                Done {
                    call,
                    result,
                    panicked,
                    took,
                }
            }));
        }
    }
    let mut done = Vec::new();
    let mut violations = Vec::new();
    let mut report = ClassReport::default();
    for h in handles {
        match h.await {
            Ok(d) => done.push(d),
            Err(e) if e.is_panic() => report.panics += 1,
            Err(e) => violations.push(format!("{}: a call task failed: {e}", class.name)),
        }
    }

    let mut entries: Vec<JournalEntry> = main.journal().entries();
    entries.extend(get_only.journal().entries());
    report.faults =
        usize::try_from(main.journal().faulted() + get_only.journal().faulted()).unwrap();
    let tags: Vec<String> = done.iter().map(|d| d.call.tag.clone()).collect();
    check_retry_after_per_call(&entries, &tags);

    let total = timeouts.total;
    for d in &done {
        let mine = entries_of(&entries, &d.call.tag);
        let row = d.call.row;
        let label = outcome(&d.result);
        let at = format!("{} / {} #{}", class.name, row.name(), d.call.i);
        report.calls += 1;
        report.requests += mine.len();
        if row.composite() {
            report.longest.1 = report.longest.1.max(d.took);
        } else {
            report.longest.0 = report.longest.0.max(d.took);
        }
        let cell = report.cells.entry(row).or_default();
        cell.calls += 1;
        cell.requests += mine.len();
        if d.panicked {
            report.panics += 1;
            violations.push(format!("{at}: panicked"));
            continue;
        }
        if d.result.is_ok() {
            report.ok += 1;
            cell.ok += 1;
        } else {
            *report.errors.entry(label.clone()).or_default() += 1;
        }

        // Deadline.
        let limit = if row.composite() { total * 3 } else { total };
        if d.took > limit + TOLERANCE {
            violations.push(format!("{at}: took {:?}, deadline {limit:?}", d.took));
        }
        // Never twice.
        if let Some(op) = row.unsafe_op() {
            let sent = mine.iter().filter(|e| e.operation == Some(op)).count();
            if sent > 1 {
                report.sent_twice += 1;
                violations.push(format!("{at}: {op} sent {sent} times"));
            }
        }
        // Retry budget.
        let per_op = |op: OperationId| mine.iter().filter(|e| e.operation == Some(op)).count();
        for op in OperationId::ALL {
            let max = if row.composite() && op == OperationId::GetTask {
                2 * RetryPolicy::DEFAULT_MAX_ATTEMPTS as usize
            } else {
                RetryPolicy::DEFAULT_MAX_ATTEMPTS as usize
            };
            if per_op(op) > max {
                violations.push(format!("{at}: {op} sent {} times", per_op(op)));
            }
        }
        // The right typed error for the last fault met.
        if !row.composite() {
            check_outcome(
                &at,
                row,
                &d.result,
                &label,
                &mine,
                d.took,
                total,
                &mut violations,
            );
        } else if !matches!(label.as_str(), "ok" | "task state")
            && !label.starts_with("service")
            && !label.starts_with("http")
            && !label.starts_with("transport")
            && label != "decode"
        {
            violations.push(format!("{at}: untyped outcome {label}"));
        }
        // The world agrees with the journal.
        check_world(&at, row, d, &plan, &main, &mine, &mut violations);
    }
    main.shutdown().await;
    get_only.shutdown().await;
    (report, violations)
}

#[allow(clippy::too_many_arguments)]
fn check_outcome(
    at: &str,
    row: Row,
    result: &Result<(), Error>,
    label: &str,
    mine: &[&JournalEntry],
    took: Duration,
    total: Duration,
    violations: &mut Vec<String>,
) {
    let Some(last) = mine.last() else {
        violations.push(format!("{at}: no request reached the simulator ({label})"));
        return;
    };
    let fault = last.fault.as_deref();
    let expected: &[&str] = match fault.and_then(expected_error) {
        Some(e) => e,
        None => &["ok"],
    };
    let earlier_delivered = mine[..mine.len() - 1]
        .iter()
        .any(|e| e.fault.is_some() && carried_out(e.fault.as_deref()));
    let ran_out = took + Duration::from_millis(100) >= total;
    let fine = expected.contains(&label)
        // A repeated cancel whose first attempt was carried out finds the
        // task cancelled already.
        || (row == Row::Op(OperationId::CancelTask) && label == "service 409" && earlier_delivered)
        // The total timeout may end an attempt whatever its answer.
        || (label == "transport timeout" && ran_out);
    if !fine {
        violations.push(format!(
            "{at}: ended {label}, but the last fault was {fault:?} (expected {expected:?}); \
             {} requests",
            mine.len()
        ));
    }
    if let Err(e) = result {
        // Retryable exactly when repeating is safe and the failure may pass.
        let safe = row.unsafe_op().is_none();
        let transient = matches!(
            label,
            "service 429"
                | "service 502"
                | "service 503"
                | "service 504"
                | "http 429"
                | "http 502"
                | "http 503"
                | "http 504"
        ) || label.starts_with("transport");
        if e.is_retryable() != (safe && transient) {
            violations.push(format!(
                "{at}: {label} is_retryable() = {}",
                e.is_retryable()
            ));
        }
    }
}

fn check_world(
    at: &str,
    row: Row,
    d: &Done,
    plan: &Plan,
    sim: &RunningSimulator,
    mine: &[&JournalEntry],
    violations: &mut Vec<String>,
) {
    let state = |id: TaskId| sim.world().task(id).map(|t| t.result_code);
    let running = |c: Option<TaskResultCode>| {
        matches!(
            c,
            Some(TaskResultCode::Pending | TaskResultCode::InProgress)
        )
    };
    let toggled = mine
        .iter()
        .filter(|e| e.operation == Some(OperationId::ToggleTaskPause))
        .any(|e| carried_out(e.fault.as_deref()));
    let i = d.call.i;
    let own = |row: Row| plan.tasks[&row][i];
    let problem = match row {
        Row::Op(OperationId::ToggleTaskPause) => {
            let s = state(own(row));
            let want_paused = toggled;
            (want_paused != (s == Some(TaskResultCode::Paused)))
                .then(|| format!("toggle carried out: {toggled}, task now {s:?}"))
        }
        Row::Pause => {
            let s = state(own(row));
            ((d.result.is_ok() || toggled) && s != Some(TaskResultCode::Paused))
                .then(|| format!("pause ended {:?}, task now {s:?}", d.result.is_ok()))
        }
        Row::Resume => {
            let s = state(own(row));
            ((d.result.is_ok() || toggled) && !running(s))
                .then(|| format!("resume ended {:?}, task now {s:?}", d.result.is_ok()))
        }
        Row::Op(OperationId::CancelTask) => {
            let s = state(own(row));
            (d.result.is_ok() && s != Some(TaskResultCode::Cancelled))
                .then(|| format!("cancel succeeded, task now {s:?}"))
        }
        _ => None,
    };
    if let Some(p) = problem {
        violations.push(format!("{at}: {p}"));
    }
}

// ---------------------------------------------------------------------------
// Report

fn tables(k: usize, classes: &[Class], reports: &[ClassReport]) -> String {
    let mut out = String::new();
    let total_calls: usize = reports.iter().map(|r| r.calls).sum();
    let total_faults: usize = reports.iter().map(|r| r.faults).sum();
    let total_requests: usize = reports.iter().map(|r| r.requests).sum();
    let _ = writeln!(
        out,
        "Fault matrix: {} operations x {} fault classes x {k} calls = {total_calls} calls, \
         {total_requests} requests, {total_faults} faults injected (rate {RATE}).\n",
        rows().len(),
        classes.len()
    );
    let _ = writeln!(
        out,
        "| fault class | faults injected | calls | requests | ok | typed errors | panics | \
         unsafe sent twice | longest call (deadline {} ms) | longest pause/resume/cancel (deadline {} ms) |",
        quick_timeouts().total.as_millis(),
        3 * quick_timeouts().total.as_millis()
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (c, r) in classes.iter().zip(reports) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} ms | {} ms |",
            c.name,
            r.faults,
            r.calls,
            r.requests,
            r.ok,
            r.calls - r.ok - r.panics,
            r.panics,
            r.sent_twice,
            r.longest.0.as_millis(),
            r.longest.1.as_millis()
        );
    }

    let _ = writeln!(
        out,
        "\nSuccesses per operation and fault class: `ok/calls (requests)`.\n"
    );
    let _ = write!(out, "| operation |");
    for c in classes {
        let _ = write!(out, " {} |", c.name);
    }
    let _ = write!(out, "\n|---|");
    for _ in classes {
        let _ = write!(out, "---|");
    }
    out.push('\n');
    for row in rows() {
        let _ = write!(out, "| {} |", row.name());
        for r in reports {
            let cell = r
                .cells
                .get(&row)
                .map_or((0, 0, 0), |c| (c.ok, c.calls, c.requests));
            let _ = write!(out, " {}/{} ({}) |", cell.0, cell.1, cell.2);
        }
        out.push('\n');
    }

    let kinds: std::collections::BTreeSet<&String> =
        reports.iter().flat_map(|r| r.errors.keys()).collect();
    let _ = writeln!(out, "\nTyped errors per fault class.\n");
    let _ = write!(out, "| error |");
    for c in classes {
        let _ = write!(out, " {} |", c.name);
    }
    let _ = write!(out, "\n|---|");
    for _ in classes {
        let _ = write!(out, "---:|");
    }
    out.push('\n');
    for kind in kinds {
        let _ = write!(out, "| {kind} |");
        for r in reports {
            let _ = write!(out, " {} |", r.errors.get(kind).copied().unwrap_or(0));
        }
        out.push('\n');
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_under_20_percent_faults_of_every_class() {
    let k = calls_per_cell();
    let classes = classes();
    let mut reports = Vec::new();
    let mut violations = Vec::new();
    for class in &classes {
        let (report, v) = run_class(class, k).await;
        reports.push(report);
        violations.extend(v);
    }
    let text = tables(k, &classes, &reports);
    println!("{text}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault_matrix.md");
    let _ = std::fs::write(&path, &text);

    assert!(
        violations.is_empty(),
        "{} violations:\n{}\n\n{text}",
        violations.len(),
        violations.join("\n")
    );
    for (c, r) in classes.iter().zip(&reports) {
        assert_eq!(r.panics, 0, "{}", c.name);
        assert_eq!(r.sent_twice, 0, "{}", c.name);
        assert!(r.faults > 0, "{}: no fault was injected", c.name);
    }
}
