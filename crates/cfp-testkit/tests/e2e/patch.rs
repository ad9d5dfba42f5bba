//! The patch operations over loopback: updates, locks, reject, versions
//! and their installs, image options, profile switches, ZStack sessions
//! and AccessKeys.

use cfp_model::Method;
use cfp_model::{FleetId, ImageId};
use cfp_testkit::world::DEMO_WAITING_DIFF_ID;
use serde_json::Value;

use crate::support::Sim;

const ASID: &str = "accountserviceid=1";

fn options(image: u64) -> String {
    format!("/cfp/v1/image/options?{ASID}&gameid=1&imageid={image}")
}

/// Advances until `path` answers `jobstatename` Complete(d) or Failed.
async fn until_done(sim: &Sim, path: &str) -> Value {
    for _ in 0..400 {
        let v = sim.clanforge(path).await.json();
        if matches!(
            v["jobstatename"].as_str(),
            Some("Complete" | "Completed" | "Failed")
        ) {
            return v;
        }
        sim.advance(5);
    }
    panic!("{path} never ended");
}

#[tokio::test]
async fn update_diff_version_and_install_make_a_patch() {
    let sim = Sim::start().await;
    // Image 1 is free and has a default update URL.
    let o = sim.clanforge(&options(1)).await.json();
    assert_eq!(
        (o["diffid"].clone(), o["updateid"].clone()),
        (0.into(), 0.into())
    );
    assert_eq!(o["update_url"], "s3://builds/demo-server/");

    let update = sim
        .clanforge(&format!(
            "/cfp/v1/imageupdate/create?{ASID}&imageid=1&machineid=1&desc=release%201.4.2"
        ))
        .await
        .json();
    let uid = update["updateid"].as_u64().unwrap();
    assert_eq!(uid, 7001);
    assert_eq!(sim.clanforge(&options(1)).await.json()["updateid"], uid);
    let done = until_done(&sim, &format!("/cfp/v1/imageupdate/{uid}/status?{ASID}")).await;
    assert_eq!(done["jobstatename"], "Completed");

    // The diff of the updated machine finds changes and locks the image.
    let diff = sim
        .clanforge(&format!(
            "/cfp/v1/imagediff/create?{ASID}&imageid=1&machineid=1"
        ))
        .await
        .json();
    let did = diff["diffid"].as_u64().unwrap();
    assert_eq!(sim.clanforge(&options(1)).await.json()["diffid"], did);
    let status = until_done(&sim, &format!("/cfp/v1/imagediff/{did}/status?{ASID}")).await;
    assert!(status["modified"].is_object(), "{status}");

    // Allocations refuse the install unless forced.
    sim.world().set_allocations(FleetId(1), 3);
    let version =
        format!("/cfp/v1/imageversion/create?{ASID}&diffid={did}&restart=1&install_at=NOW()");
    let refused = sim.clanforge(&version).await.json();
    assert_eq!(refused["error_code"], 5, "{refused}");
    let v = sim.clanforge(&format!("{version}&force=1")).await.json();
    let vid = v["imageversionid"].as_u64().unwrap();
    assert_eq!(vid, 5101);
    // Accepted: the image is free again, and a second version is refused.
    assert_eq!(sim.clanforge(&options(1)).await.json()["diffid"], 0);
    let again = sim.clanforge(&format!("{version}&force=1")).await.json();
    assert_eq!(again["error"], true);

    let built = until_done(&sim, &format!("/cfp/v1/imageversion/{vid}/status?{ASID}")).await;
    assert_eq!(built["jobstatename"], "Completed");
    // The install runs on the machines of fleets 1 and 2.
    let installs = sim
        .clanforge(&format!("/cfp/v1/imageinstall/status?{ASID}"))
        .await
        .json();
    let jobs = installs["installs"].as_array().unwrap();
    assert_eq!(jobs.len(), 4, "{installs}");
    assert!(jobs.iter().all(|j| j["target_imageversionid"] == vid));
    let rollout = "/cfp/v2/project/1/image/1/status";
    assert_eq!(sim.clanforge(rollout).await.json()["pending_machines"], 4);
    sim.advance(400);
    assert_eq!(sim.clanforge(rollout).await.json()["pending_machines"], 0);
    let installs = sim
        .clanforge(&format!("/cfp/v1/imageinstall/status?{ASID}"))
        .await
        .json();
    assert_eq!(installs["installs"], Value::Array(vec![]));
}

#[tokio::test]
async fn a_machine_matching_the_latest_version_needs_a_full_version() {
    let sim = Sim::start().await;
    // Accept the waiting diff of image 3 (machine 4); the machine then
    // matches the image.
    let accept = format!(
        "/cfp/v1/imageversion/create?{ASID}&diffid={}&restart=0",
        DEMO_WAITING_DIFF_ID
    );
    assert!(sim.clanforge(&accept).await.json()["imageversionid"].is_u64());
    let diff = sim
        .clanforge(&format!(
            "/cfp/v1/imagediff/create?{ASID}&imageid=3&machineid=4"
        ))
        .await
        .json();
    let did = diff["diffid"].as_u64().unwrap();
    let status = until_done(&sim, &format!("/cfp/v1/imagediff/{did}/status?{ASID}")).await;
    for kind in ["added", "modified", "removed"] {
        assert_eq!(status[kind], Value::Array(vec![]), "{status}");
    }
    let partial = format!("/cfp/v1/imageversion/create?{ASID}&diffid={did}&restart=1");
    let refused = sim.clanforge(&partial).await.json();
    assert_eq!(refused["error_code"], 4, "{refused}");
    let full = sim.clanforge(&format!("{partial}&full=1")).await.json();
    assert!(full["imageversionid"].is_u64(), "{full}");
}

