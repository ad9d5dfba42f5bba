//! Conformance: the vendor docs' curl examples, with the default world's
//! ids, get the documented shapes; and a sweep over every operation of the
//! contract (its example from `cfp_testkit::examples`, then its refusals),
//! each answer validated against `docs/openapi.yaml` (every call in this
//! suite is validated the same way, through `Sim::send`).

use std::collections::BTreeSet;

use cfp_model::{Method, OperationId};
use cfp_testkit::examples;
use serde_json::{Value, json};

use crate::support::{Sim, keys};

fn key_set(v: &Value) -> BTreeSet<String> {
    keys(v).into_iter().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

const JOB_FIELDS: [&str; 10] = [
    "diffid",
    "jobcreated",
    "joberror",
    "jobeta",
    "jobfailed",
    "jobprogress",
    "jobstart",
    "jobstateid",
    "jobstatename",
    "jobupdated",
];

/// `curl --location --request GET 'https://api.multiplay.co.uk/cfp/v1/imagediff/create?accountserviceid=<accountserviceid>&imageid=<imageid>&machineid=<machineid>&diffid=<diffid>' --header 'Authorization: Basic …'`
#[tokio::test]
async fn vendor_example_image_diff_create() {
    let sim = Sim::start().await;
    let with_diff = sim
        .clanforge(
            "/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=1&diffid=218595",
        )
        .await
        .json();
    let without = sim
        .clanforge("/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=3")
        .await
        .json();
    for job in [with_diff, without] {
        let mut expected = set(&JOB_FIELDS);
        expected.insert("success".into());
        assert_eq!(key_set(&job), expected, "{job}");
        assert_eq!(job["jobstatename"], "Created");
    }
}

/// `curl --location --request GET 'https://api.multiplay.co.uk/cfp/v1/imagediff/<diffid>/retry?accountserviceid=<accountserviceid>' --header 'Authorization: Basic …'`
#[tokio::test]
async fn vendor_example_image_diff_retry() {
    let sim = Sim::start().await;
    let job = sim
        .clanforge("/cfp/v1/imagediff/218595/retry?accountserviceid=1")
        .await
        .json();
    let mut expected = set(&JOB_FIELDS);
    expected.insert("success".into());
    assert_eq!(key_set(&job), expected);
    // The vendor's example: a job not started yet, with nulls.
    assert_eq!(job["jobeta"], Value::Null);
    assert_eq!(job["jobstart"], Value::Null);
    assert_eq!(job["joberror"], Value::Null);
}

/// `curl --location --request GET 'https://api.multiplay.co.uk/cfp/v2/project/<accountserviceid>/image/<imageid>/status?detail=<detail>' --header 'Authorization: Basic …'`
#[tokio::test]
async fn vendor_example_image_status() {
    let sim = Sim::start().await;
    let s = sim
        .clanforge("/cfp/v2/project/1/image/1/status?detail=true")
        .await
        .json();
    assert_eq!(
        key_set(&s),
        set(&[
            "fleets",
            "pending_machines",
            "failed_machines",
            "completed_machines"
        ])
    );
    let fleet = &s["fleets"]["1"];
    assert_eq!(
        key_set(fleet),
        set(&["regions", "pending_machines", "completed_machines"])
    );
    assert_eq!(
        key_set(&fleet["regions"]["1"]),
        set(&["name", "pending_machines", "completed_machines"])
    );
    let plain = sim
        .clanforge("/cfp/v2/project/1/image/1/status?detail=false")
        .await
        .json();
    assert!(plain.get("fleets").is_none());
}

/// `curl -X PUT 'http://{host}/zstack/v1/images/upload-job/details/{imageId}' -H 'Authorization: OAuth {sessionUuid}' -H 'Content-Type: application/json;charset=UTF-8' -d '{"systemTags":["<systemTags>"],"userTags":["<userTags>"]}'`
#[tokio::test]
async fn vendor_example_upload_job_details() {
    let sim = Sim::start().await;
    let r = sim
        .zstack_put(
            "ccf943310d86335bb3d2511ca8e14137",
            r#"{"systemTags":["resumable::true"],"userTags":["release-1.4.2"]}"#,
        )
        .await;
    let v = r.json();
    assert_eq!(key_set(&v), set(&["existingJobDetails"]));
    assert_eq!(
        key_set(&v["existingJobDetails"][0]),
        set(&[
            "longJobUuid",
            "longJobState",
            "imageUuid",
            "imageUploadUrl",
            "offset"
        ])
    );
    assert!(r.text().contains("\"offset\":452984832E8"));
}

/// The task API doc's operations, in the order a user meets them.
#[tokio::test]
async fn vendor_doc_task_api_walkthrough() {
    let sim = Sim::start().await;
    let templates = sim
        .task_get("/v3/applicationInstance/task/template")
        .await
        .json();
    assert_eq!(
        key_set(&templates[0]),
        set(&["id", "name", "description", "actions"])
    );
    let batch = sim
        .create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["12", "13", "14"]}))
        .await;
    assert_eq!(
        key_set(&batch),
        set(&[
            "id",
            "createdAt",
            "executeAt",
            "finishedAt",
            "numTasks",
            "numTasksOk",
            "numTasksFailed",
            "numTasksCancelled",
            "taskIds"
        ])
    );
    let task_fields = set(&[
        "id",
        "name",
        "batchId",
        "categoryId",
        "entityId",
        "currentActionIdx",
        "executeAt",
        "lastActivityAt",
        "finishedAt",
        "resultCode",
        "resultText",
    ]);
    let list = sim.task_get("/v3/applicationInstance/task").await.json();
    assert_eq!(key_set(&list[0]), task_fields);
    let t = sim
        .task_get("/v3/applicationInstance/task/1")
        .await
        .single();
    assert_eq!(key_set(&t), task_fields);
    let batches = sim
        .task_get("/v3/applicationInstance/taskBatch")
        .await
        .json();
    assert_eq!(batches[0]["id"], batch["id"]);
}

