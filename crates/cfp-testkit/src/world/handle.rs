//! The running world: its description, the jobs and tasks created so far,
//! and the operations the routes call.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use cfp_model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, DiffId, DiffInfo, DiffStatus,
    FleetId, ImageId, ImageStatus, JobState, MachineId, RegionId, Task, TaskApiError, TaskBatch,
    TaskBatchId, TaskId,
};
use serde_json::Value;

use super::diff::DiffRecord;
use super::rollout;
use super::tasks::{self, BatchRecord, TaskConflict, TaskFailureRule, TaskRecord};
use super::upload::{self, UploadJobSpec, UploadJobsForm};
use super::{FailedMachinesForm, Rollout, World};
use crate::clock::SimClock;

/// Why a Clanforge diff call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DiffRefusal {
    /// 404: no such diff, image or machine.
    NotFound(String),
    /// 200 with the error envelope: the vendor's code and message.
    Envelope(i64, String),
}

/// The simulator's world state, behind the handle's lock.
#[derive(Debug)]
pub(crate) struct WorldState {
    pub(crate) world: World,
    pub(crate) seed: u64,
    /// Simulated Unix seconds when the simulator started.
    pub(crate) start: i64,
    rollout_started: BTreeMap<ImageId, i64>,
    diffs: BTreeMap<DiffId, DiffRecord>,
    next_diff: u64,
    fail_next_diffs: VecDeque<String>,
    /// The most recent tasks, oldest first; `tasks[0]` has id `task_base`.
    tasks: VecDeque<TaskRecord>,
    task_base: u64,
    /// The most recent batches, oldest first; `batches[0]` has id
    /// `batch_base`.
    batches: VecDeque<BatchRecord>,
    batch_base: u64,
}

impl WorldState {
    pub(crate) fn new(world: World, seed: u64, start: i64) -> Self {
        let rollout_started = world
            .rollouts
            .iter()
            .map(|(image, r)| (*image, r.started_at.unwrap_or(start)))
            .collect();
        let diffs = world
            .existing_diffs
            .iter()
            .map(|d| {
                let created = start - i64::try_from(d.created_before_start).unwrap_or(0);
                (
                    d.id,
                    DiffRecord {
                        id: d.id,
                        asid: world
                            .account_services
                            .first()
                            .copied()
                            .unwrap_or(AccountServiceId(1)),
                        image: d.image,
                        machine: d.machine,
                        created,
                        attempt: 0,
                        past_failures: 0,
                        forced_failure: None,
                        fail_when_running: None,
                    },
                )
            })
            .collect();
        Self {
            next_diff: world.first_diff_id,
            world,
            seed,
            start,
            rollout_started,
            diffs,
            fail_next_diffs: VecDeque::new(),
            tasks: VecDeque::new(),
            task_base: 1,
            batches: VecDeque::new(),
            batch_base: 1,
        }
    }

    pub(crate) fn knows_asid(&self, asid: AccountServiceId) -> bool {
        self.world.account_services.contains(&asid)
    }

    // -- Clanforge ----------------------------------------------------------

    fn diff_for(&self, asid: AccountServiceId, id: DiffId) -> Result<&DiffRecord, DiffRefusal> {
        self.diffs
            .get(&id)
            .filter(|d| d.asid == asid)
            .ok_or_else(|| DiffRefusal::NotFound(format!("diff {id} not found")))
    }

    fn diff_json(&self, d: &DiffRecord, now: i64, with_success: bool) -> Value {
        let view = d.view(
            self.seed,
            &self.world.timings,
            self.world.diff_failure_rate,
            now,
        );
        d.job_json(&view, with_success, false)
    }

    /// `GET /cfp/v1/imagediff/create`.
    pub(crate) fn create_diff(
        &mut self,
        asid: AccountServiceId,
        image: ImageId,
        machine: MachineId,
        retry: Option<DiffId>,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        if let Some(id) = retry {
            return self.retry_diff(asid, id, now);
        }
        if !self.world.images.contains_key(&image) {
            return Err(DiffRefusal::NotFound(format!("image {image} not found")));
        }
        if !self.world.machines.contains_key(&machine) {
            return Err(DiffRefusal::NotFound(format!(
                "machine {machine} not found"
            )));
        }
        let (seed, timings, rate) = (self.seed, &self.world.timings, self.world.diff_failure_rate);
        if let Some(busy) = self.diffs.values().find(|d| {
            d.asid == asid
                && d.image == image
                && d.machine == machine
                && !d.view(seed, timings, rate, now).state.is_terminal()
        }) {
            return Err(DiffRefusal::Envelope(
                1,
                format!("image locked by diffid: {}", busy.id),
            ));
        }
        let id = DiffId(self.next_diff);
        self.next_diff += 1;
        let record = DiffRecord {
            id,
            asid,
            image,
            machine,
            created: now,
            attempt: 0,
            past_failures: 0,
            forced_failure: None,
            fail_when_running: self.fail_next_diffs.pop_front(),
        };
        let json = self.diff_json(&record, now, true);
        self.diffs.insert(id, record);
        // Memory stays bounded in long runs: the oldest diffs are forgotten.
        while self.diffs.len() > self.world.max_diffs {
            self.diffs.pop_first();
        }
        Ok(json)
    }

