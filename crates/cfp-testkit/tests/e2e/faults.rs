//! Every fault class, observed on the wire.

use std::time::Duration;

use cfp_model::{Method, OperationId};
use cfp_testkit::{Fault, FaultPlan, FaultRule, RetryAfter};
use serde_json::json;

use crate::support::{Sim, builder};

const STATUS: &str = "/cfp/v2/project/1/image/1/status";
const TASKS: &str = "/v3/applicationInstance/task";

fn status(s: u16) -> Fault {
    Fault::Status { status: s }
}

#[tokio::test]
async fn error_statuses_come_in_each_surfaces_shape() {
    let sim = Sim::start().await;
    for s in [500, 502, 503, 504] {
        let rule = sim.faults().add(FaultRule::new(status(s)).times(3));
        let c = sim.clanforge(STATUS).await;
        assert_eq!(c.status, s);
        assert_eq!(c.json()["success"], false);
        let t = sim.task_get(TASKS).await;
        assert_eq!(t.status, s);
        assert!(t.json()["errorCode"].is_i64());
        // A ZStack 5xx with ZStack's error body would be the service's final
        // answer: an injected fault stands for a proxy, which answers in
        // plain text, so that clients retry it.
        let z = sim.zstack_get("ccf943310d86335bb3d2511ca8e14137", "").await;
        assert_eq!(z.status, s);
        assert_eq!(z.header("content-type").as_deref(), Some("text/plain"));
        assert!(cfp_model::zstack::error_from_body(&z.body).is_none());
        assert!(!cfp_model::Surface::ZStack.is_final_answer(s, &z.body));
        assert_eq!(sim.faults().applied(rule), 3);
    }
    // Rules used up: normal answers again.
    assert_eq!(sim.clanforge(STATUS).await.status, 200);
    let faults: Vec<_> = sim
        .journal()
        .entries()
        .iter()
        .filter_map(|e| e.fault.clone())
        .collect();
    assert_eq!(faults.len(), 12);
    assert_eq!(faults[0], "status-500");
}

#[tokio::test]
async fn a_refused_request_is_not_carried_out() {
    let sim = Sim::start().await;
    sim.faults()
        .add(FaultRule::fail_next(OperationId::CreateTaskBatch, 1, 503));
    let body = json!({"taskTemplateId": "1", "applicationInstanceIds": ["1"]});
    let r = sim.task(Method::Post, TASKS, Some(body.clone())).await;
    assert_eq!(r.status, 503);
    assert_eq!(sim.world().batch_count(), 0);
    let r = sim.task(Method::Post, TASKS, Some(body)).await;
    assert_eq!(r.status, 200);
    assert_eq!(sim.world().batch_count(), 1);
}

#[tokio::test]
async fn too_many_requests_carries_retry_after_in_seconds_or_as_a_date() {
    let sim = Sim::start().await;
    sim.faults().add(
        FaultRule::new(Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(7),
        })
        .times(1),
    );
    let r = sim.clanforge(STATUS).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after").as_deref(), Some("7"));
    assert_eq!(
        sim.journal().last().unwrap().retry_after,
        Some(Duration::from_secs(7))
    );
    sim.faults().add(
        FaultRule::new(Fault::Unavailable {
            retry_after: RetryAfter::HttpDate(30),
        })
        .times(1),
    );
    let r = sim.task_get(TASKS).await;
    assert_eq!(r.status, 503);
    let date = httpdate_parse(&r.header("retry-after").unwrap());
    let wait = date.duration_since(std::time::SystemTime::now()).unwrap();
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(31),
        "{wait:?}"
    );
}

fn httpdate_parse(s: &str) -> std::time::SystemTime {
    httpdate::parse_http_date(s).unwrap_or_else(|e| panic!("not an HTTP-date {s:?}: {e}"))
}

#[tokio::test]
async fn a_connection_reset_cuts_the_answer_after_the_request_was_carried_out() {
    let sim = Sim::start().await;
    sim.faults().add(
        FaultRule::new(Fault::ConnectionReset)
            .operation(OperationId::CreateTaskBatch)
            .times(1),
    );
    let body = json!({"taskTemplateId": "1", "applicationInstanceIds": ["1"]}).to_string();
    let err = sim
        .send_raw(
            sim.http
                .post(sim.url(TASKS))
                .header("PRIVATE-TOKEN", "demo")
                .body(body),
        )
        .await
        .expect_err("the answer is cut");
    assert!(
        err.is_body() || err.is_request() || err.is_decode(),
        "{err:?}"
    );
    // It did happen: the batch exists.
    assert_eq!(sim.world().batch_count(), 1);
    let e = sim.journal().last().unwrap();
    assert_eq!(e.fault.as_deref(), Some("reset"));
    assert_eq!(e.status, 200);
    // The server is fine: the next call on a fresh connection works.
    assert_eq!(sim.task_get(TASKS).await.status, 200);
}

