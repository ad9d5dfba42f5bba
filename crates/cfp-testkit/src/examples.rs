//! One example call per operation of the contract, against the default
//! world ([`World::default`](crate::World)): the one table that drives every
//! suite that goes over all operations (the contract sweep, the client's
//! end-to-end sweep, the fault matrix, the soak, the trace of secrets).
//!
//! [`example`] is an exhaustive `match` over [`OperationId`]: an operation
//! added to `docs/openapi.yaml` (and so to the generated table) does not
//! compile until it has its example here, and every suite that iterates
//! [`OperationId::ALL`] then covers it.
//!
//! Run in the order of [`OperationId::ALL`] against a fresh default world
//! (any seed; a manual clock, or one slow enough that task 1, which runs
//! 10–30 simulated seconds, has not ended before it is toggled and
//! cancelled), every example succeeds with its [`status`](Example::status):
//!
//! | operation | the call |
//! |---|---|
//! | `createImageDiff` | a new diff of image 1 on machine 2 (it locks image 1) |
//! | `retryImageDiff` | retries diff 218595 (complete) |
//! | `getImageDiffStatus` | diff 218595, with `diff_info=1` |
//! | `getImageStatus` | image 1, with `detail=true` |
//! | `createImageUpdate` | a new update of image 2 on machine 3, from an `s3://` URL: update 7001 |
//! | `getImageUpdateStatus` | update 7001 |
//! | `retryImageUpdate` | retries update 7000 (failed) |
//! | `rejectImageDiff` | rejects diff 218589 (failed; it locked image 4), without reinstall |
//! | `createImageVersion` | accepts diff 218590 (complete; it locked image 3), restarting, installing `NOW()`: version 5101 |
//! | `getImageVersionStatus` | version 5101 |
//! | `getImageInstallStatus` | the installs of account service 1 |
//! | `getImageOptions` | game 1, image 1 |
//! | `getFleetProfileSwitch`, `switchFleetProfile` | reservation fleet 2 (not requested yet), then its switch to profile 12 within 2h, 10 at a time |
//! | `listTaskTemplates`, `listTasks`, `listTaskBatches` | the lists |
//! | `createTaskBatch` | template 2 (Stop) on game server 1: batch 1 with task 1 |
//! | `getTask`, `toggleTaskPause`, `cancelTask` | task 1 (read, paused, then cancelled) |
//! | `getTaskBatch` | batch 1 |
//! | `getUploadJobDetailsByQuery`, `getUploadJobDetails` | the suspended upload of ZStack image `ccf943310d86335bb3d2511ca8e14137`, with the system tag `resumable::true` |
//! | `logInByAccount` | account `admin`, password `password` |
//! | `logOut` | a session (ending one that is over changes nothing) |
//! | `validateSession` | a session that is not open: not valid (a success) |
//!
//! A suite that gives each call its own resource, or spreads calls over
//! many, keeps the call and changes its [`Subject`] with [`Example::on`].
//! Whether an operation may be repeated is the contract's
//! ([`OperationSpec::retry`](cfp_model::OperationSpec::retry)), not this
//! table's.
//!
//! ```
//! use cfp_model::params::AnyParams;
//! use cfp_model::{ImageId, OperationId};
//! use cfp_testkit::examples::{self, Subject};
//!
//! let create = examples::example(OperationId::CreateImageDiff);
//! assert_eq!(create.name(), "createImageDiff");
//! assert!(create.changes_state);
//! assert_eq!(
//!     create.params.target().unwrap(),
//!     "/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=2"
//! );
//! // The same call on an image of its own (a diff locks its image).
//! let own = create.on(Subject::Image(ImageId(4))).unwrap();
//! assert!(own.target().unwrap().contains("imageid=4"));
//!
//! for op in OperationId::ALL {
//!     assert_eq!(examples::example(op).params.operation(), op);
//! }
//! ```

