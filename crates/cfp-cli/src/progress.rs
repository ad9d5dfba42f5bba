//! Showing a wait: a progress bar on a terminal that moves between polls,
//! plain status lines when stderr is not a terminal (CI logs), NDJSON
//! events for dashboards.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cfp_api::Clock;
use cfp_api::model::{
    DiffStatus, ImageStatus, Job, ProfileSwitch, Task, TaskBatch, UpdateJob, VersionJob,
};
use cfp_api::waiters::ServerClock;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::output::ndjson_line;

/// How often the view moves between polls (the countdown, the bar, the
/// status line's heartbeat check).
pub const TICK: Duration = Duration::from_millis(500);

/// Without a terminal, a status line at least this often (on the client's
/// clock: real time, or the simulator's under `--sim`).
pub const HEARTBEAT: Duration = Duration::from_secs(60);

/// Where a waited-for thing stands, for a bar and an event.
pub trait Snapshot {
    /// `(position, length)` for the bar.
    fn position(&self) -> (u64, u64);
    /// A short state line: `Running 40% · eta in 2m10s`.
    fn message(&self) -> String;
    /// The NDJSON progress event.
    fn event(&self) -> Value;

    /// The bar's position at `now` on the server's clock (Unix seconds):
    /// for a job with an ETA, moved on from its last reported progress
    /// towards 99% as the ETA nears.
    fn position_at(&self, now: f64) -> (u64, u64) {
        let _ = now;
        self.position()
    }

    /// The state line at `now` on the server's clock: the ETA counted down.
    fn message_at(&self, now: f64) -> String {
        let _ = now;
        self.message()
    }

    /// The plain status line at `now` on the server's clock, for logs:
    /// the state line, with the progress in percent where there is one.
    fn status_at(&self, now: f64) -> String {
        self.message_at(now)
    }
}

/// A job's state line and, while it runs, the time left until the server's
/// ETA — from `now` on the server's clock where known (counted down between
/// polls), else from the job's last update — so a simulator's scaled clock
/// and a skewed local clock both read right.
///
/// `Form::Bar`: `diff 218596 Running · eta in 2m10s`, short, so that the
/// countdown fits beside the bar at 80 columns. `Form::Full`: `diff 218596
/// Running 40% · eta 2025-11-23T12:25:00Z (in 2m10s)`, for logs, with the
/// progress (`percent`) when asked.
fn job_message(what: &str, id: u64, j: &impl Job, now: Option<f64>, form: Form) -> String {
    let f = j.fields();
    let mut m = format!("{what} {id} {}", j.state());
    if form == Form::Log && !j.is_terminal() {
        m.push_str(&format!(" {}%", j.percent()));
    }
    if let Some(eta) = f.eta
        && !j.is_terminal()
        && eta.as_secs() > f.updated.as_secs()
    {
        let from = now.unwrap_or(f.updated.as_secs() as f64);
        let left = eta.as_secs() as f64 - from;
        let left = if left >= 0.5 {
            // In the time a person waits (a simulator's speed applied).
            format!("in {}", crate::output::layout::span(left.round() as u64))
        } else {
            "due".to_owned()
        };
        match form {
            Form::Bar => m.push_str(&format!(" · eta {left}")),
            Form::Full | Form::Log => m.push_str(&format!(" · eta {eta} ({left})")),
        }
    }
    m
}

/// How much a job's state line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Beside the bar: short.
    Bar,
    /// The ETA's time too.
    Full,
    /// For a log: the progress and the ETA's time.
    Log,
}

/// A job's bar position at `now` on the server's clock: its last progress,
/// moved on evenly towards the server's ETA, never past 99% before the
/// server says it is done.
fn job_position(j: &impl Job, now: f64) -> (u64, u64) {
    let f = j.fields();
    let p = u64::from(j.percent());
    if j.is_terminal() {
        return (p, 100);
    }
    let (Some(eta), updated) = (f.eta, f.updated.as_secs() as f64) else {
        return (p, 100);
    };
    let span = eta.as_secs() as f64 - updated;
    if p >= 99 || span <= 0.0 || now <= updated {
        return (p, 100);
    }
    let done = ((now - updated) / span).clamp(0.0, 1.0);
    let moved = p as f64 + (100.0 - p as f64) * done;
    ((moved.floor() as u64).clamp(p, 99), 100)
}