#[tokio::test]
async fn reject_unlocks_and_reinstall_answers_an_uninstall_job() {
    let sim = Sim::start().await;
    // Image 4 is locked by its failed diff 218589.
    let o = sim.clanforge(&options(4)).await.json();
    assert_eq!(o["diffid"], 218_589);
    let locked = sim
        .clanforge(&format!(
            "/cfp/v1/imageupdate/create?{ASID}&imageid=4&machineid=1&desc=x&url=s3%3A%2F%2Fb%2Fx"
        ))
        .await
        .json();
    assert_eq!(locked["error_message"], "image locked by diffid: 218589");
    let r = sim
        .clanforge(&format!(
            "/cfp/v1/imagediff/218589/reject?{ASID}&reinstall=1"
        ))
        .await
        .json();
    assert!(r["uninstalljobid"].is_u64(), "{r}");
    assert_eq!(sim.clanforge(&options(4)).await.json()["diffid"], 0);
    let twice = sim
        .clanforge(&format!(
            "/cfp/v1/imagediff/218589/reject?{ASID}&reinstall=0"
        ))
        .await
        .json();
    assert_eq!(twice["error"], true);
    // A running diff cannot be rejected; reinstall is required.
    let diff = sim
        .clanforge(&format!(
            "/cfp/v1/imagediff/create?{ASID}&imageid=4&machineid=2"
        ))
        .await
        .json();
    let running = sim
        .clanforge(&format!(
            "/cfp/v1/imagediff/{}/reject?{ASID}&reinstall=0",
            diff["diffid"]
        ))
        .await
        .json();
    assert_eq!(running["error"], true);
    let missing = sim
        .clanforge(&format!(
            "/cfp/v1/imagediff/{}/reject?{ASID}",
            diff["diffid"]
        ))
        .await
        .json();
    assert_eq!(
        missing["error_message"],
        "missing or invalid parameter reinstall"
    );
}

#[tokio::test]
async fn a_failed_update_is_retried_and_counts_its_failures() {
    let sim = Sim::start().await;
    let retried = sim
        .clanforge(&format!("/cfp/v1/imageupdate/7000/retry?{ASID}"))
        .await
        .json();
    assert_eq!(retried["jobstatename"], "Created");
    assert_eq!(retried["jobfailed"], 1);
    let not_failed = sim
        .clanforge(&format!("/cfp/v1/imageupdate/7000/retry?{ASID}"))
        .await
        .json();
    assert_eq!(not_failed["error"], true);
    sim.world().fail_next_updates(1, "download failed");
    let created = sim
        .clanforge(&format!(
            "/cfp/v1/imageupdate/create?{ASID}&imageid=1&machineid=2&desc=x"
        ))
        .await
        .json();
    let failed = until_done(
        &sim,
        &format!("/cfp/v1/imageupdate/{}/status?{ASID}", created["updateid"]),
    )
    .await;
    assert_eq!(failed["jobstatename"], "Failed");
    assert_eq!(failed["success"], false);
    assert_eq!(failed["joberror"], "download failed");
    // Failed, it no longer locks the image.
    assert_eq!(sim.clanforge(&options(1)).await.json()["updateid"], 0);
    // A complete update locks the image until its diff is made.
    let ok = sim
        .clanforge(&format!(
            "/cfp/v1/imageupdate/create?{ASID}&imageid=1&machineid=2&desc=y"
        ))
        .await
        .json();
    let uid = ok["updateid"].clone();
    until_done(&sim, &format!("/cfp/v1/imageupdate/{uid}/status?{ASID}")).await;
    assert_eq!(sim.clanforge(&options(1)).await.json()["updateid"], uid);
    let diff = sim
        .clanforge(&format!(
            "/cfp/v1/imagediff/create?{ASID}&imageid=1&machineid=2"
        ))
        .await
        .json();
    assert_eq!(
        sim.clanforge(&options(1)).await.json()["diffid"],
        diff["diffid"]
    );
    assert_eq!(sim.clanforge(&options(1)).await.json()["updateid"], 0);
}

