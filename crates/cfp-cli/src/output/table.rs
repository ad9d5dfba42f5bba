//! Tables and rollout bars.

use cfp_api::model::{
    DiffJob, DiffRejection, DiffStatus, ImageLock, ImageOptions, ImageStatus, InstallStatus, Job,
    MachineCounts, ProfileSwitch, Task, TaskBatch, TaskTemplate, UpdateJob, UploadJobDetails,
    VersionJob,
};

use super::layout::{Col, Grid, Value, key_values, text_width, when_cell, when_line};

/// A rendering for people.
pub trait Table {
    /// The value as text: tables, bars, key/value lists.
    fn table(&self) -> String;
}

impl<T: Table> Table for cfp_api::Answer<T> {
    fn table(&self) -> String {
        // "3m ago" by the server's clock, which answered just now.
        super::layout::at_server_date(self.server_date(), || self.value().table())
    }
}

fn text(v: impl ToString) -> Value {
    Value::Text(v.to_string())
}

/// A rollout bar's width when there is room.
pub(crate) const BAR_WIDTH: usize = 24;

/// `██████████▒░░░`: completed, failed, pending, scaled to `BAR_WIDTH`.
pub(crate) fn rollout_bar(c: MachineCounts) -> String {
    bar_of(c, BAR_WIDTH)
}

/// A rollout bar `width` cells wide.
pub(crate) fn bar_of(c: MachineCounts, width: usize) -> String {
    let total = c.total();
    if total == 0 {
        return "·".repeat(width);
    }
    let scale = |n: u64| -> usize {
        let cells = u128::from(n) * width as u128 / u128::from(total);
        usize::try_from(cells).unwrap_or(width)
    };
    let done = scale(c.completed);
    // A failed machine is never hidden by rounding: at least one cell.
    let failed = if c.failed > 0 {
        scale(c.failed).max(1).min(width)
    } else {
        0
    };
    let done = done.min(width - failed);
    let pending = width - done - failed;
    format!(
        "{}{}{}",
        "█".repeat(done),
        "▒".repeat(failed),
        "░".repeat(pending)
    )
}

/// The rows every Clanforge job shows, under its own id (`diff 218595`).
fn job_rows(label: &'static str, id: String, j: &impl Job) -> Vec<(&'static str, String)> {
    let f = j.fields();
    let mut rows = vec![
        (label, id),
        ("state", j.state().to_string()),
        ("progress", format!("{}%", j.percent())),
        ("created", when_line(f.created)),
        (
            "started",
            f.started.map(when_line).unwrap_or_else(|| "-".into()),
        ),
        ("eta", f.eta.map(when_line).unwrap_or_else(|| "-".into())),
        ("updated", when_line(f.updated)),
        ("failures", f.failures.to_string()),
    ];
    if let Some(e) = j.error_message() {
        rows.push(("error", e.to_owned()));
    }
    rows
}

impl Table for DiffJob {
    fn table(&self) -> String {
        key_values(&job_rows("diff", self.diff_id.to_string(), self))
    }
}

impl Table for UpdateJob {
    fn table(&self) -> String {
        key_values(&job_rows("update", self.update_id.to_string(), self))
    }
}

impl Table for VersionJob {
    fn table(&self) -> String {
        key_values(&job_rows("version", self.version_id.to_string(), self))
    }
}

impl Table for DiffRejection {
    fn table(&self) -> String {
        match self {
            Self::Rejected { diff_id } => format!(
                "diff {diff_id} rejected: the image is no longer locked by it; the reference \
                 machine was left as it is\n"
            ),
            Self::Reinstalling(job) => {
                let mut out = String::from(
                    "diff rejected: the image is no longer locked by it; the reference machine \
                     is being reinstalled to the image's last good state\n\n",
                );
                out.push_str(&key_values(&job_rows(
                    "uninstall job",
                    job.uninstall_job_id.to_string(),
                    job,
                )));
                out
            }
        }
    }
}

