//! Showing a wait: a progress bar on a terminal, NDJSON events for
//! dashboards, nothing otherwise.

use std::io::Write;
use std::time::Duration;

use cfp_api::model::{
    DiffStatus, ImageStatus, Job, ProfileSwitch, Task, TaskBatch, UpdateJob, VersionJob,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::output::ndjson_line;

/// Where a waited-for thing stands, for a bar and an event.
pub trait Snapshot {
    /// `(position, length)` for the bar.
    fn position(&self) -> (u64, u64);
    /// A short state line: `Running 40% · eta in 2m10s`.
    fn message(&self) -> String;
    /// The NDJSON progress event.
    fn event(&self) -> Value;
}

/// `diff 218596 Running · eta … (in 2m10s)`: a job's state and, while it
/// runs, the remaining time as the server saw it at its last update — so a
/// simulator's scaled clock and a skewed local clock both read right.
fn job_message(what: &str, id: u64, j: &impl Job) -> String {
    let f = j.fields();
    let mut m = format!("{what} {id} {}", j.state());
    if let Some(eta) = f.eta {
        let left = eta.as_secs().saturating_sub(f.updated.as_secs());
        if left > 0 && !j.is_terminal() {
            m.push_str(&format!(
                " · eta {eta} (in {})",
                // In the time a person waits (a simulator's speed applied).
                crate::output::layout::span(left.unsigned_abs())
            ));
        }
    }
    m
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
        job_message("diff", self.job.diff_id.get(), &self.job)
    }

    fn event(&self) -> Value {
        job_event("diff", "diffid", self.job.diff_id.get(), &self.job)
    }
}

impl Snapshot for UpdateJob {
    fn position(&self) -> (u64, u64) {
        (u64::from(self.percent()), 100)
    }

    fn message(&self) -> String {
        job_message("update", self.update_id.get(), self)
    }

    fn event(&self) -> Value {
        job_event("update", "updateid", self.update_id.get(), self)
    }
}

impl Snapshot for VersionJob {
    fn position(&self) -> (u64, u64) {
        (u64::from(self.percent()), 100)
    }

    fn message(&self) -> String {
        job_message("version", self.version_id.get(), self)
    }

    fn event(&self) -> Value {
        job_event("version", "imageversionid", self.version_id.get(), self)
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

/// How a wait is shown.
pub struct WaitView {
    bar: Option<ProgressBar>,
    ndjson: Option<Box<dyn Write + Send>>,
    last_event: Option<Value>,
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
            last_event: None,
        }
    }

    /// Shows a new snapshot; an unchanged one emits no event.
    pub fn update(&mut self, s: &dyn Snapshot) {
        if let Some(b) = &self.bar {
            let (pos, len) = s.position();
            b.set_length(len.max(1));
            b.set_position(pos);
            // The state names come from a server: shielded.
            b.set_message(crate::shield::for_terminal(&s.message()));
        }
        let event = s.event();
        if self.last_event.as_ref() != Some(&event) {
            if let Some(out) = &mut self.ndjson {
                // A closed pipe must not stop the wait itself.
                let _ = ndjson_line(out.as_mut(), &event);
            }
            self.last_event = Some(event);
        }
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
        let mut view = WaitView::new(false, Some(Box::new(sink.clone())));
        for ok in [0, 0, 1, 1, 4] {
            view.update(&batch(ok));
        }
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let last: Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(last["numTasksOk"], 4);
        assert_eq!(last["kind"], "batch");
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
