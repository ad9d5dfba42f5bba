//! The patch workflow (`cfp_api::patch::Patch`) against the simulator, one
//! test per branch: the happy path with a profile switch, locks cleared or
//! refused, each job failing, a diff without changes, allocations, the
//! rollout gate under and over its limit, a stop then resume, and answers
//! lost after an unsafe request was sent. In every branch the journal
//! proves that no unsafe request was sent twice.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cfp_api::Client;
use cfp_api::Timeouts;
use cfp_api::model::{
    AccountServiceId, FleetId, ImageId, MachineId, OperationId, ProfileId, UpdateUrl,
};
use cfp_api::patch::{
    Approval, FullMode, MaxFailed, MemoryStore, Outcome, Patch, PatchError, PatchEvent, PatchSpec,
    Stage, SwitchSpec,
};
use cfp_testkit::world::{Rollout, Timings, World};
use cfp_testkit::{ClockMode, Fault, FaultRule, RunningSimulator, SimTime};

use crate::api_support::{client_for, sim_builder};

const ASID: AccountServiceId = AccountServiceId(1);
const SPEED: f64 = 200.0;

/// Every job takes seconds of simulated time, so a whole patch runs in
/// well under a second of real time at 200×.
fn quick() -> Timings {
    Timings {
        diff_created: 1,
        diff_pending: 1,
        diff_queued: 1,
        diff_running: 10..=20,
        update_running: 10..=20,
        version_running: 5..=10,
        rollout_machine: 10..=30,
        switch_step: 5,
        ..Timings::default()
    }
}

async fn start(world: World) -> (RunningSimulator, Client) {
    let sim = sim_builder()
        .clock(ClockMode::Scaled(SPEED))
        .world(world.timings(quick()))
        .start()
        .await
        .unwrap();
    let client = client_for(&sim.base_url())
        .clock(Arc::new(SimTime::new(sim.clock().clone())))
        .timeouts(
            Timeouts::default()
                .with_attempt(Duration::from_secs(200))
                .with_total(Duration::from_secs(800)),
        )
        .build()
        .unwrap();
    (sim, client)
}

fn spec(image: u64) -> PatchSpec {
    PatchSpec::new(ASID, ImageId(image), MachineId(1), "release 1.4.2").restart(true)
}

fn url(build: &str) -> UpdateUrl {
    format!("s3://patch-key-DO-NOT-USE:patch-secret-DO-NOT-USE@builds/{build}/")
        .parse()
        .unwrap()
}

/// Runs a patch to its end, collecting its events.
async fn run(
    client: &Client,
    spec: PatchSpec,
    store: &MemoryStore,
) -> (
    Result<cfp_api::patch::PatchReport, PatchError>,
    Vec<PatchEvent>,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let result = Patch::new(client.clone(), spec, store.clone())
        .update_url(url("1.4.2"))
        .approval(Approval::Yes)
        .wait_timeout(Duration::from_secs(3600))
        .on_event(move |e| sink.lock().unwrap().push(e.clone()))
        .run()
        .await;
    let events = events.lock().unwrap().clone();
    (result, events)
}

/// No unsafe operation of the patch reached the simulator more than
/// `most` times.
fn sent_at_most(sim: &RunningSimulator, most: u64) {
    for op in [
        OperationId::CreateImageUpdate,
        OperationId::CreateImageDiff,
        OperationId::RejectImageDiff,
        OperationId::CreateImageVersion,
        OperationId::SwitchFleetProfile,
    ] {
        let n = sim.journal().count(op);
        assert!(n <= most, "{op} was sent {n} times");
    }
}

