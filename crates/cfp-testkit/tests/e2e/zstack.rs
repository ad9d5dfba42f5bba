//! ZStack over loopback: upload-job details, PUT and GET forms.

use cfp_model::Method;
use cfp_testkit::world::{
    DEMO_ZSTACK_FAILING_IMAGE, DEMO_ZSTACK_IDLE_IMAGE, DEMO_ZSTACK_IMAGE,
    DEMO_ZSTACK_RUNNING_IMAGE, DEMO_ZSTACK_STRING_IMAGE,
};
use serde_json::Value;

use crate::support::Sim;

const VENDOR_BODY: &str = r#"{"existingJobDetails":[{"longJobUuid":"0792dd52aeb9329cb1e677fae6465f23","longJobState":"Suspended","imageUuid":"ccf943310d86335bb3d2511ca8e14137","imageUploadUrl":"http://127.0.0.1:8001/imagestore/upload","offset":452984832E8}]}"#;

#[tokio::test]
async fn a_suspended_upload_is_the_vendor_example_with_its_exponent_offset() {
    let sim = Sim::start().await;
    let r = sim
        .zstack_put(
            DEMO_ZSTACK_IMAGE,
            r#"{"systemTags":["resumable::true"],"userTags":["release-1.4.2"]}"#,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), VENDOR_BODY);
    let job: cfp_model::UploadJobDetails = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        job.existing_job_details[0].offset.map(|o| o.get()),
        Some(45_298_483_200_000_000)
    );
}

#[tokio::test]
async fn the_get_form_answers_the_same() {
    let sim = Sim::start().await;
    let r = sim
        .zstack_get(DEMO_ZSTACK_IMAGE, "?systemTags=a&systemTags=b&userTags=c")
        .await;
    assert_eq!(r.text(), VENDOR_BODY);
    let r = sim.zstack_get(DEMO_ZSTACK_IMAGE, "").await;
    assert_eq!(r.text(), VENDOR_BODY);
    let r = sim.zstack_put(DEMO_ZSTACK_IMAGE, "{}").await;
    assert_eq!(r.text(), VENDOR_BODY);
}

#[tokio::test]
async fn a_running_upload_grows_with_the_clock_until_done() {
    let sim = Sim::start().await;
    let offset = |v: Value| v["existingJobDetails"][0]["offset"].as_u64();
    sim.advance(10);
    let a = sim.zstack_put(DEMO_ZSTACK_RUNNING_IMAGE, "{}").await.json();
    assert_eq!(a["success"], true);
    assert_eq!(a["error"], Value::Null);
    assert_eq!(a["existingJobDetails"][0]["longJobState"], "Running");
    sim.advance(10);
    let b = sim.zstack_put(DEMO_ZSTACK_RUNNING_IMAGE, "{}").await.json();
    assert!(offset(b).unwrap() > offset(a).unwrap());
    sim.advance(100_000);
    let done = sim.zstack_put(DEMO_ZSTACK_RUNNING_IMAGE, "{}").await.json();
    assert_eq!(done["existingJobDetails"], Value::Null);
}

#[tokio::test]
async fn jobs_can_come_as_a_string_or_not_at_all() {
    let sim = Sim::start().await;
    let s = sim.zstack_put(DEMO_ZSTACK_STRING_IMAGE, "{}").await.json();
    let inner: Value = serde_json::from_str(s["existingJobDetails"].as_str().unwrap()).unwrap();
    assert_eq!(inner[0]["longJobState"], "Running");
    let none = sim.zstack_put(DEMO_ZSTACK_IDLE_IMAGE, "{}").await.json();
    assert_eq!(none["existingJobDetails"], Value::Null);
    assert_eq!(none["success"], true);
}

