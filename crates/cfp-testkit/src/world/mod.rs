//! The simulated world: what exists (account services, images, machines,
//! fleets, regions, game servers, task templates, ZStack images), how long
//! things take, and the rules that make some of them fail.
//!
//! [`World`] is the description a simulator starts from; [`WorldHandle`]
//! changes the running world and reads its state.

mod diff;
mod handle;
mod patch;
mod rollout;
mod state;
mod tasks;
mod upload;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

use cfp_model::task::TaskTemplateAction;
use cfp_model::{
    AccountServiceId, ApplicationInstanceId, DiffId, FleetId, GameId, ImageId, MachineId,
    ProfileId, RegionId, TaskTemplate, TaskTemplateId, UpdateId,
};

pub use handle::WorldHandle;
pub(crate) use patch::{SwitchRefusal, VersionOptions};
pub(crate) use state::DiffRefusal;
pub(crate) use tasks::{TaskConflict, parse_create};
pub use tasks::{TaskFailureRule, TaskScope};
pub use upload::{UploadJobSpec, UploadJobsForm, UploadProgress};

/// ZStack's error body (sent with HTTP 503), without a cause.
pub(crate) fn zstack_error_body(code: &str, description: &str, details: &str) -> String {
    upload::error_body(code, description, details)
}

/// How long things take, in simulated seconds.
///
/// The defaults are chosen so that at 30–60× speed (the CLI's `--sim` and
/// `cfp demo`) a diff completes in 2–5 real seconds, a task in about a
/// second and a rollout in at most 10 seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timings {
    /// A diff job stays Created (1) this long.
    pub diff_created: u64,
    /// Then Pending (2) this long.
    pub diff_pending: u64,
    /// Then Queued (3) this long.
    pub diff_queued: u64,
    /// Then Running (4) for a seed-chosen time in this range, its progress
    /// rising evenly, before it is Complete (5) or Failed (6).
    pub diff_running: RangeInclusive<u64>,
    /// Each action of a task template takes a seed-chosen time in this
    /// range (a Restart has two actions).
    pub task_action: RangeInclusive<u64>,
    /// Each machine of a rollout finishes (completed or failed) after a
    /// seed-chosen time in this range from the rollout's start.
    pub rollout_machine: RangeInclusive<u64>,
    /// An image update job runs (after the diff's Created, Pending and
    /// Queued times) for a seed-chosen time in this range.
    pub update_running: RangeInclusive<u64>,
    /// An image version job builds (after the diff's Created and Pending
    /// times) for a seed-chosen time in this range; its install follows.
    pub version_running: RangeInclusive<u64>,
    /// A profile switch stays pending this long, then switches a batch of
    /// servers (`MaxMachines`, or all) every this long.
    pub switch_step: u64,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            diff_created: 2,
            diff_pending: 3,
            diff_queued: 5,
            diff_running: 90..=150,
            task_action: 10..=30,
            rollout_machine: 30..=300,
            update_running: 60..=120,
            version_running: 20..=40,
            switch_step: 10,
        }
    }
}

/// Whether image status answers carry `failed_machines` inside fleets and
/// regions. The vendor's table requires it; its example omits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailedMachinesForm {
    /// Always present, at every level.
    Always,
    /// Present at the top level; inside fleets and regions only when not 0
    /// (the default).
    #[default]
    OmitZeroInside,
    /// Present at the top level only, as in the vendor's example.
    TopLevelOnly,
}

/// A game image (Clanforge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageSpec {
    /// Its name (diff status `image.name`).
    pub name: String,
    /// Its default update URL (image options `update_url`).
    pub update_url: Option<String>,
}

/// A fleet and the regions it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FleetSpec {
    /// Its name.
    pub name: String,
    /// The regions it spans, in order.
    pub regions: Vec<RegionId>,
    /// A reservation fleet (its servers switch profiles on request); else
    /// an allocation fleet.
    pub reservation: bool,
    /// Active allocations: a version install without `force=1` is refused
    /// while there are any.
    pub allocations: u32,
}

/// A machine: where diffs run and rollouts install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MachineSpec {
    /// Its name (diff status `machine.name`).
    pub name: String,
    /// The fleet it serves.
    pub fleet: FleetId,
    /// The region it is in.
    pub region: RegionId,
}

