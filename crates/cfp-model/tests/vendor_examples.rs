//! Every example response in the vendors' public documentation (the pages named
//! in `docs/openapi.yaml`),
//! with its placeholders replaced by plausible values, decodes to the
//! expected values.

use cfp_model::clanforge::{self, JobState};
use cfp_model::task::{TaskApiError, TaskCategory, TaskResultCode, TaskTemplate};
use cfp_model::zstack;
use cfp_model::{
    DiffId, DiffJob, FleetId, ImageStatus, RegionId, Single, Task, TaskBatch, TaskBatchId, TaskId,
    TimeForm, decode,
};

/// 000: image diff create. `joberror` and `jobeta` may be absent or null.
#[test]
fn diff_create_example() {
    let body = br#"{ "diffid" : 218595, "jobcreated" : 1763900000, "joberror" : null,
        "jobeta" : 1763900600, "jobfailed" : 0, "jobprogress" : 0,
        "jobstart" : "1763900010", "jobstateid" : 1, "jobstatename" : "Created",
        "jobupdated" : 1763900000 }"#;
    let job: DiffJob = clanforge::decode_reply(body).unwrap();
    assert_eq!(job.diff_id, DiffId(218_595));
    assert_eq!(job.created.as_secs(), 1_763_900_000);
    assert_eq!(job.error, None);
    assert_eq!(job.eta.unwrap().as_secs(), 1_763_900_600);
    assert_eq!(job.failures, 0);
    assert_eq!(job.progress, 0);
    let started = job.started.unwrap();
    assert_eq!(started.as_secs(), 1_763_900_010);
    assert_eq!(started.form(), TimeForm::String);
    assert_eq!(job.state(), JobState::Created);
    assert_eq!(job.updated.to_string(), "2025-11-23T12:13:20Z");
    assert_eq!(job.success, None);
}

/// 001: image diff retry, of a failed diff, now running again.
#[test]
fn diff_retry_example() {
    let body = br#"{ "diffid": 218595, "jobcreated": 1763900000, "joberror": "",
        "jobeta": 1763901200, "jobfailed": 0, "jobprogress": 35,
        "jobstart": "1763900700", "jobstateid": 4, "jobstatename": "Running",
        "jobupdated": 1763900900 }"#;
    let job: DiffJob = clanforge::decode_reply(body).unwrap();
    assert_eq!(job.state(), JobState::Running);
    assert_eq!(job.percent(), 35);
    assert_eq!(job.error_message(), None, "an empty joberror is no error");
    assert!(!job.is_terminal());
}

/// 002: image status with `detail=true`. The vendor example omits
/// `failed_machines` at every level although the table requires it.
#[test]
fn image_status_example() {
    let body = br#"{ "fleets": {
            "1": { "regions": {
                    "1": { "name": "Europe", "pending_machines": 2, "completed_machines": 10 },
                    "2": { "name": "North America", "pending_machines": 0, "completed_machines": 8 } },
                   "pending_machines": 2, "completed_machines": 18 },
            "2": { "regions": {
                    "3": { "name": "Asia", "pending_machines": 1, "completed_machines": 4 } },
                   "pending_machines": 1, "completed_machines": 4 } },
        "pending_machines": 3, "completed_machines": 22 }"#;
    let status: ImageStatus = clanforge::decode_reply(body).unwrap();
    assert_eq!(status.pending_machines, 3);
    assert_eq!(status.failed_machines, None);
    assert_eq!(status.counts().failed, 0);
    assert_eq!(status.counts().total(), 25);
    assert!(!status.is_ready());
    let fleets = status.fleets.as_ref().unwrap();
    assert_eq!(
        fleets.keys().copied().collect::<Vec<_>>(),
        [FleetId(1), FleetId(2)]
    );
    let europe = &fleets[&FleetId(1)].regions[&RegionId(1)];
    assert_eq!(europe.name, "Europe");
    assert_eq!(europe.counts().completed, 10);
    assert_eq!(fleets[&FleetId(2)].regions[&RegionId(3)].name, "Asia");
}

/// 002 without `detail`: counts only.
#[test]
fn image_status_without_detail() {
    let body = br#"{"pending_machines": 0, "failed_machines": 1, "completed_machines": 25}"#;
    let status: ImageStatus = clanforge::decode_reply(body).unwrap();
    assert!(status.fleets.is_none());
    assert!(status.is_ready());
    assert_eq!(status.counts().failed, 1);
}

