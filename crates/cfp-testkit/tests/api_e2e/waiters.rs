//! Every waiter against the simulator's state machines, with simulated time
//! running 100 times faster than real time and a client clock that follows
//! it (ETAs, deadlines and waits are all in simulated time).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cfp_api::model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, DiffJob, FleetId, ImageId, JobState,
    MachineId, OperationId, TaskBatch, TaskResultCode, TaskTemplateId,
};
use cfp_api::{Client, FINAL_POLL_GRACE, Timeouts, WaitError, WaitEvent};
use cfp_testkit::world::{TaskFailureRule, TaskScope};
use cfp_testkit::{ClockMode, Fault, FaultRule, RetryAfter, RunningSimulator, SimTime};
use futures_util::StreamExt as _;

use crate::api_support::{client_for, sim_builder};

/// Simulated seconds per real second.
const SPEED: f64 = 100.0;
/// Long enough for anything in the default world (a rollout ends by 300 s).
const DEADLINE: Duration = Duration::from_secs(3600);
const ASID: AccountServiceId = AccountServiceId(1);

/// A simulator at [`SPEED`] and a client whose clock follows it (shared
/// with the patch waiters' tests).
pub(crate) async fn scaled() -> (RunningSimulator, Client) {
    let sim = sim_builder()
        .clock(ClockMode::Scaled(SPEED))
        .start()
        .await
        .unwrap();
    let client = client_for(&sim.base_url())
        .clock(Arc::new(SimTime::new(sim.clock().clone())))
        // In simulated time: one second of real time per attempt.
        .timeouts(
            Timeouts::default()
                .with_attempt(Duration::from_secs(100))
                .with_total(Duration::from_secs(400)),
        )
        .build()
        .unwrap();
    (sim, client)
}

async fn new_diff(client: &Client, machine: u64) -> DiffJob {
    client
        .clanforge(ASID)
        .create_image_diff(ImageId(1), MachineId(machine))
        .send()
        .await
        .unwrap()
        .into_inner()
}

async fn batch(client: &Client, request: CreateTaskBatch) -> TaskBatch {
    client
        .create_task_batch(request)
        .send()
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn wait_for_diff_reports_rising_progress_until_the_job_completes() {
    let (sim, client) = scaled().await;
    let job = new_diff(&client, 2).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let done = client
        .clanforge(ASID)
        .wait_for_diff(job.diff_id)
        .info(true)
        .on_progress(move |p| log.lock().unwrap().push(p.percent))
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(done.job.state(), JobState::Complete);
    assert!(done.machine.is_some(), "info on every poll");
    let percents: Vec<u8> = seen.lock().unwrap().iter().flatten().copied().collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert_eq!(percents.last(), Some(&100));
    // Polls follow the server's ETA: a few, not one per second.
    let polls = sim.journal().count(OperationId::GetImageDiffStatus);
    assert!(polls <= 20, "{polls} polls for a job of about two minutes");
}

#[tokio::test]
async fn wait_for_diff_ends_unsuccessfully_when_the_job_fails() {
    let (sim, client) = scaled().await;
    sim.world()
        .fail_next_diffs(1, "the machine ran out of disk");
    let job = new_diff(&client, 3).await;
    let e = client
        .clanforge(ASID)
        .wait_for_diff(job.diff_id)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful(), "{e}");
    let last = e.last().unwrap();
    assert!(last.job.has_failed());
    assert!(e.to_string().contains("out of disk"), "{e}");
}

#[tokio::test]
async fn wait_for_task_until_it_is_done() {
    let (_sim, client) = scaled().await;
    let b = batch(
        &client,
        CreateTaskBatch::for_instances(TaskTemplateId(2), [ApplicationInstanceId(9)]),
    )
    .await;
    let task = client
        .wait_for_task(b.task_ids[0])
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(task.result_code, TaskResultCode::Done);
}

#[tokio::test]
async fn wait_for_task_of_an_offline_game_server_ends_unsuccessfully() {
    let (sim, client) = scaled().await;
    sim.world()
        .set_instance_offline(ApplicationInstanceId(17), true);
    let b = batch(
        &client,
        CreateTaskBatch::for_instances(TaskTemplateId(3), [ApplicationInstanceId(17)]),
    )
    .await;
    let e = client
        .wait_for_task(b.task_ids[0])
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful(), "{e}");
    assert_eq!(e.last().unwrap().result_code, TaskResultCode::DoneWithError);
}

