//! Image diff jobs: Created → Pending → Queued → Running → Complete or
//! Failed, as a function of the clock.

use cfp_model::{
    AccountServiceId, DiffId, DiffInfo, DiffJob, DiffStatus, ImageId, JobState, MachineId,
    TimeForm, UnixTime,
};
use serde_json::Value;

use super::Timings;
use crate::rng::{Tag, between, hash, unit};

/// One diff job and what was done to it.
#[derive(Debug, Clone)]
pub(crate) struct DiffRecord {
    pub(crate) id: DiffId,
    pub(crate) asid: AccountServiceId,
    pub(crate) image: ImageId,
    pub(crate) machine: MachineId,
    /// When the current attempt was created (a retry starts a new one).
    pub(crate) created: i64,
    /// 0 for the first run, then one more per retry.
    pub(crate) attempt: u64,
    /// How many earlier attempts failed (`jobfailed` counts them all).
    pub(crate) past_failures: u64,
    /// A failure forced at run time: when, and the message.
    pub(crate) forced_failure: Option<(i64, String)>,
    /// Forced to fail while running, from `fail_next_diffs`.
    pub(crate) fail_when_running: Option<String>,
    /// The machine matched the image's latest version when the diff was
    /// created: it finds no changes.
    pub(crate) no_changes: bool,
}

/// The state of a diff job at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiffView {
    pub(crate) state: JobState,
    pub(crate) progress: u32,
    pub(crate) started: Option<i64>,
    pub(crate) eta: Option<i64>,
    pub(crate) updated: i64,
    pub(crate) error: Option<String>,
}

impl DiffRecord {
    /// The times at which the current attempt enters Pending, Queued,
    /// Running and ends.
    fn schedule(&self, seed: u64, t: &Timings) -> [i64; 4] {
        let running = between(
            hash(seed, Tag::DiffRunning, &[self.id.0, self.attempt]),
            *t.diff_running.start(),
            *t.diff_running.end(),
        )
        .max(1);
        let t1 = self.created + secs(t.diff_created);
        let t2 = t1 + secs(t.diff_pending);
        let t3 = t2 + secs(t.diff_queued);
        [t1, t2, t3, t3 + secs(running)]
    }

    /// When and why the current attempt fails, if it does.
    fn failure(&self, seed: u64, t: &Timings, failure_rate: f64) -> Option<(i64, String)> {
        let [_, _, t3, t4] = self.schedule(seed, t);
        let at_point = |message: String| {
            let point = between(
                hash(seed, Tag::DiffFailPoint, &[self.id.0, self.attempt]),
                10,
                90,
            );
            let at = t3 + (t4 - t3) * i64::try_from(point).unwrap_or(50) / 100;
            (at, message)
        };
        let natural = (unit(hash(seed, Tag::DiffFails, &[self.id.0, self.attempt])) < failure_rate)
            .then(|| at_point(format!("machine {} did not answer", self.machine)));
        let planned = self.fail_when_running.clone().map(at_point);
        [natural, planned, self.forced_failure.clone()]
            .into_iter()
            .flatten()
            .filter(|(at, _)| *at < t4)
            .min_by_key(|(at, _)| *at)
    }

    /// The job at `now`.
    pub(crate) fn view(&self, seed: u64, t: &Timings, failure_rate: f64, now: i64) -> DiffView {
        staged_view(
            self.created,
            self.schedule(seed, t),
            self.failure(seed, t, failure_rate),
            now,
        )
    }

    /// The job at `now`, as answered by create, retry (`with_success`) or
    /// status. Absent optional fields are written `null` while the job is
    /// Created, as in the vendor's retry example.
    pub(crate) fn job_json(&self, view: &DiffView, with_success: bool, status: bool) -> Value {
        job_json(
            ("diffid", self.id.0),
            self.created,
            view,
            self.past_failures,
            with_success,
            status,
        )
    }