    /// `GET /cfp/v1/imagediff/{diffid}/retry` (and create with `diffid`).
    pub(crate) fn retry_diff(
        &mut self,
        asid: AccountServiceId,
        id: DiffId,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let (seed, rate) = (self.seed, self.world.diff_failure_rate);
        let timings = self.world.timings.clone();
        let record = self.diff_for(asid, id)?;
        let state = record.view(seed, &timings, rate, now).state;
        if !matches!(state, JobState::Complete | JobState::Failed) {
            return Err(DiffRefusal::Envelope(
                2,
                format!(
                    "diff {id} cannot be retried: it is {} (only a complete or failed diff can)",
                    state.name().to_lowercase()
                ),
            ));
        }
        let next_failure = self.fail_next_diffs.pop_front();
        let Some(record) = self.diffs.get_mut(&id) else {
            return Err(DiffRefusal::NotFound(format!("diff {id} not found")));
        };
        if state == JobState::Failed {
            record.past_failures += 1;
        }
        record.attempt += 1;
        record.created = now;
        record.forced_failure = None;
        record.fail_when_running = next_failure;
        let record = record.clone();
        Ok(self.diff_json(&record, now, true))
    }

    /// `GET /cfp/v1/imagediff/{diffid}/status`.
    pub(crate) fn diff_status(
        &self,
        asid: AccountServiceId,
        id: DiffId,
        info: bool,
        now: i64,
    ) -> Result<Value, DiffRefusal> {
        let d = self.diff_for(asid, id)?;
        let view = d.view(
            self.seed,
            &self.world.timings,
            self.world.diff_failure_rate,
            now,
        );
        let info = info.then(|| self.diff_info(d));
        Ok(d.status_json(&view, self.seed, info))
    }

    fn diff_info(&self, d: &DiffRecord) -> [DiffInfo; 3] {
        let (game_id, game_name) = &self.world.game;
        let game = DiffInfo {
            game_id: Some(*game_id),
            name: Some(game_name.clone()),
            ..DiffInfo::default()
        };
        let image = DiffInfo {
            image_id: Some(d.image),
            name: self.world.images.get(&d.image).map(|i| i.name.clone()),
            ..DiffInfo::default()
        };
        let mut machine = DiffInfo {
            machine_id: Some(d.machine),
            name: self.world.machines.get(&d.machine).map(|m| m.name.clone()),
            ..DiffInfo::default()
        };
        if let Some(m) = self.world.machines.get(&d.machine) {
            machine
                .other
                .insert("fleetid".into(), Value::from(m.fleet.0));
            machine
                .other
                .insert("regionid".into(), Value::from(m.region.0));
        }
        [game, image, machine]
    }

    /// The job state id of a diff, for fault rules that match on state.
    pub(crate) fn diff_state(&self, id: DiffId, now: i64) -> Option<i64> {
        let d = self.diffs.get(&id)?;
        d.view(
            self.seed,
            &self.world.timings,
            self.world.diff_failure_rate,
            now,
        )
        .state
        .id()
    }

    /// `GET /cfp/v2/project/{asid}/image/{imageid}/status`: the body, or
    /// `None` for an unknown image.
    pub(crate) fn image_status_body(
        &self,
        image: ImageId,
        detail: bool,
        now: i64,
    ) -> Option<String> {
        if !self.world.images.contains_key(&image) {
            return None;
        }
        let started = self
            .rollout_started
            .get(&image)
            .copied()
            .unwrap_or(self.start);
        let counts = rollout::counts(&self.world, self.seed, image, started, now);
        Some(rollout::status_body(&self.world, &counts, detail))
    }

    // -- Task API -------------------------------------------------------------

