//! Tables and rollout bars.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table as Grid};

use cfp_api::model::{
    DiffJob, DiffRejection, DiffStatus, ImageLock, ImageOptions, ImageStatus, InstallStatus, Job,
    MachineCounts, ProfileSwitch, Task, TaskBatch, TaskTemplate, UnixTime, UpdateJob,
    UploadJobDetails, VersionJob,
};

/// A rendering for people.
pub trait Table {
    /// The value as text: tables, bars, key/value lists.
    fn table(&self) -> String;
}

impl<T: Table> Table for cfp_api::Answer<T> {
    fn table(&self) -> String {
        self.value().table()
    }
}

fn grid(header: &[&str]) -> Grid {
    let mut t = Grid::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().map(Cell::new));
    t
}

fn right(v: impl ToString) -> Cell {
    Cell::new(v.to_string()).set_alignment(CellAlignment::Right)
}

/// A timestamp for people; `0` (the task API's "not yet") shows as `-`.
fn when(t: UnixTime) -> String {
    if t.is_unset() {
        "-".into()
    } else {
        t.to_string()
    }
}

fn key_values(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (k, v) in rows {
        s.push_str(&format!("{k:>width$}  {v}\n"));
    }
    s
}

const BAR_WIDTH: usize = 24;

/// `██████████▒░░░`: completed, failed, pending, scaled to `BAR_WIDTH`.
pub(crate) fn rollout_bar(c: MachineCounts) -> String {
    let total = c.total();
    if total == 0 {
        return "·".repeat(BAR_WIDTH);
    }
    let scale = |n: u64| -> usize {
        let cells = u128::from(n) * BAR_WIDTH as u128 / u128::from(total);
        usize::try_from(cells).unwrap_or(BAR_WIDTH)
    };
    let done = scale(c.completed);
    // A failed machine is never hidden by rounding: at least one cell.
    let failed = if c.failed > 0 {
        scale(c.failed).max(1)
    } else {
        0
    };
    let done = done.min(BAR_WIDTH - failed);
    let pending = BAR_WIDTH - done - failed;
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
        ("created", when(f.created)),
        ("started", f.started.map(when).unwrap_or_else(|| "-".into())),
        ("eta", f.eta.map(when).unwrap_or_else(|| "-".into())),
        ("updated", when(f.updated)),
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
        let mut t = grid(&[
            "install job",
            "version",
            "machine",
            "location",
            "state",
            "%",
            "install at",
            "restart",
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
            t.add_row(vec![
                right(j.job_id),
                right(
                    j.target_version_id
                        .map(|v| v.to_string())
                        .unwrap_or_else(dash),
                ),
                Cell::new(j.machine_text().unwrap_or_else(dash)),
                Cell::new(location),
                Cell::new(j.state().to_string()),
                right(j.percent()),
                Cell::new(j.install_at.map(when).unwrap_or_else(dash)),
                Cell::new(match j.restarts() {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                }),
            ]);
        }
        t.to_string()
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
        let mut games = grid(&["game", "name"]);
        for g in &self.games {
            games.add_row(vec![
                right(id(g.game_id.map(|v| v.to_string()))),
                Cell::new(name(&g.name)),
            ]);
        }
        let mut images = grid(&["image", "name", "game version"]);
        for i in &self.images {
            let version = match &i.game_version_id {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "-".into(),
            };
            images.add_row(vec![
                right(id(i.image_id.map(|v| v.to_string()))),
                Cell::new(name(&i.name)),
                right(version),
            ]);
        }
        let mut machines = grid(&["reference machine", "name"]);
        for m in &self.machines {
            machines.add_row(vec![
                right(id(m.machine_id.map(|v| v.to_string()))),
                Cell::new(name(&m.name)),
            ]);
        }
        for (t, empty) in [
            (games, self.games.is_empty()),
            (images, self.images.is_empty()),
            (machines, self.machines.is_empty()),
        ] {
            if !empty {
                out.push_str(&t.to_string());
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
        let mut s = format!(
            "rollout  {}  {}%  completed {} · pending {} · failed {}  {}\n",
            rollout_bar(c),
            c.percent_completed(),
            c.completed,
            c.pending,
            c.failed,
            if c.is_ready() { "READY" } else { "in progress" }
        );
        if let Some(fleets) = &self.fleets {
            let mut t = grid(&[
                "fleet",
                "region",
                "rollout",
                "%",
                "completed",
                "pending",
                "failed",
            ]);
            for (fleet_id, fleet) in fleets {
                let fc = fleet.counts();
                t.add_row(vec![
                    Cell::new(fleet_id),
                    Cell::new("(all)"),
                    Cell::new(rollout_bar(fc)),
                    right(fc.percent_completed()),
                    right(fc.completed),
                    right(fc.pending),
                    right(fc.failed),
                ]);
                for (region_id, region) in fleet.regions.iter() {
                    let rc = region.counts();
                    t.add_row(vec![
                        Cell::new(""),
                        Cell::new(format!("{region_id} {}", region.name)),
                        Cell::new(rollout_bar(rc)),
                        right(rc.percent_completed()),
                        right(rc.completed),
                        right(rc.pending),
                        right(rc.failed),
                    ]);
                }
            }
            s.push_str(&t.to_string());
            s.push_str("\n█ completed  ▒ failed  ░ pending\n");
        }
        s
    }
}

impl Table for Vec<TaskTemplate> {
    fn table(&self) -> String {
        let mut t = grid(&["id", "name", "description", "required params"]);
        for tpl in self {
            t.add_row(vec![
                right(tpl.id),
                Cell::new(&tpl.name),
                Cell::new(&tpl.description),
                Cell::new(tpl.required_params().join(", ")),
            ]);
        }
        t.to_string()
    }
}

fn task_row(task: &Task) -> Vec<Cell> {
    vec![
        right(task.id),
        Cell::new(&task.name),
        right(task.batch_id),
        right(task.entity_id),
        Cell::new(task.result_code.to_string()),
        Cell::new(when(task.execute_at)),
        Cell::new(when(task.finished_at)),
        Cell::new(&task.result_text),
    ]
}

const TASK_HEADER: [&str; 8] = [
    "id",
    "name",
    "batch",
    "entity",
    "result",
    "execute at",
    "finished",
    "text",
];

impl Table for Vec<Task> {
    fn table(&self) -> String {
        let mut t = grid(&TASK_HEADER);
        for task in self {
            t.add_row(task_row(task));
        }
        t.to_string()
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
            ("execute at", when(self.execute_at)),
            ("last activity", when(self.last_activity_at)),
            ("finished", when(self.finished_at)),
        ])
    }
}

