//! The running world's state: its description, the jobs and tasks created
//! so far, and the operations the routes call.

use std::collections::{BTreeMap, VecDeque};

use cfp_model::{
    AccountServiceId, CreateTaskBatch, DiffId, DiffInfo, ImageId, JobState, MachineId, Task,
    TaskApiError, TaskBatch, TaskBatchId, TaskId,
};
use serde_json::Value;

use super::World;
use super::diff::DiffRecord;
use super::patch::PatchState;
use super::rollout;
use super::tasks::{self, BatchRecord, TaskConflict, TaskRecord};
use super::upload;

/// Why a Clanforge diff call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DiffRefusal {
    /// 404: no such diff, image or machine.
    NotFound(String),
    /// 200 with the error envelope: the vendor's code and message.
    Envelope(i64, String),
}

/// The simulator's world state, behind the handle's lock. The fields the
/// handle edits are open to the `world` module; the id counters stay
/// private, so that only the methods below move them.
#[derive(Debug)]
pub(crate) struct WorldState {
    pub(crate) world: World,
    pub(crate) seed: u64,
    /// Simulated Unix seconds when the simulator started.
    pub(crate) start: i64,
    pub(super) rollout_started: BTreeMap<ImageId, i64>,
    pub(super) diffs: BTreeMap<DiffId, DiffRecord>,
    pub(crate) patch: PatchState,
    next_diff: u64,
    pub(super) fail_next_diffs: VecDeque<String>,
    /// The most recent tasks, oldest first; `tasks[0]` has id `task_base`.
    pub(super) tasks: VecDeque<TaskRecord>,
    task_base: u64,
    /// The most recent batches, oldest first; `batches[0]` has id
    /// `batch_base`.
    pub(super) batches: VecDeque<BatchRecord>,
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
                        forced_failure: world
                            .failed_diffs
                            .get(&d.id)
                            .map(|m| (created + 20, m.clone())),
                        fail_when_running: None,
                        no_changes: false,
                    },
                )
            })
            .collect();
        Self {
            patch: PatchState::new(&world, start),
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

    pub(super) fn diff_for(
        &self,
        asid: AccountServiceId,
        id: DiffId,
    ) -> Result<&DiffRecord, DiffRefusal> {
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
        // A diff neither accepted nor rejected, or a running update, locks
        // the image.
        self.check_diff_lock(image, now)?;
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
            no_changes: self.finds_no_changes(image, machine, now),
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
        let install = self.current_install(image, now);
        let counts = rollout::counts(&self.world, self.seed, image, &install, now);
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
