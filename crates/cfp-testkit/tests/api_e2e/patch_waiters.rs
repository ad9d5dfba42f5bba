//! The patch operations' waiters — update, version, profile switch — with
//! the diff waiter's contract: they follow the job to its end with few
//! polls (the server's `jobeta`), end unsuccessfully with the job's error,
//! and give up at their deadline keeping the last state seen. Simulated
//! time runs 100 times faster than real time, and the client's clock
//! follows it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cfp_api::model::{
    AccountServiceId, FleetId, ImageId, JobState, MachineId, OperationId, ProfileId, SwitchProfile,
    SwitchState,
};
use cfp_api::{Client, FINAL_POLL_GRACE, WaitError};

use crate::waiters::scaled;

const DEADLINE: Duration = Duration::from_secs(3600);
const ASID: AccountServiceId = AccountServiceId(1);

#[tokio::test]
async fn wait_for_update_follows_the_job_to_its_end_with_few_polls() {
    let (sim, client) = scaled().await;
    let cf = client.clanforge(ASID);
    let job = cf
        .create_image_update(ImageId(1), MachineId(2), "1.4.2".into())
        .send()
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let done = cf
        .wait_for_update(job.update_id)
        .on_progress(move |p| log.lock().unwrap().push(p.percent))
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(done.state(), JobState::Complete);
    let percents: Vec<u8> = seen.lock().unwrap().iter().flatten().copied().collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert_eq!(percents.last(), Some(&100));
    // 70–130 simulated seconds, followed by its ETA: where a 1-second
    // poller sends one request a second.
    let polls = sim.journal().count(OperationId::GetImageUpdateStatus);
    assert!(polls <= 15, "{polls} polls");
}

#[tokio::test]
async fn wait_for_update_ends_unsuccessfully_with_the_jobs_error() {
    let (sim, client) = scaled().await;
    sim.world()
        .fail_next_updates(1, "download failed: no such build");
    let cf = client.clanforge(ASID);
    let job = cf
        .create_image_update(ImageId(1), MachineId(3), "1.4.2".into())
        .send()
        .await
        .unwrap();
    let e = cf
        .wait_for_update(job.update_id)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful(), "{e}");
    assert_eq!(e.last().unwrap().state(), JobState::Failed);
    assert!(e.to_string().contains("no such build"), "{e}");
}

#[tokio::test]
async fn wait_for_update_gives_up_at_its_deadline_with_the_last_state_seen() {
    let (_sim, client) = scaled().await;
    let cf = client.clanforge(ASID);
    let job = cf
        .create_image_update(ImageId(1), MachineId(4), "1.4.2".into())
        .send()
        .await
        .unwrap();
    let deadline = Duration::from_secs(20);
    match cf.wait_for_update(job.update_id).wait(deadline).await {
        Err(WaitError::DeadlineExceeded { waited, last, .. }) => {
            assert!(waited >= deadline && waited <= deadline + FINAL_POLL_GRACE);
            assert!(last.is_some(), "the last state seen is kept");
        }
        other => panic!("{other:?}"),
    }
}

/// A version needs a diff: one of machine 2, which finds no changes (no
/// update ran), so the version is full.
async fn version(client: &Client) -> cfp_api::model::ImageVersionId {
    let cf = client.clanforge(ASID);
    let diff = cf
        .create_image_diff(ImageId(1), MachineId(2))
        .send()
        .await
        .unwrap();
    cf.wait_for_diff(diff.diff_id).wait(DEADLINE).await.unwrap();
    cf.create_image_version(diff.diff_id, true)
        .full(true)
        .send()
        .await
        .unwrap()
        .version_id
}

#[tokio::test]
async fn wait_for_version_follows_the_build_to_its_end_with_few_polls() {
    let (sim, client) = scaled().await;
    let id = version(&client).await;
    let done = client
        .clanforge(ASID)
        .wait_for_version(id)
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(done.state(), JobState::Complete);
    let polls = sim.journal().count(OperationId::GetImageVersionStatus);
    assert!(polls <= 10, "{polls} polls for a build of 25–45 s");
}

#[tokio::test]
async fn wait_for_version_ends_unsuccessfully_with_the_jobs_error() {
    let (sim, client) = scaled().await;
    sim.world()
        .fail_next_versions(1, "the image could not be packed");
    let id = version(&client).await;
    let e = client
        .clanforge(ASID)
        .wait_for_version(id)
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful(), "{e}");
    assert!(e.to_string().contains("could not be packed"), "{e}");
}

#[tokio::test]
async fn wait_for_profile_switch_until_every_server_switched() {
    let (sim, client) = scaled().await;
    let cf = client.clanforge(ASID);
    let body = SwitchProfile::new(ProfileId(12), Duration::from_secs(3600)).max_machines(10);
    cf.switch_fleet_profile(FleetId(2), body)
        .send()
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let done = cf
        .wait_for_profile_switch(FleetId(2))
        .on_progress(move |p| log.lock().unwrap().push(p.object.servers_processed))
        .wait(DEADLINE)
        .await
        .unwrap();
    assert_eq!(done.state, SwitchState::Complete);
    assert_eq!(done.servers_pending, 0);
    let processed = seen.lock().unwrap().clone();
    assert!(processed.windows(2).all(|w| w[0] <= w[1]), "{processed:?}");
    assert_eq!(processed.last(), Some(&40), "fleet 2 has 40 game servers");
    let polls = sim.journal().count(OperationId::GetFleetProfileSwitch);
    assert!(polls <= 20, "{polls} polls");
}

#[tokio::test]
async fn wait_for_profile_switch_of_a_fleet_with_none_requested_ends_unsuccessfully() {
    let (_sim, client) = scaled().await;
    let e = client
        .clanforge(ASID)
        .wait_for_profile_switch(FleetId(2))
        .wait(DEADLINE)
        .await
        .unwrap_err();
    assert!(e.is_unsuccessful(), "{e}");
    assert!(
        e.to_string().contains("no profile switch was requested"),
        "{e}"
    );
}
