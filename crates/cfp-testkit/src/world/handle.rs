//! The public handle to the running world: what tests and `cfp-sim` use
//! to change it, and to read it as the API would answer.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use cfp_model::{
    ApplicationInstanceId, DiffId, DiffStatus, FleetId, ImageId, ImageStatus, JobState, MachineId,
    RegionId, Task, TaskBatch, TaskBatchId, TaskId,
};

use super::state::WorldState;
use super::tasks::TaskFailureRule;
use super::upload::{UploadJobSpec, UploadJobsForm};
use super::{FailedMachinesForm, Rollout, World};
use crate::clock::SimClock;

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

    /// Makes the next `n` image updates created or retried fail part-way
    /// through running, with `message` as their `joberror`.
    pub fn fail_next_updates(&self, n: usize, message: impl Into<String>) {
        let message = message.into();
        let mut s = self.write();
        s.patch
            .fail_next_updates
            .extend(std::iter::repeat_n(message, n));
    }

    /// Makes the next `n` image versions created fail while building, with
    /// `message` as their `joberror`.
    pub fn fail_next_versions(&self, n: usize, message: impl Into<String>) {
        let message = message.into();
        let mut s = self.write();
        s.patch
            .fail_next_versions
            .extend(std::iter::repeat_n(message, n));
    }

    /// Sets a fleet's active allocations (a version install without
    /// `force=1` is refused while there are any). `false` if there is no
    /// such fleet.
    pub fn set_allocations(&self, fleet: FleetId, n: u32) -> bool {
        let mut s = self.write();
        match s.world.fleets.get_mut(&fleet) {
            Some(f) => {
                f.allocations = n;
                true
            }
            None => false,
        }
    }

    /// What locks an image now, if anything (image options' `diffid` and
    /// `updateid`).
    pub fn image_lock(&self, image: ImageId) -> Option<cfp_model::ImageLock> {
        let now = self.now();
        self.read().lock(image, now)
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
