//! Clanforge over loopback: diff create, retry and status; image status.

use cfp_model::{FleetId, ImageId, MachineId, RegionId};
use cfp_testkit::world::{FailedMachinesForm, Rollout, Timings};
use cfp_testkit::{DEFAULT_START, World};
use serde_json::Value;

use crate::support::{Sim, builder, keys};

const CREATE: &str = "/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=2";

fn status_path(id: &Value) -> String {
    format!("/cfp/v1/imagediff/{id}/status?accountserviceid=1")
}

#[tokio::test]
async fn a_diff_moves_created_pending_queued_running_complete() {
    let sim = Sim::start().await;
    let created = sim.clanforge(CREATE).await.json();
    assert_eq!(created["jobstateid"], 1);
    assert_eq!(created["jobstatename"], "Created");
    assert_eq!(created["jobcreated"], DEFAULT_START);
    assert_eq!(created["jobstart"], Value::Null);
    assert_eq!(created["success"], true);
    let id = created["diffid"].clone();
    assert_eq!(id, 218_596);

    let mut seen = vec![1];
    let mut eta = None;
    for _ in 0..200 {
        // Second by second through the short states, then faster.
        sim.advance(if seen.last() < Some(&4) { 1 } else { 5 });
        let s = sim.clanforge(&status_path(&id)).await.json();
        let state = s["jobstateid"].as_i64().unwrap();
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        if state >= 2 {
            // The ETA is known from Pending on and never moves.
            let e = s["jobeta"].as_i64().unwrap();
            assert_eq!(*eta.get_or_insert(e), e);
        }
        if state == 4 {
            assert!(s["jobstart"].is_string(), "jobstart is a string: {s}");
            let p = s["jobprogress"].as_i64().unwrap();
            assert!((0..100).contains(&p));
        }
        if state == 5 {
            assert_eq!(s["jobprogress"], 100);
            assert_eq!(s["jobfailed"], 0);
            assert_eq!(s["jobstatename"], "Completed");
            assert_eq!(s["jobupdated"], s["jobeta"]);
            break;
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn the_eta_is_exactly_when_the_diff_completes() {
    let sim = Sim::start().await;
    let id = sim.clanforge(CREATE).await.json()["diffid"].clone();
    sim.advance(2);
    let s = sim.clanforge(&status_path(&id)).await.json();
    let eta = s["jobeta"].as_u64().unwrap();
    let now = sim.clock().now_secs() as u64;
    sim.advance(eta - now - 1);
    assert_eq!(
        sim.clanforge(&status_path(&id)).await.json()["jobstateid"],
        4
    );
    sim.advance(1);
    assert_eq!(
        sim.clanforge(&status_path(&id)).await.json()["jobstateid"],
        5
    );
}

#[tokio::test]
async fn progress_rises_while_running() {
    let sim = Sim::start().await;
    let id = sim.clanforge(CREATE).await.json()["diffid"].clone();
    sim.advance(10);
    let mut last = -1;
    for _ in 0..8 {
        sim.advance(10);
        let p = sim.clanforge(&status_path(&id)).await.json()["jobprogress"]
            .as_i64()
            .unwrap();
        assert!(p > last, "{p} after {last}");
        last = p;
    }
}

#[tokio::test]
async fn a_diff_locks_its_image_until_it_is_accepted_or_rejected() {
    let sim = Sim::start().await;
    let first = sim.clanforge(CREATE).await.json();
    let second = sim.clanforge(CREATE).await;
    assert_eq!(second.status, 200);
    let env = second.json();
    assert_eq!(env["success"], false);
    assert_eq!(env["error"], true);
    assert_eq!(env["error_code"], 1);
    assert_eq!(
        env["error_message"],
        format!("image locked by diffid: {}", first["diffid"])
    );
    // The lock is the image's, whatever the machine, and an update is
    // refused too.
    let other = sim
        .clanforge("/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=3")
        .await
        .json();
    assert_eq!(other["error_message"], env["error_message"]);
    let update = sim
        .clanforge("/cfp/v1/imageupdate/create?accountserviceid=1&imageid=1&machineid=3&desc=x")
        .await
        .json();
    assert_eq!(update["error_message"], env["error_message"]);
    // Another image is free.
    let free = sim
        .clanforge("/cfp/v1/imagediff/create?accountserviceid=1&imageid=2&machineid=3")
        .await
        .json();
    assert_eq!(free["jobstateid"], 1);
}

#[tokio::test]
async fn create_with_diffid_retries_that_diff() {
    let sim = Sim::start().await;
    // 218595 exists, complete, in the default world.
    let r = sim
        .clanforge(
            "/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=1&diffid=218595",
        )
        .await
        .json();
    assert_eq!(r["diffid"], 218_595);
    assert_eq!(r["jobstateid"], 1);
    assert_eq!(r["jobcreated"], DEFAULT_START);
}

#[tokio::test]
async fn only_a_complete_or_failed_diff_can_be_retried() {
    let sim = Sim::start().await;
    let id = sim.clanforge(CREATE).await.json()["diffid"].clone();
    let retry = format!("/cfp/v1/imagediff/{id}/retry?accountserviceid=1");
    let refused = sim.clanforge(&retry).await;
    assert_eq!(refused.status, 200);
    assert_eq!(refused.json()["success"], false);
    assert_eq!(refused.json()["error_code"], 2);
    // Failed: retry allowed, and the job starts again.
    sim.advance(20);
    assert!(
        sim.world()
            .fail_diff(cfp_model::DiffId(id.as_u64().unwrap()), "disk full")
    );
    let failed = sim.clanforge(&status_path(&id)).await.json();
    assert_eq!(failed["jobstateid"], 6);
    assert_eq!(failed["jobfailed"], 1);
    assert_eq!(failed["joberror"], "disk full");
    assert_eq!(failed["jobeta"], Value::Null);
    let again = sim.clanforge(&retry).await.json();
    assert_eq!(again["jobstateid"], 1);
    assert_eq!(again["jobcreated"], sim.clock().now_secs());
    sim.advance(500);
    assert_eq!(
        sim.clanforge(&status_path(&id)).await.json()["jobstateid"],
        5
    );
}

#[tokio::test]
async fn fail_next_diffs_fails_part_way_through_running() {
    let sim = Sim::start().await;
    sim.world().fail_next_diffs(1, "machine 2 did not answer");
    let id = sim.clanforge(CREATE).await.json()["diffid"].clone();
    sim.advance(1000);
    let s = sim.clanforge(&status_path(&id)).await.json();
    assert_eq!(s["jobstateid"], 6);
    assert_eq!(s["joberror"], "machine 2 did not answer");
    let p = s["jobprogress"].as_i64().unwrap();
    assert!((10..=90).contains(&p), "{p}");
}

#[tokio::test]
async fn a_diff_failure_rate_of_one_fails_every_diff() {
    let sim = Sim::world(World::default().diff_failure_rate(1.0)).await;
    let id = sim.clanforge(CREATE).await.json()["diffid"].clone();
    sim.advance(1000);
    assert_eq!(
        sim.clanforge(&status_path(&id)).await.json()["jobstatename"],
        "Failed"
    );
}

#[tokio::test]
async fn diff_info_adds_game_image_and_machine() {
    let sim = Sim::start().await;
    let s = sim
        .clanforge("/cfp/v1/imagediff/218595/status?accountserviceid=1&diff_info=1")
        .await
        .json();
    assert_eq!(s["game"]["gameid"], 1);
    assert_eq!(s["image"]["imageid"], 1);
    assert_eq!(s["image"]["name"], "demo-server");
    assert_eq!(s["machine"]["machineid"], 1);
    assert_eq!(s["jobstateid"], 5);
    let plain = sim
        .clanforge("/cfp/v1/imagediff/218595/status?accountserviceid=1&diff_info=0")
        .await
        .json();
    assert!(plain.get("game").is_none());
}

#[tokio::test]
async fn unknown_diffs_images_and_machines_are_404_with_the_envelope() {
    let sim = Sim::start().await;
    for path in [
        "/cfp/v1/imagediff/999/status?accountserviceid=1",
        "/cfp/v1/imagediff/999/retry?accountserviceid=1",
        "/cfp/v1/imagediff/abc/status?accountserviceid=1",
        "/cfp/v1/imagediff/create?accountserviceid=1&imageid=9&machineid=1",
        "/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=9",
        "/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=1&diffid=5",
        "/cfp/v2/project/1/image/9/status",
    ] {
        let r = sim.clanforge(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["success"], false, "{path}");
    }
}

#[tokio::test]
async fn missing_or_invalid_parameters_get_the_envelope() {
    let sim = Sim::start().await;
    for path in [
        "/cfp/v1/imagediff/create?accountserviceid=1&imageid=1",
        "/cfp/v1/imagediff/create?accountserviceid=x&imageid=1&machineid=1",
        "/cfp/v1/imagediff/218595/status?accountserviceid=1&diff_info=yes",
        "/cfp/v2/project/1/image/1/status?detail=maybe",
    ] {
        let r = sim.clanforge(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.json()["error_code"], 3, "{path}");
    }
}

#[tokio::test]
async fn wrong_credentials_or_account_service_get_401_with_the_envelope() {
    let sim = Sim::start().await;
    let path = "/cfp/v2/project/1/image/1/status";
    for req in [
        sim.http.get(sim.url(path)),
        sim.http
            .get(sim.url(path))
            .basic_auth("demo", Some("wrong")),
        sim.http.get(sim.url(path)).bearer_auth("demo"),
    ] {
        let r = sim.send(cfp_model::Method::Get, path, req).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error"], true);
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    }
    let r = sim.clanforge("/cfp/v2/project/2/image/1/status").await;
    assert_eq!(r.status, 401);
    assert!(
        r.json()["error_message"]
            .as_str()
            .unwrap()
            .contains("account service 2")
    );
}

#[tokio::test]
async fn image_status_follows_the_rollout_as_the_clock_moves() {
    let sim = Sim::start().await;
    let path = "/cfp/v2/project/1/image/1/status?detail=true";
    let start = sim.clanforge(path).await.json();
    assert_eq!(start["pending_machines"], 4);
    assert_eq!(start["completed_machines"], 0);
    assert_eq!(start["fleets"]["1"]["regions"]["1"]["name"], "Europe West");
    assert_eq!(start["fleets"]["1"]["regions"]["1"]["pending_machines"], 2);
    assert_eq!(start["fleets"]["2"]["regions"]["3"]["pending_machines"], 1);
    // The vendor example's quirk: no failed_machines inside when 0.
    assert!(start["fleets"]["1"].get("failed_machines").is_none());
    let mut pending = 4;
    for _ in 0..30 {
        sim.advance(10);
        let s = sim.clanforge(path).await.json();
        let p = s["pending_machines"].as_u64().unwrap();
        assert!(p <= pending);
        pending = p;
        let total =
            p + s["failed_machines"].as_u64().unwrap() + s["completed_machines"].as_u64().unwrap();
        assert_eq!(total, 4);
    }
    assert_eq!(pending, 0);
}

fn big_world() -> World {
    let mut w = World::empty()
        .account_service(1)
        .image(ImageId(1), "big")
        .region(RegionId(1), "r1")
        .region(RegionId(2), "r2")
        .fleet(FleetId(1), "f1", [RegionId(1), RegionId(2)])
        .rollout(ImageId(1), Rollout::new([FleetId(1)], 0.3));
    for m in 1..=200u64 {
        let region = RegionId(1 + m % 2);
        w = w.machine(MachineId(m), format!("m{m}"), FleetId(1), region);
    }
    w
}

async fn failures_with(seed: u64) -> (u64, Value) {
    let sim = crate::support::Sim::with(builder().seed(seed).world(big_world())).await;
    sim.advance(10_000);
    let s = sim
        .clanforge("/cfp/v2/project/1/image/1/status?detail=true")
        .await
        .json();
    (s["failed_machines"].as_u64().unwrap(), s)
}

#[tokio::test]
async fn the_seed_decides_which_machines_fail() {
    let (a, sa) = failures_with(1).await;
    let (b, sb) = failures_with(1).await;
    let (_, sc) = failures_with(2).await;
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    assert_ne!(sa, sc);
    assert!((30..=90).contains(&a), "about 30% of 200 fail: {a}");
    assert_eq!(sa["pending_machines"], 0);
    // Failures show inside fleets and regions once they are not 0.
    assert!(sa["fleets"]["1"]["failed_machines"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn without_detail_only_the_totals() {
    let sim = Sim::start().await;
    for path in [
        "/cfp/v2/project/1/image/1/status",
        "/cfp/v2/project/1/image/1/status?detail=false",
    ] {
        let s = sim.clanforge(path).await.json();
        // In the order written on the wire, the vendor's.
        assert_eq!(
            keys(&s),
            ["pending_machines", "failed_machines", "completed_machines"]
        );
    }
}

#[tokio::test]
async fn empty_maps_are_written_as_arrays() {
    let sim = Sim::world(
        World::default()
            .fleet(FleetId(3), "empty", [])
            .rollout(ImageId(2), Rollout::new([FleetId(3)], 0.0)),
    )
    .await;
    let s = sim
        .clanforge("/cfp/v2/project/1/image/2/status?detail=true")
        .await;
    assert_eq!(
        s.text(),
        r#"{"fleets":{"3":{"regions":[],"pending_machines":0,"completed_machines":0}},"pending_machines":0,"failed_machines":0,"completed_machines":0}"#
    );
    let sim = Sim::start().await;
    let s = sim
        .clanforge("/cfp/v2/project/1/image/2/status?detail=true")
        .await;
    assert!(s.text().starts_with(r#"{"fleets":[],"#), "{}", s.text());
}

#[tokio::test]
async fn failed_machines_can_be_always_present_or_top_level_only() {
    let sim = Sim::with(
        builder()
            .world(big_world().failed_machines(FailedMachinesForm::Always))
            .seed(3),
    )
    .await;
    let s = sim
        .clanforge("/cfp/v2/project/1/image/1/status?detail=true")
        .await
        .json();
    assert_eq!(s["fleets"]["1"]["regions"]["1"]["failed_machines"], 0);
    sim.world()
        .set_failed_machines_form(FailedMachinesForm::TopLevelOnly);
    sim.advance(10_000);
    let s = sim
        .clanforge("/cfp/v2/project/1/image/1/status?detail=true")
        .await
        .json();
    assert!(s["fleets"]["1"].get("failed_machines").is_none());
    assert!(s["failed_machines"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_rollout_started_at_run_time_begins_now() {
    let sim = Sim::start().await;
    sim.advance(10_000);
    sim.world().start_rollout(ImageId(2), vec![FleetId(2)], 0.0);
    let s = sim
        .clanforge("/cfp/v2/project/1/image/2/status")
        .await
        .json();
    assert_eq!(s["pending_machines"], 1);
    sim.advance(Timings::default().rollout_machine.end() + 1);
    let s = sim
        .clanforge("/cfp/v2/project/1/image/2/status")
        .await
        .json();
    assert_eq!(s["completed_machines"], 1);
}

#[tokio::test]
async fn with_the_default_seed_machine_3_fails_and_the_rollout_ends_at_298_s() {
    let sim = Sim::start().await;
    let path = "/cfp/v2/project/1/image/1/status?detail=true";
    sim.advance(297);
    assert_eq!(sim.clanforge(path).await.json()["pending_machines"], 1);
    sim.advance(1);
    let s = sim.clanforge(path).await.json();
    assert_eq!(s["pending_machines"], 0);
    assert_eq!(s["failed_machines"], 1);
    assert_eq!(s["completed_machines"], 3);
    assert_eq!(s["fleets"]["1"]["regions"]["2"]["failed_machines"], 1);
    assert!(
        s["fleets"]["1"]["regions"]["1"]
            .get("failed_machines")
            .is_none()
    );
}

#[tokio::test]
async fn a_scaled_clock_moves_jobs_without_being_advanced() {
    // A million simulated seconds per real second: any round trip lets
    // minutes pass. No sleeping: the loop is bounded by polls, not time.
    let sim = Sim::with(builder().clock(cfp_testkit::ClockMode::Scaled(1_000_000.0))).await;
    let id = sim.clanforge(CREATE).await.json()["diffid"].clone();
    let mut state = Value::Null;
    for _ in 0..10_000 {
        state = sim.clanforge(&status_path(&id)).await.json()["jobstateid"].clone();
        if state == 5 {
            break;
        }
    }
    assert_eq!(state, 5);
}
