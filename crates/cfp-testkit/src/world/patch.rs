//! What a zero-downtime patch goes through: image update jobs, image
//! locks, diff reject, image version jobs and their installs, image
//! options, reservation fleet profile switches, and ZStack sessions.
//!
//! The rules follow the vendor's pages (see `docs/openapi.yaml`):
//!
//! - an image is **locked** by a diff of it that is neither accepted (a
//!   version made from it) nor rejected, and by its latest update unless
//!   that failed or a diff has been made since; a new update then gets the
//!   envelope "image locked by diffid: N" (or "updateid"), and so does a
//!   new diff, except that a complete update's lock passes to the diff that
//!   follows it;
//! - a complete update changes the reference machine's files, so the next
//!   diff of that machine finds changes; a diff of a machine whose files
//!   match the image's latest version finds none, and a version made from
//!   it must be full (`full=1`);
//! - a version is built (a job), then installed on the machines of the
//!   fleets that run the image at `install_at` (`NOW()` or a Unix time;
//!   without it, never: the install waits for a manual start); `force=0`
//!   fails while a fleet has active allocations; with
//!   `disable_percentage`, once that share of machines completed, machines
//!   still installing `disable_timeout` minutes after the start are
//!   disabled (counted failed);
//! - a reservation fleet's profile switch goes pending → processing →
//!   complete, `MaxMachines` servers per step; at its deadline it stops,
//!   the servers not switched left pending (the vendor does not say what
//!   happens then).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use cfp_model::{
    AccountServiceId, DiffId, FleetId, ImageId, ImageLock, ImageVersionId, JobState, MachineId,
    ProfileId, UpdateId,
};
use serde_json::{Value, json};

use super::diff::{DiffView, job_json, secs, staged_view, time};
use super::state::{DiffRefusal, WorldState};
use super::{Timings, World};
use crate::rng::{Tag, between, hash};

/// The first update id; later ones count up.
const FIRST_UPDATE_ID: u64 = 7001;
/// The first image version id; later ones count up.
const FIRST_VERSION_ID: u64 = 5101;
/// The first uninstall job id.
const FIRST_UNINSTALL_ID: u64 = 9101;

/// What became of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// A version was made from it.
    Accepted(ImageVersionId),
    /// It was rejected.
    Rejected,
}

/// One image update job.
#[derive(Debug, Clone)]
pub(crate) struct UpdateRecord {
    pub(crate) id: UpdateId,
    pub(crate) asid: AccountServiceId,
    pub(crate) image: ImageId,
    pub(crate) machine: MachineId,
    pub(crate) created: i64,
    pub(crate) attempt: u64,
    pub(crate) past_failures: u64,
    /// Made to fail while running (from `fail_next_updates`).
    pub(crate) fail_when_running: Option<String>,
    /// What it updates from: a hash of the URL (the same build twice
    /// changes nothing the second time).
    pub(crate) source: u64,
}

/// One image version job and its install.
#[derive(Debug, Clone)]
pub(crate) struct VersionRecord {
    pub(crate) id: ImageVersionId,
    pub(crate) asid: AccountServiceId,
    pub(crate) image: ImageId,
    pub(crate) created: i64,
    pub(crate) restart: bool,
    /// `install_at`: when the install starts (after the build); `None`
    /// waits for a manual start, which the simulator never makes.
    pub(crate) install_at: Option<i64>,
    /// `disable_percentage` (0–100) and `disable_timeout` in seconds.
    pub(crate) disable: Option<(f64, i64)>,
    /// Made to fail while building (from `fail_next_versions`).
    pub(crate) fail: Option<String>,
}

/// One reservation fleet's profile switch.
#[derive(Debug, Clone)]
pub(crate) struct SwitchRecord {
    pub(crate) requested: i64,
    pub(crate) profile: ProfileId,
    pub(crate) servers: u64,
    pub(crate) max_machines: Option<u64>,
    pub(crate) timeout: i64,
}

/// An install's machines, as the rollout counts read them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Install {
    /// When it started.
    pub(crate) started: i64,
    /// What makes this install's machine times differ from another's (0
    /// for the world's own rollout).
    pub(crate) salt: u64,
    /// `disable_percentage` and `disable_timeout` (seconds).
    pub(crate) disable: Option<(f64, i64)>,
}

