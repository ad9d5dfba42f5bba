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
async fn an_unknown_image_is_404_with_the_error_envelope() {
    let sim = Sim::start().await;
    for r in [
        sim.zstack_put("0000000000000000000000000000dead", "{}")
            .await,
        sim.zstack_get("0000000000000000000000000000dead", "").await,
    ] {
        assert_eq!(r.status, 404);
        let e = r.json();
        assert_eq!(e["error"]["code"], "SYS.1001");
        assert!(e["error"]["details"].as_str().unwrap().contains("dead"));
        assert_eq!(e["error"]["cause"], Value::Null);
    }
}

#[tokio::test]
async fn a_wrong_session_gets_401() {
    let sim = Sim::start().await;
    let path = format!("/zstack/v1/images/upload-job/details/{DEMO_ZSTACK_IMAGE}");
    for req in [
        sim.http.put(sim.url(&path)).body("{}"),
        sim.http
            .put(sim.url(&path))
            .header("Authorization", "OAuth nope")
            .body("{}"),
        sim.http
            .put(sim.url(&path))
            .basic_auth("demo", Some("demo"))
            .body("{}"),
    ] {
        let r = sim.send(Method::Put, &path, req).await;
        assert_eq!(r.status, 401);
        assert!(r.json()["error"]["code"].is_string());
    }
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
async fn a_body_that_is_not_the_documented_one_fails_in_a_200_body() {
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
        assert_eq!(r.status, 200, "{body}");
        assert_eq!(r.json()["success"], false);
        assert_eq!(r.json()["error"]["code"], "SYS.1007");
        crate::support::assert_conforms(cfp_model::OperationId::GetUploadJobDetails, &r);
    }
}

#[tokio::test]
async fn a_failure_can_come_in_a_200_body_with_its_cause() {
    let sim = Sim::start().await;
    for r in [
        sim.zstack_put(DEMO_ZSTACK_FAILING_IMAGE, "{}").await,
        sim.zstack_get(DEMO_ZSTACK_FAILING_IMAGE, "").await,
    ] {
        assert_eq!(r.status, 200);
        let err = cfp_model::zstack::decode_reply(&r.body).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SYS.1001: A resource is not found (no upload job details for \
             image[9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b]); caused by SYS.1000: An internal error \
             happened in system (image store backup storage[5b0c8d1a2e7f4f3f9d6a3e9b1c2d4e5f] \
             is disconnected)"
        );
    }
}
