//! The simulator's `Date` follows its own clock, and a waiter on the real
//! clock schedules against it: against a simulator running 30 times real
//! time (`cfp-sim --speed 30`), a job's end is noticed within a second.

use std::time::{Duration, SystemTime};

use cfp_api::model::{AccountServiceId, ImageId, JobState, MachineId, OperationId};
use cfp_testkit::{ClockMode, DEFAULT_START};

use crate::api_support::{Api, sim_builder};

const ASID: AccountServiceId = AccountServiceId(1);

#[tokio::test]
async fn the_date_header_is_the_simulators_time() {
    let api = Api::start().await;
    let answer = api
        .client
        .clanforge(ASID)
        .get_image_status(ImageId(1))
        .send()
        .await
        .unwrap();
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(DEFAULT_START as u64);
    assert_eq!(answer.server_date(), Some(start));
    api.sim.clock().advance(Duration::from_secs(3600));
    let answer = api
        .client
        .clanforge(ASID)
        .get_image_status(ImageId(1))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.server_date(),
        Some(start + Duration::from_secs(3600))
    );
}

#[tokio::test]
async fn wait_for_diff_on_the_real_clock_follows_a_scaled_simulator() {
    // The case: the default world's diff (10 s queued, then
    // running 90 to 150 s, simulated) on a simulator at 30x takes about 4 s
    // of real time. Its ETA is 2 minutes ahead on the simulator's clock; on
    // the local clock (the simulator started at real time) it looked as far
    // ahead, and the waiter slept its 30 s cap.
    let api = Api::with(sim_builder().clock(ClockMode::Scaled(30.0))).await;
    // The client keeps tokio's real clock, as the CLI does against cfp-sim.
    let cf = api.client.clanforge(ASID);
    let job = cf
        .create_image_diff(ImageId(1), MachineId(2))
        .send()
        .await
        .unwrap();
    let done = cf
        .wait_for_diff(job.diff_id)
        .wait(Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(done.job.state(), JobState::Complete);
    let ended = done.job.updated.as_secs();
    let polls = api
        .sim
        .journal()
        .entries_for(OperationId::GetImageDiffStatus);
    let last = polls.last().unwrap().sim_time.as_second();
    // Noticed within ~1 s of real time (30 simulated seconds) of its end,
    // not after a 30 s sleep (900 simulated seconds).
    assert!(
        last - ended <= 45,
        "the end at {ended} was noticed at {last} (simulated), after {} polls",
        polls.len()
    );
    // And without polling all the time.
    assert!(polls.len() <= 8, "{} polls", polls.len());
}