use cfp_model::params::{
    AnyParams, CancelTaskParams, CreateImageDiffParams, CreateImageUpdateParams,
    CreateImageVersionParams, CreateTaskBatchParams, GetFleetProfileSwitchParams,
    GetImageDiffStatusParams, GetImageInstallStatusParams, GetImageOptionsParams,
    GetImageStatusParams, GetImageUpdateStatusParams, GetImageVersionStatusParams,
    GetTaskBatchParams, GetTaskParams, GetUploadJobDetailsByQueryParams, GetUploadJobDetailsParams,
    ListTaskBatchesParams, ListTaskTemplatesParams, ListTasksParams, LogInByAccountParams,
    LogOutParams, RejectImageDiffParams, RetryImageDiffParams, RetryImageUpdateParams,
    SwitchFleetProfileParams, ToggleTaskPauseParams, ValidateSessionParams,
};
use cfp_model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, DiffId, FleetId, GameId, ImageId,
    ImageVersionId, InstallAt, LogInByAccount, MachineId, OperationId, ProfileId, SwitchProfile,
    TaskBatchId, TaskId, TaskTemplateId, UpdateId, UpdateUrl, UploadJobDetailsBody, ZStackImageId,
    ZStackSession,
};

use crate::world::{
    DEMO_DIFF_ID, DEMO_FAILED_DIFF_ID, DEMO_FAILED_UPDATE_ID, DEMO_WAITING_DIFF_ID,
    DEMO_ZSTACK_IMAGE,
};

/// The default world's account service.
pub const ACCOUNT_SERVICE: AccountServiceId = AccountServiceId(1);
/// The batch the `createTaskBatch` example creates in a fresh world.
pub const EXAMPLE_BATCH: TaskBatchId = TaskBatchId(1);
/// The task of [`EXAMPLE_BATCH`].
pub const EXAMPLE_TASK: TaskId = TaskId(1);
/// The system tag the ZStack examples send.
pub const EXAMPLE_SYSTEM_TAG: &str = "resumable::true";
/// The update the `createImageUpdate` example creates in a fresh world.
pub const EXAMPLE_UPDATE: UpdateId = UpdateId(7001);
/// The version the `createImageVersion` example creates in a fresh world.
pub const EXAMPLE_VERSION: ImageVersionId = ImageVersionId(5101);
/// The reservation fleet of the profile switch examples.
pub const EXAMPLE_FLEET: FleetId = FleetId(2);
/// The update URL of the `createImageUpdate` example: obviously fake
/// storage credentials, which must never reach any output.
pub const EXAMPLE_UPDATE_URL: &str = "s3://AKIAEXAMPLE-DO-NOT-USE:s3-secret-DO-NOT-USE@builds/demo-server-beta/1.4.2/?region=eu-west-1";
/// The session the `logOut` example ends.
pub const EXAMPLE_SESSION: &str = "3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d";

/// An example call of one operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Example {
    /// The operation.
    pub operation: OperationId,
    /// The call's parameters.
    pub params: AnyParams,
    /// What the call is about: the id [`Example::on`] changes.
    pub subject: Subject,
    /// Whether the call changes the world (starts a job, creates a batch,
    /// pauses or cancels a task); a read does not.
    pub changes_state: bool,
    /// The example that must have run before in the same world, for a
    /// call about what it creates (task 1 and batch 1 of `createTaskBatch`).
    /// It comes earlier in [`OperationId::ALL`].
    pub needs: Option<OperationId>,
    /// The HTTP status of its success in the default world.
    pub status: u16,
}

/// What an example's call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// Nothing of its own (a list, image 1's rollout, a ZStack image's
    /// uploads): any number of calls can share it.
    Shared,
    /// The image a new diff or update is of: a diff locks its image until
    /// it is accepted or rejected, an update while it runs, so a second one
    /// is refused ("image locked by diffid: N").
    Image(ImageId),
    /// A diff (to retry or reject it, it must be complete or failed; to
    /// accept it, complete and neither accepted nor rejected).
    Diff(DiffId),
    /// An image update (to retry it, it must have failed).
    Update(UpdateId),
    /// An image version.
    Version(ImageVersionId),
    /// A reservation fleet (its profile switch).
    Fleet(FleetId),
    /// The game server a new batch runs its one task on.
    Instance(ApplicationInstanceId),
    /// A task (to toggle or cancel it, it must not have ended).
    Task(TaskId),
    /// A task batch.
    Batch(TaskBatchId),
}

impl Example {
    fn new(operation: OperationId, params: AnyParams, subject: Subject) -> Self {
        Self {
            operation,
            params,
            subject,
            changes_state: false,
            needs: None,
            status: 200,
        }
    }