    /// The status answer: the job, the changed files (once complete; `[]`
    /// before, as a PHP backend writes an empty map), and the game, image
    /// and machine objects when `info` is set.
    pub(crate) fn status_json(
        &self,
        view: &DiffView,
        seed: u64,
        info: Option<[DiffInfo; 3]>,
    ) -> Value {
        let mut value = self.job_json(view, false, true);
        let Value::Object(map) = &mut value else {
            return value;
        };
        let changes = (view.state == JobState::Complete).then(|| {
            if self.no_changes {
                FileChanges::default()
            } else {
                self.changes(seed)
            }
        });
        for (key, files) in [
            ("added", changes.as_ref().map(|c| &c.added)),
            ("modified", changes.as_ref().map(|c| &c.modified)),
            ("removed", changes.as_ref().map(|c| &c.removed)),
        ] {
            map.insert(key.into(), files_json(files.map_or(&[][..], Vec::as_slice)));
        }
        if let Some([game, image, machine]) = info {
            for (key, v) in [("game", game), ("image", image), ("machine", machine)] {
                map.insert(key.into(), serde_json::to_value(v).unwrap_or(Value::Null));
            }
        }
        value
    }

    /// What this attempt found changed on the machine: chosen by the seed,
    /// the diff and the attempt (a retry may find other files).
    pub(crate) fn changes(&self, seed: u64) -> FileChanges {
        FileChanges::seeded(seed, &[self.id.0, self.attempt])
    }

    /// The typed status, for the in-process API.
    pub(crate) fn status(&self, view: &DiffView, seed: u64) -> Option<DiffStatus> {
        serde_json::from_value(self.status_json(view, seed, None)).ok()
    }
}

/// A job that goes Created → Pending → Queued → Running → Complete at the
/// times `[t1, t2, t3, t4]` (from `created`), or Failed at the failure's
/// time if that comes first: the job at `now`.
pub(crate) fn staged_view(
    created: i64,
    [t1, t2, t3, t4]: [i64; 4],
    failure: Option<(i64, String)>,
    now: i64,
) -> DiffView {
    let progress_at = |at: i64| -> u32 {
        if at < t3 {
            return 0;
        }
        let pct = ((at - t3) * 100 / (t4 - t3).max(1)).clamp(0, 100);
        u32::try_from(pct).unwrap_or(100)
    };
    if let Some((at, message)) = failure
        && now >= at
    {
        return DiffView {
            state: JobState::Failed,
            progress: progress_at(at).min(99),
            started: (at >= t3).then_some(t3),
            eta: None,
            updated: at,
            error: Some(message),
        };
    }
    let (state, updated) = if now < t1 {
        (JobState::Created, created)
    } else if now < t2 {
        (JobState::Pending, t1)
    } else if now < t3 {
        (JobState::Queued, t2)
    } else if now < t4 {
        let p = i64::from(progress_at(now));
        (JobState::Running, t3 + (t4 - t3) * p / 100)
    } else {
        (JobState::Complete, t4)
    };
    DiffView {
        progress: match state {
            JobState::Complete => 100,
            JobState::Running => progress_at(now).min(99),
            _ => 0,
        },
        started: (now >= t3).then_some(t3),
        eta: (state != JobState::Created).then_some(t4),
        updated,
        error: None,
        state,
    }
}

/// A Clanforge job answer (`id_field` and its id, then the job fields) at
/// one instant, as create, retry (`with_success`) or status writes it.
/// Absent optional fields are written `null` while the job is Created, as
/// in the vendor's retry example.
pub(crate) fn job_json(
    (id_field, id): (&str, u64),
    created: i64,
    view: &DiffView,
    past_failures: u64,
    with_success: bool,
    status: bool,
) -> Value {
    let job = DiffJob {
        diff_id: DiffId(id),
        created: time(created),
        error: match (&view.error, view.state.clone()) {
            (Some(e), _) => Some(e.clone()),
            (None, JobState::Complete) => Some(String::new()),
            (None, _) => None,
        },
        eta: view.eta.map(time),
        failures: past_failures + u64::from(view.state == JobState::Failed),
        progress: view.progress,
        started: view.started.map(|s| time(s).in_form(TimeForm::String)),
        state_id: view.state.id(),
        state_name: match (&view.state, status) {
            // The vendor spells state 5 both ways; status says "Completed".
            (JobState::Complete, true) => "Completed".into(),
            (s, _) => s.name().to_owned(),
        },
        updated: time(view.updated),
        // Clanforge marks a job that failed with `success: false` (and its
        // joberror); the body is still the job.
        success: if view.state == JobState::Failed {
            Some(false)
        } else {
            with_success.then_some(true)
        },
    };
    let mut value = serde_json::to_value(&job).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        if id_field != "diffid" {
            // The same fields under the job's own id name, first.
            let rest = std::mem::take(map);
            map.insert(id_field.to_owned(), Value::from(id));
            map.extend(rest.into_iter().filter(|(k, _)| k != "diffid"));
        }
        for field in ["joberror", "jobeta", "jobstart"] {
            if view.state == JobState::Created || view.state == JobState::Failed {
                map.entry(field).or_insert(Value::Null);
            }
        }
    }
    value
}