/// The rollout of an image's latest version over fleets.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    /// The fleets that receive the image; their machines install it.
    pub fleets: Vec<FleetId>,
    /// When it started, in Unix seconds; `None` means when the simulator
    /// starts (or, when added at run time, now).
    pub started_at: Option<i64>,
    /// The fraction of machines (0 to 1) that fail to install, chosen by
    /// the seed.
    pub failure_rate: f64,
}

impl Rollout {
    /// A rollout over `fleets`, starting with the simulator, where
    /// `failure_rate` of the machines fail.
    pub fn new(fleets: impl IntoIterator<Item = FleetId>, failure_rate: f64) -> Self {
        Self {
            fleets: fleets.into_iter().collect(),
            started_at: None,
            failure_rate,
        }
    }
}

/// A game server (task API application instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Its fleet.
    pub fleet: FleetId,
    /// Its region.
    pub region: RegionId,
    /// Its labels, `key → value`.
    pub labels: BTreeMap<String, String>,
    /// An offline game server: its tasks end 126 (done with error).
    pub offline: bool,
}

/// A diff that exists when the simulator starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingDiff {
    /// Its id.
    pub id: DiffId,
    /// The image it compares.
    pub image: ImageId,
    /// The machine it compares.
    pub machine: MachineId,
    /// Seconds before the simulator's start at which it was created (it
    /// runs on the usual timings from then).
    pub created_before_start: u64,
}

/// An image update job that exists when the simulator starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingUpdate {
    /// Its id.
    pub id: UpdateId,
    /// The image it updates.
    pub image: ImageId,
    /// The reference machine it runs on.
    pub machine: MachineId,
    /// Seconds before the simulator's start at which it was created.
    pub created_before_start: u64,
    /// It failed while running, with this `joberror`.
    pub failed: Option<String>,
}

/// The description of a simulated world.
///
/// [`World::default`] is the demo world that `cfp-sim`, the CLI's `--sim`
/// and `cfp demo` use; [`World::empty`] starts from nothing.
///
/// ```
/// use cfp_model::{FleetId, ImageId, MachineId, RegionId};
/// use cfp_testkit::world::{Rollout, World};
///
/// let world = World::empty()
///     .account_service(1)
///     .image(ImageId(5), "my-game")
///     .region(RegionId(1), "Europe West")
///     .fleet(FleetId(1), "live", [RegionId(1)])
///     .machine(MachineId(1), "m1", FleetId(1), RegionId(1))
///     .rollout(ImageId(5), Rollout::new([FleetId(1)], 0.0));
/// assert!(world.has_image(ImageId(5)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    pub(crate) account_services: BTreeSet<AccountServiceId>,
    pub(crate) game: (GameId, String),
    pub(crate) images: BTreeMap<ImageId, ImageSpec>,
    pub(crate) regions: BTreeMap<RegionId, String>,
    pub(crate) fleets: BTreeMap<FleetId, FleetSpec>,
    pub(crate) machines: BTreeMap<MachineId, MachineSpec>,
    pub(crate) rollouts: BTreeMap<ImageId, Rollout>,
    pub(crate) instances: BTreeMap<ApplicationInstanceId, Instance>,
    pub(crate) templates: Vec<TaskTemplate>,
    pub(crate) zstack_images: BTreeMap<String, (UploadJobsForm, Vec<UploadJobSpec>)>,
    pub(crate) existing_diffs: Vec<ExistingDiff>,
    pub(crate) timings: Timings,
    pub(crate) failed_machines: FailedMachinesForm,
    pub(crate) zstack_put_allowed: bool,
    pub(crate) cancel_answers_no_content: bool,
    pub(crate) extra_field: bool,
    pub(crate) hostile: bool,
    pub(crate) task_failures: Vec<TaskFailureRule>,
    pub(crate) diff_failure_rate: f64,
    pub(crate) first_diff_id: u64,
    pub(crate) max_tasks: usize,
    pub(crate) max_diffs: usize,
    pub(crate) accepted_diffs: BTreeSet<DiffId>,
    pub(crate) failed_diffs: BTreeMap<DiffId, String>,
    pub(crate) existing_updates: Vec<ExistingUpdate>,
    pub(crate) profiles: BTreeMap<ProfileId, String>,
    /// ZStack accounts: name → SHA-512 hex of the password.
    pub(crate) zstack_accounts: BTreeMap<String, String>,
    /// ZStack AccessKeys: id → secret.
    pub(crate) zstack_access_keys: BTreeMap<String, String>,
}