#[tokio::test]
async fn truncated_json_is_a_complete_answer_with_half_a_body() {
    let sim = Sim::start().await;
    sim.faults().add(
        FaultRule::new(Fault::TruncatedJson)
            .operation(OperationId::GetImageStatus)
            .times(1),
    );
    let r = sim
        .send_raw(
            sim.http
                .get(sim.url(STATUS))
                .basic_auth("demo", Some("demo")),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        r.body.len()
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert!(r.text().starts_with("{\"pending_machines\""));
}

#[tokio::test]
async fn an_html_error_page_as_a_proxy_sends() {
    let sim = Sim::start().await;
    sim.faults()
        .add(FaultRule::new(Fault::HtmlErrorPage { status: 502 }).times(1));
    let r = sim
        .send_raw(sim.http.get(sim.url(TASKS)).header("PRIVATE-TOKEN", "demo"))
        .await
        .unwrap();
    assert_eq!(r.status, 502);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("<title>502 Bad Gateway</title>"));
    // 502 is declared without a body schema: still within the contract.
    crate::support::assert_conforms(OperationId::ListTasks, &r);
}

#[tokio::test]
async fn a_body_slower_than_the_clients_timeout() {
    let sim = Sim::start().await;
    sim.faults().add(
        FaultRule::new(Fault::SlowBody { millis: 10_000 })
            .operation(OperationId::GetTask)
            .times(1),
    );
    sim.create_batch(json!({"taskTemplateId": "1", "applicationInstanceIds": ["1"]}))
        .await;
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = sim
        .send_raw(
            impatient
                .get(sim.url("/v3/applicationInstance/task/1"))
                .header("PRIVATE-TOKEN", "demo"),
        )
        .await
        .expect_err("the client times out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        sim.journal().last().unwrap().fault.as_deref(),
        Some("slow-body-10000ms")
    );
}

#[tokio::test]
async fn latency_delays_a_normal_answer() {
    let sim = Sim::start().await;
    sim.faults().add(
        FaultRule::new(Fault::Latency { millis: 30 })
            .operation(OperationId::GetImageStatus)
            .times(1),
    );
    let r = sim.clanforge(STATUS).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        sim.journal().last().unwrap().fault.as_deref(),
        Some("latency-30ms")
    );
}

#[tokio::test]
async fn a_429_on_the_third_poll_of_one_diff() {
    let sim = Sim::start().await;
    sim.faults().add(
        FaultRule::new(Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(1),
        })
        .operation(OperationId::GetImageDiffStatus)
        .resource(218_595)
        .nth(3)
        .times(1),
    );
    let mut got = Vec::new();
    for path in [
        "/cfp/v1/imagediff/218595/status?accountserviceid=1",
        "/cfp/v1/imagediff/218595/status?accountserviceid=1",
        "/cfp/v1/imagediff/218596/status?accountserviceid=1",
        "/cfp/v1/imagediff/218595/status?accountserviceid=1",
        "/cfp/v1/imagediff/218595/status?accountserviceid=1",
    ] {
        got.push(sim.clanforge(path).await.status);
    }
    assert_eq!(got, [200, 200, 404, 429, 200]);
}

#[tokio::test]
async fn a_fault_only_while_the_diff_is_running() {
    let sim = Sim::start().await;
    let id = sim
        .clanforge("/cfp/v1/imagediff/create?accountserviceid=1&imageid=1&machineid=2")
        .await
        .json()["diffid"]
        .clone();
    sim.faults().add(
        FaultRule::new(status(504))
            .operation(OperationId::GetImageDiffStatus)
            .state(4),
    );
    let path = format!("/cfp/v1/imagediff/{id}/status?accountserviceid=1");
    assert_eq!(sim.clanforge(&path).await.status, 200);
    sim.advance(30);
    assert_eq!(sim.clanforge(&path).await.status, 504);
    sim.advance(1000);
    assert_eq!(sim.clanforge(&path).await.status, 200);
}

async fn faults_seen(seed: u64) -> Vec<Option<String>> {
    let sim = Sim::with(builder().seed(seed).faults(FaultPlan::none().rate(0.5))).await;
    for _ in 0..40 {
        let _ = sim
            .send_raw(
                sim.http
                    .get(sim.url(STATUS))
                    .basic_auth("demo", Some("demo")),
            )
            .await;
    }
    sim.journal()
        .entries()
        .into_iter()
        .map(|e| e.fault)
        .collect()
}

#[tokio::test]
async fn the_global_rate_is_decided_by_the_seed() {
    let a = faults_seen(9).await;
    let b = faults_seen(9).await;
    assert_eq!(a, b);
    let n = a.iter().filter(|f| f.is_some()).count();
    assert!((8..=32).contains(&n), "about half of 40: {n}");
    let kinds: std::collections::BTreeSet<_> = a.iter().flatten().collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
}

#[tokio::test]
async fn a_rate_of_one_faults_every_request_and_clear_stops_it() {
    let sim = Sim::with(builder().faults(FaultPlan::none().rate(1.0).mix(vec![status(502)]))).await;
    for _ in 0..5 {
        assert_eq!(sim.clanforge(STATUS).await.status, 502);
    }
    sim.faults().clear();
    assert_eq!(sim.clanforge(STATUS).await.status, 200);
}