    /// `GET /v3/applicationInstance/task/template`.
    pub(crate) fn templates_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.world.templates).unwrap_or_else(|_| b"[]".to_vec())
    }

    /// `GET /v3/applicationInstance/task`: the last 100, newest first.
    pub(crate) fn list_tasks(&self, now: i64) -> Vec<Task> {
        self.tasks
            .iter()
            .rev()
            .take(100)
            .map(|t| t.view(now))
            .collect()
    }

    /// `POST /v3/applicationInstance/task`.
    pub(crate) fn create_batch(
        &mut self,
        req: &CreateTaskBatch,
        now: i64,
    ) -> Result<TaskBatch, TaskApiError> {
        let Some(template) = self
            .world
            .templates
            .iter()
            .find(|t| t.id == req.task_template_id)
        else {
            return Err(tasks::invalid(
                "taskTemplateId",
                format!("Task template {} does not exist", req.task_template_id),
            ));
        };
        for param in template.required_params() {
            if !req.task_action_param.iter().any(|p| p.param_name == param) {
                return Err(tasks::invalid(
                    "taskActionParam",
                    format!(
                        "Task template {} requires the parameter {param:?}",
                        template.id
                    ),
                ));
            }
        }
        let instances = tasks::select(&self.world, req)?;
        let name = template.name.clone();
        let n_actions = u64::try_from(template.actions.len()).unwrap_or(1).max(1);
        let id = TaskBatchId(self.batch_base + self.batches.len() as u64);
        let execute_at = req.execute_at.map_or(now, |t| t.as_secs().max(now));
        let new = tasks::build_tasks(
            &self.world,
            self.seed,
            &self.world.timings,
            id,
            self.task_base + self.tasks.len() as u64,
            &name,
            n_actions,
            &instances,
            now,
            execute_at,
        );
        let batch = BatchRecord {
            id,
            created: now,
            execute_at,
            tasks: new.iter().map(|t| t.id).collect(),
        };
        self.tasks.extend(new);
        self.batches.push_back(batch);
        self.forget_old_batches();
        self.batch(id, now)
            .ok_or_else(|| tasks::invalid("body", "the batch could not be created"))
    }

    /// Keeps memory bounded in long runs: drops the oldest batches, whole,
    /// with their tasks, while more than `max_tasks` tasks are kept (their
    /// ids then answer 404).
    fn forget_old_batches(&mut self) {
        while self.tasks.len() > self.world.max_tasks && self.batches.len() > 1 {
            let Some(oldest) = self.batches.pop_front() else {
                break;
            };
            self.batch_base += 1;
            for _ in 0..oldest.tasks.len() {
                self.tasks.pop_front();
                self.task_base += 1;
            }
        }
    }

    fn task_mut(&mut self, id: TaskId) -> Option<&mut TaskRecord> {
        let i = usize::try_from(id.0.checked_sub(self.task_base)?).ok()?;
        self.tasks.get_mut(i)
    }

    fn task_ref(&self, id: TaskId) -> Option<&TaskRecord> {
        let i = usize::try_from(id.0.checked_sub(self.task_base)?).ok()?;
        self.tasks.get(i)
    }

    /// `GET /v3/applicationInstance/task/{taskId}`.
    pub(crate) fn task(&self, id: TaskId, now: i64) -> Option<Task> {
        self.task_ref(id).map(|t| t.view(now))
    }

    /// The result code of a task, for fault rules that match on state.
    pub(crate) fn task_state(&self, id: TaskId, now: i64) -> Option<i64> {
        self.task_ref(id).map(|t| t.code(now).code())
    }

    /// `PUT /v3/applicationInstance/task/{taskId}`: `None` for an unknown
    /// task.
    pub(crate) fn toggle_task(
        &mut self,
        id: TaskId,
        now: i64,
    ) -> Option<Result<Task, TaskConflict>> {
        let t = self.task_mut(id)?;
        Some(t.toggle(now).map(|()| t.view(now)))
    }

    /// `DELETE /v3/applicationInstance/task/{taskId}`: `None` for an
    /// unknown task.
    pub(crate) fn cancel_task(
        &mut self,
        id: TaskId,
        now: i64,
    ) -> Option<Result<Task, TaskConflict>> {
        let t = self.task_mut(id)?;
        Some(t.cancel(now).map(|()| t.view(now)))
    }

    /// `GET /v3/applicationInstance/taskBatch`: the last 100, newest first.
    pub(crate) fn list_batches(&self, now: i64) -> Vec<TaskBatch> {
        self.batches
            .iter()
            .rev()
            .take(100)
            .filter_map(|b| self.batch(b.id, now))
            .collect()
    }

    /// `GET /v3/applicationInstance/taskBatch/{taskBatchId}`.
    pub(crate) fn batch(&self, id: TaskBatchId, now: i64) -> Option<TaskBatch> {
        let i = usize::try_from(id.0.checked_sub(self.batch_base)?).ok()?;
        let b = self.batches.get(i)?;
        Some(b.view(b.tasks.iter().filter_map(|t| self.task_ref(*t)), now))
    }

    // -- ZStack ---------------------------------------------------------------

    /// The upload-job details body of an image, `None` if it is unknown.
    /// Upload-job details: an id that matches no upload is a success with
    /// no jobs, as ZStack answers it.
    pub(crate) fn upload_details(&self, image: &str, now: i64) -> (u16, String) {
        match self.world.zstack_images.get(image) {
            Some((form, jobs)) => upload::details_body(image, jobs, *form, self.start, now),
            None => (200, upload::no_jobs_body()),
        }
    }
}