/// The name of the field [`World::extra_field`] adds.
pub const EXTRA_FIELD: &str = "cfpSimUnknownField";

/// The default ZStack image with a suspended upload (the vendor's example).
pub const DEMO_ZSTACK_IMAGE: &str = "ccf943310d86335bb3d2511ca8e14137";
/// A ZStack image whose upload is running (its offset grows with the clock).
pub const DEMO_ZSTACK_RUNNING_IMAGE: &str = "5f2b9c0e7d1a4b3c8e6f9a0b1c2d3e4f";
/// A ZStack image whose server writes `existingJobDetails` as a string.
pub const DEMO_ZSTACK_STRING_IMAGE: &str = "3d9a6b1f0c8e4d2a9b7c5e3f1a0d8c6b";
/// A ZStack image with no upload job.
pub const DEMO_ZSTACK_IDLE_IMAGE: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
/// A ZStack image whose details call fails in the body (HTTP 200,
/// `success: false`, an error with a cause).
pub const DEMO_ZSTACK_FAILING_IMAGE: &str = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
/// The diff that exists, complete, in the default world.
pub const DEMO_DIFF_ID: DiffId = DiffId(218_595);
/// A complete diff of image 3 nobody accepted or rejected: it locks image 3.
pub const DEMO_WAITING_DIFF_ID: DiffId = DiffId(218_590);
/// A failed diff of image 4 nobody rejected: it locks image 4.
pub const DEMO_FAILED_DIFF_ID: DiffId = DiffId(218_589);
/// A failed update of image 2 (its download failed).
pub const DEMO_FAILED_UPDATE_ID: UpdateId = UpdateId(7000);

impl World {
    /// How many tasks a world keeps by default (whole batches are forgotten,
    /// oldest first, beyond it).
    pub const DEFAULT_MAX_TASKS: usize = 1_000_000;
    /// How many diffs a world keeps by default (oldest forgotten first).
    pub const DEFAULT_MAX_DIFFS: usize = 100_000;

    /// A world with nothing in it (no account service either), the default
    /// timings and the four task templates of the default world.
    pub fn empty() -> Self {
        Self {
            account_services: BTreeSet::new(),
            game: (GameId(1), "Demo Game".into()),
            images: BTreeMap::new(),
            regions: BTreeMap::new(),
            fleets: BTreeMap::new(),
            machines: BTreeMap::new(),
            rollouts: BTreeMap::new(),
            instances: BTreeMap::new(),
            templates: default_templates(),
            zstack_images: BTreeMap::new(),
            existing_diffs: Vec::new(),
            timings: Timings::default(),
            failed_machines: FailedMachinesForm::default(),
            zstack_put_allowed: true,
            cancel_answers_no_content: false,
            extra_field: false,
            hostile: false,
            task_failures: Vec::new(),
            diff_failure_rate: 0.0,
            first_diff_id: DEMO_DIFF_ID.0 + 1,
            max_tasks: Self::DEFAULT_MAX_TASKS,
            max_diffs: Self::DEFAULT_MAX_DIFFS,
            accepted_diffs: BTreeSet::new(),
            failed_diffs: BTreeMap::new(),
            existing_updates: Vec::new(),
            profiles: BTreeMap::new(),
            zstack_accounts: BTreeMap::new(),
            zstack_access_keys: BTreeMap::new(),
        }
    }

    /// Adds an account service id the credentials may act on.
    pub fn account_service(mut self, id: u64) -> Self {
        self.account_services.insert(AccountServiceId(id));
        self
    }

    /// Sets the game the images belong to (diff status `game`).
    pub fn game(mut self, id: GameId, name: impl Into<String>) -> Self {
        self.game = (id, name.into());
        self
    }

    /// Adds a game image.
    pub fn image(mut self, id: ImageId, name: impl Into<String>) -> Self {
        self.images.insert(
            id,
            ImageSpec {
                name: name.into(),
                update_url: None,
            },
        );
        self
    }

    /// Sets an image's default update URL (image options `update_url`;
    /// update create may then leave `url` out).
    pub fn update_url(mut self, image: ImageId, url: impl Into<String>) -> Self {
        if let Some(i) = self.images.get_mut(&image) {
            i.update_url = Some(url.into());
        }
        self
    }