    fn changing(mut self) -> Self {
        self.changes_state = true;
        self
    }

    fn after(mut self, op: OperationId) -> Self {
        self.needs = Some(op);
        self
    }

    /// The operation's `operationId` (`createImageDiff`).
    pub fn name(&self) -> &'static str {
        self.operation.name()
    }

    /// The same call about `subject` instead: `None` when the call is not
    /// about that kind of subject (a task's call cannot be about a machine;
    /// a call about nothing of its own only about [`Subject::Shared`]).
    pub fn on(&self, subject: Subject) -> Option<AnyParams> {
        let mut params = self.params.clone();
        match &mut params {
            AnyParams::CreateImageDiff(p) => p.image_id = image(subject)?,
            AnyParams::CreateImageUpdate(p) => p.image_id = image(subject)?,
            AnyParams::GetImageUpdateStatus(p) => {
                let Subject::Update(id) = subject else {
                    return None;
                };
                p.update_id = id;
            }
            AnyParams::RetryImageUpdate(p) => {
                let Subject::Update(id) = subject else {
                    return None;
                };
                p.update_id = id;
            }
            AnyParams::RejectImageDiff(p) => p.diff_id = diff(subject)?,
            AnyParams::CreateImageVersion(p) => p.diff_id = diff(subject)?,
            AnyParams::GetImageVersionStatus(p) => {
                let Subject::Version(id) = subject else {
                    return None;
                };
                p.version_id = id;
            }
            AnyParams::SwitchFleetProfile(p) => p.fleet_id = fleet(subject)?,
            AnyParams::GetFleetProfileSwitch(p) => p.fleet_id = fleet(subject)?,
            AnyParams::RetryImageDiff(p) => {
                let Subject::Diff(id) = subject else {
                    return None;
                };
                p.diff_id = id;
            }
            AnyParams::GetImageDiffStatus(p) => {
                let Subject::Diff(id) = subject else {
                    return None;
                };
                p.diff_id = id;
            }
            AnyParams::CreateTaskBatch(p) => {
                let Subject::Instance(id) = subject else {
                    return None;
                };
                p.body.application_instance_ids = vec![id];
            }
            AnyParams::GetTask(p) => p.task_id = task(subject)?,
            AnyParams::ToggleTaskPause(p) => p.task_id = task(subject)?,
            AnyParams::CancelTask(p) => p.task_id = task(subject)?,
            AnyParams::GetTaskBatch(p) => {
                let Subject::Batch(id) = subject else {
                    return None;
                };
                p.task_batch_id = id;
            }
            AnyParams::GetImageStatus(_)
            | AnyParams::ListTaskTemplates(_)
            | AnyParams::ListTasks(_)
            | AnyParams::ListTaskBatches(_)
            | AnyParams::GetUploadJobDetailsByQuery(_)
            | AnyParams::GetUploadJobDetails(_)
            | AnyParams::GetImageInstallStatus(_)
            | AnyParams::GetImageOptions(_)
            | AnyParams::LogInByAccount(_)
            | AnyParams::LogOut(_)
            | AnyParams::ValidateSession(_) => {
                if subject != Subject::Shared {
                    return None;
                }
            }
        }
        Some(params)
    }
}

fn task(subject: Subject) -> Option<TaskId> {
    match subject {
        Subject::Task(id) => Some(id),
        _ => None,
    }
}

fn image(subject: Subject) -> Option<ImageId> {
    match subject {
        Subject::Image(id) => Some(id),
        _ => None,
    }
}

fn diff(subject: Subject) -> Option<DiffId> {
    match subject {
        Subject::Diff(id) => Some(id),
        _ => None,
    }
}

fn fleet(subject: Subject) -> Option<FleetId> {
    match subject {
        Subject::Fleet(id) => Some(id),
        _ => None,
    }
}