#[tokio::test]
async fn an_upload_id_that_matches_no_job_is_a_success_with_no_jobs() {
    // ZStack's handler replies at once when no unfinished upload carries the
    // id: nothing set, HTTP 200 (not a 404).
    let sim = Sim::start().await;
    for r in [
        sim.zstack_put("0000000000000000000000000000dead", "{}")
            .await,
        sim.zstack_get("0000000000000000000000000000dead", "").await,
    ] {
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), serde_json::json!({}));
        let d = cfp_model::zstack::decode_as::<cfp_model::UploadJobDetails>(&r.body).unwrap();
        assert!(d.existing_job_details.is_empty());
    }
}

#[tokio::test]
async fn header_problems_are_a_plain_text_400_and_a_wrong_session_a_503_id_1001() {
    let sim = Sim::start().await;
    let path = format!("/zstack/v1/images/upload-job/details/{DEMO_ZSTACK_IMAGE}");
    let missing = sim
        .send(Method::Put, &path, sim.http.put(sim.url(&path)).body("{}"))
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.header("content-type").as_deref(),
        Some("text/plain")
    );
    assert_eq!(missing.text(), "missing header 'Authorization'");
    let basic = sim
        .send(
            Method::Put,
            &path,
            sim.http
                .put(sim.url(&path))
                .basic_auth("demo", Some("demo"))
                .body("{}"),
        )
        .await;
    assert_eq!(basic.status, 400);
    assert_eq!(basic.text(), "Authorization type must be 'OAuth'");
    let wrong = sim
        .send(
            Method::Put,
            &path,
            sim.http
                .put(sim.url(&path))
                .header("Authorization", "OAuth nope")
                .body("{}"),
        )
        .await;
    assert_eq!(wrong.status, 503);
    assert_eq!(wrong.json()["error"]["code"], "ID.1001");
    crate::support::assert_conforms(cfp_model::OperationId::GetUploadJobDetails, &wrong);
}

#[tokio::test]
async fn the_put_form_can_answer_405_so_clients_fall_back_to_get() {
    let sim = Sim::start().await;
    sim.world().set_zstack_put_allowed(false);
    let r = sim.zstack_put(DEMO_ZSTACK_IMAGE, "{}").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow").as_deref(), Some("GET"));
    assert_eq!(
        sim.zstack_get(DEMO_ZSTACK_IMAGE, "").await.text(),
        VENDOR_BODY
    );
    sim.world().set_zstack_put_allowed(true);
    assert_eq!(sim.zstack_put(DEMO_ZSTACK_IMAGE, "{}").await.status, 200);
}

#[tokio::test]
async fn a_body_that_is_not_the_documented_one_is_a_failed_call() {
    let sim = Sim::start().await;
    let path = format!("/zstack/v1/images/upload-job/details/{DEMO_ZSTACK_IMAGE}");
    for body in [r#"{"tags": []}"#, r#"{"systemTags": [1]}"#, "[]", "{"] {
        let r = sim
            .send_raw(
                sim.http
                    .put(sim.url(&path))
                    .header("Authorization", "OAuth demo")
                    .body(body),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 503, "{body}");
        assert_eq!(r.json()["error"]["code"], "SYS.1007");
        crate::support::assert_conforms(cfp_model::OperationId::GetUploadJobDetails, &r);
    }
}

#[tokio::test]
async fn a_failed_call_is_a_503_with_the_whole_error_chain() {
    let sim = Sim::start().await;
    for r in [
        sim.zstack_put(DEMO_ZSTACK_FAILING_IMAGE, "{}").await,
        sim.zstack_get(DEMO_ZSTACK_FAILING_IMAGE, "").await,
    ] {
        assert_eq!(r.status, 503);
        assert_eq!(r.json()["success"], "false");
        let e = cfp_model::zstack::error_from_body(&r.body).unwrap();
        let codes: Vec<_> = e.chain().filter_map(|c| c.code.clone()).collect();
        assert_eq!(codes, ["SYS.1001", "SYS.1000", "SYS.1000", "HOST.1001"]);
        crate::support::assert_conforms(cfp_model::OperationId::GetUploadJobDetails, &r);
    }
}