    /// Makes `fleet` a reservation fleet (its servers switch profiles on
    /// request) or an allocation fleet (the default).
    pub fn reservation(mut self, fleet: FleetId, yes: bool) -> Self {
        if let Some(f) = self.fleets.get_mut(&fleet) {
            f.reservation = yes;
        }
        self
    }

    /// Sets a fleet's active allocations: while there are any, a version
    /// install without `force=1` is refused.
    pub fn allocations(mut self, fleet: FleetId, n: u32) -> Self {
        if let Some(f) = self.fleets.get_mut(&fleet) {
            f.allocations = n;
        }
        self
    }

    /// Marks a diff that exists when the simulator starts as accepted (a
    /// version was made from it), so it does not lock its image.
    pub fn accepted_diff(mut self, id: DiffId) -> Self {
        self.accepted_diffs.insert(id);
        self
    }

    /// Makes a diff that exists when the simulator starts fail while
    /// running, with `message` as its `joberror`.
    pub fn failed_diff(mut self, id: DiffId, message: impl Into<String>) -> Self {
        self.failed_diffs.insert(id, message.into());
        self
    }

    /// Adds an image update job that exists when the simulator starts.
    pub fn existing_update(mut self, update: ExistingUpdate) -> Self {
        self.existing_updates.push(update);
        self
    }

    /// Adds a game server profile (the target of a profile switch).
    pub fn profile(mut self, id: ProfileId, name: impl Into<String>) -> Self {
        self.profiles.insert(id, name.into());
        self
    }

    /// Adds a ZStack account that can log in with `password`.
    pub fn zstack_account(mut self, name: impl Into<String>, password: &str) -> Self {
        self.zstack_accounts
            .insert(name.into(), crate::credentials::sha512_hex(password));
        self
    }

    /// Adds a ZStack AccessKey (its id and secret).
    pub fn zstack_access_key(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.zstack_access_keys.insert(id.into(), secret.into());
        self
    }

    /// Adds a region.
    pub fn region(mut self, id: RegionId, name: impl Into<String>) -> Self {
        self.regions.insert(id, name.into());
        self
    }

    /// Adds a fleet spanning `regions`.
    pub fn fleet(
        mut self,
        id: FleetId,
        name: impl Into<String>,
        regions: impl IntoIterator<Item = RegionId>,
    ) -> Self {
        self.fleets.insert(
            id,
            FleetSpec {
                name: name.into(),
                regions: regions.into_iter().collect(),
                reservation: false,
                allocations: 0,
            },
        );
        self
    }

    /// Adds a machine of `fleet` in `region`.
    pub fn machine(
        mut self,
        id: MachineId,
        name: impl Into<String>,
        fleet: FleetId,
        region: RegionId,
    ) -> Self {
        self.machines.insert(
            id,
            MachineSpec {
                name: name.into(),
                fleet,
                region,
            },
        );
        self
    }

    /// Rolls `image` out (replacing any earlier rollout of it).
    pub fn rollout(mut self, image: ImageId, rollout: Rollout) -> Self {
        self.rollouts.insert(image, rollout);
        self
    }

    /// Adds game servers `ids` in `fleet` and `region`, without labels.
    pub fn instances(
        mut self,
        ids: impl IntoIterator<Item = u64>,
        fleet: FleetId,
        region: RegionId,
    ) -> Self {
        for id in ids {
            self.instances.insert(
                ApplicationInstanceId(id),
                Instance {
                    fleet,
                    region,
                    labels: BTreeMap::new(),
                    offline: false,
                },
            );
        }
        self
    }

    /// Adds (or replaces) one game server.
    pub fn instance(mut self, id: ApplicationInstanceId, instance: Instance) -> Self {
        self.instances.insert(id, instance);
        self
    }

    /// Sets a label on game servers `ids` (those that exist).
    pub fn label(
        mut self,
        ids: impl IntoIterator<Item = u64>,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        let (key, value) = (key.into(), value.into());
        for id in ids {
            if let Some(i) = self.instances.get_mut(&ApplicationInstanceId(id)) {
                i.labels.insert(key.clone(), value.clone());
            }
        }
        self
    }

