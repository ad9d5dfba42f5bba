//! Every operation of the contract through `cfp_api::Client`, as a user
//! calls it, against the simulator's state machines.

use std::time::Duration;

use cfp_api::model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, DiffId, FleetId, ImageId, JobState,
    MachineId, OperationId, TaskBatchId, TaskId, TaskResultCode, TaskTemplateId, ZStackImageId,
};
use cfp_api::params::{
    CreateImageDiffParams, GetImageDiffStatusParams, GetImageStatusParams,
    GetUploadJobDetailsParams,
};
use cfp_api::{Call, Client, Error, ServiceError};
use cfp_testkit::examples;
use cfp_testkit::world::{DEMO_DIFF_ID, DEMO_ZSTACK_FAILING_IMAGE, DEMO_ZSTACK_IMAGE};

use crate::api_support::{Api, sim_builder};

const ASID: AccountServiceId = AccountServiceId(1);

fn new_diff(c: &Client, image: u64, machine: u64) -> Call<CreateImageDiffParams> {
    c.clanforge(ASID)
        .create_image_diff(ImageId(image), MachineId(machine))
}

fn diff_status(c: &Client, id: DiffId, info: bool) -> Call<GetImageDiffStatusParams> {
    c.clanforge(ASID).get_image_diff_status(id).info(info)
}

fn image_status(c: &Client, image: u64, detail: bool) -> Call<GetImageStatusParams> {
    c.clanforge(ASID)
        .get_image_status(ImageId(image))
        .detail(detail)
}

fn upload(c: &Client, image: &str) -> Call<GetUploadJobDetailsParams> {
    c.get_upload_job_details(ZStackImageId::new(image).unwrap())
}

/// Pending or in progress: not paused, not ended.
fn running(code: TaskResultCode) -> bool {
    matches!(code, TaskResultCode::Pending | TaskResultCode::InProgress)
}

fn clanforge_code(e: &Error) -> Option<i64> {
    match e.service_error() {
        Some(ServiceError::Clanforge(c)) => c.error_code,
        _ => None,
    }
}

/// The table of examples in the contract's order against a fresh default
/// world, each through the client's generic `send_any` (the typed methods
/// are the other tests').
#[tokio::test]
async fn every_operation_of_the_contract_is_reached_through_the_client() {
    let api = Api::start().await;
    for example in examples::all() {
        api.client
            .send_any(example.params.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", example.name()));
    }
    let journal = api.sim.journal();
    for example in examples::all() {
        let op = example.operation;
        let sent = journal.entries_for(op);
        assert_eq!(sent.len(), 1, "{op} is sent once");
        assert_eq!(sent[0].status, example.status, "{op}");
    }
}

#[tokio::test]
async fn a_new_diff_moves_from_created_to_complete_as_simulated_time_passes() {
    let api = Api::start().await;
    let c = &api.client;
    let job = new_diff(c, 1, 2).send().await.unwrap();
    assert_eq!(job.state(), JobState::Created);
    assert!(job.diff_id > DEMO_DIFF_ID);

    api.sim.clock().advance(Duration::from_secs(30));
    let running = diff_status(c, job.diff_id, false).send().await.unwrap();
    assert_eq!(running.job.state(), JobState::Running);
    assert!(running.job.eta.is_some(), "a running job has an ETA");
    assert!(running.game.is_none(), "no info unless asked");

    api.sim.clock().advance(Duration::from_secs(600));
    let done = diff_status(c, job.diff_id, true)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.job.state(), JobState::Complete);
    assert_eq!(done.job.percent(), 100);
    assert_eq!(done.machine.unwrap().machine_id, Some(MachineId(2)));
    assert_eq!(done.image.unwrap().image_id, Some(ImageId(1)));
    assert!(done.game.is_some());
}