/// Every operation, in its success and its refusals; `Sim::send` checks
/// each answer against the contract. The successes are the table of
/// examples, in the contract's order against a fresh default world (which
/// is what the table promises); each is sent again without credentials.
#[tokio::test]
async fn every_operation_answers_within_the_contract() {
    let sim = Sim::start().await;
    let mut seen = BTreeSet::new();
    let mut note = |op: OperationId, status: u16| {
        seen.insert((op, status));
    };
    for example in examples::all() {
        let op = example.operation;
        let r = sim.call(&example.params, true).await;
        assert_eq!(r.status, example.status, "{op}: {}", r.text());
        note(op, r.status);
        note(op, sim.call(&example.params, false).await.status);
    }

    note(
        OperationId::GetImageDiffStatus,
        sim.clanforge("/cfp/v1/imagediff/1/status?accountserviceid=1")
            .await
            .status,
    );
    note(
        OperationId::GetImageStatus,
        sim.clanforge("/cfp/v2/project/1/image/2/status?detail=true")
            .await
            .status,
    );
    let bad = sim
        .task(
            Method::Post,
            "/v3/applicationInstance/task",
            Some(json!({"taskTemplateId": "1"})),
        )
        .await;
    note(OperationId::CreateTaskBatch, bad.status);
    // The example's task is cancelled by now: neither can act on it again.
    for op in [OperationId::ToggleTaskPause, OperationId::CancelTask] {
        note(
            op,
            sim.call(&examples::example(op).params, true).await.status,
        );
    }
    for (op, path) in [
        (OperationId::GetTask, "/v3/applicationInstance/task/77"),
        (
            OperationId::GetTaskBatch,
            "/v3/applicationInstance/taskBatch/77",
        ),
    ] {
        note(op, sim.task(Method::Get, path, None).await.status);
    }
    for image in [
        "ccf943310d86335bb3d2511ca8e14137",
        "nope",
        cfp_testkit::world::DEMO_ZSTACK_FAILING_IMAGE,
    ] {
        note(
            OperationId::GetUploadJobDetails,
            sim.zstack_put(image, "{}").await.status,
        );
        note(
            OperationId::GetUploadJobDetailsByQuery,
            sim.zstack_get(image, "").await.status,
        );
    }
    let zpath = "/zstack/v1/images/upload-job/details/nope";
    for req in [
        sim.http.put(sim.url(zpath)).body("{}"),
        sim.http
            .put(sim.url(zpath))
            .header("Authorization", "OAuth expired")
            .body("{}"),
    ] {
        note(
            OperationId::GetUploadJobDetails,
            sim.send(Method::Put, zpath, req).await.status,
        );
    }
    sim.world().set_zstack_put_allowed(false);
    note(
        OperationId::GetUploadJobDetails,
        sim.zstack_put("ccf943310d86335bb3d2511ca8e14137", "{}")
            .await
            .status,
    );

    let ops: BTreeSet<OperationId> = seen.iter().map(|(op, _)| *op).collect();
    assert_eq!(
        ops.len(),
        OperationId::ALL.len(),
        "every operation exercised"
    );
    for expected in [
        (OperationId::CreateImageDiff, 200),
        (OperationId::CreateImageDiff, 401),
        (OperationId::GetImageDiffStatus, 404),
        (OperationId::CreateTaskBatch, 422),
        (OperationId::ToggleTaskPause, 409),
        (OperationId::CancelTask, 409),
        (OperationId::GetTask, 404),
        (OperationId::ListTasks, 403),
        (OperationId::GetUploadJobDetails, 400),
        (OperationId::GetUploadJobDetails, 503),
        (OperationId::GetUploadJobDetails, 405),
        (OperationId::GetUploadJobDetailsByQuery, 503),
        (OperationId::GetUploadJobDetailsByQuery, 200),
    ] {
        assert!(seen.contains(&expected), "{expected:?} in {seen:?}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_404_and_405() {
    let sim = Sim::start().await;
    let r = sim
        .send_raw(sim.http.get(sim.url("/nothing/here")))
        .await
        .unwrap();
    assert_eq!(r.status, 404);
    let r = sim
        .send_raw(sim.http.post(sim.url("/v3/applicationInstance/task/1")))
        .await
        .unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow").as_deref(), Some("GET, PUT, DELETE"));
}

#[tokio::test]
async fn an_undeclared_method_on_a_known_path_is_405_with_allow_on_every_surface() {
    let sim = Sim::start().await;
    for (method, path, allow) in [
        (reqwest::Method::POST, "/cfp/v1/imagediff/create", "GET"),
        (
            reqwest::Method::DELETE,
            "/cfp/v2/project/1/image/1/status",
            "GET",
        ),
        (
            reqwest::Method::PATCH,
            "/v3/applicationInstance/taskBatch/1",
            "GET",
        ),
        (
            reqwest::Method::DELETE,
            "/zstack/v1/images/upload-job/details/x",
            "GET, PUT",
        ),
    ] {
        let r = sim
            .send_raw(sim.http.request(method.clone(), sim.url(path)))
            .await
            .unwrap();
        assert_eq!(r.status, 405, "{method} {path}");
        assert_eq!(r.header("allow").as_deref(), Some(allow), "{method} {path}");
    }
}