/// The example of `op`.
pub fn example(op: OperationId) -> Example {
    use OperationId as Op;
    match op {
        Op::CreateImageDiff => {
            let image = ImageId(1);
            Example::new(
                op,
                AnyParams::CreateImageDiff(CreateImageDiffParams::new(
                    ACCOUNT_SERVICE,
                    image,
                    MachineId(2),
                )),
                Subject::Image(image),
            )
            .changing()
        }
        Op::CreateImageUpdate => {
            let image = ImageId(2);
            Example::new(
                op,
                AnyParams::CreateImageUpdate(
                    CreateImageUpdateParams::new(
                        ACCOUNT_SERVICE,
                        image,
                        MachineId(3),
                        "release 1.4.2".to_owned(),
                    )
                    .url(example_update_url()),
                ),
                Subject::Image(image),
            )
            .changing()
        }
        Op::GetImageUpdateStatus => Example::new(
            op,
            AnyParams::GetImageUpdateStatus(GetImageUpdateStatusParams::new(
                EXAMPLE_UPDATE,
                ACCOUNT_SERVICE,
            )),
            Subject::Update(EXAMPLE_UPDATE),
        )
        .after(Op::CreateImageUpdate),
        Op::RetryImageUpdate => Example::new(
            op,
            AnyParams::RetryImageUpdate(RetryImageUpdateParams::new(
                DEMO_FAILED_UPDATE_ID,
                ACCOUNT_SERVICE,
            )),
            Subject::Update(DEMO_FAILED_UPDATE_ID),
        )
        .changing(),
        Op::RejectImageDiff => Example::new(
            op,
            AnyParams::RejectImageDiff(RejectImageDiffParams::new(
                DEMO_FAILED_DIFF_ID,
                ACCOUNT_SERVICE,
                false,
            )),
            Subject::Diff(DEMO_FAILED_DIFF_ID),
        )
        .changing(),
        Op::CreateImageVersion => Example::new(
            op,
            AnyParams::CreateImageVersion(
                CreateImageVersionParams::new(ACCOUNT_SERVICE, DEMO_WAITING_DIFF_ID, true)
                    .game_build("1.4.2".to_owned())
                    .install_at(InstallAt::Now),
            ),
            Subject::Diff(DEMO_WAITING_DIFF_ID),
        )
        .changing(),
        Op::GetImageVersionStatus => Example::new(
            op,
            AnyParams::GetImageVersionStatus(GetImageVersionStatusParams::new(
                EXAMPLE_VERSION,
                ACCOUNT_SERVICE,
            )),
            Subject::Version(EXAMPLE_VERSION),
        )
        .after(Op::CreateImageVersion),
        Op::GetImageInstallStatus => Example::new(
            op,
            AnyParams::GetImageInstallStatus(GetImageInstallStatusParams::new(ACCOUNT_SERVICE)),
            Subject::Shared,
        ),
        Op::GetImageOptions => Example::new(
            op,
            AnyParams::GetImageOptions(
                GetImageOptionsParams::new(ACCOUNT_SERVICE)
                    .game_id(GameId(1))
                    .image_id(ImageId(1)),
            ),
            Subject::Shared,
        ),
        Op::GetFleetProfileSwitch => Example::new(
            op,
            AnyParams::GetFleetProfileSwitch(GetFleetProfileSwitchParams::new(EXAMPLE_FLEET)),
            Subject::Fleet(EXAMPLE_FLEET),
        ),
        Op::SwitchFleetProfile => Example::new(
            op,
            AnyParams::SwitchFleetProfile(SwitchFleetProfileParams::new(
                EXAMPLE_FLEET,
                SwitchProfile::new(ProfileId(12), std::time::Duration::from_secs(7200))
                    .max_machines(10),
            )),
            Subject::Fleet(EXAMPLE_FLEET),
        )
        .changing(),
        Op::LogInByAccount => Example::new(
            op,
            AnyParams::LogInByAccount(LogInByAccountParams::new(LogInByAccount::new(
                "admin",
                // SHA-512 of "password", as ZStack's clients send it.
                "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86",
            ))),
            Subject::Shared,
        )
        .changing(),
        Op::LogOut => Example::new(
            op,
            AnyParams::LogOut(LogOutParams::new(example_session())),
            Subject::Shared,
        ),
        Op::ValidateSession => Example::new(
            op,
            AnyParams::ValidateSession(ValidateSessionParams::new(example_session())),
            Subject::Shared,
        ),
        Op::RetryImageDiff => Example::new(
            op,
            AnyParams::RetryImageDiff(RetryImageDiffParams::new(DEMO_DIFF_ID, ACCOUNT_SERVICE)),
            Subject::Diff(DEMO_DIFF_ID),
        )
        .changing(),
        Op::GetImageDiffStatus => Example::new(
            op,
            AnyParams::GetImageDiffStatus(
                GetImageDiffStatusParams::new(DEMO_DIFF_ID, ACCOUNT_SERVICE).info(true),
            ),
            Subject::Diff(DEMO_DIFF_ID),
        ),
        Op::GetImageStatus => Example::new(
            op,
            AnyParams::GetImageStatus(
                GetImageStatusParams::new(ACCOUNT_SERVICE, ImageId(1)).detail(true),
            ),
            Subject::Shared,
        ),
        Op::ListTaskTemplates => Example::new(
            op,
            AnyParams::ListTaskTemplates(ListTaskTemplatesParams::new()),
            Subject::Shared,
        ),
        Op::ListTasks => Example::new(
            op,
            AnyParams::ListTasks(ListTasksParams::new()),
            Subject::Shared,
        ),
        Op::CreateTaskBatch => {
            let instance = ApplicationInstanceId(1);
            // Stop: one action, no parameter to pass.
            let body = CreateTaskBatch::for_instances(TaskTemplateId(2), [instance]);
            Example::new(
                op,
                AnyParams::CreateTaskBatch(CreateTaskBatchParams::new(body)),
                Subject::Instance(instance),
            )
            .changing()
        }
        Op::GetTask => Example::new(
            op,
            AnyParams::GetTask(GetTaskParams::new(EXAMPLE_TASK)),
            Subject::Task(EXAMPLE_TASK),
        )
        .after(Op::CreateTaskBatch),
        Op::ToggleTaskPause => Example::new(
            op,
            AnyParams::ToggleTaskPause(ToggleTaskPauseParams::new(EXAMPLE_TASK)),
            Subject::Task(EXAMPLE_TASK),
        )
        .changing()
        .after(Op::CreateTaskBatch),
        Op::CancelTask => Example::new(
            op,
            AnyParams::CancelTask(CancelTaskParams::new(EXAMPLE_TASK)),
            Subject::Task(EXAMPLE_TASK),
        )
        .changing()
        .after(Op::CreateTaskBatch),
        Op::ListTaskBatches => Example::new(
            op,
            AnyParams::ListTaskBatches(ListTaskBatchesParams::new()),
            Subject::Shared,
        ),
        Op::GetTaskBatch => Example::new(
            op,
            AnyParams::GetTaskBatch(GetTaskBatchParams::new(EXAMPLE_BATCH)),
            Subject::Batch(EXAMPLE_BATCH),
        )
        .after(Op::CreateTaskBatch),
        Op::GetUploadJobDetailsByQuery => Example::new(
            op,
            AnyParams::GetUploadJobDetailsByQuery(
                GetUploadJobDetailsByQueryParams::new(demo_zstack_image())
                    .system_tags([EXAMPLE_SYSTEM_TAG]),
            ),
            Subject::Shared,
        ),
        Op::GetUploadJobDetails => Example::new(
            op,
            AnyParams::GetUploadJobDetails(
                GetUploadJobDetailsParams::new(demo_zstack_image()).body(UploadJobDetailsBody {
                    system_tags: vec![EXAMPLE_SYSTEM_TAG.to_owned()],
                    user_tags: Vec::new(),
                }),
            ),
            Subject::Shared,
        ),
    }
}