#[tokio::test]
async fn create_with_a_diff_id_retries_that_diff() {
    let api = Api::start().await;
    let job = new_diff(&api.client, 1, 1)
        .diff_id(DEMO_DIFF_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(job.diff_id, DEMO_DIFF_ID);
    assert_eq!(job.state(), JobState::Created);
    let sent = api.sim.journal().last().unwrap();
    assert!(sent.query.unwrap().contains("diffid=218595"));
}

#[tokio::test]
async fn retry_recalculates_a_complete_diff_and_refuses_a_running_one() {
    let api = Api::start().await;
    let c = &api.client;
    let retry = c.clanforge(ASID).retry_image_diff(DEMO_DIFF_ID);
    let job = retry.clone().send().await.unwrap();
    assert_eq!(job.state(), JobState::Created);
    // Now it runs again: Clanforge refuses in a 200 body (error code 2).
    let e = retry.send().await.unwrap_err();
    assert_eq!(e.status(), Some(200), "{e}");
    assert_eq!(clanforge_code(&e), Some(2), "{e}");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn a_second_diff_of_a_busy_image_and_machine_is_refused_as_locked() {
    let api = Api::start().await;
    let first = new_diff(&api.client, 1, 3).send().await.unwrap();
    let e = new_diff(&api.client, 1, 3).send().await.unwrap_err();
    assert_eq!(clanforge_code(&e), Some(1), "{e}");
    assert!(
        e.to_string()
            .contains(&format!("image locked by diffid: {}", first.diff_id)),
        "{e}"
    );
}

#[tokio::test]
async fn image_status_counts_the_rollout_per_fleet_and_region() {
    let api = Api::start().await;
    let c = &api.client;
    let start = image_status(c, 1, true).send().await.unwrap();
    assert_eq!(start.pending_machines, 4);
    let fleets = start.fleets.as_ref().expect("detail gives fleets");
    assert_eq!(fleets.len(), 2);
    assert!(
        image_status(c, 1, false)
            .send()
            .await
            .unwrap()
            .fleets
            .is_none()
    );

    api.sim.clock().advance(Duration::from_secs(3600));
    let end = image_status(c, 1, true).send().await.unwrap();
    assert_eq!(end.pending_machines, 0);
    // Seed 1: machine 3 fails, the other three complete.
    assert_eq!(end.failed_machines, Some(1));
    assert_eq!(end.completed_machines, 3);
    // Image 2 is on no fleet: an empty map sent as `[]` decodes.
    let idle = image_status(c, 2, true).send().await.unwrap();
    assert_eq!(idle.pending_machines, 0);
}

#[tokio::test]
async fn the_four_default_templates_are_listed_with_their_actions() {
    let api = Api::start().await;
    let templates = api.client.list_task_templates().send().await.unwrap();
    let names: Vec<_> = templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Restart", "Stop", "Start", "Update"]);
    assert_eq!(templates[3].required_params(), ["version"]);
}

#[tokio::test]
async fn a_fleet_batch_is_one_task_per_game_server_and_is_listed() {
    let api = Api::start().await;
    let c = &api.client;
    let batch = c
        .create_task_batch(CreateTaskBatch::for_fleet(TaskTemplateId(1), FleetId(2)))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.num_tasks, 40, "fleet 2 holds game servers 61-100");
    assert_eq!(batch.task_ids.len(), 40);

    let read = c.get_task_batch(batch.id).send().await.unwrap();
    assert_eq!(read.id, batch.id);
    let batches = c.list_task_batches().send().await.unwrap();
    assert_eq!(batches[0].id, batch.id);
    let tasks = c.list_tasks().send().await.unwrap();
    assert_eq!(tasks.len(), 40);
    let task = c.get_task(batch.task_ids[0]).send().await.unwrap();
    assert_eq!(task.batch_id, batch.id);
    assert!(running(task.result_code), "{}", task.result_code);
    assert_eq!(api.sim.journal().count(OperationId::CreateTaskBatch), 1);
}

#[tokio::test]
async fn a_batch_the_service_refuses_is_a_422_naming_the_property() {
    let api = Api::start().await;
    // Update requires the parameter `version`; only the service knows.
    let e = api
        .client
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(4),
            [ApplicationInstanceId(5)],
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(422), "{e}");
    match e.service_error() {
        Some(ServiceError::Task(t)) => {
            assert!(
                t.errors.iter().any(|d| d.property == "taskActionParam"),
                "{t:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(api.sim.world().batch_count(), 0);
}

#[tokio::test]
async fn invalid_input_is_refused_before_anything_is_sent() {
    let api = Api::start().await;
    let no_target = CreateTaskBatch::for_instances(TaskTemplateId(1), []);
    let e = api
        .client
        .create_task_batch(no_target.clone())
        .send()
        .await
        .unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    let twice = CreateTaskBatch::for_instances(
        TaskTemplateId(1),
        [ApplicationInstanceId(3), ApplicationInstanceId(3)],
    );
    let e = api
        .client
        .create_task_batch(twice.clone())
        .send()
        .await
        .unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert_eq!(api.sim.journal().total(), 0);
}

#[tokio::test]
async fn cancel_ends_a_task_and_a_second_cancel_is_a_success() {
    let api = Api::start().await;
    let c = &api.client;
    let batch = c
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(7)],
        ))
        .send()
        .await
        .unwrap();
    let task = c.cancel_task(batch.task_ids[0]).send().await.unwrap();
    assert_eq!(task.result_code, TaskResultCode::Cancelled);
    // The server answers the second DELETE with 409; the task is read again
    // and, being cancelled, the cancel is a success.
    let again = c.cancel_task(batch.task_ids[0]).send().await.unwrap();
    assert_eq!(again.result_code, TaskResultCode::Cancelled);
    let j = api.sim.journal();
    assert_eq!(j.entries_for(OperationId::CancelTask)[1].status, 409);
    assert_eq!(
        j.count(OperationId::GetTask),
        1,
        "one re-read after the 409"
    );
    let read = c.get_task_batch(batch.id).send().await.unwrap();
    assert_eq!(read.num_tasks_cancelled, 1);
}