/// A handle to the running world: change it, and read its state as the API
/// would answer. Cheap to clone.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use cfp_model::{ApplicationInstanceId, RegionId};
/// use cfp_testkit::world::{TaskFailureRule, TaskScope};
/// use cfp_testkit::Simulator;
///
/// let sim = Simulator::builder().start().await?;
/// sim.world().set_instance_offline(ApplicationInstanceId(17), true);
/// sim.world().add_task_failure(TaskFailureRule::new(TaskScope::Region(RegionId(2)), 0.03));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WorldHandle {
    state: Arc<RwLock<WorldState>>,
    clock: SimClock,
    initial: Arc<World>,
}

impl WorldHandle {
    pub(crate) fn new(world: World, seed: u64, clock: SimClock) -> Self {
        let start = clock.now_secs();
        Self {
            state: Arc::new(RwLock::new(WorldState::new(world.clone(), seed, start))),
            clock,
            initial: Arc::new(world),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, WorldState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, WorldState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> i64 {
        self.clock.now_secs()
    }

    /// Changes the world's description with the [`World`] builder methods,
    /// e.g. `world.edit(|w| w.image(ImageId(9), "new-image"))`. Jobs and
    /// tasks already created are kept.
    /// A rollout added this way without a start time starts now.
    pub fn edit(&self, f: impl FnOnce(World) -> World) {
        let now = self.now();
        let mut s = self.write();
        let world = std::mem::replace(&mut s.world, World::empty());
        s.world = f(world);
        let added: Vec<_> = s
            .world
            .rollouts
            .iter()
            .filter(|(image, _)| !s.rollout_started.contains_key(image))
            .map(|(image, r)| (*image, r.started_at.unwrap_or(now)))
            .collect();
        s.rollout_started.extend(added);
    }

    /// Adds a game image.
    pub fn add_image(&self, id: ImageId, name: impl Into<String>) {
        let name = name.into();
        self.edit(|w| w.image(id, name));
    }

    /// Adds a region.
    pub fn add_region(&self, id: RegionId, name: impl Into<String>) {
        let name = name.into();
        self.edit(|w| w.region(id, name));
    }

    /// Adds a fleet spanning `regions`.
    pub fn add_fleet(&self, id: FleetId, name: impl Into<String>, regions: Vec<RegionId>) {
        let name = name.into();
        self.edit(|w| w.fleet(id, name, regions));
    }

    /// Adds a machine of `fleet` in `region`.
    pub fn add_machine(
        &self,
        id: MachineId,
        name: impl Into<String>,
        fleet: FleetId,
        region: RegionId,
    ) {
        let name = name.into();
        self.edit(|w| w.machine(id, name, fleet, region));
    }

    /// Adds game servers `ids` in `fleet` and `region`.
    pub fn add_instances(
        &self,
        ids: impl IntoIterator<Item = u64>,
        fleet: FleetId,
        region: RegionId,
    ) {
        let ids: Vec<u64> = ids.into_iter().collect();
        self.edit(|w| w.instances(ids, fleet, region));
    }

    /// Starts rolling `image` out over `fleets` now, `failure_rate` of the
    /// machines failing (chosen by the seed).
    pub fn start_rollout(&self, image: ImageId, fleets: Vec<FleetId>, failure_rate: f64) {
        let now = self.now();
        let mut s = self.write();
        s.world.rollouts.insert(
            image,
            Rollout {
                fleets,
                started_at: Some(now),
                failure_rate,
            },
        );
        s.rollout_started.insert(image, now);
    }

    /// Makes a diff fail now, with `message` as its `joberror`. `false` if
    /// there is no such diff or it has already ended.
    pub fn fail_diff(&self, id: DiffId, message: impl Into<String>) -> bool {
        let now = self.now();
        let mut s = self.write();
        if s.diff_state(id, now)
            .is_none_or(|state| JobState::from_id(state).is_none_or(|s| s.is_terminal()))
        {
            return false;
        }
        match s.diffs.get_mut(&id) {
            Some(d) => {
                d.forced_failure = Some((now, message.into()));
                true
            }
            None => false,
        }
    }

    /// Makes the next `n` diffs created or retried fail part-way through
    /// running, with `message` as their `joberror`.
    pub fn fail_next_diffs(&self, n: usize, message: impl Into<String>) {
        let message = message.into();
        let mut s = self.write();
        s.fail_next_diffs.extend(std::iter::repeat_n(message, n));
    }

    /// Takes a game server offline (or back online): tasks created for it
    /// while offline end 126. `false` if there is no such game server.
    pub fn set_instance_offline(&self, id: ApplicationInstanceId, offline: bool) -> bool {
        let mut s = self.write();
        match s.world.instances.get_mut(&id) {
            Some(i) => {
                i.offline = offline;
                true
            }
            None => false,
        }
    }

    /// Adds a partial-failure rule for new batches.
    pub fn add_task_failure(&self, rule: TaskFailureRule) {
        self.write().world.task_failures.push(rule);
    }

    /// Removes every partial-failure rule.
    pub fn clear_task_failures(&self) {
        self.write().world.task_failures.clear();
    }

    /// `false` makes ZStack's `PUT` form answer 405 (so that a client falls
    /// back to the `GET` form).
    pub fn set_zstack_put_allowed(&self, allowed: bool) {
        self.write().world.zstack_put_allowed = allowed;
    }

    /// `true` makes a task cancel answer `204 No Content` without a body
    /// (see [`World::cancel_answers_no_content`](crate::World::cancel_answers_no_content)).
    pub fn set_cancel_answers_no_content(&self, yes: bool) {
        self.write().world.cancel_answers_no_content = yes;
    }

    /// `true` adds a field no contract knows to every successful JSON answer
    /// (see [`World::extra_field`](crate::World::extra_field)).
    pub fn set_extra_field(&self, yes: bool) {
        self.write().world.extra_field = yes;
    }

    /// Adds (or replaces) a ZStack image and its upload jobs.
    pub fn add_zstack_image(
        &self,
        id: impl Into<String>,
        form: UploadJobsForm,
        jobs: Vec<UploadJobSpec>,
    ) {
        let id = id.into();
        self.edit(|w| w.zstack_image(id, form, jobs));
    }

    /// Sets whether `failed_machines` appears inside fleets and regions.
    pub fn set_failed_machines_form(&self, form: FailedMachinesForm) {
        self.write().world.failed_machines = form;
    }

    /// Back to the world the simulator started with: no diff, task or batch
    /// created since, the rollouts restarted now.
    pub fn reset(&self) {
        let now = self.now();
        let seed = self.read().seed;
        *self.write() = WorldState::new((*self.initial).clone(), seed, now);
    }

    /// A diff as its status call would answer now (without the info
    /// objects).
    pub fn diff(&self, id: DiffId) -> Option<DiffStatus> {
        let now = self.now();
        let s = self.read();
        let d = s.diffs.get(&id)?;
        let view = d.view(s.seed, &s.world.timings, s.world.diff_failure_rate, now);
        d.status(&view, s.seed)
    }

    /// An image's rollout status as the API would answer now.
    pub fn image_status(&self, image: ImageId, detail: bool) -> Option<ImageStatus> {
        let body = self.read().image_status_body(image, detail, self.now())?;
        serde_json::from_str(&body).ok()
    }

    /// A task as the API would answer now.
    pub fn task(&self, id: TaskId) -> Option<Task> {
        self.read().task(id, self.now())
    }

    /// A batch as the API would answer now.
    pub fn batch(&self, id: TaskBatchId) -> Option<TaskBatch> {
        self.read().batch(id, self.now())
    }

    /// How many tasks have been created (and are kept).
    pub fn task_count(&self) -> usize {
        self.read().tasks.len()
    }

    /// How many batches have been created (and are kept).
    pub fn batch_count(&self) -> usize {
        self.read().batches.len()
    }

    /// The world's description as it is now.
    pub fn describe(&self) -> World {
        self.read().world.clone()
    }
}