#[tokio::test]
async fn a_reservation_fleet_switches_ten_at_a_time() {
    let sim = Sim::start().await;
    let path = "/cfp/v2/fleet/2/switchprofile";
    let none = sim.clanforge(path).await.json();
    assert_eq!(none["State"], "not requested");
    let c = sim.credentials();
    let switch = |body: &str, fleet: u64| {
        let path = format!("/cfp/v2/fleet/{fleet}/switchprofile");
        let req = reqwest::Client::new()
            .patch(sim.url(&path))
            .basic_auth(&c.clanforge_key, Some(&c.clanforge_secret))
            .header("content-type", "application/json")
            .body(body.to_owned());
        (path, req)
    };
    let (p, req) = switch(
        r#"{"ProfileID": 12, "Timeout": "2h", "MaxMachines": 10}"#,
        2,
    );
    let started = sim.send(Method::Patch, &p, req).await.json();
    assert_eq!(started["State"], "pending");
    assert_eq!(started["ServersPending"], 40);
    sim.advance(10);
    let s = sim.clanforge(path).await.json();
    assert_eq!(
        (s["State"].clone(), s["ServersProcessed"].clone()),
        ("processing".into(), 10.into())
    );
    sim.advance(30);
    let s = sim.clanforge(path).await.json();
    assert_eq!(s["State"], "complete");
    assert_eq!(s["ServersPending"], 0);
    // Fleet 1 allocates: it takes no switch. An unknown profile is refused.
    let (p, req) = switch(r#"{"ProfileID": 12, "Timeout": "1h"}"#, 1);
    assert_eq!(sim.send(Method::Patch, &p, req).await.status, 400);
    let (p, req) = switch(r#"{"ProfileID": 99, "Timeout": "1h"}"#, 2);
    assert_eq!(sim.send(Method::Patch, &p, req).await.status, 404);
    let (p, req) = switch(r#"{"ProfileID": 12, "Timeout": "soon"}"#, 2);
    assert_eq!(sim.send(Method::Patch, &p, req).await.status, 400);
    assert!(sim.world().image_lock(ImageId(1)).is_none());
}

#[tokio::test]
async fn a_zstack_login_opens_a_session_that_logout_ends() {
    let sim = Sim::start().await;
    let login = |password: &str| {
        let digest = cfp_testkit_sha512(password);
        let body =
            format!(r#"{{"logInByAccount": {{"accountName": "admin", "password": "{digest}"}}}}"#);
        reqwest::Client::new()
            .put(sim.url("/zstack/v1/accounts/login"))
            .header("content-type", "application/json;charset=UTF-8")
            .body(body)
    };
    let wrong = sim
        .send(Method::Put, "/zstack/v1/accounts/login", login("nope"))
        .await;
    assert_eq!(wrong.status, 503);
    assert_eq!(wrong.json()["error"]["code"], "ID.1000");
    let ok = sim
        .send(Method::Put, "/zstack/v1/accounts/login", login("password"))
        .await;
    assert_eq!(ok.status, 200);
    let session = ok.json()["inventory"]["uuid"].as_str().unwrap().to_owned();
    let details = "/zstack/v1/images/upload-job/details/ccf943310d86335bb3d2511ca8e14137";
    let with = |session: &str| {
        reqwest::Client::new()
            .get(sim.url(details))
            .header("Authorization", format!("OAuth {session}"))
    };
    assert_eq!(
        sim.send(Method::Get, details, with(&session)).await.status,
        200
    );
    let out = format!("/zstack/v1/accounts/sessions/{session}");
    let req = reqwest::Client::new().delete(sim.url(&out));
    assert_eq!(sim.send(Method::Delete, &out, req).await.status, 200);
    let after = sim.send(Method::Get, details, with(&session)).await;
    assert_eq!(after.status, 503);
    assert_eq!(after.json()["error"]["code"], "ID.1001");
}

#[tokio::test]
async fn an_access_key_signs_method_date_and_path() {
    let sim = Sim::start().await;
    let details = "/zstack/v1/images/upload-job/details/ccf943310d86335bb3d2511ca8e14137";
    let now = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(sim.clock().now_secs()).unwrap());
    let send = |id: &str, secret: &str, at: std::time::SystemTime| {
        let c = cfp_transport_credentials(id, secret);
        let mut req = reqwest::Client::new().get(sim.url(details));
        for (name, value) in c.headers_for(&http::Method::GET, details, at) {
            req = req.header(name.as_str(), value.to_str().unwrap());
        }
        req
    };
    let ok = sim
        .send_raw(send("DEMOACCESSKEYID00001", "demo-access-key-secret", now))
        .await
        .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    let wrong = sim
        .send_raw(send("DEMOACCESSKEYID00001", "not-the-secret", now))
        .await
        .unwrap();
    assert_eq!(
        (wrong.status, wrong.text().as_str()),
        (403, "wrong accessKey signature")
    );
    let skewed = sim
        .send_raw(send(
            "DEMOACCESSKEYID00001",
            "demo-access-key-secret",
            now + std::time::Duration::from_secs(16 * 60),
        ))
        .await
        .unwrap();
    assert_eq!(
        (skewed.status, skewed.text().as_str()),
        (403, "requestTimeTooSkewed")
    );
    let unknown = sim.send_raw(send("NOSUCHKEY", "x", now)).await.unwrap();
    assert_eq!(unknown.status, 403);
}

fn cfp_testkit_sha512(password: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, password.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn cfp_transport_credentials(id: &str, secret: &str) -> cfp_api::Credentials {
    cfp_api::Credentials::access_key(id, secret).unwrap()
}