/// The NDJSON progress event of a job: its kind, its id under the vendor's
/// name for it, and the vendor's job fields.
fn job_event(kind: &str, id_field: &str, id: u64, j: &impl Job) -> Value {
    let f = j.fields();
    let mut event = json!({
        "event": "progress",
        "kind": kind,
    });
    event[id_field] = json!(id);
    event["state"] = json!(j.state().name());
    event["jobstateid"] = json!(f.state_id);
    event["jobprogress"] = json!(f.progress);
    event["jobeta"] = json!(f.eta);
    event["jobupdated"] = json!(f.updated);
    event
}

impl Snapshot for DiffStatus {
    fn position(&self) -> (u64, u64) {
        (u64::from(self.job.percent()), 100)
    }

    fn message(&self) -> String {
        job_message("diff", self.job.diff_id.get(), &self.job, None, Form::Full)
    }

    fn event(&self) -> Value {
        job_event("diff", "diffid", self.job.diff_id.get(), &self.job)
    }

    fn position_at(&self, now: f64) -> (u64, u64) {
        job_position(&self.job, now)
    }

    fn message_at(&self, now: f64) -> String {
        job_message(
            "diff",
            self.job.diff_id.get(),
            &self.job,
            Some(now),
            Form::Bar,
        )
    }

    fn status_at(&self, now: f64) -> String {
        job_message(
            "diff",
            self.job.diff_id.get(),
            &self.job,
            Some(now),
            Form::Log,
        )
    }
}

impl Snapshot for UpdateJob {
    fn position(&self) -> (u64, u64) {
        (u64::from(self.percent()), 100)
    }

    fn message(&self) -> String {
        job_message("update", self.update_id.get(), self, None, Form::Full)
    }

    fn event(&self) -> Value {
        job_event("update", "updateid", self.update_id.get(), self)
    }

    fn position_at(&self, now: f64) -> (u64, u64) {
        job_position(self, now)
    }

    fn message_at(&self, now: f64) -> String {
        job_message("update", self.update_id.get(), self, Some(now), Form::Bar)
    }

    fn status_at(&self, now: f64) -> String {
        job_message("update", self.update_id.get(), self, Some(now), Form::Log)
    }
}

impl Snapshot for VersionJob {
    fn position(&self) -> (u64, u64) {
        (u64::from(self.percent()), 100)
    }

    fn message(&self) -> String {
        job_message("version", self.version_id.get(), self, None, Form::Full)
    }

    fn event(&self) -> Value {
        job_event("version", "imageversionid", self.version_id.get(), self)
    }

    fn position_at(&self, now: f64) -> (u64, u64) {
        job_position(self, now)
    }

    fn message_at(&self, now: f64) -> String {
        job_message("version", self.version_id.get(), self, Some(now), Form::Bar)
    }

    fn status_at(&self, now: f64) -> String {
        job_message("version", self.version_id.get(), self, Some(now), Form::Log)
    }
}

impl Snapshot for ProfileSwitch {
    fn position(&self) -> (u64, u64) {
        let total = self.servers_pending.saturating_add(self.servers_processed);
        (self.servers_processed, total)
    }

    fn message(&self) -> String {
        format!(
            "profile switch {} · {} switched · {} pending",
            self.state, self.servers_processed, self.servers_pending
        )
    }

    fn event(&self) -> Value {
        json!({
            "event": "progress",
            "kind": "profile_switch",
            "State": self.state,
            "ProfileID": self.profile_id,
            "ServersProcessed": self.servers_processed,
            "ServersPending": self.servers_pending,
        })
    }
}

impl Snapshot for Task {
    fn position(&self) -> (u64, u64) {
        (u64::from(self.result_code.is_terminal()), 1)
    }

    fn message(&self) -> String {
        format!("task {} {}", self.id, self.result_code)
    }

    fn event(&self) -> Value {
        json!({
            "event": "progress",
            "kind": "task",
            "id": self.id,
            "resultCode": self.result_code,
            "result": self.result_code.name(),
            "resultText": self.result_text,
        })
    }
}

impl Snapshot for TaskBatch {
    fn position(&self) -> (u64, u64) {
        (self.num_tasks_ended().min(self.num_tasks), self.num_tasks)
    }

    fn message(&self) -> String {
        format!(
            "batch {} · ok {} · failed {} · cancelled {} · of {}",
            self.id,
            self.num_tasks_ok,
            self.num_tasks_failed,
            self.num_tasks_cancelled,
            self.num_tasks
        )
    }

    fn event(&self) -> Value {
        json!({
            "event": "progress",
            "kind": "batch",
            "id": self.id,
            "numTasks": self.num_tasks,
            "numTasksOk": self.num_tasks_ok,
            "numTasksFailed": self.num_tasks_failed,
            "numTasksCancelled": self.num_tasks_cancelled,
        })
    }
}