/// Every example, in the order of [`OperationId::ALL`].
pub fn all() -> impl Iterator<Item = Example> {
    OperationId::ALL.into_iter().map(example)
}

/// [`EXAMPLE_UPDATE_URL`] as a URL.
#[expect(
    clippy::expect_used,
    reason = "a constant that passes the URL's checks, as the unit test below shows"
)]
fn example_update_url() -> UpdateUrl {
    EXAMPLE_UPDATE_URL
        .parse()
        .expect("the example update URL is valid")
}

/// [`EXAMPLE_SESSION`] as a session.
#[expect(
    clippy::expect_used,
    reason = "a constant that passes the session's checks, as the unit test below shows"
)]
fn example_session() -> ZStackSession {
    ZStackSession::new(EXAMPLE_SESSION).expect("the example session is valid")
}

/// [`DEMO_ZSTACK_IMAGE`] as an id.
#[expect(
    clippy::expect_used,
    reason = "a constant that passes the id's checks, as the unit test below shows"
)]
fn demo_zstack_image() -> ZStackImageId {
    ZStackImageId::new(DEMO_ZSTACK_IMAGE).expect("the demo ZStack image id is valid")
}

#[cfg(test)]
mod tests {
    use cfp_model::operation::path_values;
    use percent_encoding::percent_decode_str;