    /// Marks a game server offline: its tasks end 126.
    pub fn offline(mut self, id: ApplicationInstanceId) -> Self {
        if let Some(i) = self.instances.get_mut(&id) {
            i.offline = true;
        }
        self
    }

    /// Replaces the task templates.
    pub fn templates(mut self, templates: impl IntoIterator<Item = TaskTemplate>) -> Self {
        self.templates = templates.into_iter().collect();
        self
    }

    /// Adds a ZStack image and its upload jobs.
    pub fn zstack_image(
        mut self,
        id: impl Into<String>,
        form: UploadJobsForm,
        jobs: impl IntoIterator<Item = UploadJobSpec>,
    ) -> Self {
        self.zstack_images
            .insert(id.into(), (form, jobs.into_iter().collect()));
        self
    }

    /// Adds a diff that exists when the simulator starts.
    pub fn existing_diff(mut self, diff: ExistingDiff) -> Self {
        self.first_diff_id = self.first_diff_id.max(diff.id.0 + 1);
        self.existing_diffs.push(diff);
        self
    }

    /// The id the next new diff gets (later ones count up).
    pub fn first_diff_id(mut self, id: u64) -> Self {
        self.first_diff_id = id.max(1);
        self
    }

    /// Sets the timings.
    pub fn timings(mut self, timings: Timings) -> Self {
        self.timings = timings;
        self
    }

    /// Sets whether `failed_machines` appears inside fleets and regions.
    pub fn failed_machines(mut self, form: FailedMachinesForm) -> Self {
        self.failed_machines = form;
        self
    }

    /// `false` makes the documented `PUT` form of ZStack upload-job details
    /// answer 405, as a ZStack build that declares the call a `GET` does.
    pub fn zstack_put_allowed(mut self, allowed: bool) -> Self {
        self.zstack_put_allowed = allowed;
        self
    }

    /// `true` makes a task cancel answer `204 No Content` without a body,
    /// as i3D's usage guide says every DELETE does (the default answers
    /// the task in a one-element array, as the vendor's OpenAPI shows).
    pub fn cancel_answers_no_content(mut self, yes: bool) -> Self {
        self.cancel_answers_no_content = yes;
        self
    }

    /// `true` adds a field no contract knows, [`EXTRA_FIELD`], to every JSON
    /// object a successful answer carries at its top level (each element of
    /// a list): a vendor's next field, for proving that clients keep what
    /// they do not know.
    pub fn extra_field(mut self, yes: bool) -> Self {
        self.extra_field = yes;
        self
    }

    /// `true` makes the server hostile, for proving that clients print
    /// nothing dangerous: every string it sends (answers and errors) carries
    /// terminal escape sequences and the credentials it was sent, raw,
    /// base64, percent-encoded and with `/` written `\/`.
    pub fn hostile(mut self, yes: bool) -> Self {
        self.hostile = yes;
        self
    }

    /// Adds a rule that makes some tasks end 126 (done with error).
    pub fn task_failure(mut self, rule: TaskFailureRule) -> Self {
        self.task_failures.push(rule);
        self
    }

    /// The fraction (0 to 1) of new diffs that fail while running, chosen
    /// by the seed.
    pub fn diff_failure_rate(mut self, rate: f64) -> Self {
        self.diff_failure_rate = rate.clamp(0.0, 1.0);
        self
    }

    /// Keeps memory bounded in long runs: beyond `tasks` tasks, the oldest
    /// batches are forgotten whole (their ids answer 404); beyond `diffs`
    /// diffs, the oldest are forgotten.
    pub fn limits(mut self, tasks: usize, diffs: usize) -> Self {
        self.max_tasks = tasks.max(1);
        self.max_diffs = diffs.max(1);
        self
    }

    /// Whether the world has this image.
    pub fn has_image(&self, id: ImageId) -> bool {
        self.images.contains_key(&id)
    }

    /// The game servers, by id.
    pub fn instance_ids(&self) -> impl Iterator<Item = ApplicationInstanceId> + '_ {
        self.instances.keys().copied()
    }

    /// The task templates.
    pub fn task_templates(&self) -> &[TaskTemplate] {
        &self.templates
    }
}