/// The patch side of the world.
#[derive(Debug, Default)]
pub(crate) struct PatchState {
    pub(crate) fates: BTreeMap<DiffId, Fate>,
    /// Machines whose files match their image's latest version, and since
    /// when.
    pub(crate) in_sync: BTreeMap<(ImageId, MachineId), i64>,
    pub(crate) updates: BTreeMap<UpdateId, UpdateRecord>,
    pub(crate) next_update: u64,
    pub(crate) versions: BTreeMap<ImageVersionId, VersionRecord>,
    pub(crate) next_version: u64,
    pub(crate) next_uninstall: u64,
    pub(crate) fail_next_updates: VecDeque<String>,
    pub(crate) fail_next_versions: VecDeque<String>,
    /// Per image, the source of the update its latest version was built
    /// from.
    pub(crate) built_from: BTreeMap<ImageId, u64>,
    pub(crate) switches: BTreeMap<FleetId, SwitchRecord>,
    /// ZStack sessions opened by login.
    pub(crate) sessions: BTreeSet<String>,
    /// ZStack sessions ended by logout (the configured one included: it
    /// stands for a session opened before the simulator started).
    pub(crate) ended_sessions: BTreeSet<String>,
    pub(crate) next_session: u64,
}

impl PatchState {
    pub(crate) fn new(world: &World, start: i64) -> Self {
        let asid = world
            .account_services
            .first()
            .copied()
            .unwrap_or(AccountServiceId(1));
        let updates: BTreeMap<UpdateId, UpdateRecord> = world
            .existing_updates
            .iter()
            .map(|u| {
                let record = UpdateRecord {
                    id: u.id,
                    asid,
                    image: u.image,
                    machine: u.machine,
                    created: start - i64::try_from(u.created_before_start).unwrap_or(0),
                    attempt: 0,
                    past_failures: 0,
                    fail_when_running: u.failed.clone(),
                    source: 0,
                };
                (u.id, record)
            })
            .collect();
        let next_update = updates
            .keys()
            .map(|id| id.0 + 1)
            .max()
            .unwrap_or(0)
            .max(FIRST_UPDATE_ID);
        Self {
            fates: world
                .accepted_diffs
                .iter()
                // The world's own rollout is version 0 of each image.
                .map(|d| (*d, Fate::Accepted(ImageVersionId(0))))
                .collect(),
            updates,
            next_update,
            next_version: FIRST_VERSION_ID,
            next_uninstall: FIRST_UNINSTALL_ID,
            ..Self::default()
        }
    }
}

impl UpdateRecord {
    fn schedule(&self, seed: u64, t: &Timings) -> [i64; 4] {
        let running = between(
            hash(seed, Tag::UpdateRunning, &[self.id.0, self.attempt]),
            *t.update_running.start(),
            *t.update_running.end(),
        )
        .max(1);
        let t1 = self.created + secs(t.diff_created);
        let t2 = t1 + secs(t.diff_pending);
        let t3 = t2 + secs(t.diff_queued);
        [t1, t2, t3, t3 + secs(running)]
    }

    pub(crate) fn view(&self, seed: u64, t: &Timings, now: i64) -> DiffView {
        let stages = self.schedule(seed, t);
        let failure = self
            .fail_when_running
            .clone()
            .map(|m| (stages[2] + (stages[3] - stages[2]) / 2, m));
        staged_view(self.created, stages, failure, now)
    }

    /// When it completed, if it did by `now`.
    fn completed_at(&self, seed: u64, t: &Timings, now: i64) -> Option<i64> {
        let v = self.view(seed, t, now);
        (v.state == JobState::Complete).then_some(v.updated)
    }

    fn json(&self, view: &DiffView, with_success: bool) -> Value {
        job_json(
            ("updateid", self.id.0),
            self.created,
            view,
            self.past_failures,
            with_success,
            true,
        )
    }
}

impl VersionRecord {
    fn schedule(&self, seed: u64, t: &Timings) -> [i64; 4] {
        let running = between(
            hash(seed, Tag::VersionRunning, &[self.id.0]),
            *t.version_running.start(),
            *t.version_running.end(),
        )
        .max(1);
        let t1 = self.created + secs(t.diff_created);
        let t2 = t1 + secs(t.diff_pending);
        [t1, t2, t2, t2 + secs(running)]
    }

