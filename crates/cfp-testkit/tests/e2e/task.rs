//! The task API over loopback: templates, batches, tasks.

use cfp_model::{ApplicationInstanceId, Method, RegionId};
use cfp_testkit::DEFAULT_START;
use cfp_testkit::world::{TaskFailureRule, TaskScope};
use serde_json::{Value, json};

use crate::support::Sim;

const TASKS: &str = "/v3/applicationInstance/task";

fn task_path(id: &Value) -> String {
    format!("{TASKS}/{id}")
}

async fn get_task(sim: &Sim, id: &Value) -> Value {
    let r = sim.task_get(&task_path(id)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.single()
}

#[tokio::test]
async fn templates_are_restart_stop_start_and_update() {
    let sim = Sim::start().await;
    let t = sim
        .task_get("/v3/applicationInstance/task/template")
        .await
        .json();
    let names: Vec<_> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Restart", "Stop", "Start", "Update"]);
    assert_eq!(t[3]["actions"][1]["requiredParams"], json!(["version"]));
}

#[tokio::test]
async fn a_batch_of_instances_has_one_task_each() {
    let sim = Sim::start().await;
    let b = sim
        .create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["12", "13", "14"]}))
        .await;
    assert_eq!(b["id"], 1);
    assert_eq!(b["numTasks"], 3);
    assert_eq!(b["taskIds"], json!([1, 2, 3]));
    assert_eq!(b["createdAt"], DEFAULT_START);
    assert_eq!(b["executeAt"], DEFAULT_START);
    assert_eq!(b["finishedAt"], 0);
    let t = get_task(&sim, &json!(2)).await;
    assert_eq!(t["entityId"], 13);
    assert_eq!(t["batchId"], 1);
    assert_eq!(t["categoryId"], 1);
    assert_eq!(t["name"], "Restart");
}

#[tokio::test]
async fn a_batch_expands_a_fleet_a_region_or_labels() {
    let sim = Sim::start().await;
    let fleet = sim
        .create_batch(json!({"taskTemplateId": "2", "fleetId": "1"}))
        .await;
    assert_eq!(fleet["numTasks"], 60);
    let region = sim
        .create_batch(json!({"taskTemplateId": "2", "regionId": "3"}))
        .await;
    assert_eq!(region["numTasks"], 40);
    let labels = sim
        .create_batch(
            json!({"taskTemplateId": "3", "labels": [{"key": "env", "value": "staging"}]}),
        )
        .await;
    assert_eq!(labels["numTasks"], 10);
    // Targets add up, each game server once.
    let both = sim
        .create_batch(
            json!({"taskTemplateId": "2", "regionId": "1", "applicationInstanceIds": ["1", "2"]}),
        )
        .await;
    assert_eq!(both["numTasks"], 31);
    // The fleet batch's tasks are the fleet's game servers.
    let first = get_task(&sim, &fleet["taskIds"][0]).await;
    assert_eq!(first["entityId"], 1);
}

#[tokio::test]
async fn tasks_go_pending_in_progress_done() {
    let sim = Sim::start().await;
    let at = DEFAULT_START + 100;
    let b = sim
        .create_batch(
            json!({"taskTemplateId": "1", "applicationInstanceIds": ["5"], "executeAt": at}),
        )
        .await;
    assert_eq!(b["executeAt"], at);
    let id = b["taskIds"][0].clone();
    let t = get_task(&sim, &id).await;
    assert_eq!(t["resultCode"], 0);
    assert_eq!(t["resultText"], "Pending");
    assert_eq!(t["finishedAt"], 0);
    sim.advance(99);
    assert_eq!(
        get_task(&sim, &id).await["resultCode"],
        0,
        "executeAt holds it"
    );
    sim.advance(1);
    let t = get_task(&sim, &id).await;
    assert_eq!(t["resultCode"], 1);
    assert_eq!(t["currentActionIdx"], 0);
    let mut last_action = 0;
    let mut done = None;
    for _ in 0..70 {
        sim.advance(1);
        let t = get_task(&sim, &id).await;
        let action = t["currentActionIdx"].as_i64().unwrap();
        assert!(action >= last_action);
        last_action = action;
        if t["resultCode"] == 127 {
            done = Some(t);
            break;
        }
        assert_eq!(t["resultCode"], 1);
    }
    let done = done.expect("the task finishes within 60 s");
    assert_eq!(done["resultText"], "Done");
    assert_eq!(done["currentActionIdx"], 1);
    assert_eq!(done["finishedAt"], done["lastActivityAt"]);
    let b = sim
        .task_get("/v3/applicationInstance/taskBatch/1")
        .await
        .single();
    assert_eq!(b["numTasksOk"], 1);
    assert_eq!(b["finishedAt"], done["finishedAt"]);
}