impl Default for World {
    /// The demo world:
    ///
    /// - account service 1; game 1 "Demo Game"; images 1 `demo-server`, 2
    ///   `demo-server-beta`, 3 `demo-server-legacy` and 4
    ///   `demo-server-test`;
    /// - regions 1 Europe West, 2 North America East, 3 Asia Pacific, 4
    ///   Lab; fleet 1 `demo-fleet-eu-na` over regions 1 and 2, fleet 2
    ///   `demo-fleet-apac` over region 3, fleet 3 `demo-fleet-lab` over
    ///   region 4;
    /// - machines 1 and 2 (fleet 1, region 1), 3 (fleet 1, region 2) and 4
    ///   (fleet 2, region 3);
    /// - image 1 rolling out over fleets 1 and 2 from the start, each
    ///   machine failing with probability 0.2 as the seed decides (with the
    ///   default seed 1: machine 3 fails, the others complete, the last at
    ///   298 s); image 2 on no fleet;
    /// - diff 218595 (image 1, machine 1) complete and accepted (image 1 is
    ///   not locked); new diffs count from 218596; image 1's default update
    ///   URL is `s3://builds/demo-server/`; updates count from 7001,
    ///   versions from 5101;
    /// - diff 218590 (image 3, machine 4) complete and never accepted or
    ///   rejected, so image 3 is locked by it; diff 218589 (image 4,
    ///   machine 4) failed, so image 4 is locked by it; update 7000 (image
    ///   2, machine 3) failed ("download failed");
    /// - fleet 2 is a reservation fleet (fleet 1 an allocation fleet, no
    ///   active allocations); profiles 11 `demo-profile-v1` and 12
    ///   `demo-profile-v2`;
    /// - ZStack account `admin` with password `password`, and AccessKey
    ///   `DEMOACCESSKEYID00001` with secret `demo-access-key-secret`;
    /// - task templates 1 Restart, 2 Stop, 3 Start, 4 Update (which
    ///   requires the parameter `version`);
    /// - game servers 1–60 in fleet 1 (odd ids in region 1, even in region
    ///   2) and 61–100 in fleet 2 (region 3); 1–10 labelled `env=staging`,
    ///   the rest `env=production`; game server 101 in fleet 3 (region 4),
    ///   labelled `env=lab` and offline, so that its tasks end 126 (done
    ///   with error): the README's failure case;
    /// - ZStack image `ccf943310d86335bb3d2511ca8e14137` with a suspended
    ///   upload at offset `452984832E8` (the vendor's example), plus images
    ///   with a running upload, with jobs written as a string, with none,
    ///   and one whose call fails in a 200 body with an error chain.
    fn default() -> Self {
        let (f1, f2) = (FleetId(1), FleetId(2));
        let (r1, r2, r3) = (RegionId(1), RegionId(2), RegionId(3));
        let mut world = Self::empty()
            .account_service(1)
            .image(ImageId(1), "demo-server")
            .image(ImageId(2), "demo-server-beta")
            .region(r1, "Europe West")
            .region(r2, "North America East")
            .region(r3, "Asia Pacific")
            .region(RegionId(4), "Lab")
            .fleet(f1, "demo-fleet-eu-na", [r1, r2])
            .fleet(f2, "demo-fleet-apac", [r3])
            .fleet(FleetId(3), "demo-fleet-lab", [RegionId(4)])
            .machine(MachineId(1), "machine-1", f1, r1)
            .machine(MachineId(2), "machine-2", f1, r1)
            .machine(MachineId(3), "machine-3", f1, r2)
            .machine(MachineId(4), "machine-4", f2, r3)
            .rollout(ImageId(1), Rollout::new([f1, f2], 0.2))
            .existing_diff(ExistingDiff {
                id: DEMO_DIFF_ID,
                image: ImageId(1),
                machine: MachineId(1),
                created_before_start: 3600,
            })
            .accepted_diff(DEMO_DIFF_ID)
            .image(ImageId(3), "demo-server-legacy")
            .image(ImageId(4), "demo-server-test")
            .existing_diff(ExistingDiff {
                id: DEMO_WAITING_DIFF_ID,
                image: ImageId(3),
                machine: MachineId(4),
                created_before_start: 7200,
            })
            .existing_diff(ExistingDiff {
                id: DEMO_FAILED_DIFF_ID,
                image: ImageId(4),
                machine: MachineId(4),
                created_before_start: 7200,
            })
            .failed_diff(DEMO_FAILED_DIFF_ID, "machine 4 ran out of disk space")
            .existing_update(ExistingUpdate {
                id: DEMO_FAILED_UPDATE_ID,
                image: ImageId(2),
                machine: MachineId(3),
                created_before_start: 5400,
                failed: Some("download failed: s3://builds/demo-server-beta/ not found".into()),
            })
            .update_url(ImageId(1), "s3://builds/demo-server/")
            .reservation(f2, true)
            .profile(ProfileId(11), "demo-profile-v1")
            .profile(ProfileId(12), "demo-profile-v2")
            .zstack_account("admin", "password")
            .zstack_access_key("DEMOACCESSKEYID00001", "demo-access-key-secret")
            .zstack_image(
                DEMO_ZSTACK_IMAGE,
                UploadJobsForm::VendorExample,
                [UploadJobSpec::suspended_vendor_example()],
            )
            .zstack_image(
                DEMO_ZSTACK_RUNNING_IMAGE,
                UploadJobsForm::Array,
                [UploadJobSpec::running(
                    "8d3c1b5a7e9f4c2d8b6a4e2c0a9f7d5b",
                    DEMO_ZSTACK_RUNNING_IMAGE,
                    4 << 30,
                    16 << 20,
                )],
            )
            .zstack_image(
                DEMO_ZSTACK_STRING_IMAGE,
                UploadJobsForm::String,
                [UploadJobSpec::running(
                    "1f0e2d3c4b5a69788796a5b4c3d2e1f0",
                    DEMO_ZSTACK_STRING_IMAGE,
                    1 << 30,
                    8 << 20,
                )],
            )
            .zstack_image(DEMO_ZSTACK_IDLE_IMAGE, UploadJobsForm::Array, [])
            .zstack_image(DEMO_ZSTACK_FAILING_IMAGE, UploadJobsForm::ErrorChain, []);
        for id in 1..=100u64 {
            let (fleet, region) = match id {
                1..=60 if !id.is_multiple_of(2) => (f1, r1),
                1..=60 => (f1, r2),
                _ => (f2, r3),
            };
            world = world.instances([id], fleet, region);
        }
        world
            .instances([101], FleetId(3), RegionId(4))
            .offline(ApplicationInstanceId(101))
            .label(1..=10, "env", "staging")
            .label(11..=100, "env", "production")
            .label([101], "env", "lab")
    }
}