    pub(crate) fn view(&self, seed: u64, t: &Timings, now: i64) -> DiffView {
        let stages = self.schedule(seed, t);
        let failure = self
            .fail
            .clone()
            .map(|m| (stages[2] + (stages[3] - stages[2]) / 2, m));
        staged_view(self.created, stages, failure, now)
    }

    /// When its install starts: after the build, at `install_at` (never
    /// for a version whose build failed).
    pub(crate) fn install_start(&self, seed: u64, t: &Timings) -> Option<i64> {
        if self.fail.is_some() {
            return None;
        }
        let built = self.schedule(seed, t)[3];
        self.install_at.map(|at| at.max(built))
    }
}

impl SwitchRecord {
    /// `(state, processed, pending)` at `now`.
    fn at(&self, step: i64, now: i64) -> (&'static str, u64, u64) {
        // Pending for one step, then a step per batch of servers.
        let started = self.requested + step;
        let deadline = self.requested + self.timeout;
        let until = now.min(deadline);
        if until < started {
            return if now >= deadline {
                ("complete", 0, self.servers)
            } else {
                ("pending", 0, self.servers)
            };
        }
        let steps = u64::try_from((until - started) / step.max(1) + 1).unwrap_or(u64::MAX);
        let per = self.max_machines.unwrap_or(self.servers).max(1);
        let processed = steps.saturating_mul(per).min(self.servers);
        let pending = self.servers - processed;
        if pending == 0 || now >= deadline {
            ("complete", processed, pending)
        } else {
            ("processing", processed, pending)
        }
    }
}

fn envelope(code: i64, message: String) -> DiffRefusal {
    DiffRefusal::Envelope(code, message)
}

fn not_found(message: String) -> DiffRefusal {
    DiffRefusal::NotFound(message)
}

/// A refused profile switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SwitchRefusal {
    NotFound(String),
    BadRequest(String),
}

impl WorldState {
    /// What locks `image` at `now`: the latest diff of it neither accepted
    /// nor rejected; else its latest update, unless that update failed or
    /// a diff of the image has been created since (the update's changes
    /// then belong to that diff).
    pub(crate) fn lock(&self, image: ImageId, now: i64) -> Option<ImageLock> {
        let diff = self
            .diffs
            .values()
            .rev()
            .find(|d| d.image == image && !self.patch.fates.contains_key(&d.id));
        if let Some(d) = diff {
            return Some(ImageLock::Diff(d.id));
        }
        let (seed, t) = (self.seed, &self.world.timings);
        let update = self
            .patch
            .updates
            .values()
            .filter(|u| u.image == image)
            .max_by_key(|u| (u.created, u.id))?;
        let failed = update.view(seed, t, now).state.is_failure();
        let diffed = self
            .diffs
            .values()
            .any(|d| d.image == image && d.created >= update.created);
        (!failed && !diffed).then_some(ImageLock::Update(update.id))
    }

    /// The update that locks `image` is still running.
    fn update_running(&self, image: ImageId, now: i64) -> Option<UpdateId> {
        match self.lock(image, now) {
            Some(ImageLock::Update(u)) => {
                let running = self.patch.updates.get(&u).is_some_and(|r| {
                    !r.view(self.seed, &self.world.timings, now)
                        .state
                        .is_terminal()
                });
                running.then_some(u)
            }
            _ => None,
        }
    }

    fn locked(lock: ImageLock) -> DiffRefusal {
        match lock {
            ImageLock::Diff(d) => envelope(1, format!("image locked by diffid: {d}")),
            ImageLock::Update(u) => envelope(1, format!("image locked by updateid: {u}")),
        }
    }

    /// Whether a diff of `image` on `machine` created at `now` finds no
    /// changes: the machine matches the image's latest version, and no
    /// update has changed it since (an update of the same build as that
    /// version's changes nothing).
    pub(crate) fn finds_no_changes(&self, image: ImageId, machine: MachineId, now: i64) -> bool {
        let Some(since) = self.patch.in_sync.get(&(image, machine)) else {
            return false;
        };
        let built_from = self.patch.built_from.get(&image).copied();
        let (seed, t) = (self.seed, &self.world.timings);
        !self.patch.updates.values().any(|u| {
            u.image == image
                && u.machine == machine
                && Some(u.source) != built_from
                && u.completed_at(seed, t, now).is_some_and(|at| at >= *since)
        })
    }