/// Files a diff reports: path and size in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FileChanges {
    pub(crate) added: Vec<(String, u64)>,
    pub(crate) modified: Vec<(String, u64)>,
    pub(crate) removed: Vec<(String, u64)>,
}

/// Paths a game server build plausibly holds, for seeded changes.
const GAME_FILES: [&str; 16] = [
    "bin/server",
    "bin/server.debug",
    "bin/libgame.so",
    "bin/libphysics.so",
    "content/paks/core.pak",
    "content/paks/maps.pak",
    "content/paks/audio.pak",
    "content/maps/arena.map",
    "content/maps/harbour.map",
    "content/maps/summit.map",
    "config/server.cfg",
    "config/playlists.json",
    "config/loot_tables.json",
    "scripts/rules.lua",
    "scripts/events.lua",
    "VERSION",
];

impl FileChanges {
    /// Up to 4 added, 6 modified and 2 removed files, chosen from
    /// [`GAME_FILES`] by a hash of the seed and `key`; no path appears twice.
    pub(crate) fn seeded(seed: u64, key: &[u64]) -> Self {
        let h = |i: u64| {
            let mut parts = key.to_vec();
            parts.push(i);
            hash(seed, Tag::DiffFiles, &parts)
        };
        let mut order: Vec<usize> = (0..GAME_FILES.len()).collect();
        // A seeded shuffle (Fisher–Yates) of the candidate paths.
        for i in (1..order.len()).rev() {
            let j = usize::try_from(h(i as u64) % (i as u64 + 1)).unwrap_or(0);
            order.swap(i, j);
        }
        let counts = [
            between(h(100), 0, 4),
            between(h(101), 1, 6),
            between(h(102), 0, 2),
        ];
        let mut picked = order.into_iter();
        let mut take = |n: u64, salt: u64| -> Vec<(String, u64)> {
            let mut files: Vec<(String, u64)> = picked
                .by_ref()
                .take(usize::try_from(n).unwrap_or(0))
                .map(|i| {
                    let path = GAME_FILES[i];
                    let size = between(h(1000 + salt * 100 + i as u64), 512, 256 << 20);
                    (path.to_owned(), size)
                })
                .collect();
            files.sort();
            files
        };
        Self {
            added: take(counts[0], 1),
            modified: take(counts[1], 2),
            removed: take(counts[2], 3),
        }
    }
}

/// A file map as the wire carries it; empty as `[]`.
fn files_json(files: &[(String, u64)]) -> Value {
    if files.is_empty() {
        return Value::Array(Vec::new());
    }
    Value::Object(
        files
            .iter()
            .map(|(path, size)| {
                (
                    path.clone(),
                    serde_json::json!({ "size": size, "type": "file" }),
                )
            })
            .collect(),
    )
}

pub(crate) fn time(secs: i64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap_or(UnixTime::from_timestamp(jiff::Timestamp::UNIX_EPOCH))
}