/// 003 (vendor OpenAPI example): a task template with actions.
#[test]
fn task_template_example() {
    let body = br#"[{ "name": "Update", "description": "Update the game server", "id": 4,
        "actions": [ { "actionType": "stop", "requiredParams": [], "idx": 0 },
                     { "actionType": "update", "requiredParams": ["version"], "idx": 1 } ] }]"#;
    let templates: Vec<TaskTemplate> = decode("task templates", body).unwrap();
    assert_eq!(templates[0].id.get(), 4);
    assert_eq!(templates[0].actions[1].action_type, "update");
    assert_eq!(templates[0].required_params(), ["version"]);
}

/// 003: a template as the captured doc shows it (no actions).
#[test]
fn task_template_without_actions() {
    let body = br#"[{"id": 1, "name": "Restart", "description": "Restart the game server"}]"#;
    let templates: Vec<TaskTemplate> = decode("task templates", body).unwrap();
    assert!(templates[0].actions.is_empty());
}

/// 003: a task, as the vendor's OpenAPI example shows it (its `resultCode: 3`
/// is not a documented code: it decodes as `Unknown(3)`).
#[test]
fn task_example() {
    let body = br#"[{ "executeAt": 1763900000, "resultText": "restarting", "name": "Restart",
        "resultCode": 3, "entityId": 17, "lastActivityAt": 1763900030, "id": 41,
        "batchId": 9, "currentActionIdx": 1, "categoryId": 1, "finishedAt": 0 }]"#;
    let task = decode::<Single<Task>>("task", body).unwrap().into_inner();
    assert_eq!(task.id, TaskId(41));
    assert_eq!(task.batch_id, TaskBatchId(9));
    assert_eq!(task.category_id, TaskCategory::GameServer);
    assert_eq!(task.entity_id.get(), 17);
    assert_eq!(task.result_code, TaskResultCode::Unknown(3));
    assert!(task.finished_at.is_unset());
}

/// 003: the answer of create, get, and list batch.
#[test]
fn task_batch_example() {
    let body = br#"[{ "executeAt": 1763900000, "numTasks": 5, "createdAt": 1763899990,
        "numTasksFailed": 1, "numTasksCancelled": 1, "numTasksOk": 2, "id": 9,
        "taskIds": [41, 42, 43, 44, 45], "finishedAt": 0 }]"#;
    let batch = decode::<Single<TaskBatch>>("task batch", body)
        .unwrap()
        .into_inner();
    assert_eq!(batch.num_tasks, 5);
    assert_eq!(batch.task_ids.len(), 5);
    assert_eq!(batch.percent(), 80);
    assert!(!batch.is_finished());
    assert!(batch.has_failures());
    let list: Vec<TaskBatch> = decode("task batches", body).unwrap();
    assert_eq!(list.len(), 1);
}

/// 003 (vendor OpenAPI): the error body.
#[test]
fn task_error_example() {
    let body = br#"{ "errorMessage": "Entity not found", "errorCode": 10001,
        "errors": [ { "property": "taskId", "message": "Invalid taskId" } ] }"#;
    let e = TaskApiError::from_body(body).unwrap();
    assert_eq!(e.error_code, 10001);
    assert_eq!(
        e.to_string(),
        "Entity not found (task api error 10001); taskId: Invalid taskId"
    );
}

/// 004: ZStack upload-job details, with `offset` in exponent notation.
#[test]
fn zstack_upload_job_example() {
    let body = br#"{ "existingJobDetails": [ { "longJobUuid": "0792dd52aeb9329cb1e677fae6465f23",
        "longJobState": "Suspended", "imageUuid": "ccf943310d86335bb3d2511ca8e14137",
        "imageUploadUrl": "http://127.0.0.1:8001/imagestore/upload", "offset": 452984832E8 } ] }"#;
    let details = zstack::decode_as::<cfp_model::UploadJobDetails>(body).unwrap();
    let job = &details.existing_job_details[0];
    assert_eq!(
        job.long_job_uuid.as_deref(),
        Some("0792dd52aeb9329cb1e677fae6465f23")
    );
    assert!(job.is_suspended());
    assert_eq!(
        job.image_uuid.as_deref(),
        Some("ccf943310d86335bb3d2511ca8e14137")
    );
    assert_eq!(
        job.image_upload_url.as_deref(),
        Some("http://127.0.0.1:8001/imagestore/upload")
    );
    assert_eq!(job.offset.unwrap().get(), 45_298_483_200_000_000);
}