    /// The source of the latest update of `image` on `machine` complete by
    /// `at`.
    fn update_source(&self, image: ImageId, machine: MachineId, at: i64) -> Option<u64> {
        let (seed, t) = (self.seed, &self.world.timings);
        self.patch
            .updates
            .values()
            .filter(|u| u.image == image && u.machine == machine)
            .filter_map(|u| Some((u.completed_at(seed, t, at)?, u.source)))
            .max_by_key(|(at, _)| *at)
            .map(|(_, source)| source)
    }

    /// Refuses a new diff of an image locked by a diff, or by an update
    /// still running; a complete update's lock passes to the new diff.
    pub(crate) fn check_diff_lock(&self, image: ImageId, now: i64) -> Result<(), DiffRefusal> {
        match self.lock(image, now) {
            Some(ImageLock::Diff(d)) => Err(Self::locked(ImageLock::Diff(d))),
            Some(ImageLock::Update(_)) => match self.update_running(image, now) {
                Some(u) => Err(Self::locked(ImageLock::Update(u))),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }

    // -- Updates --------------------------------------------------------------

    /// `GET /cfp/v1/imageupdate/create`.
    pub(crate) fn create_update(
        &mut self,
        asid: AccountServiceId,
        image: ImageId,
        machine: MachineId,
        url: Option<&str>,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let spec = self
            .world
            .images
            .get(&image)
            .ok_or_else(|| not_found(format!("image {image} not found")))?;
        if !self.world.machines.contains_key(&machine) {
            return Err(not_found(format!("machine {machine} not found")));
        }
        if url.is_none() && spec.update_url.is_none() {
            return Err(envelope(
                3,
                format!("image {image} has no default update url: give url"),
            ));
        }
        if let Some(lock) = self.lock(image, now) {
            return Err(Self::locked(lock));
        }
        let id = UpdateId(self.patch.next_update);
        self.patch.next_update += 1;
        let url = url.or(spec.update_url.as_deref()).unwrap_or("");
        let record = UpdateRecord {
            id,
            asid,
            image,
            machine,
            created: now,
            attempt: 0,
            past_failures: 0,
            fail_when_running: self.patch.fail_next_updates.pop_front(),
            source: hash(
                0,
                Tag::UpdateSource,
                &[crate::journal::body_digest(url.as_bytes())],
            ),
        };
        let view = record.view(self.seed, &self.world.timings, now);
        let json = record.json(&view, true);
        self.patch.updates.insert(id, record);
        Ok(json)
    }

    fn update_for(
        &self,
        asid: AccountServiceId,
        id: UpdateId,
    ) -> Result<&UpdateRecord, DiffRefusal> {
        self.patch
            .updates
            .get(&id)
            .filter(|u| u.asid == asid)
            .ok_or_else(|| not_found(format!("update {id} not found")))
    }

    /// `GET /cfp/v1/imageupdate/{updateid}/status`.
    pub(crate) fn update_status(
        &self,
        asid: AccountServiceId,
        id: UpdateId,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let u = self.update_for(asid, id)?;
        Ok(u.json(&u.view(self.seed, &self.world.timings, now), false))
    }

    /// `GET /cfp/v1/imageupdate/{updateid}/retry`: a failed update only.
    pub(crate) fn retry_update(
        &mut self,
        asid: AccountServiceId,
        id: UpdateId,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let state = {
            let u = self.update_for(asid, id)?;
            u.view(self.seed, &self.world.timings, now).state
        };
        if state != JobState::Failed {
            return Err(envelope(
                2,
                format!(
                    "update {id} cannot be retried: it is {} (only a failed update can)",
                    state.name().to_lowercase()
                ),
            ));
        }
        let next_failure = self.patch.fail_next_updates.pop_front();
        let (seed, timings) = (self.seed, self.world.timings.clone());
        let u = self
            .patch
            .updates
            .get_mut(&id)
            .ok_or_else(|| not_found(format!("update {id} not found")))?;
        u.past_failures += 1;
        u.attempt += 1;
        u.created = now;
        u.fail_when_running = next_failure;
        let view = u.view(seed, &timings, now);
        Ok(u.json(&view, true))
    }

    // -- Diff reject ------------------------------------------------------------

    /// `GET /cfp/v1/imagediff/{diffid}/reject`.
    pub(crate) fn reject_diff(
        &mut self,
        asid: AccountServiceId,
        id: DiffId,
        reinstall: bool,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let (image, machine, state) = {
            let d = self.diff_for(asid, id)?;
            let view = d.view(
                self.seed,
                &self.world.timings,
                self.world.diff_failure_rate,
                now,
            );
            (d.image, d.machine, view.state)
        };
        match self.patch.fates.get(&id) {
            Some(Fate::Accepted(v)) => {
                return Err(envelope(
                    2,
                    format!("diff {id} was accepted (image version {v}): it cannot be rejected"),
                ));
            }
            Some(Fate::Rejected) => {
                return Err(envelope(2, format!("diff {id} has already been rejected")));
            }
            None => {}
        }
        if !matches!(state, JobState::Complete | JobState::Failed) {
            return Err(envelope(
                2,
                format!(
                    "diff {id} cannot be rejected: it is {} (only a complete or failed diff can)",
                    state.name().to_lowercase()
                ),
            ));
        }
        self.patch.fates.insert(id, Fate::Rejected);
        if !reinstall {
            return Ok(json!({ "diffid": id.0 }));
        }
        // The machine goes back to the image's last good state.
        self.patch.in_sync.insert((image, machine), now);
        let job = self.patch.next_uninstall;
        self.patch.next_uninstall += 1;
        let view = staged_view(now, [now + 2, now + 5, now + 10, now + 60], None, now);
        Ok(job_json(
            ("uninstalljobid", job),
            now,
            &view,
            0,
            false,
            false,
        ))
    }

    // -- Versions ---------------------------------------------------------------

    /// `GET /cfp/v1/imageversion/create`.
    pub(crate) fn create_version(
        &mut self,
        asid: AccountServiceId,
        id: DiffId,
        o: &VersionOptions,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let (image, machine, state, no_changes, diff_created) = {
            let d = self.diff_for(asid, id)?;
            let view = d.view(
                self.seed,
                &self.world.timings,
                self.world.diff_failure_rate,
                now,
            );
            (d.image, d.machine, view.state, d.no_changes, d.created)
        };
        match self.patch.fates.get(&id) {
            Some(Fate::Accepted(v)) => {
                return Err(envelope(
                    2,
                    format!("diff {id} has already been accepted (image version {v})"),
                ));
            }
            Some(Fate::Rejected) => {
                return Err(envelope(2, format!("diff {id} was rejected")));
            }
            None => {}
        }
        if state != JobState::Complete {
            return Err(envelope(
                2,
                format!(
                    "diff {id} is not complete (it is {}): only a complete diff becomes a version",
                    state.name().to_lowercase()
                ),
            ));
        }
        if no_changes && !o.full {
            return Err(envelope(
                4,
                format!("diff {id} found no changes: create a full version (full=1)"),
            ));
        }
        if !o.force {
            let fleets = self
                .world
                .rollouts
                .get(&image)
                .map(|r| r.fleets.clone())
                .unwrap_or_default();
            for fleet in fleets {
                let n = self.world.fleets.get(&fleet).map_or(0, |f| f.allocations);
                if n > 0 {
                    return Err(envelope(
                        5,
                        format!(
                            "fleet {fleet} has {n} active allocations: installing would restart their servers (force=1 installs anyway)"
                        ),
                    ));
                }
            }
        }
        let vid = ImageVersionId(self.patch.next_version);
        self.patch.next_version += 1;
        let record = VersionRecord {
            id: vid,
            asid,
            image,
            created: now,
            restart: o.restart,
            install_at: o.install_at,
            disable: o.disable,
            fail: self.patch.fail_next_versions.pop_front(),
        };
        let view = record.view(self.seed, &self.world.timings, now);
        self.patch.versions.insert(vid, record);
        self.patch.fates.insert(id, Fate::Accepted(vid));
        // The reference machine now matches the image's latest version,
        // built from the update before the diff.
        self.patch.in_sync.insert((image, machine), now);
        if let Some(source) = self.update_source(image, machine, diff_created) {
            self.patch.built_from.insert(image, source);
        }
        Ok(job_json(
            ("imageversionid", vid.0),
            now,
            &view,
            0,
            true,
            false,
        ))
    }

    /// `GET /cfp/v1/imageversion/{imageversionid}/status`.
    pub(crate) fn version_status(
        &self,
        asid: AccountServiceId,
        id: ImageVersionId,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let v = self
            .patch
            .versions
            .get(&id)
            .filter(|v| v.asid == asid)
            .ok_or_else(|| not_found(format!("image version {id} not found")))?;
        let view = v.view(self.seed, &self.world.timings, now);
        Ok(job_json(
            ("imageversionid", id.0),
            v.created,
            &view,
            0,
            false,
            true,
        ))
    }

    /// The install an image's rollout counts read at `now`: its latest
    /// version whose install has started, else the world's own rollout.
    pub(crate) fn current_install(&self, image: ImageId, now: i64) -> Install {
        let (seed, t) = (self.seed, &self.world.timings);
        self.patch
            .versions
            .values()
            .rev()
            .filter(|v| v.image == image)
            .find_map(|v| {
                let start = v.install_start(seed, t)?;
                (start <= now).then_some(Install {
                    started: start,
                    salt: v.id.0,
                    disable: v.disable,
                })
            })
            .unwrap_or_else(|| Install {
                started: self
                    .rollout_started
                    .get(&image)
                    .copied()
                    .unwrap_or(self.start),
                salt: 0,
                disable: None,
            })
    }

    /// `GET /cfp/v1/imageinstall/status`: one install job per machine still
    /// installing a version (or waiting for its install to start).
    pub(crate) fn install_status(&self, asid: AccountServiceId, now: i64) -> Value {
        let (seed, t) = (self.seed, &self.world.timings);
        let mut installs = Vec::new();
        // Only each image's latest version installs.
        let mut seen = BTreeSet::new();
        for v in self.patch.versions.values().rev() {
            if v.asid != asid || !seen.insert(v.image) {
                continue;
            }
            let built = v.view(seed, t, now).state == JobState::Complete;
            let start = v.install_start(seed, t);
            let install = Install {
                started: start.unwrap_or(i64::MAX),
                salt: v.id.0,
                disable: v.disable,
            };
            let machines =
                super::rollout::machine_states(&self.world, seed, v.image, &install, now);
            for (machine, state, ends) in machines {
                if state != super::rollout::MachineState::Pending {
                    continue;
                }
                let spec = &self.world.machines[&machine];
                let (stateid, name, progress) = match start {
                    Some(s) if built && now >= s => {
                        let pct = ((now - s) * 100 / (ends - s).max(1)).clamp(0, 99);
                        (4, "Running", pct)
                    }
                    Some(_) if built => (3, "Queued", 0),
                    _ => (2, "Pending", 0),
                };
                let region = self
                    .world
                    .regions
                    .get(&spec.region)
                    .cloned()
                    .unwrap_or_default();
                installs.push(json!({
                    "jobid": v.id.0 * 1000 + machine.0,
                    "jobcreated": v.created,
                    "joberror": null,
                    "jobeta": start.map(|_| ends),
                    "jobfailed": 0,
                    "jobprogress": progress,
                    "jobstart": start.filter(|s| now >= *s).map(|s| s.to_string()),
                    "jobstateid": stateid,
                    "jobstatename": name,
                    "jobupdated": now,
                    "mirroring": 0,
                    "restart": u8::from(v.restart),
                    "location": region,
                    "machine": machine.0,
                    "imagepath": format!("/images/{}/{}", v.image, v.id),
                    "install_at": start.map(|s| time(s).as_secs()),
                    "mirror": format!("mirror-{}", spec.region),
                    "target_imageversionid": v.id.0,
                }));
            }
        }
        json!({ "installs": installs })
    }

    // -- Options ----------------------------------------------------------------

    /// `GET /cfp/v1/image/options`.
    pub(crate) fn image_options(
        &self,
        game_image: Option<(u64, ImageId)>,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let (game_id, game_name) = &self.world.game;
        let games = json!([{ "gameid": game_id.0, "name": game_name }]);
        let images: Vec<Value> = self
            .world
            .images
            .iter()
            .map(|(id, spec)| {
                json!({
                    "imageid": id.0,
                    "name": spec.name,
                    "gameversionid": self.game_version(*id).to_string(),
                })
            })
            .collect();
        let machines: Vec<Value> = self
            .world
            .machines
            .iter()
            .map(|(id, m)| json!({ "machineid": id.0, "name": m.name }))
            .collect();
        let mut out = json!({ "games": games, "images": images, "machines": machines });
        if let Some((game, image)) = game_image {
            if game != game_id.0 {
                return Err(not_found(format!("game {game} not found")));
            }
            let spec = self
                .world
                .images
                .get(&image)
                .ok_or_else(|| not_found(format!("image {image} not found")))?;
            let lock = self.lock(image, now);
            out["diffid"] = json!(match lock {
                Some(ImageLock::Diff(d)) => d.0,
                _ => 0,
            });
            out["updateid"] = json!(match lock {
                Some(ImageLock::Update(u)) => u.0,
                _ => 0,
            });
            out["update_url"] = json!(spec.update_url);
        }
        Ok(out)
    }

    /// The game version id of an image's latest version (the world's own
    /// is `10 + image id`).
    fn game_version(&self, image: ImageId) -> u64 {
        self.patch
            .versions
            .values()
            .filter(|v| v.image == image)
            .map(|v| v.id.0)
            .max()
            .unwrap_or(10 + image.0)
    }

    // -- Fleet profile switches -------------------------------------------------

    /// `PATCH /cfp/v2/fleet/{fleetid}/switchprofile`.
    pub(crate) fn switch_profile(
        &mut self,
        fleet: FleetId,
        body: &cfp_model::SwitchProfile,
        now: i64,
    ) -> Result<Value, SwitchRefusal> {
        let spec = self
            .world
            .fleets
            .get(&fleet)
            .ok_or_else(|| SwitchRefusal::NotFound(format!("fleet {fleet} not found")))?;
        if !spec.reservation {
            return Err(SwitchRefusal::BadRequest(format!(
                "fleet {fleet} is an allocation fleet: it picks a new profile up on its next allocation"
            )));
        }
        if !self.world.profiles.contains_key(&body.profile_id) {
            return Err(SwitchRefusal::NotFound(format!(
                "profile {} not found",
                body.profile_id
            )));
        }
        let servers = self
            .world
            .instances
            .values()
            .filter(|i| i.fleet == fleet)
            .count() as u64;
        let record = SwitchRecord {
            requested: now,
            profile: body.profile_id,
            servers,
            max_machines: body.max_machines.map(u64::from),
            timeout: i64::try_from(body.timeout.as_secs()).unwrap_or(i64::MAX / 4),
        };
        self.patch.switches.insert(fleet, record);
        self.switch_status(fleet, now)
    }

    /// `GET /cfp/v2/fleet/{fleetid}/switchprofile`.
    pub(crate) fn switch_status(&self, fleet: FleetId, now: i64) -> Result<Value, SwitchRefusal> {
        if !self.world.fleets.contains_key(&fleet) {
            return Err(SwitchRefusal::NotFound(format!("fleet {fleet} not found")));
        }
        let Some(s) = self.patch.switches.get(&fleet) else {
            return Ok(json!({
                "ServersPending": 0, "ServersProcessed": 0, "ProfileID": 0, "State": "not requested"
            }));
        };
        let (state, processed, pending) = s.at(secs(self.world.timings.switch_step), now);
        let deadline = jiff::Timestamp::from_second(s.requested.saturating_add(s.timeout))
            .map(|t| t.to_string())
            .unwrap_or_default();
        Ok(json!({
            "ServersPending": pending,
            "ServersProcessed": processed,
            "ProfileID": s.profile.0,
            "Deadline": deadline,
            "State": state,
        }))
    }

    // -- ZStack sessions --------------------------------------------------------

    /// `PUT /zstack/v1/accounts/login`: a new session, or `None` when the
    /// account or password is wrong.
    pub(crate) fn log_in(&mut self, account: &str, password_sha512: &str) -> Option<String> {
        let expected = self.world.zstack_accounts.get(account)?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            password_sha512.as_bytes(),
        )) {
            return None;
        }
        self.patch.next_session += 1;
        let session = format!(
            "{:016x}{:016x}",
            hash(self.seed, Tag::Session, &[self.patch.next_session]),
            hash(self.seed, Tag::Session, &[self.patch.next_session, 1])
        );
        self.patch.sessions.insert(session.clone());
        Some(session)
    }