#[tokio::test]
async fn a_whole_patch_with_a_profile_switch() {
    let (sim, client) = start(World::default()).await;
    let store = MemoryStore::new();
    let spec = spec(1).switch(SwitchSpec {
        fleet: FleetId(2),
        profile: ProfileId(12),
        within: Duration::from_secs(3600),
        max_machines: Some(10),
    });
    // Machine 3 fails with seed 1 in the world's rollout; the version's
    // install decides anew, so allow some.
    let (report, events) = run(&client, spec.max_failed(MaxFailed::Percent(50.0)), &store).await;
    let report = report.unwrap();
    assert_eq!(report.outcome, Some(Outcome::Patched));
    assert_eq!(report.update.map(|u| u.get()), Some(7001));
    assert!(report.diff.is_some() && report.version.is_some());
    assert!(report.changes.is_some_and(|c| !c.is_empty()));
    for op in [
        OperationId::CreateImageUpdate,
        OperationId::CreateImageDiff,
        OperationId::CreateImageVersion,
        OperationId::SwitchFleetProfile,
    ] {
        assert_eq!(sim.journal().count(op), 1, "{op}");
    }
    let stages: Vec<Stage> = report.stages.iter().map(|s| s.stage).collect();
    assert_eq!(
        stages,
        [
            Stage::Preflight,
            Stage::Update,
            Stage::Diff,
            Stage::Confirm,
            Stage::Version,
            Stage::Rollout,
            Stage::Switch
        ]
    );
    assert!(report.stages.iter().all(|s| s.ended.is_some()));
    // The version asked for an install now.
    let version = &sim.journal().entries_for(OperationId::CreateImageVersion)[0];
    assert!(
        version
            .query
            .as_deref()
            .unwrap()
            .contains("install_at=NOW%28%29")
    );
    assert!(
        events.iter().any(|e| e.rollout.is_some()),
        "rollout events carry the counts"
    );
    // Requests: a few per stage, not one per second.
    let requests = sim.journal().entries().len() as u64;
    assert!(requests < 60, "{requests} requests");
    // The record never holds the update URL.
    let text = serde_json::to_string(&store.record().unwrap()).unwrap();
    assert!(!text.contains("DO-NOT-USE"), "{text}");
}

#[tokio::test]
async fn a_diff_lock_is_cleared_only_when_asked() {
    let (sim, client) = start(World::default()).await;
    // Image 3 is locked by diff 218590.
    let (refused, _) = run(&client, spec(3), &MemoryStore::new()).await;
    match refused.unwrap_err() {
        PatchError::Refused { message, hint } => {
            assert!(message.contains("locked by diff 218590"), "{message}");
            assert!(hint.unwrap().contains("--reject-locking-diff"));
        }
        other => panic!("{other:?}"),
    }
    sent_at_most(&sim, 0);
    let (report, _) = run(
        &client,
        spec(3)
            .reject_locking_diff(true)
            .max_failed(MaxFailed::Percent(100.0)),
        &MemoryStore::new(),
    )
    .await;
    let report = report.unwrap();
    assert_eq!(report.rejected_diff.map(|d| d.get()), Some(218_590));
    let reject = &sim.journal().entries_for(OperationId::RejectImageDiff)[0];
    assert!(reject.query.as_deref().unwrap().contains("reinstall=0"));
    sent_at_most(&sim, 1);
}

#[tokio::test]
async fn an_update_lock_is_refused_with_the_command_to_watch_it() {
    let (sim, client) = start(World::default()).await;
    client
        .clanforge(ASID)
        .create_image_update(ImageId(1), MachineId(2), "someone else's".into())
        .send()
        .await
        .unwrap();
    let (result, _) = run(&client, spec(1), &MemoryStore::new()).await;
    match result.unwrap_err() {
        PatchError::Refused { message, hint } => {
            assert!(message.contains("locked by update 7001"), "{message}");
            assert!(
                hint.unwrap()
                    .contains("cfp imageupdate status --asid 1 7001 --wait")
            );
        }
        other => panic!("{other:?}"),
    }
    sent_at_most(&sim, 1);
}

#[tokio::test]
async fn a_failed_update_fails_its_stage_with_the_job_error() {
    let (sim, client) = start(World::default()).await;
    sim.world()
        .fail_next_updates(1, "download failed: no such build");
    let store = MemoryStore::new();
    let (result, _) = run(&client, spec(1), &store).await;
    match result.unwrap_err() {
        PatchError::StageFailed { stage, reason } => {
            assert_eq!(stage, Stage::Update);
            assert_eq!(reason, "download failed: no such build");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store.record().unwrap().outcome,
        Some(Outcome::Failed {
            stage: Stage::Update,
            ..
        })
    ));
    sent_at_most(&sim, 1);
}

#[tokio::test]
async fn a_failed_diff_fails_its_stage() {
    let (sim, client) = start(World::default()).await;
    sim.world().fail_next_diffs(1, "machine 1 did not answer");
    let (result, _) = run(&client, spec(1), &MemoryStore::new()).await;
    assert!(
        matches!(result, Err(PatchError::StageFailed { stage: Stage::Diff, ref reason }) if reason == "machine 1 did not answer"),
        "{result:?}"
    );
    sent_at_most(&sim, 1);
}

