//! Shared fixtures: fake credentials, a client over a mock transport and a
//! manual clock, and wire bodies from the contract's examples.
#![allow(dead_code)]
// each test binary uses a different subset
// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub(crate) mod exercise;

use std::sync::Arc;

use cfp_api::{Client, ClientBuilder};
use cfp_api::{FixedRandom, ManualClock, MockTransport};

pub(crate) const KEY: &str = "test-key-DO-NOT-USE";
pub(crate) const SECRET: &str = "test-secret-DO-NOT-USE";
pub(crate) const TOKEN: &str = "test-token-DO-NOT-USE";
pub(crate) const SESSION: &str = "test-session-DO-NOT-USE";

/// `base64("test-key-DO-NOT-USE:test-secret-DO-NOT-USE")`.
pub(crate) fn basic_b64() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"))
}

/// Every string that must never be seen outside a request header.
pub(crate) fn secrets() -> Vec<String> {
    vec![
        KEY.into(),
        SECRET.into(),
        TOKEN.into(),
        SESSION.into(),
        basic_b64(),
        "DO-NOT-USE".into(),
    ]
}

/// Panics if `text` contains any secret.
pub(crate) fn assert_no_secret(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(&s), "{what} leaks {s:?}:\n{text}");
    }
}

pub(crate) struct Rig {
    pub(crate) client: Client,
    pub(crate) mock: MockTransport,
    pub(crate) clock: ManualClock,
}

/// A builder with every surface configured, the mock, an auto-advancing
/// manual clock and maximal jitter.
pub(crate) fn builder(mock: &MockTransport, clock: &ManualClock) -> ClientBuilder {
    Client::builder()
        .clanforge_url("https://clanforge.test")
        .clanforge_credentials(KEY, SECRET)
        .task_url("https://task.test")
        .task_token(TOKEN)
        .zstack_url("http://zstack.test:8080")
        .zstack_session(SESSION)
        .transport(Arc::new(mock.clone()))
        .clock(Arc::new(clock.clone()))
        .random(Arc::new(FixedRandom(1.0)))
}

pub(crate) fn rig() -> Rig {
    let mock = MockTransport::new();
    let clock = ManualClock::new().auto_advance();
    let client = builder(&mock, &clock).build().unwrap();
    Rig {
        client,
        mock,
        clock,
    }
}

pub(crate) fn task_json(id: u64, result_code: i64) -> String {
    format!(
        r#"{{"id": {id}, "name": "Restart", "batchId": 7, "categoryId": 1, "entityId": 13,
        "currentActionIdx": 0, "executeAt": 1763900000, "lastActivityAt": 1763900042,
        "finishedAt": 0, "resultCode": {result_code}, "resultText": "text {result_code}"}}"#
    )
}

pub(crate) fn batch_json(ok: u64, failed: u64, cancelled: u64, total: u64) -> String {
    format!(
        r#"{{"id": 7, "createdAt": 1763899990, "executeAt": 1763900000, "finishedAt": 0,
        "numTasks": {total}, "numTasksOk": {ok}, "numTasksFailed": {failed},
        "numTasksCancelled": {cancelled}, "taskIds": [41, 42, 43]}}"#
    )
}

pub(crate) fn diff_json(state_id: i64, progress: u32, eta: Option<i64>, failed: bool) -> String {
    let name = match state_id {
        1 => "Created",
        2 => "Pending",
        3 => "Queued",
        4 => "Running",
        5 => "Complete",
        6 => "Failed",
        7 => "Squashed",
        _ => "Mystery",
    };
    let eta = eta.map_or_else(|| "null".to_owned(), |e| e.to_string());
    format!(
        r#"{{"diffid": 218595, "jobcreated": 1763900000, "joberror": {err}, "jobeta": {eta},
        "jobfailed": {f}, "jobprogress": {progress}, "jobstart": "1763900100",
        "jobstateid": {state_id}, "jobstatename": "{name}", "jobupdated": 1763900130}}"#,
        err = if failed {
            "\"machine 2 did not answer\""
        } else {
            "null"
        },
        f = u8::from(failed),
    )
}

pub(crate) fn image_status_json(pending: u64, failed: u64, completed: u64) -> String {
    format!(
        r#"{{"pending_machines": {pending}, "failed_machines": {failed}, "completed_machines": {completed}}}"#
    )
}

pub(crate) const TEMPLATES: &str = r#"[{"id": 1, "name": "Restart", "description": "Restart the game server",
    "actions": [{"idx": 0, "actionType": "restart", "requiredParams": []}]},
    {"id": 4, "name": "Update", "description": "Update the game server"}]"#;

pub(crate) const UPLOAD_JOBS: &str = r#"{ "existingJobDetails": [ { "longJobUuid": "0792dd52aeb9329cb1e677fae6465f23", "longJobState": "Suspended", "imageUuid": "ccf943310d86335bb3d2511ca8e14137", "imageUploadUrl": "http://127.0.0.1:8001/imagestore/upload", "offset": 452984832E8 } ] }"#;