/// The four templates of the default world, with their actions.
fn default_templates() -> Vec<TaskTemplate> {
    let action = |idx: u32, t: &str, params: &[&str]| TaskTemplateAction {
        idx,
        action_type: t.into(),
        required_params: params.iter().map(|p| (*p).to_owned()).collect(),
    };
    let template = |id: u64, name: &str, description: &str, actions| TaskTemplate {
        id: TaskTemplateId(id),
        name: name.into(),
        description: description.into(),
        actions,
    };
    vec![
        template(
            1,
            "Restart",
            "Restart the game server",
            vec![action(0, "stop", &[]), action(1, "start", &[])],
        ),
        template(
            2,
            "Stop",
            "Stop the game server",
            vec![action(0, "stop", &[])],
        ),
        template(
            3,
            "Start",
            "Start the game server",
            vec![action(0, "start", &[])],
        ),
        template(
            4,
            "Update",
            "Stop the game server, install a new build and start it again",
            vec![
                action(0, "stop", &[]),
                action(1, "update", &["version"]),
                action(2, "start", &[]),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_world_matches_its_documentation() {
        let w = World::default();
        assert_eq!(w.account_services.len(), 1);
        assert_eq!(w.images.len(), 4);
        assert_eq!(w.machines.len(), 4);
        assert_eq!(w.fleets.len(), 3);
        assert_eq!(w.regions.len(), 4);
        assert_eq!(w.instances.len(), 101);
        let offline: Vec<_> = w.instances.iter().filter(|(_, i)| i.offline).collect();
        assert_eq!(offline.len(), 1);
        assert_eq!(*offline[0].0, ApplicationInstanceId(101));
        assert_eq!(offline[0].1.fleet, FleetId(3));
        let names: Vec<_> = w.templates.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Restart", "Stop", "Start", "Update"]);
        assert_eq!(
            w.instances
                .values()
                .filter(|i| i.labels.get("env").map(String::as_str) == Some("staging"))
                .count(),
            10
        );
        assert_eq!(w.first_diff_id, 218_596);
    }
}
