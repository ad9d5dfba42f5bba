//! The world handle: growing and reading the world at run time.

use cfp_model::{DiffId, FleetId, ImageId, JobState, MachineId, RegionId, TaskBatchId, TaskId};
use cfp_testkit::World;
use serde_json::json;

use crate::support::Sim;

#[tokio::test]
async fn the_world_can_grow_at_run_time() {
    let sim = Sim::start().await;
    let w = sim.world();
    w.add_image(ImageId(9), "new-image");
    w.add_region(RegionId(4), "South America");
    w.add_fleet(FleetId(3), "demo-fleet-sa", vec![RegionId(4)]);
    w.add_machine(MachineId(5), "machine-5", FleetId(3), RegionId(4));
    w.add_instances(101..=105, FleetId(3), RegionId(4));
    sim.advance(1000);
    w.start_rollout(ImageId(9), vec![FleetId(3)], 0.0);

    let s = sim
        .clanforge("/cfp/v2/project/1/image/9/status?detail=true")
        .await
        .json();
    assert_eq!(s["fleets"]["3"]["regions"]["4"]["name"], "South America");
    assert_eq!(s["fleets"]["3"]["regions"]["4"]["pending_machines"], 1);

    let b = sim
        .create_batch(json!({"taskTemplateId": "3", "fleetId": "3"}))
        .await;
    assert_eq!(b["numTasks"], 5);

    let d = sim
        .clanforge("/cfp/v1/imagediff/create?accountserviceid=1&imageid=9&machineid=5")
        .await
        .json();
    let id = DiffId(d["diffid"].as_u64().unwrap());

    // The in-process readers answer as the API would.
    assert_eq!(w.diff(id).unwrap().job.state(), JobState::Created);
    assert_eq!(w.task(TaskId(1)).unwrap().entity_id.0, 101);
    assert_eq!(w.batch(TaskBatchId(1)).unwrap().num_tasks, 5);
    sim.advance(1000);
    assert!(w.image_status(ImageId(9), false).unwrap().is_ready());
    assert_eq!(w.diff(id).unwrap().job.state(), JobState::Complete);
    assert!(w.describe().has_image(ImageId(9)));
}

#[tokio::test]
async fn an_empty_world_has_no_account_service() {
    let sim = Sim::world(World::empty()).await;
    let r = sim.clanforge("/cfp/v2/project/1/image/1/status").await;
    assert_eq!(r.status, 401);
    let templates = sim
        .task_get("/v3/applicationInstance/task/template")
        .await
        .json();
    assert_eq!(templates.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn reset_starts_the_world_over_but_keeps_the_clock() {
    let sim = Sim::start().await;
    sim.create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["1"]}))
        .await;
    sim.advance(10_000);
    let before = sim.clock().now_secs();
    sim.world().reset();
    assert_eq!(sim.world().batch_count(), 0);
    assert_eq!(sim.clock().now_secs(), before);
    // The rollout starts again from now.
    let s = sim
        .clanforge("/cfp/v2/project/1/image/1/status")
        .await
        .json();
    assert_eq!(s["pending_machines"], 4);
}