#[tokio::test]
async fn the_same_build_twice_finds_no_changes_and_auto_makes_it_full() {
    let (sim, client) = start(World::default()).await;
    let all = MaxFailed::Percent(100.0);
    let (first, _) = run(&client, spec(1).max_failed(all), &MemoryStore::new()).await;
    first.unwrap();
    let (second, _) = run(&client, spec(1).max_failed(all), &MemoryStore::new()).await;
    let second = second.unwrap();
    assert!(second.changes.unwrap().is_empty());
    let versions = sim.journal().entries_for(OperationId::CreateImageVersion);
    assert!(!versions[0].query.as_deref().unwrap().contains("full=1"));
    assert!(versions[1].query.as_deref().unwrap().contains("full=1"));
    // Under `never`, such a diff fails the patch before the version.
    let (third, _) = run(
        &client,
        spec(1).max_failed(all).full(FullMode::Never),
        &MemoryStore::new(),
    )
    .await;
    assert!(
        matches!(
            third,
            Err(PatchError::StageFailed {
                stage: Stage::Version,
                ..
            })
        ),
        "{third:?}"
    );
    assert_eq!(sim.journal().count(OperationId::CreateImageVersion), 2);
}

#[tokio::test]
async fn active_allocations_fail_the_version_unless_forced() {
    let (sim, client) = start(World::default()).await;
    sim.world().set_allocations(FleetId(1), 4);
    let store = MemoryStore::new();
    let (result, _) = run(&client, spec(1), &store).await;
    match result.unwrap_err() {
        PatchError::StageRefused { stage, reason } => {
            assert_eq!(stage, Stage::Version);
            assert!(reason.contains("active allocations"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Refused for sure: the record does not say "sending", and the patch
    // resumes at the version with --force.
    let record = store.record().unwrap();
    assert!(record.sending.is_none());
    assert_eq!((record.stage, record.outcome), (Stage::Version, None));
    let forced = spec(1).force(true).max_failed(MaxFailed::Percent(100.0));
    let (report, _) = run(&client, forced, &store).await;
    report.unwrap();
    sent_at_most(&sim, 2);
    assert_eq!(sim.journal().count(OperationId::CreateImageUpdate), 1);
    let versions = sim.journal().entries_for(OperationId::CreateImageVersion);
    assert!(versions[1].query.as_deref().unwrap().contains("force=1"));
}

#[tokio::test]
async fn a_failed_version_fails_its_stage() {
    let (sim, client) = start(World::default()).await;
    sim.world().fail_next_versions(1, "image build failed");
    let (result, _) = run(&client, spec(1), &MemoryStore::new()).await;
    assert!(
        matches!(result, Err(PatchError::StageFailed { stage: Stage::Version, ref reason }) if reason == "image build failed"),
        "{result:?}"
    );
    sent_at_most(&sim, 1);
}

#[tokio::test]
async fn the_rollout_gate_counts_failed_machines() {
    // Every machine of the rollout fails to install.
    let world = World::default().rollout(ImageId(1), Rollout::new([FleetId(1), FleetId(2)], 1.0));
    let (sim, client) = start(world).await;
    let (over, _) = run(&client, spec(1), &MemoryStore::new()).await;
    match over.unwrap_err() {
        PatchError::StageFailed { stage, reason } => {
            assert_eq!(stage, Stage::Rollout);
            assert!(reason.starts_with("4 of 4 machines failed"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // The same build again: no changes, full, and every machine allowed.
    let (under, _) = run(
        &client,
        spec(1).max_failed(MaxFailed::Count(4)),
        &MemoryStore::new(),
    )
    .await;
    under.unwrap();
    sent_at_most(&sim, 2);
}

#[tokio::test]
async fn a_stopped_run_resumes_where_it_was() {
    let (sim, client) = start(World::default()).await;
    let store = MemoryStore::new();
    let spec = spec(1).max_failed(MaxFailed::Percent(100.0));
    // Stop the first run while it waits for the diff, as Ctrl-C does.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let first = Patch::new(client.clone(), spec.clone(), store.clone())
        .update_url(url("1.4.2"))
        .approval(Approval::Yes)
        .on_event(move |e| {
            let _ = tx.send((e.stage, e.kind));
        })
        .run();
    let waiting_for_the_diff = async {
        while let Some((stage, kind)) = rx.recv().await {
            if stage == Stage::Diff && kind == cfp_api::patch::EventKind::Progress {
                return;
            }
        }
    };
    tokio::select! {
        r = first => panic!("the first run was meant to be stopped: {r:?}"),
        () = waiting_for_the_diff => {}
    }
    let at = store.record().unwrap();
    assert!(
        at.stage > Stage::Preflight && at.stage < Stage::Done,
        "{:?}",
        at.stage
    );
    // Resume: a run with no update URL (the record never had it).
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let report = Patch::new(client.clone(), spec, store.clone())
        .approval(Approval::Yes)
        .on_event(move |e: &PatchEvent| sink.lock().unwrap().push(e.stage))
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, Some(Outcome::Patched));
    let resumed: Vec<Stage> = events.lock().unwrap().clone();
    assert_eq!(
        resumed.first(),
        Some(&at.stage),
        "resumed at the recorded stage"
    );
    sent_at_most(&sim, 1);
}

#[tokio::test]
async fn a_lost_answer_is_adopted_not_sent_again() {
    for op in [OperationId::CreateImageUpdate, OperationId::CreateImageDiff] {
        let (sim, client) = start(World::default()).await;
        // The simulator carries the request out, then cuts the connection.
        sim.faults().add(
            FaultRule::new(Fault::ConnectionReset)
                .operation(op)
                .times(1),
        );
        let store = MemoryStore::new();
        let spec = spec(1).max_failed(MaxFailed::Percent(100.0));
        let (first, _) = run(&client, spec.clone(), &store).await;
        assert!(
            matches!(first, Err(PatchError::Api { .. })),
            "{op}: {first:?}"
        );
        let record = store.record().unwrap();
        assert!(
            record.sending.as_ref().is_some_and(|s| s.is(op)),
            "{op}: {record:?}"
        );
        let (second, events) = run(&client, spec, &store).await;
        let report = second.unwrap();
        assert_eq!(report.outcome, Some(Outcome::Patched));
        assert!(
            events
                .iter()
                .any(|e| e.kind == cfp_api::patch::EventKind::Adopted),
            "{op}: nothing adopted"
        );
        assert_eq!(sim.journal().count(op), 1, "{op} was sent again");
        sent_at_most(&sim, 1);
    }
}

#[tokio::test]
async fn without_a_go_ahead_it_stops_before_the_version() {
    let (sim, client) = start(World::default()).await;
    let store = MemoryStore::new();
    let stopped = Patch::new(client.clone(), spec(1), store.clone())
        .update_url(url("1.4.2"))
        .approval(Approval::Stop)
        .run()
        .await;
    assert!(
        matches!(stopped, Err(PatchError::AwaitingConfirmation)),
        "{stopped:?}"
    );
    assert_eq!(store.record().unwrap().stage, Stage::Confirm);
    assert_eq!(sim.journal().count(OperationId::CreateImageVersion), 0);
    let declined = Patch::new(client.clone(), spec(1), store.clone())
        .approval(Approval::Ask(Box::new(|diff| {
            assert!(!diff.has_no_changes());
            false
        })))
        .run()
        .await;
    assert!(
        matches!(declined, Err(PatchError::Declined)),
        "{declined:?}"
    );
    assert_eq!(sim.journal().count(OperationId::CreateImageVersion), 0);
    // Declined is an end: the next patch of the image starts anew, and the
    // image is still locked by the declined diff.
    let (again, _) = run(&client, spec(1), &store).await;
    assert!(
        matches!(again, Err(PatchError::Refused { .. })),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_second_run_on_the_same_store_is_refused() {
    let (_sim, client) = start(World::default()).await;
    let store = MemoryStore::new();
    let first = Patch::new(client.clone(), spec(1), store.clone())
        .update_url(url("1.4.2"))
        .approval(Approval::Yes)
        .run();
    let second = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Patch::new(client.clone(), spec(1), store.clone())
            .run()
            .await
    };
    let (_, second) = tokio::join!(
        tokio::time::timeout(Duration::from_millis(300), first),
        second
    );
    match second.unwrap_err() {
        PatchError::Refused { message, .. } => {
            assert!(message.contains("another patch"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