impl Snapshot for ImageStatus {
    fn position(&self) -> (u64, u64) {
        let c = self.counts();
        (c.completed.saturating_add(c.failed), c.total())
    }

    fn message(&self) -> String {
        let c = self.counts();
        // The progress bar is the rollout's bar: the line fits 80 columns.
        format!(
            "rollout · completed {} · pending {} · failed {}",
            c.completed, c.pending, c.failed
        )
    }

    fn event(&self) -> Value {
        let c = self.counts();
        json!({
            "event": "progress",
            "kind": "rollout",
            "pending_machines": c.pending,
            "failed_machines": c.failed,
            "completed_machines": c.completed,
        })
    }
}

/// The bar's width on a line `width` columns wide: 24 when there is room,
/// narrower (down to 10) so that a state line of about 48 columns fits
/// beside it (the spinner, the time and the percentage take 19).
fn bar_width(width: usize) -> usize {
    width.saturating_sub(19 + 48).clamp(10, 24)
}

/// How a wait ended, for the NDJSON result event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The work ended well.
    Succeeded,
    /// It ended failed, cancelled or with errors (exit 5).
    Unsuccessful,
    /// `--wait-timeout` ran out first (exit 6).
    TimedOut,
    /// A poll failed in a way waiting does not fix.
    Error,
    /// Ctrl-C (exit 130).
    Interrupted,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Unsuccessful => "unsuccessful",
            Self::TimedOut => "timed_out",
            Self::Error => "error",
            Self::Interrupted => "interrupted",
        }
    }
}