#[tokio::test]
async fn pause_resume_and_cancel_follow_the_rules() {
    let sim = Sim::start().await;
    let b = sim
        .create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["1", "2"]}))
        .await;
    let a = b["taskIds"][0].clone();
    sim.advance(5);
    // Pause: 2, and it stays paused however long we wait.
    let paused = sim.task(Method::Put, &task_path(&a), None).await.single();
    assert_eq!(paused["resultCode"], 2);
    assert_eq!(paused["resultText"], "Paused");
    sim.advance(1000);
    assert_eq!(get_task(&sim, &a).await["resultCode"], 2);
    // Resume: back in progress, then done.
    let resumed = sim.task(Method::Put, &task_path(&a), None).await.single();
    assert_eq!(resumed["resultCode"], 1);
    sim.advance(1000);
    assert_eq!(get_task(&sim, &a).await["resultCode"], 127);
    // A done task can be neither paused nor cancelled.
    for method in [Method::Put, Method::Delete] {
        let r = sim.task(method, &task_path(&a), None).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.json()["errorCode"], 10409);
    }
    // Cancel a paused task: 125, then 409 on a second cancel.
    let fresh = sim
        .create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["3"]}))
        .await;
    let f = fresh["taskIds"][0].clone();
    sim.task(Method::Put, &task_path(&f), None).await;
    let cancelled = sim
        .task(Method::Delete, &task_path(&f), None)
        .await
        .single();
    assert_eq!(cancelled["resultCode"], 125);
    assert_eq!(cancelled["finishedAt"], sim.clock().now_secs());
    assert_eq!(
        sim.task(Method::Delete, &task_path(&f), None).await.status,
        409
    );
    assert_eq!(
        sim.task(Method::Put, &task_path(&f), None).await.status,
        409
    );
}

#[tokio::test]
async fn a_scheduled_task_can_be_paused_and_cancelled_while_pending() {
    let sim = Sim::start().await;
    let b = sim
        .create_batch(
            json!({"taskTemplateId": "2", "fleetId": "2", "executeAt": DEFAULT_START + 3600}),
        )
        .await;
    let id = b["taskIds"][0].clone();
    assert_eq!(
        sim.task(Method::Put, &task_path(&id), None).await.single()["resultCode"],
        2
    );
    assert_eq!(
        sim.task(Method::Put, &task_path(&id), None).await.single()["resultCode"],
        0
    );
    let c = sim
        .task(Method::Delete, &task_path(&id), None)
        .await
        .single();
    assert_eq!(c["resultCode"], 125);
    sim.advance(7200);
    let batch = sim
        .task_get("/v3/applicationInstance/taskBatch/1")
        .await
        .single();
    assert_eq!(batch["numTasksCancelled"], 1);
    assert_eq!(batch["numTasksOk"], 39);
    assert_ne!(batch["finishedAt"], 0);
}

#[tokio::test]
async fn lists_return_the_last_100_newest_first() {
    let sim = Sim::start().await;
    sim.create_batch(json!({"taskTemplateId": "1", "fleetId": "1"}))
        .await;
    sim.create_batch(json!({"taskTemplateId": "1", "fleetId": "2"}))
        .await;
    sim.create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["7", "8", "9"]}))
        .await;
    let list = sim.task_get(TASKS).await.json();
    let ids: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 100);
    assert_eq!(ids[0], 103);
    assert_eq!(ids[99], 4);
    for _ in 0..100 {
        sim.create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["1"]}))
            .await;
    }
    let batches = sim
        .task_get("/v3/applicationInstance/taskBatch")
        .await
        .json();
    let batches = batches.as_array().unwrap();
    assert_eq!(batches.len(), 100);
    assert_eq!(batches[0]["id"], 103);
    assert_eq!(batches[99]["id"], 4);
}

#[tokio::test]
async fn an_offline_instance_ends_126() {
    let sim = Sim::start().await;
    assert!(
        sim.world()
            .set_instance_offline(ApplicationInstanceId(17), true)
    );
    let b = sim
        .create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["17", "19"]}))
        .await;
    sim.advance(1000);
    let t = get_task(&sim, &b["taskIds"][0]).await;
    assert_eq!(t["resultCode"], 126);
    assert!(
        t["resultText"]
            .as_str()
            .unwrap()
            .contains("instance 17 is offline")
    );
    assert_eq!(get_task(&sim, &b["taskIds"][1]).await["resultCode"], 127);
    let batch = sim
        .task_get("/v3/applicationInstance/taskBatch/1")
        .await
        .single();
    assert_eq!(batch["numTasksFailed"], 1);
    assert_eq!(batch["numTasksOk"], 1);
}

#[tokio::test]
async fn a_share_of_the_tasks_in_a_region_ends_126() {
    let sim = Sim::start().await;
    sim.world().add_task_failure(
        TaskFailureRule::new(TaskScope::Region(RegionId(2)), 0.1)
            .message("Done with error: disk full"),
    );
    let b = sim
        .create_batch(json!({"taskTemplateId": "1", "fleetId": "1"}))
        .await;
    sim.advance(1000);
    let batch = sim
        .task_get("/v3/applicationInstance/taskBatch/1")
        .await
        .single();
    // Region 2 holds 30 of fleet 1's 60 game servers: 10% is 3 tasks.
    assert_eq!(batch["numTasksFailed"], 3);
    assert_eq!(batch["numTasksOk"], 57);
    let mut failed = 0;
    for id in b["taskIds"].as_array().unwrap() {
        let t = get_task(&sim, id).await;
        if t["resultCode"] == 126 {
            failed += 1;
            assert_eq!(
                t["entityId"].as_u64().unwrap() % 2,
                0,
                "region 2 has the even ids"
            );
            assert_eq!(t["resultText"], "Done with error: disk full");
        }
    }
    assert_eq!(failed, 3);
}