    /// `DELETE /zstack/v1/accounts/sessions/{uuid}`.
    /// `configured`: the session is the simulator's configured one. Only
    /// sessions that were open are remembered as ended, so that logging out
    /// made-up sessions cannot grow the world.
    pub(crate) fn log_out(&mut self, session: &str, configured: bool) {
        if self.patch.sessions.remove(session) || configured {
            self.patch.ended_sessions.insert(session.to_owned());
        }
    }

    /// A session logout ended.
    pub(crate) fn session_ended(&self, session: &str) -> bool {
        self.patch.ended_sessions.contains(session)
    }

    /// A session opened by login and not yet closed.
    pub(crate) fn has_session(&self, session: &str) -> bool {
        self.patch.sessions.contains(session)
    }
}

/// What version create was asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VersionOptions {
    pub(crate) restart: bool,
    pub(crate) full: bool,
    pub(crate) force: bool,
    pub(crate) install_at: Option<i64>,
    pub(crate) disable: Option<(f64, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::World;

    fn state() -> WorldState {
        WorldState::new(World::default(), 1, 1_000_000)
    }

    const NOW: i64 = 1_000_000;

    #[test]
    fn the_default_image_is_free_and_an_update_locks_it_while_running() {
        let mut s = state();
        assert_eq!(s.lock(ImageId(1), NOW), None);
        let job = s
            .create_update(AccountServiceId(1), ImageId(1), MachineId(1), None, NOW)
            .unwrap();
        let id = UpdateId(job["updateid"].as_u64().unwrap());
        assert_eq!(s.lock(ImageId(1), NOW), Some(ImageLock::Update(id)));
        let again = s.create_update(AccountServiceId(1), ImageId(1), MachineId(1), None, NOW);
        assert_eq!(
            again.unwrap_err(),
            DiffRefusal::Envelope(1, format!("image locked by updateid: {id}"))
        );
        // Long after, complete: still locked (for its diff), but a diff may
        // be made, which takes the lock.
        let later = NOW + 10_000;
        let st = s.update_status(AccountServiceId(1), id, later).unwrap();
        assert_eq!(st["jobstatename"], "Completed");
        assert_eq!(s.lock(ImageId(1), later), Some(ImageLock::Update(id)));
        assert!(s.check_diff_lock(ImageId(1), later).is_ok());
    }

    #[test]
    fn a_machine_in_sync_finds_no_changes_until_an_update_completes() {
        let mut s = state();
        s.patch.in_sync.insert((ImageId(1), MachineId(1)), NOW);
        assert!(s.finds_no_changes(ImageId(1), MachineId(1), NOW + 1));
        s.create_update(AccountServiceId(1), ImageId(1), MachineId(1), None, NOW + 1)
            .unwrap();
        assert!(s.finds_no_changes(ImageId(1), MachineId(1), NOW + 2));
        assert!(!s.finds_no_changes(ImageId(1), MachineId(1), NOW + 10_000));
    }

    #[test]
    fn a_switch_moves_max_machines_per_step_and_stops_at_its_deadline() {
        let r = SwitchRecord {
            requested: 0,
            profile: ProfileId(12),
            servers: 25,
            max_machines: Some(10),
            timeout: 1000,
        };
        assert_eq!(r.at(10, 5), ("pending", 0, 25));
        assert_eq!(r.at(10, 10), ("processing", 10, 15));
        assert_eq!(r.at(10, 20), ("processing", 20, 5));
        assert_eq!(r.at(10, 30), ("complete", 25, 0));
        let short = SwitchRecord { timeout: 15, ..r };
        assert_eq!(short.at(10, 100), ("complete", 10, 15));
    }
}