#[tokio::test]
async fn a_cancel_answered_204_reads_the_task_once() {
    let api = Api::start().await;
    api.sim.world().set_cancel_answers_no_content(true);
    let c = &api.client;
    let batch = c
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(9)],
        ))
        .send()
        .await
        .unwrap();
    let task = c.cancel_task(batch.task_ids[0]).send().await.unwrap();
    assert_eq!(task.result_code, TaskResultCode::Cancelled);
    let j = api.sim.journal();
    assert_eq!(j.entries_for(OperationId::CancelTask)[0].status, 204);
    assert_eq!(j.count(OperationId::GetTask), 1);
}

#[tokio::test]
async fn a_task_that_cannot_be_cancelled_stays_a_conflict() {
    let api = Api::start().await;
    let c = &api.client;
    let batch = c
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(10)],
        ))
        .send()
        .await
        .unwrap();
    // Let the task finish; a finished task cannot be cancelled.
    api.sim
        .clock()
        .advance(std::time::Duration::from_secs(3600));
    let e = c.cancel_task(batch.task_ids[0]).send().await.unwrap_err();
    assert!(e.is_conflict(), "{e}");
}

#[tokio::test]
async fn the_raw_toggle_pauses_and_then_resumes() {
    let api = Api::start().await;
    let c = &api.client;
    let batch = c
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(8)],
        ))
        .send()
        .await
        .unwrap();
    let id = batch.task_ids[0];
    assert_eq!(
        c.toggle_task_pause(id).send().await.unwrap().result_code,
        TaskResultCode::Paused
    );
    assert!(running(
        c.toggle_task_pause(id).send().await.unwrap().result_code
    ));
    assert_eq!(api.sim.journal().count(OperationId::ToggleTaskPause), 2);
}

#[tokio::test]
async fn upload_job_details_reads_the_vendor_example_exactly() {
    let api = Api::start().await;
    let details = upload(&api.client, DEMO_ZSTACK_IMAGE).send().await.unwrap();
    let job = &details.existing_job_details[0];
    assert!(job.is_suspended());
    assert_eq!(job.offset.unwrap().0, 45_298_483_200_000_000);
    assert_eq!(api.sim.journal().last().unwrap().method, "PUT");
}