impl Table for InstallStatus {
    fn table(&self) -> String {
        if self.installs.is_empty() {
            return "no install in progress\n".into();
        }
        let mut t = Grid::new([
            Col::keep("install job").right(),
            Col::keep("version").right(),
            Col::text("machine"),
            Col::text("location").drop(2),
            Col::text("state"),
            Col::keep("%").right(),
            Col::keep("install at").drop(1),
            Col::keep("restart").drop(3),
        ]);
        let dash = || "-".to_owned();
        for j in &self.installs {
            let location = j
                .location
                .as_ref()
                .map(|l| match l {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_else(dash);
            t.row(vec![
                text(j.job_id),
                text(
                    j.target_version_id
                        .map(|v| v.to_string())
                        .unwrap_or_else(dash),
                ),
                text(j.machine_text().unwrap_or_else(dash)),
                text(location),
                text(j.state()),
                text(j.percent()),
                text(j.install_at.map(when_cell).unwrap_or_else(dash)),
                text(match j.restarts() {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                }),
            ]);
        }
        t.render()
    }
}

impl Table for ImageOptions {
    fn table(&self) -> String {
        let mut rows = Vec::new();
        // Lock and URL are answered only for one image (--game and --image).
        if self.diff_id.is_some() || self.update_id.is_some() || self.update_url.is_some() {
            rows.push((
                "lock",
                match self.lock() {
                    Some(ImageLock::Diff(d)) => format!(
                        "locked by diff {d} (until a version is made from it or it is rejected)"
                    ),
                    Some(ImageLock::Update(u)) => format!("locked by update {u} (while it runs)"),
                    None => "not locked".into(),
                },
            ));
            rows.push((
                "update url",
                // Masked: it may carry storage credentials.
                self.update_url.as_ref().map_or_else(
                    || "- (none: give one to imageupdate create)".into(),
                    |u| crate::shield::redacted_url(u.expose()),
                ),
            ));
        }
        let mut out = key_values(&rows);
        if !out.is_empty() {
            out.push('\n');
        }
        let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "-".into());
        let id = |i: Option<String>| i.unwrap_or_else(|| "-".into());
        let mut games = Grid::new([Col::keep("game").right(), Col::text("name")]);
        for g in &self.games {
            games.row(vec![
                text(id(g.game_id.map(|v| v.to_string()))),
                text(name(&g.name)),
            ]);
        }
        let mut images = Grid::new([
            Col::keep("image").right(),
            Col::text("name"),
            Col::keep("game version").right(),
        ]);
        for i in &self.images {
            let version = match &i.game_version_id {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "-".into(),
            };
            images.row(vec![
                text(id(i.image_id.map(|v| v.to_string()))),
                text(name(&i.name)),
                text(version),
            ]);
        }
        let mut machines = Grid::new([Col::keep("reference machine").right(), Col::text("name")]);
        for m in &self.machines {
            machines.row(vec![
                text(id(m.machine_id.map(|v| v.to_string()))),
                text(name(&m.name)),
            ]);
        }
        for (t, empty) in [
            (games, self.games.is_empty()),
            (images, self.images.is_empty()),
            (machines, self.machines.is_empty()),
        ] {
            if !empty {
                out.push_str(&t.render());
                out.push('\n');
            }
        }
        out
    }
}

impl Table for ProfileSwitch {
    fn table(&self) -> String {
        let total = self.servers_pending.saturating_add(self.servers_processed);
        key_values(&[
            ("state", self.state.to_string()),
            ("profile", self.profile_id.to_string()),
            (
                "switched",
                format!(
                    "{} of {total} {} ({}%)",
                    self.servers_processed,
                    if total == 1 { "server" } else { "servers" },
                    self.percent()
                ),
            ),
            ("pending", self.servers_pending.to_string()),
            (
                "deadline",
                self.deadline.clone().unwrap_or_else(|| "-".into()),
            ),
        ])
    }
}

impl Table for DiffStatus {
    fn table(&self) -> String {
        let mut rows = job_rows("diff", self.job.diff_id.to_string(), &self.job);
        for (label, info) in [
            ("game", &self.game),
            ("image", &self.image),
            ("machine", &self.machine),
        ] {
            if let Some(i) = info {
                let id = i
                    .game_id
                    .map(|v| v.to_string())
                    .or(i.image_id.map(|v| v.to_string()))
                    .or(i.machine_id.map(|v| v.to_string()));
                let shown = match (id, &i.name) {
                    (Some(id), Some(n)) => format!("{id} {n}"),
                    (Some(id), None) => id,
                    (None, Some(n)) => n.clone(),
                    (None, None) => "-".into(),
                };
                rows.push((label, shown));
            }
        }
        let mut out = key_values(&rows);
        if self.job.state().is_success() {
            out.push_str(&diff_summary(self));
        }
        out
    }
}

/// How many of the largest paths of each kind the summary lists.
const SUMMARY_PATHS: usize = 5;

/// `changes  added 2 · modified 3 · removed 0`, then the largest paths of
/// each kind (`+` added, `~` modified, `-` removed) with their sizes.
fn diff_summary(status: &DiffStatus) -> String {
    let summary = status.summary(SUMMARY_PATHS);
    let mut out = format!(
        "\nchanges  added {} · modified {} · removed {}\n",
        summary.added.count, summary.modified.count, summary.removed.count
    );
    if status.has_no_changes() {
        out.push_str(
            "         no file changed: a version made from this diff must be a full one\n",
        );
        return out;
    }
    for (mark, kind) in [
        ('+', &summary.added),
        ('~', &summary.modified),
        ('-', &summary.removed),
    ] {
        for (path, size) in &kind.largest {
            let size = size.map(bytes).unwrap_or_default();
            out.push_str(&format!("  {mark} {path}  {size}\n"));
        }
        if kind.count > kind.largest.len() {
            out.push_str(&format!(
                "  {mark} … and {} more\n",
                kind.count - kind.largest.len()
            ));
        }
    }
    out
}

/// A size for people: `512 B`, `4.0 KiB`, `256.0 MiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

impl Table for ImageStatus {
    fn table(&self) -> String {
        let c = self.counts();
        let counts = format!(
            "{}%  completed {} · pending {} · failed {}  {}",
            c.percent_completed(),
            c.completed,
            c.pending,
            c.failed,
            if c.is_ready() { "READY" } else { "in progress" }
        );
        // The bar gives way first, then goes; the counts continue on the
        // next line rather than run past the width.
        let width = super::layout::current().width;
        let room = width.map_or(BAR_WIDTH, |w| w.saturating_sub(text_width(&counts) + 13));
        let mut s = if room >= 8 {
            format!("rollout  {}  {counts}\n", bar_of(c, room.min(BAR_WIDTH)))
        } else if width.is_none_or(|w| text_width(&counts) + 9 <= w) {
            format!("rollout  {counts}\n")
        } else {
            let lines = super::layout::fill(&counts, width.unwrap_or(80).saturating_sub(9));
            format!("rollout  {}\n", lines.join("\n         "))
        };
        if let Some(fleets) = &self.fleets {
            let mut t = Grid::new([
                Col::keep("fleet"),
                Col::text("region"),
                // On a narrow terminal the % goes first, then the bars.
                Col::bar("rollout").drop(1),
                Col::keep("%").right().drop(2),
                Col::keep("completed").right(),
                Col::keep("pending").right(),
                Col::keep("failed").right(),
            ]);
            for (fleet_id, fleet) in fleets {
                let fc = fleet.counts();
                t.row(vec![
                    text(fleet_id),
                    text("(all)"),
                    Value::Bar(fc),
                    text(fc.percent_completed()),
                    text(fc.completed),
                    text(fc.pending),
                    text(fc.failed),
                ]);
                for (region_id, region) in fleet.regions.iter() {
                    let rc = region.counts();
                    t.row(vec![
                        text(""),
                        text(format!("{region_id} {}", region.name)),
                        Value::Bar(rc),
                        text(rc.percent_completed()),
                        text(rc.completed),
                        text(rc.pending),
                        text(rc.failed),
                    ]);
                }
            }
            s.push_str(&t.render());
            s.push_str("\n█ completed  ▒ failed  ░ pending\n");
        }
        s
    }
}

impl Table for Vec<TaskTemplate> {
    fn table(&self) -> String {
        let mut t = Grid::new([
            Col::keep("id").right(),
            Col::text("name"),
            Col::text("description").drop(1),
            Col::text("required params"),
        ]);
        for tpl in self {
            t.row(vec![
                text(tpl.id),
                text(&tpl.name),
                text(&tpl.description),
                text(tpl.required_params().join(", ")),
            ]);
        }
        t.render()
    }
}

fn task_row(task: &Task) -> Vec<Value> {
    vec![
        text(task.id),
        text(&task.name),
        text(task.batch_id),
        text(task.entity_id),
        text(task.result_code),
        text(when_cell(task.execute_at)),
        text(when_cell(task.finished_at)),
        text(&task.result_text),
        text(task.category_id.id()),
        text(task.current_action_idx),
        text(when_cell(task.last_activity_at)),
    ]
}

/// The task table's columns: on a narrow terminal the execute time goes
/// first, then the batch, the entity, the finish time; `-o wide` adds the
/// category, the current action and the last activity.
const TASK_COLUMNS: [Col; 11] = [
    Col::keep("id").right(),
    Col::text("name"),
    Col::keep("batch").right().drop(4),
    Col::keep("entity").right().drop(3),
    Col::text("result"),
    Col::keep("execute at").drop(5),
    Col::keep("finished").drop(2),
    Col::text("text").drop(1),
    Col::keep("category").right().wide_only(),
    Col::keep("action").right().wide_only(),
    Col::keep("last activity").wide_only(),
];

impl Table for Vec<Task> {
    fn table(&self) -> String {
        let mut t = Grid::new(TASK_COLUMNS);
        for task in self {
            t.row(task_row(task));
        }
        t.render()
    }
}

impl Table for Task {
    fn table(&self) -> String {
        key_values(&[
            ("task", self.id.to_string()),
            ("name", self.name.clone()),
            ("batch", self.batch_id.to_string()),
            ("entity", self.entity_id.to_string()),
            ("category", self.category_id.id().to_string()),
            ("result", self.result_code.to_string()),
            ("text", self.result_text.clone()),
            ("action", self.current_action_idx.to_string()),
            ("execute at", when_line(self.execute_at)),
            ("last activity", when_line(self.last_activity_at)),
            ("finished", when_line(self.finished_at)),
        ])
    }
}

fn batch_row(b: &TaskBatch) -> Vec<Value> {
    vec![
        text(b.id),
        text(b.num_tasks),
        text(b.num_tasks_ok),
        text(b.num_tasks_failed),
        text(b.num_tasks_cancelled),
        text(format!("{}%", b.percent())),
        text(when_cell(b.created_at)),
        text(when_cell(b.execute_at)),
        text(when_cell(b.finished_at)),
    ]
}

/// The batch table's columns; on a narrow terminal the creation time goes
/// first, then the cancelled count.
const BATCH_COLUMNS: [Col; 9] = [
    Col::keep("id").right(),
    Col::keep("tasks").right(),
    Col::keep("ok").right(),
    Col::keep("failed").right(),
    Col::keep("cancelled").right().drop(2),
    Col::keep("ended").right(),
    Col::keep("created").drop(3),
    Col::keep("execute at").drop(1),
    Col::keep("finished"),
];

impl Table for Vec<TaskBatch> {
    fn table(&self) -> String {
        let mut t = Grid::new(BATCH_COLUMNS);
        for b in self {
            t.row(batch_row(b));
        }
        t.render()
    }
}

impl Table for TaskBatch {
    fn table(&self) -> String {
        let mut t = Grid::new(BATCH_COLUMNS);
        t.row(batch_row(self));
        format!(
            "{}\n{}",
            t.render(),
            key_values(&[("tasks", id_list(&self.task_ids))])
        )
    }
}

/// Up to a dozen ids, then how many more: a batch may hold thousands.
fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    const SHOWN: usize = 12;
    if ids.is_empty() {
        return "-".into();
    }
    let head: Vec<String> = ids.iter().take(SHOWN).map(ToString::to_string).collect();
    match ids.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => {
            format!("{} … and {more} more (-o json lists all)", head.join(" "))
        }
        _ => head.join(" "),
    }
}