#[tokio::test]
async fn wait_for_batch_until_every_task_is_done_as_a_stream_of_events() {
    let (_sim, client) = scaled().await;
    let b = batch(
        &client,
        CreateTaskBatch::for_fleet(TaskTemplateId(2), FleetId(2)),
    )
    .await;
    let events: Vec<_> = client
        .wait_for_batch(b.id)
        .into_stream(DEADLINE)
        .collect()
        .await;
    let (last, progress) = events.split_last().unwrap();
    assert!(!progress.is_empty());
    assert!(progress.iter().all(|e| matches!(e, WaitEvent::Progress(_))));
    match last {
        WaitEvent::Done(Ok(done)) => {
            assert_eq!(done.num_tasks_ok, 40);
            assert!(done.is_finished());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wait_for_batch_with_failed_tasks_ends_unsuccessfully() {
    let (sim, client) = scaled().await;
    sim.world()
        .add_task_failure(TaskFailureRule::new(TaskScope::Fleet(FleetId(2)), 1.0));
    let b = batch(
        &client,
        CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(61), ApplicationInstanceId(62)],
        ),
    )
    .await;
    let e = client
        .wait_for_batch(b.id)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful(), "{e}");
    assert_eq!(e.last().unwrap().num_tasks_failed, 2);
}

#[tokio::test]
async fn wait_for_rollout_until_no_machine_is_pending_and_fail_on_failed() {
    let (_sim, client) = scaled().await;
    let ready = client
        .clanforge(ASID)
        .wait_for_rollout(ImageId(1))
        .detail(true)
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(ready.pending_machines, 0);
    // Seed 1: machine 3 fails; the rollout is ready, but not clean.
    assert_eq!(ready.failed_machines, Some(1));
    let e = client
        .clanforge(ASID)
        .wait_for_rollout(ImageId(1))
        .fail_on_failed(true)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful(), "{e}");
}

#[tokio::test]
async fn a_wait_rides_out_a_run_of_503s_longer_than_the_clients_retries() {
    let (sim, client) = scaled().await;
    let b = batch(
        &client,
        CreateTaskBatch::for_instances(TaskTemplateId(2), [ApplicationInstanceId(4)]),
    )
    .await;
    // Six 503s: more than one call's four attempts.
    sim.faults()
        .add(FaultRule::fail_next(OperationId::GetTaskBatch, 6, 503));
    let done = client.wait_for_batch(b.id).wait(DEADLINE).await.unwrap();
    assert!(done.is_finished());
    assert!(sim.journal().count(OperationId::GetTaskBatch) >= 7);
}

#[tokio::test]
async fn retry_after_is_waited_for_in_the_clients_simulated_time() {
    let (sim, client) = scaled().await;
    let b = batch(
        &client,
        CreateTaskBatch::for_instances(TaskTemplateId(2), [ApplicationInstanceId(5)]),
    )
    .await;
    sim.faults().add(
        FaultRule::new(Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(5),
        })
        .operation(OperationId::GetTask)
        .nth(2)
        .times(1),
    );
    client
        .wait_for_task(b.task_ids[0])
        .wait(DEADLINE)
        .await
        .unwrap();
    let j = sim.journal();
    assert!(
        j.entries_for(OperationId::GetTask)
            .iter()
            .any(|e| e.status == 429)
    );
    j.check_retry_after_simulated(Some(OperationId::GetTask))
        .unwrap();
}

#[tokio::test]
async fn a_wait_gives_up_at_its_deadline_with_the_last_state_seen() {
    let (_sim, client) = scaled().await;
    let job = new_diff(&client, 4).await;
    let deadline = Duration::from_secs(20);
    let started = Instant::now();
    let e = client
        .clanforge(ASID)
        .wait_for_diff(job.diff_id)
        .wait(deadline)
        .await
        .unwrap_err();
    let real = started.elapsed();
    match &e {
        WaitError::DeadlineExceeded { waited, last, .. } => {
            assert!(*waited >= deadline, "{waited:?}");
            assert!(*waited <= deadline + FINAL_POLL_GRACE, "{waited:?}");
            assert!(last.is_some(), "the last state seen is kept");
        }
        other => panic!("{other}"),
    }
    // 20 simulated seconds at 100x: a fraction of a real second.
    assert!(
        real < (deadline + FINAL_POLL_GRACE).div_f64(SPEED) + Duration::from_secs(2),
        "{real:?}"
    );
}
