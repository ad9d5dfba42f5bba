//! The journal (in-process and as NDJSON) and the `/_sim/` admin routes.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use cfp_model::{Method, OperationId};
use cfp_testkit::{Fault, RetryAfter};
use reqwest::Method as M;
use serde_json::{Value, json};

use crate::support::{Sim, builder};

const STATUS: &str = "/cfp/v2/project/1/image/1/status";

#[tokio::test]
async fn every_request_is_journaled_with_credentials_redacted() {
    let sim = Sim::start().await;
    sim.clanforge(&format!("{STATUS}?detail=true")).await;
    sim.task(
        Method::Post,
        "/v3/applicationInstance/task",
        Some(json!({"taskTemplateId": "1", "applicationInstanceIds": ["1"]})),
    )
    .await;
    sim.zstack_put("ccf943310d86335bb3d2511ca8e14137", r#"{"userTags":["x"]}"#)
        .await;
    let _ = sim
        .send_raw(sim.http.get(sim.url("/nowhere")))
        .await
        .unwrap();
    let entries = sim.journal().entries();
    assert_eq!(entries.len(), 4);

    let c = &entries[0];
    assert_eq!(c.operation, Some(OperationId::GetImageStatus));
    assert_eq!(c.method, "GET");
    assert_eq!(c.path, STATUS);
    assert_eq!(c.query.as_deref(), Some("detail=true"));
    assert_eq!(c.header("authorization"), Some("Basic ** redacted **"));
    assert_eq!(c.status, 200);
    assert_eq!(c.sim_time.as_second(), cfp_testkit::DEFAULT_START);

    let t = &entries[1];
    assert_eq!(t.operation, Some(OperationId::CreateTaskBatch));
    assert_eq!(t.header("private-token"), Some("** redacted **"));
    assert!(t.body_text().contains("taskTemplateId"));

    let z = &entries[2];
    assert_eq!(z.header("authorization"), Some("OAuth ** redacted **"));
    assert_eq!(z.body_text(), r#"{"userTags":["x"]}"#);

    assert_eq!(entries[3].operation, None);
    assert_eq!(entries[3].status, 404);

    // Nothing secret anywhere: not in the entries, not in the NDJSON.
    let secret = sim.credentials().clanforge_basic_header();
    let secret = secret.trim_start_matches("Basic ");
    let dump = format!("{entries:?}");
    assert!(!dump.contains(secret));
    assert!(!dump.contains("OAuth demo"));
    let ndjson = sim.admin(M::GET, "/_sim/journal", None).await.text();
    assert_eq!(ndjson.lines().count(), 4);
    assert!(!ndjson.contains(secret));
    assert!(!ndjson.contains("\"demo\""));
    let first: Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
    assert_eq!(first["operation"], "getImageStatus");
    assert_eq!(first["status"], 200);
    // Nor in the simulator's own Debug output.
    assert!(!format!("{:?}", sim.sim).contains(secret));
}

#[tokio::test]
async fn counts_per_operation_survive_the_size_cap() {
    let sim = Sim::with(builder().journal_capacity(5)).await;
    for _ in 0..8 {
        sim.clanforge(STATUS).await;
    }
    sim.task_get("/v3/applicationInstance/task").await;
    let j = sim.journal();
    assert_eq!(j.len(), 5);
    assert_eq!(j.dropped(), 4);
    assert_eq!(j.count(OperationId::GetImageStatus), 8);
    assert_eq!(j.count(OperationId::ListTasks), 1);
    assert_eq!(j.total(), 9);
    assert_eq!(j.entries()[0].seq, 5);
    assert!(j.requests_per_second(None) > 0.0);
    assert!(j.max_requests_in(None, Duration::from_secs(3600)) == 5);
}

#[tokio::test]
async fn retry_after_is_checked_against_when_the_client_came_back() {
    let sim = Sim::start().await;
    let rule = |secs| {
        cfp_testkit::FaultRule::new(Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(secs),
        })
        .operation(OperationId::GetImageStatus)
        .times(1)
    };
    // An impatient client comes back at once, not a minute later.
    sim.faults().add(rule(60));
    assert_eq!(sim.clanforge(STATUS).await.status, 429);
    assert_eq!(sim.clanforge(STATUS).await.status, 200);
    let v = sim
        .journal()
        .check_retry_after(Some(OperationId::GetImageStatus))
        .unwrap_err();
    assert_eq!(v.retry_after, Duration::from_secs(60));
    // A patient one waits (one real second: Retry-After is real time).
    sim.journal().clear();
    sim.faults().add(rule(1));
    assert_eq!(sim.clanforge(STATUS).await.status, 429);
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    assert_eq!(sim.clanforge(STATUS).await.status, 200);
    sim.journal().check_retry_after(None).unwrap();
}

#[tokio::test]
async fn the_admin_routes_drive_the_clock_faults_and_world() {
    let sim = Sim::start().await;
    // Clock.
    let c = sim
        .admin(M::POST, "/_sim/clock/advance", Some(json!({"seconds": 90})))
        .await
        .json();
    assert_eq!(c["now"], cfp_testkit::DEFAULT_START + 90);
    assert_eq!(
        sim.admin(M::GET, "/_sim/clock", None).await.json()["speed"],
        0.0
    );
    // Faults: add, see, remove.
    let id = sim
        .admin(
            M::POST,
            "/_sim/faults",
            Some(json!({"fault": {"kind": "status", "status": 503},
                "operation": "getImageStatus", "times": 1})),
        )
        .await
        .json()["id"]
        .clone();
    assert_eq!(sim.clanforge(STATUS).await.status, 503);
    let listed = sim.admin(M::GET, "/_sim/faults", None).await.json();
    assert_eq!(listed["rules"][0]["applied"], 1);
    sim.admin(M::DELETE, &format!("/_sim/faults/{id}"), None)
        .await;
    sim.admin(M::POST, "/_sim/faults/rate", Some(json!({"rate": 1.0})))
        .await;
    assert_ne!(sim.clanforge(STATUS).await.status, 200);
    sim.admin(M::DELETE, "/_sim/faults", None).await;
    assert_eq!(sim.clanforge(STATUS).await.status, 200);
    // World: offline instance, partial failures, ZStack 405, diff failure.
    sim.admin(
        M::POST,
        "/_sim/world/instances/17/offline",
        Some(json!({"offline": true})),
    )
    .await;
    sim.admin(
        M::POST,
        "/_sim/world/zstack/put-allowed",
        Some(json!({"allowed": false})),
    )
    .await;
    assert_eq!(
        sim.zstack_put("ccf943310d86335bb3d2511ca8e14137", "{}")
            .await
            .status,
        405
    );
    sim.admin(
        M::POST,
        "/_sim/world/diffs/fail-next",
        Some(json!({"message": "nope"})),
    )
    .await;
    let id = sim
        .clanforge("/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=2")
        .await
        .json()["diffid"]
        .clone();
    sim.admin(
        M::POST,
        "/_sim/clock/advance",
        Some(json!({"seconds": 1000})),
    )
    .await;
    let s = sim
        .clanforge(&format!("/cfp/v1/imagediff/{id}/status?accountserviceid=1"))
        .await
        .json();
    assert_eq!(s["joberror"], "nope");
    sim.admin(
        M::POST,
        "/_sim/world/task-failures",
        Some(json!({"region": 1, "fraction": 1.0})),
    )
    .await;
    let b = sim
        .create_batch(json!({"taskTemplateId": "2", "applicationInstanceIds": ["1", "2", "17"]}))
        .await;
    sim.admin(
        M::POST,
        "/_sim/clock/advance",
        Some(json!({"seconds": 1000})),
    )
    .await;
    let b = sim
        .task_get(&format!("/v3/applicationInstance/taskBatch/{}", b["id"]))
        .await
        .single();
    // 1 and 17 are odd (region 1), 17 is offline too: only 2 succeeds.
    assert_eq!(b["numTasksFailed"], 2);
    assert_eq!(b["numTasksOk"], 1);
    // Journal over HTTP, filtered.
    let only = sim
        .admin(M::GET, "/_sim/journal?operation=createTaskBatch", None)
        .await
        .text();
    assert_eq!(only.lines().count(), 1);
    let last_seq = sim.journal().last().unwrap().seq;
    let since = sim
        .admin(M::GET, &format!("/_sim/journal?since={last_seq}"), None)
        .await
        .text();
    assert_eq!(since.lines().count(), 1);
    // Reset: journal, faults and world start over.
    sim.admin(M::POST, "/_sim/reset", None).await;
    assert!(sim.journal().is_empty());
    assert_eq!(sim.world().batch_count(), 0);
    assert_eq!(
        sim.zstack_put("ccf943310d86335bb3d2511ca8e14137", "{}")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn bad_admin_requests_are_refused_clearly() {
    let sim = Sim::start().await;
    for (method, path, body) in [
        (M::GET, "/_sim/nothing", None),
        (M::POST, "/_sim/clock/advance", Some("{\"seconds\": -1}")),
        (
            M::POST,
            "/_sim/faults",
            Some("{\"fault\": {\"kind\": \"meteor\"}}"),
        ),
        (M::GET, "/_sim/journal?operation=nope", None),
        (M::POST, "/_sim/world/instances/999/offline", Some("{}")),
    ] {
        let mut req = sim.http.request(method.clone(), sim.url(path));
        if let Some(b) = body {
            req = req.body(b);
        }
        let r = sim.send_raw(req).await.unwrap();
        assert!(r.status >= 400, "{method} {path}: {}", r.status);
        assert!(r.json()["error"].is_string());
    }
}

#[tokio::test]
async fn off_loopback_the_admin_routes_need_the_token() {
    let sim = Sim::with(builder().bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))).await;
    let token = sim.admin_token().expect("a token off loopback").to_owned();
    assert_eq!(token.len(), 32);
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    for req in [
        sim.http.get(sim.url("/_sim/journal")),
        sim.http
            .get(sim.url("/_sim/journal"))
            .header("X-Sim-Token", "guess"),
        sim.http.post(sim.url("/_sim/reset")),
    ] {
        assert_eq!(sim.send_raw(req).await.unwrap().status, 401);
    }
    let ok = sim
        .send_raw(
            sim.http
                .get(sim.url("/_sim/journal"))
                .header("X-Sim-Token", &token),
        )
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    let ok = sim
        .send_raw(sim.http.get(sim.url("/_sim/health")).bearer_auth(&token))
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    // The APIs themselves answer as usual.
    assert_eq!(sim.clanforge(STATUS).await.status, 200);
}

#[tokio::test]
async fn on_loopback_the_admin_routes_need_no_token() {
    let sim = Sim::start().await;
    assert_eq!(sim.admin_token(), None);
    sim.admin(M::GET, "/_sim/health", None).await;
}

#[tokio::test]
async fn open_connections_are_counted_until_the_client_closes_them() {
    let sim = Sim::start().await;
    assert_eq!(sim.open_connections(), 0);
    let client = crate::support::client();
    for _ in 0..3 {
        let r = client
            .get(sim.url(STATUS))
            .basic_auth("demo", Some("demo"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    // Keep-alive: one pooled connection served all three.
    assert_eq!(sim.accepted_connections(), 1);
    assert_eq!(sim.open_connections(), 1);
    drop(client);
    let mut closed = false;
    for _ in 0..250 {
        if sim.open_connections() == 0 {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        closed,
        "the server closed its side once the client went away"
    );
    assert_eq!(sim.accepted_connections(), 1);
}