#[tokio::test]
async fn a_zstack_failure_is_a_final_503_service_error_with_its_whole_chain() {
    let api = Api::start().await;
    let e = upload(&api.client, DEMO_ZSTACK_FAILING_IMAGE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(!e.is_retryable(), "{e}");
    match e.service_error() {
        Some(ServiceError::ZStack(z)) => assert_eq!(z.chain().count(), 4, "{z:?}"),
        other => panic!("{other:?}"),
    }
    // ZStack's 503 is its final answer: sent once, not retried.
    assert_eq!(api.sim.journal().count(OperationId::GetUploadJobDetails), 1);
    assert!(e.to_string().contains("HOST.1001"), "{e}");
}

#[tokio::test]
async fn an_upload_id_that_matches_no_job_is_no_upload_jobs() {
    let api = Api::start().await;
    let d = upload(&api.client, "no-such-upload").send().await.unwrap();
    assert!(d.existing_job_details.is_empty());
}

#[tokio::test]
async fn a_405_on_the_put_form_falls_back_to_get_once_and_remembers() {
    let api = Api::with(sim_builder()).await;
    api.sim.world().set_zstack_put_allowed(false);
    for _ in 0..3 {
        let d = upload(&api.client, DEMO_ZSTACK_IMAGE).send().await.unwrap();
        assert_eq!(d.existing_job_details.len(), 1);
    }
    let j = api.sim.journal();
    assert_eq!(j.count(OperationId::GetUploadJobDetails), 1, "one PUT, 405");
    assert_eq!(j.count(OperationId::GetUploadJobDetailsByQuery), 3);
    assert_eq!(
        j.entries_for(OperationId::GetUploadJobDetails)[0].status,
        405
    );
    // Clones share what the client learned.
    let clone = api.client.clone();
    upload(&clone, DEMO_ZSTACK_IMAGE).send().await.unwrap();
    assert_eq!(j.count(OperationId::GetUploadJobDetails), 1);
}

#[tokio::test]
async fn unknown_ids_are_not_found_on_every_surface() {
    let api = Api::start().await;
    let c = &api.client;
    let errors = [
        diff_status(c, DiffId(99_999), false)
            .send()
            .await
            .map(drop)
            .unwrap_err(),
        image_status(c, 99, false)
            .send()
            .await
            .map(drop)
            .unwrap_err(),
        c.get_task(TaskId(99_999))
            .send()
            .await
            .map(drop)
            .unwrap_err(),
        c.get_task_batch(TaskBatchId(99_999))
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    ];
    for e in &errors {
        assert!(e.is_not_found(), "{e}");
        assert!(!e.is_retryable(), "{e}");
    }
    // A 404 is not retried.
    assert_eq!(api.sim.journal().total(), 4);
}

#[tokio::test]
async fn refused_credentials_are_auth_errors_on_every_surface_and_not_retried() {
    let api = Api::start().await;
    let wrong = api.client(|b| {
        b.clanforge_credentials("wrong-key", "wrong-secret")
            .task_token("wrong-token")
            .zstack_session("wrong-session")
    });
    let errors = [
        (
            image_status(&wrong, 1, false)
                .send()
                .await
                .map(drop)
                .unwrap_err(),
            401,
        ),
        (wrong.list_tasks().send().await.map(drop).unwrap_err(), 403),
        // ZStack finds an unknown session when the call runs: a failed call,
        // 503 with ID.1001.
        (
            upload(&wrong, DEMO_ZSTACK_IMAGE)
                .send()
                .await
                .map(drop)
                .unwrap_err(),
            503,
        ),
    ];
    for (e, status) in &errors {
        assert!(e.is_auth(), "{e}");
        assert_eq!(e.status(), Some(*status), "{e}");
    }
    assert_eq!(api.sim.journal().total(), 3);
}