impl Table for UploadJobDetails {
    fn table(&self) -> String {
        if self.existing_job_details.is_empty() {
            return "no upload jobs\n".into();
        }
        let mut t = Grid::new([
            Col::keep("long job").drop(1),
            Col::text("state"),
            Col::keep("image uuid").drop(3),
            Col::keep("offset (bytes)").right().drop(2),
            Col::keep("upload url"),
        ]);
        let dash = || "-".to_owned();
        for j in &self.existing_job_details {
            t.row(vec![
                text(j.long_job_uuid.clone().unwrap_or_else(dash)),
                text(j.long_job_state.clone().unwrap_or_else(dash)),
                text(j.image_uuid.clone().unwrap_or_else(dash)),
                text(j.offset.map(|o| o.to_string()).unwrap_or_else(dash)),
                text(j.image_upload_url.clone().unwrap_or_else(dash)),
            ]);
        }
        t.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(completed: u64, pending: u64, failed: u64) -> MachineCounts {
        MachineCounts {
            pending,
            failed,
            completed,
        }
    }

    #[test]
    fn bars_fill_in_proportion_and_always_show_a_failure() {
        assert_eq!(rollout_bar(counts(24, 0, 0)), "█".repeat(BAR_WIDTH));
        assert_eq!(rollout_bar(counts(0, 24, 0)), "░".repeat(BAR_WIDTH));
        let one_failed = rollout_bar(counts(999, 0, 1));
        assert_eq!(one_failed.chars().filter(|&c| c == '▒').count(), 1);
        assert_eq!(one_failed.chars().count(), BAR_WIDTH);
        let half = rollout_bar(counts(12, 12, 0));
        assert_eq!(half.chars().filter(|&c| c == '█').count(), 12);
        assert_eq!(rollout_bar(counts(0, 0, 0)).chars().count(), BAR_WIDTH);
    }

    #[test]
    fn long_id_lists_are_cut_with_a_count() {
        let ids: Vec<u32> = (1..=60).collect();
        assert_eq!(
            id_list(&ids),
            "1 2 3 4 5 6 7 8 9 10 11 12 … and 48 more (-o json lists all)"
        );
        assert_eq!(id_list(&[7, 8]), "7 8");
        assert_eq!(id_list::<u32>(&[]), "-");
    }

    #[test]
    fn image_status_table_has_a_row_per_fleet_and_region() {
        let status: ImageStatus = serde_json::from_str(
            r#"{"fleets": {"1": {"regions": {"1": {"name": "Europe", "pending_machines": 2,
            "completed_machines": 10}}, "pending_machines": 2, "completed_machines": 10}},
            "pending_machines": 2, "completed_machines": 10}"#,
        )
        .unwrap();
        let text = status.table();
        assert!(text.contains("1 Europe"), "{text}");
        assert!(text.contains("in progress"), "{text}");
        assert!(text.contains("83"), "{text}");
    }

    #[test]
    fn image_status_fits_any_width_down_to_60() {
        let status: ImageStatus = serde_json::from_str(
            r#"{"fleets": {"1": {"regions": {"2": {"name": "North America East",
            "pending_machines": 1, "completed_machines": 1, "failed_machines": 1}},
            "pending_machines": 1, "completed_machines": 1, "failed_machines": 1}},
            "pending_machines": 1, "completed_machines": 1, "failed_machines": 1}"#,
        )
        .unwrap();
        for width in [60, 70, 80, 120] {
            let view = super::super::layout::View {
                width: Some(width),
                ..Default::default()
            };
            let text = super::super::layout::scoped(view, || status.table());
            for line in text.lines() {
                assert!(text_width(line) <= width, "{width}: {line}\n{text}");
            }
            assert!(text.contains("failed 1"), "{text}");
        }
    }
}