pub(crate) fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> DiffRecord {
        DiffRecord {
            id: DiffId(7),
            asid: AccountServiceId(1),
            image: ImageId(1),
            machine: MachineId(1),
            created: 1000,
            attempt: 0,
            past_failures: 0,
            forced_failure: None,
            fail_when_running: None,
            no_changes: false,
        }
    }

    fn fixed() -> Timings {
        Timings {
            diff_created: 2,
            diff_pending: 3,
            diff_queued: 5,
            diff_running: 100..=100,
            ..Timings::default()
        }
    }

    #[test]
    fn moves_through_every_state_with_progress_and_eta() {
        let r = record();
        let t = fixed();
        let at = |now| r.view(1, &t, 0.0, now);
        assert_eq!(at(1000).state, JobState::Created);
        assert_eq!(at(1000).eta, None);
        assert_eq!(at(1002).state, JobState::Pending);
        assert_eq!(at(1002).eta, Some(1110));
        assert_eq!(at(1005).state, JobState::Queued);
        let running = at(1050);
        assert_eq!(running.state, JobState::Running);
        assert_eq!(running.progress, 40);
        assert_eq!(running.started, Some(1010));
        assert_eq!(running.updated, 1050);
        let done = at(1110);
        assert_eq!(done.state, JobState::Complete);
        assert_eq!(done.progress, 100);
        assert_eq!(done.updated, 1110);
    }

    #[test]
    fn a_forced_failure_freezes_progress() {
        let mut r = record();
        r.forced_failure = Some((1030, "boom".into()));
        let v = r.view(1, &fixed(), 0.0, 1100);
        assert_eq!(v.state, JobState::Failed);
        assert_eq!(v.progress, 20);
        assert_eq!(v.error.as_deref(), Some("boom"));
        assert_eq!(v.eta, None);
        let json = r.job_json(&v, false, true);
        assert_eq!(json["jobfailed"], 1);
        assert_eq!(json["jobstateid"], 6);
        assert_eq!(json["jobeta"], Value::Null);
    }

    #[test]
    fn jobstart_is_a_string_and_created_jobs_have_nulls() {
        let r = record();
        let t = fixed();
        let created = r.job_json(&r.view(1, &t, 0.0, 1000), true, false);
        assert_eq!(created["jobstart"], Value::Null);
        assert_eq!(created["jobeta"], Value::Null);
        assert_eq!(created["success"], true);
        let running = r.job_json(&r.view(1, &t, 0.0, 1050), false, false);
        assert_eq!(running["jobstart"], "1010");
        assert_eq!(running["jobeta"], 1110);
        let done = r.job_json(&r.view(1, &t, 0.0, 2000), false, true);
        assert_eq!(done["jobstatename"], "Completed");
    }

    #[test]
    fn jobfailed_counts_the_failures_of_every_attempt() {
        let mut r = record();
        r.past_failures = 2;
        r.attempt = 2;
        let t = fixed();
        let done = r.job_json(&r.view(1, &t, 0.0, 5000), false, true);
        assert_eq!(done["jobfailed"], 2);
        assert_eq!(done["jobstateid"], 5);
        r.forced_failure = Some((1030, "again".into()));
        let failed = r.job_json(&r.view(1, &t, 0.0, 5000), false, true);
        assert_eq!(failed["jobfailed"], 3);
    }

    #[test]
    fn a_complete_diff_lists_seeded_files_and_a_running_one_none() {
        let r = record();
        let t = fixed();
        let running = r.status_json(&r.view(1, &t, 0.0, 1050), 1, None);
        assert_eq!(running["added"], Value::Array(vec![]));
        let done = r.status_json(&r.view(1, &t, 0.0, 5000), 1, None);
        let modified = done["modified"].as_object().unwrap();
        assert!(!modified.is_empty(), "at least one modified file");
        assert!(modified.values().all(|f| f["size"].as_u64().is_some()));
        // The same seed gives the same files; paths never repeat.
        assert_eq!(r.changes(1), r.changes(1));
        let c = r.changes(1);
        let mut all: Vec<_> = c
            .added
            .iter()
            .chain(&c.modified)
            .chain(&c.removed)
            .collect();
        let n = all.len();
        all.sort();
        all.dedup_by(|a, b| a.0 == b.0);
        assert_eq!(all.len(), n);
    }

    #[test]
    fn the_failure_rate_is_decided_by_the_seed() {
        let r = record();
        let t = fixed();
        assert_eq!(r.view(1, &t, 1.0, 5000).state, JobState::Failed);
        assert_eq!(r.view(1, &t, 0.0, 5000).state, JobState::Complete);
    }
}