    use super::*;

    #[test]
    fn the_demo_zstack_image_is_a_valid_id() {
        assert!(ZStackImageId::new(DEMO_ZSTACK_IMAGE).is_ok());
        assert_eq!(demo_zstack_image().as_str(), DEMO_ZSTACK_IMAGE);
        assert!(EXAMPLE_UPDATE_URL.parse::<UpdateUrl>().is_ok());
        assert!(ZStackSession::new(EXAMPLE_SESSION).is_ok());
    }

    #[test]
    fn every_example_is_a_call_of_its_operation_that_can_be_sent() {
        for op in OperationId::ALL {
            let e = example(op);
            assert_eq!(e.operation, op);
            assert_eq!(e.params.operation(), op);
            assert!(e.params.target().is_ok(), "{op}");
            assert_eq!(e.params.body().unwrap().is_some(), op.spec().has_body);
            assert_eq!(e.on(e.subject), Some(e.params.clone()), "{op}");
        }
    }

    #[test]
    fn an_example_reads_back_from_the_wire_as_itself() {
        for e in all() {
            let target = e.params.target().unwrap();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let values: Vec<String> = path_values(e.operation.spec().path, path)
                .unwrap()
                .into_iter()
                .map(|v| percent_decode_str(v).decode_utf8().unwrap().into_owned())
                .collect();
            let query: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
            let body = e.params.body().unwrap().unwrap_or_default();
            let read = AnyParams::from_wire(e.operation, &values, &query, &body).unwrap();
            assert_eq!(read, e.params, "{}", e.name());
        }
    }

    #[test]
    fn what_an_example_needs_comes_before_it() {
        for (i, op) in OperationId::ALL.into_iter().enumerate() {
            if let Some(first) = example(op).needs {
                let at = OperationId::ALL.iter().position(|o| *o == first).unwrap();
                assert!(at < i, "{op} needs {first}, which comes after it");
            }
        }
    }

    #[test]
    fn the_subject_changes_only_to_one_of_its_kind() {
        let get = example(OperationId::GetTask);
        let other = get.on(Subject::Task(TaskId(9))).unwrap();
        assert_eq!(other.target().unwrap(), "/v3/applicationInstance/task/9");
        assert_eq!(get.on(Subject::Batch(TaskBatchId(9))), None);
        assert_eq!(get.on(Subject::Shared), None);

        let create = example(OperationId::CreateTaskBatch);
        let AnyParams::CreateTaskBatch(p) = create
            .on(Subject::Instance(ApplicationInstanceId(77)))
            .unwrap()
        else {
            panic!("not a batch create");
        };
        assert_eq!(p.body.application_instance_ids, [ApplicationInstanceId(77)]);

        let list = example(OperationId::ListTasks);
        assert_eq!(list.on(Subject::Shared), Some(list.params.clone()));
        assert_eq!(list.on(Subject::Task(TaskId(1))), None);
    }

    #[test]
    fn the_calls_that_change_the_world_are_the_ones_the_contract_may_not_repeat_and_cancel() {
        let changing: Vec<&str> = all()
            .filter(|e| e.changes_state)
            .map(|e| e.name())
            .collect();
        assert_eq!(
            changing,
            [
                "createImageDiff",
                "retryImageDiff",
                "createImageUpdate",
                "retryImageUpdate",
                "rejectImageDiff",
                "createImageVersion",
                "switchFleetProfile",
                "createTaskBatch",
                "toggleTaskPause",
                "cancelTask",
                "logInByAccount"
            ]
        );
        for e in all() {
            if !e.operation.spec().retry.may_repeat() {
                assert!(e.changes_state, "{}", e.name());
            }
        }
    }
}