/// How a wait is shown: a bar on a terminal, status lines on a stderr that
/// is not one, NDJSON events; each optional.
pub struct WaitView {
    bar: Option<ProgressBar>,
    ndjson: Option<Box<dyn Write + Send>>,
    status: Option<Box<dyn Write + Send>>,
    /// What is awaited: `("diff", 218596)`.
    subject: Option<(&'static str, u64)>,
    clock: Arc<dyn Clock>,
    server: ServerClock,
    current: Option<Box<dyn Snapshot + Send>>,
    last_event: Option<Value>,
    /// When the last status line was written (client clock).
    last_line: Option<Instant>,
}

impl WaitView {
    /// A bar on stderr (when `bar` is set: stderr is a terminal and progress
    /// was not turned off), NDJSON events on `ndjson` when given.
    pub fn new(bar: bool, ndjson: Option<Box<dyn Write + Send>>) -> Self {
        let bar = bar.then(|| {
            let b =
                ProgressBar::with_draw_target(Some(100), crate::output::layout::progress_target());
            let style = ProgressStyle::with_template(&format!(
                // wide_msg takes the rest of the line and is cut to fit, so
                // the line never wraps; the bar gives the message room first.
                "{{spinner}} [{{elapsed_precise}}] {{bar:{}}} {{percent:>3}}% {{wide_msg}}",
                bar_width(crate::output::layout::stderr_width())
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            b.set_style(style);
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        Self {
            bar,
            ndjson,
            status: None,
            subject: None,
            clock: Arc::new(cfp_api::TokioClock),
            server: ServerClock::new(),
            current: None,
            last_event: None,
            last_line: None,
        }
    }

    /// Plain status lines on `out` (stderr when it is not a terminal): one
    /// on each change, and one at least every [`HEARTBEAT`].
    pub fn with_status_lines(mut self, out: Option<Box<dyn Write + Send>>) -> Self {
        self.status = out;
        self
    }

    /// What is awaited, named in every event: `("diff", 218596)` adds
    /// `"diff": 218596`.
    pub fn with_subject(mut self, subject: (&'static str, u64)) -> Self {
        self.subject = Some(subject);
        self
    }

    /// The client's clock (the simulator's under `--sim`): for the events'
    /// `ts`, the countdown and the heartbeat.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The server's time now, in Unix seconds.
    fn server_now(&self) -> f64 {
        unix_secs(self.server.now_at(self.clock.wall_now()))
    }

    /// `ts`: the client's wall clock now, RFC 3339 in UTC, to the
    /// millisecond.
    fn ts(&self) -> String {
        let ms = self
            .clock
            .wall_now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    /// Shows a new snapshot, with the server's clock as estimated so far;
    /// an unchanged one emits no event and no status line.
    pub fn observe(&mut self, s: Box<dyn Snapshot + Send>, server: ServerClock) {
        self.server = server;
        let now = self.server_now();
        self.draw(s.as_ref(), now);
        let mut event = s.event();
        if let Some((kind, id)) = self.subject {
            event[kind] = json!(id);
        }
        if self.last_event.as_ref() != Some(&event) {
            if self.ndjson.is_some() {
                let mut line = event.clone();
                line["type"] = json!("progress");
                line["ts"] = json!(self.ts());
                self.write_ndjson(&line);
            }
            self.status_line(s.as_ref(), now);
            self.last_event = Some(event);
        }
        self.current = Some(s);
    }

    /// Moves the view on between polls: the ETA counted down and the bar
    /// moved from the server's clock; a status line if none was written for
    /// [`HEARTBEAT`].
    pub fn tick(&mut self) {
        let Some(s) = self.current.take() else {
            return;
        };
        let now = self.server_now();
        self.draw(s.as_ref(), now);
        let due = self
            .last_line
            .is_none_or(|at| self.clock.now().saturating_duration_since(at) >= HEARTBEAT);
        if due {
            self.status_line(s.as_ref(), now);
        }
        self.current = Some(s);
    }

    fn draw(&self, s: &dyn Snapshot, now: f64) {
        if let Some(b) = &self.bar {
            let (pos, len) = s.position_at(now);
            b.set_length(len.max(1));
            b.set_position(pos);
            // The state names come from a server: shielded.
            b.set_message(crate::shield::for_terminal(&s.message_at(now)));
        }
    }

    fn status_line(&mut self, s: &dyn Snapshot, now: f64) {
        if let Some(out) = &mut self.status {
            // From a server: shielded, and kept on one line.
            let line = crate::shield::for_terminal(&s.status_at(now)).replace('\n', " ");
            // A closed stderr must not stop the wait itself.
            let _ = writeln!(out, "cfp: {line}").and_then(|()| out.flush());
            self.last_line = Some(self.clock.now());
        }
    }

    /// One NDJSON line, the bar cleared around it so that no frozen bar
    /// line is left between events on a terminal.
    fn write_ndjson(&mut self, line: &Value) {
        let Some(out) = &mut self.ndjson else {
            return;
        };
        // A closed pipe must not stop the wait itself.
        match &self.bar {
            Some(b) => b.suspend(|| {
                let _ = ndjson_line(out.as_mut(), line);
            }),
            None => {
                let _ = ndjson_line(out.as_mut(), line);
            }
        }
    }

    /// The NDJSON result event (`"type": "result"`), before the result
    /// itself is printed; the bar removed first.
    pub fn result(&mut self, outcome: Outcome) {
        self.finish();
        if self.ndjson.is_none() {
            return;
        }
        let mut line = json!({
            "event": "result",
            "type": "result",
        });
        if let Some(kind) = self.last_event.as_ref().and_then(|e| e.get("kind")) {
            line["kind"] = kind.clone();
        }
        if let Some((kind, id)) = self.subject {
            line[kind] = json!(id);
        }
        line["outcome"] = json!(outcome.name());
        line["ts"] = json!(self.ts());
        self.write_ndjson(&line);
    }

    /// Removes the bar (before the result or an error is printed).
    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for WaitView {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Unix seconds, negative before the epoch.
fn unix_secs(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn batch(ok: u64) -> TaskBatch {
        serde_json::from_value(
            json!({"id": 9, "createdAt": 1, "executeAt": 1, "finishedAt": 0,
            "numTasks": 4, "numTasksOk": ok, "numTasksFailed": 0, "numTasksCancelled": 0,
            "taskIds": [1, 2, 3, 4]}),
        )
        .unwrap()
    }

    #[test]
    fn the_bar_narrows_to_leave_the_state_line_room() {
        assert_eq!(bar_width(120), 24);
        assert_eq!(bar_width(80), 13);
        assert_eq!(bar_width(40), 10);
    }

    #[test]
    fn ndjson_gets_one_event_per_change() {
        let sink = Sink::default();
        let view = WaitView::new(false, Some(Box::new(sink.clone())));
        let mut view = view.with_subject(("batch", 9));
        for ok in [0, 0, 1, 1, 4] {
            view.observe(Box::new(batch(ok)), ServerClock::new());
            view.tick();
        }
        view.result(Outcome::Succeeded);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        let last: Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(last["numTasksOk"], 4);
        assert_eq!(last["kind"], "batch");
        assert_eq!(last["type"], "progress");
        assert_eq!(last["batch"], 9);
        let ts = last["ts"].as_str().unwrap();
        assert!(
            ts.parse::<jiff::Timestamp>().is_ok() && ts.ends_with('Z'),
            "{ts}"
        );
        let result: Value = serde_json::from_str(lines[3]).unwrap();
        assert_eq!(result["type"], "result");
        assert_eq!(result["outcome"], "succeeded");
        assert_eq!(result["kind"], "batch");
        assert_eq!(result["batch"], 9);
    }

    fn running_diff() -> DiffStatus {
        // 40% at 1000, the server's ETA 2m21s later.
        serde_json::from_value(json!({"diffid": 5, "jobcreated": 900,
            "jobeta": 1141, "jobfailed": 0, "jobprogress": 40, "jobstateid": 4,
            "jobstatename": "Running", "jobupdated": 1000}))
        .unwrap()
    }

    #[test]
    fn the_eta_counts_down_and_the_bar_moves_with_the_servers_clock() {
        let d = running_diff();
        let left = |s| format!("eta in {}", crate::output::layout::span(s));
        assert!(
            d.message_at(1000.0).ends_with(&left(141)),
            "{}",
            d.message_at(1000.0)
        );
        assert!(
            d.message_at(1010.0).ends_with(&left(131)),
            "{}",
            d.message_at(1010.0)
        );
        assert!(
            d.message_at(1141.0).ends_with("eta due"),
            "{}",
            d.message_at(1141.0)
        );
        assert_eq!(d.position_at(1000.0), (40, 100));
        let (mid, _) = d.position_at(1070.5);
        assert!((65..=75).contains(&mid), "{mid}");
        assert_eq!(d.position_at(5000.0), (99, 100));
        let log = d.status_at(1010.0);
        assert!(log.starts_with("diff 5 Running 40% · eta 1970"), "{log}");
        let in_131 = format!("(in {})", crate::output::layout::span(131));
        assert!(log.ends_with(&in_131), "{log}");
    }

    #[test]
    fn status_lines_come_on_each_change_and_every_minute() {
        let sink = Sink::default();
        let clock = Arc::new(cfp_api::ManualClock::new());
        let mut view = WaitView::new(false, None)
            .with_status_lines(Some(Box::new(sink.clone())))
            .with_clock(clock.clone());
        let lines = || {
            String::from_utf8(sink.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .count()
        };
        view.observe(Box::new(batch(0)), ServerClock::new());
        assert_eq!(lines(), 1);
        clock.advance(Duration::from_secs(59));
        view.tick();
        assert_eq!(lines(), 1);
        clock.advance(Duration::from_secs(1));
        view.tick();
        assert_eq!(lines(), 2);
        view.observe(Box::new(batch(1)), ServerClock::new());
        assert_eq!(lines(), 3);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(text.starts_with("cfp: batch 9 · ok 0"), "{text}");
    }

    #[test]
    fn a_status_line_from_a_hostile_state_stays_one_plain_line() {
        let sink = Sink::default();
        let mut view = WaitView::new(false, None).with_status_lines(Some(Box::new(sink.clone())));
        let s: ProfileSwitch = serde_json::from_value(json!({"ServersPending": 1,
            "ServersProcessed": 0, "ProfileID": 12, "State": "x\n\u{1b}[2Jcfp: done"}))
        .unwrap();
        view.observe(Box::new(s), ServerClock::new());
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
    }

    #[test]
    fn update_and_switch_snapshots_name_their_kind() {
        let u: UpdateJob = serde_json::from_value(json!({"updateid": 7001, "jobcreated": 100,
            "jobeta": 160, "jobfailed": 0, "jobprogress": 50, "jobstateid": 4,
            "jobstatename": "Running", "jobupdated": 100}))
        .unwrap();
        assert!(
            u.message().starts_with("update 7001 Running · eta"),
            "{}",
            u.message()
        );
        assert_eq!(u.event()["kind"], "update");
        assert_eq!(u.event()["updateid"], 7001);
        let s: ProfileSwitch = serde_json::from_value(json!({"ServersPending": 30,
            "ServersProcessed": 10, "ProfileID": 12, "State": "processing"}))
        .unwrap();
        assert_eq!(s.position(), (10, 40));
        assert_eq!(s.event()["State"], "processing");
    }

    #[test]
    fn diff_message_shows_the_servers_eta() {
        let s: DiffStatus = serde_json::from_value(json!({"diffid": 5, "jobcreated": 100,
            "jobeta": 230, "jobfailed": 0, "jobprogress": 40, "jobstateid": 4,
            "jobstatename": "Running", "jobupdated": 100}))
        .unwrap();
        assert!(s.message().contains("in 2m10s"), "{}", s.message());
        assert_eq!(s.position(), (40, 100));
    }
}