#[tokio::test]
async fn invalid_creates_get_422_naming_the_property() {
    let sim = Sim::start().await;
    for (body, property) in [
        (
            json!({"taskTemplateId": 1, "fleetId": "1"}),
            "taskTemplateId",
        ),
        (
            json!({"taskTemplateId": "1", "applicationInstanceIds": [12]}),
            "applicationInstanceIds",
        ),
        (json!({"taskTemplateId": "1"}), "applicationInstanceIds"),
        (
            json!({"taskTemplateId": "9", "fleetId": "1"}),
            "taskTemplateId",
        ),
        (
            json!({"taskTemplateId": "4", "fleetId": "1"}),
            "taskActionParam",
        ),
        (
            json!({"taskTemplateId": "1", "fleetId": "1", "gameServerIds": ["1"]}),
            "gameServerIds",
        ),
        (
            json!({"taskTemplateId": "1", "applicationInstanceIds": ["999"]}),
            "applicationInstanceIds",
        ),
        (json!({"taskTemplateId": "1", "fleetId": "9"}), "fleetId"),
        (json!({"taskTemplateId": "1", "regionId": "9"}), "regionId"),
        (
            json!({"taskTemplateId": "1", "labels": [{"key": "env", "value": "nowhere"}]}),
            "applicationInstanceIds",
        ),
    ] {
        let r = sim.task(Method::Post, TASKS, Some(body.clone())).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(r.json()["errors"][0]["property"], property, "{body}");
    }
    assert_eq!(sim.world().batch_count(), 0);
    // With the parameter, Update is fine.
    let ok = sim
        .create_batch(json!({"taskTemplateId": "4", "fleetId": "1",
            "taskActionParam": [{"paramName": "version", "paramValue": "1.4.2"}]}))
        .await;
    assert_eq!(ok["numTasks"], 60);
}

#[tokio::test]
async fn a_wrong_token_gets_403() {
    let sim = Sim::start().await;
    for req in [
        sim.http.get(sim.url(TASKS)),
        sim.http.get(sim.url(TASKS)).header("PRIVATE-TOKEN", "nope"),
    ] {
        let r = sim.send(Method::Get, TASKS, req).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.json()["errorMessage"], "Invalid credentials");
    }
}

#[tokio::test]
async fn unknown_tasks_and_batches_are_404() {
    let sim = Sim::start().await;
    for (method, path) in [
        (Method::Get, "/v3/applicationInstance/task/1"),
        (Method::Put, "/v3/applicationInstance/task/1"),
        (Method::Delete, "/v3/applicationInstance/task/1"),
        (Method::Get, "/v3/applicationInstance/task/abc"),
        (Method::Get, "/v3/applicationInstance/taskBatch/1"),
        (Method::Get, "/v3/applicationInstance/taskBatch/0"),
    ] {
        let r = sim.task(method, path, None).await;
        assert_eq!(r.status, 404, "{method} {path}");
        assert_eq!(r.json()["errorCode"], 10001);
    }
}

#[tokio::test]
async fn single_resources_are_one_element_arrays() {
    let sim = Sim::start().await;
    sim.create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["1"]}))
        .await;
    for (method, path) in [
        (Method::Get, "/v3/applicationInstance/task/1"),
        (Method::Put, "/v3/applicationInstance/task/1"),
        (Method::Delete, "/v3/applicationInstance/task/1"),
        (Method::Get, "/v3/applicationInstance/taskBatch/1"),
    ] {
        let r = sim.task(method, path, None).await;
        assert_eq!(
            r.json().as_array().map(Vec::len),
            Some(1),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn old_batches_are_forgotten_whole_beyond_the_task_limit() {
    let sim = Sim::world(cfp_testkit::World::default().limits(100, 10)).await;
    sim.create_batch(json!({"taskTemplateId": "1", "fleetId": "1"}))
        .await; // tasks 1-60
    sim.create_batch(json!({"taskTemplateId": "1", "fleetId": "2"}))
        .await; // 61-100
    let third = sim
        .create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["5"]}))
        .await;
    assert_eq!(third["id"], 3);
    assert_eq!(third["taskIds"], json!([101]));
    assert_eq!(
        sim.task_get("/v3/applicationInstance/taskBatch/1")
            .await
            .status,
        404
    );
    assert_eq!(
        sim.task_get("/v3/applicationInstance/task/60").await.status,
        404
    );
    assert_eq!(get_task(&sim, &json!(61)).await["batchId"], 2);
    assert_eq!(sim.world().task_count(), 41);
}