fn batch_row(b: &TaskBatch) -> Vec<Cell> {
    vec![
        right(b.id),
        right(b.num_tasks),
        right(b.num_tasks_ok),
        right(b.num_tasks_failed),
        right(b.num_tasks_cancelled),
        right(format!("{}%", b.percent())),
        Cell::new(when(b.created_at)),
        Cell::new(when(b.execute_at)),
        Cell::new(when(b.finished_at)),
    ]
}

const BATCH_HEADER: [&str; 9] = [
    "id",
    "tasks",
    "ok",
    "failed",
    "cancelled",
    "ended",
    "created",
    "execute at",
    "finished",
];

impl Table for Vec<TaskBatch> {
    fn table(&self) -> String {
        let mut t = grid(&BATCH_HEADER);
        for b in self {
            t.add_row(batch_row(b));
        }
        t.to_string()
    }
}

impl Table for TaskBatch {
    fn table(&self) -> String {
        let mut t = grid(&BATCH_HEADER);
        t.add_row(batch_row(self));
        format!("{t}\ntasks: {}\n", id_list(&self.task_ids))
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
        let mut t = grid(&[
            "long job",
            "state",
            "image uuid",
            "offset (bytes)",
            "upload url",
        ]);
        let dash = || "-".to_owned();
        for j in &self.existing_job_details {
            t.add_row(vec![
                Cell::new(j.long_job_uuid.clone().unwrap_or_else(dash)),
                Cell::new(j.long_job_state.clone().unwrap_or_else(dash)),
                Cell::new(j.image_uuid.clone().unwrap_or_else(dash)),
                right(j.offset.map(|o| o.to_string()).unwrap_or_else(dash)),
                Cell::new(j.image_upload_url.clone().unwrap_or_else(dash)),
            ]);
        }
        t.to_string()
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
}
