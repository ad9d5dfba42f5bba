//! The patch commands against a simulator on loopback: image updates,
//! diff reject, image versions and installs, image options, fleet profile
//! switches, ZStack login and logout, and ZStack AccessKeys — JSON shapes,
//! tables, waits, hints and exit codes. Bad input on them is in
//! `bad_input.rs`, the secret checks in `secret_hygiene.rs`, lost answers
//! in `outcomes.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::time::Duration;

use cfp_api::model::{FleetId, ImageId, OperationId};
use cfp_testkit::ClockMode;
use cfp_testkit::world::World;
use serde_json::Value;
use support::*;

// ---------------------------------------------------------------------------
// Image updates

#[test]
fn imageupdate_create_status_and_retry() {
    let s = Sim::start(ClockMode::Manual);
    // No URL given: the image's default one is used.
    let out = run(s
        .cfp()
        .args(["imageupdate", "create", "--image", "1", "--machine", "1"])
        .args(["--desc", "release 1.4.2"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let job = stdout_json(&out);
    assert_eq!(job["updateid"], 7001, "{job}");
    assert_eq!(job["jobstatename"], "Created");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    let out = run(s.cfp().args(["imageupdate", "status", "7001"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["updateid"], 7001);
    let out = run(s
        .cfp()
        .args(["-o", "table", "imageupdate", "status", "7001"]));
    let table = stdout(&out);
    assert!(table.contains("update  7001"), "{table}");
    assert!(table.contains("state  Created"), "{table}");

    // The world's failed update is retried; one still running is not.
    let out = run(s.cfp().args(["imageupdate", "retry", "7000"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let retried = stdout_json(&out);
    assert_eq!(retried["updateid"], 7000);
    assert_eq!(retried["jobfailed"], 1);
    let out = run(s.cfp().args(["imageupdate", "retry", "7001"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("only a failed update"),
        "{}",
        stderr(&out)
    );

    let out = run(s.cfp().args(["imageupdate", "status", "99999"]));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
}

#[test]
fn imageupdate_wait_streams_ndjson_progress_then_the_result() {
    let s = Sim::quick_jobs();
    let out = run(s
        .cfp()
        .args(["-o", "ndjson", "imageupdate", "create", "--image", "1"])
        .args(["--machine", "2", "--desc", "x", "--wait"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 3, "{lines:?}");
    // Progress events, the result event, then the result itself.
    assert_eq!(lines[lines.len() - 2]["type"], "result", "{lines:?}");
    for event in &lines[..lines.len() - 2] {
        assert_eq!(event["event"], "progress");
        assert_eq!(event["kind"], "update");
        assert_eq!(event["updateid"], 7001);
    }
    let last = lines.last().unwrap();
    assert_eq!(last["jobstateid"], 5, "{last}");
}

#[test]
fn a_url_from_the_environment_or_stdin_is_used_and_said_so() {
    let s = Sim::start(ClockMode::Manual);
    let out = run(s
        .cfp()
        .env("CFP_UPDATE_URL", "s3://builds/1.4.2/")
        .args(["imageupdate", "create", "--image", "2", "--machine", "3"])
        .args(["--desc", "x"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the update URL comes from CFP_UPDATE_URL"),
        "{}",
        stderr(&out)
    );
    let out = run(s
        .cfp()
        .env("MY_BUILD_URL", "https://builds.example.test/1.4.3/")
        .args(["imageupdate", "create", "--image", "4", "--machine", "3"])
        .args(["--desc", "x", "--url-env", "MY_BUILD_URL"]));
    // Image 4 is locked by its failed diff: the URL was read and checked,
    // and the refusal names the commands that unlock it.
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let out = run(s
        .cfp()
        .args(["imageupdate", "create", "--image", "2", "--machine", "3"])
        .args(["--desc", "x", "--url-stdin"])
        .write_stdin("s3://builds/1.4.4/\n"));
    // Image 2 is now locked by the running update from the first create.
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("image 2 is locked by update 7001"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("wait for it with `cfp imageupdate status --asid 1 7001 --wait`"),
        "{}",
        stderr(&out)
    );
    // Without a URL, an image without a default one says how to give one.
    let out = run(s
        .cfp()
        .args(["imageupdate", "create", "--image", "3", "--machine", "3"])
        .args(["--desc", "x"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--url-env VAR"), "{}", stderr(&out));
}

#[test]
fn an_image_locked_by_a_diff_names_the_commands_that_unlock_it() {
    let s = Sim::start(ClockMode::Manual);
    for args in [
        &[
            "imageupdate",
            "create",
            "--image",
            "3",
            "--machine",
            "4",
            "--desc",
            "x",
        ][..],
        &["imagediff", "create", "--image", "3", "--machine", "4"],
    ] {
        let out = run(s
            .cfp()
            .env("CFP_UPDATE_URL", "s3://builds/legacy/")
            .args(args));
        let err = stderr(&out);
        assert_eq!(code(&out), 1, "{args:?}: {err}");
        assert!(err.contains("image 3 is locked by diff 218590"), "{err}");
        for command in [
            "`cfp imagediff status --asid 1 218590`",
            "`cfp imageversion create --asid 1 --diff 218590 --restart`",
            "`cfp imagediff reject --asid 1 218590`",
        ] {
            assert!(err.contains(command), "{args:?} names {command}: {err}");
        }
        assert!(out.stdout.is_empty());
    }
}

// ---------------------------------------------------------------------------
// Diff reject

#[test]
fn imagediff_reject_keeps_the_machine_by_default_and_reinstall_answers_a_job() {
    let s = Sim::start(ClockMode::Manual);
    let lock = |image: &str| {
        let out = run(s
            .cfp()
            .args(["image", "options", "--game", "1", "--image", image]));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout_json(&out)["diffid"].clone()
    };
    assert_eq!(lock("4"), 218_589);
    let out = run(s.cfp().args(["imagediff", "reject", "218589"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out), serde_json::json!({"diffid": 218_589}));
    assert_eq!(lock("4"), 0, "unlocked");
    let reject = s.sim().journal().entries_for(OperationId::RejectImageDiff);
    let query = reject[0].query.clone().unwrap_or_default();
    assert!(query.contains("reinstall=0"), "{query}");

    let out = run(s.cfp().args([
        "-o",
        "table",
        "imagediff",
        "reject",
        "218590",
        "--reinstall",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains("being reinstalled"), "{table}");
    assert!(table.contains("uninstall job  9101"), "{table}");
    assert_eq!(lock("3"), 0);

    let out = run(s.cfp().args(["imagediff", "reject", "218589"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already been rejected"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------
// A whole patch: update, diff, version, install, rollout

#[test]
fn a_patch_from_update_to_rollout() {
    // Real time with one-second jobs: cfp's clock agrees with the ETAs.
    let s = Sim::quick_jobs();
    let ok = |args: &[&str]| {
        let out = run(s.cfp().args(args));
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        stdout_json(&out)
    };
    let done = ok(&[
        "imageupdate",
        "create",
        "--image",
        "1",
        "--machine",
        "1",
        "--desc",
        "1.4.2",
        "--wait",
    ]);
    assert_eq!(done["jobstateid"], 5, "{done}");
    let diff = ok(&[
        "imagediff",
        "create",
        "--image",
        "1",
        "--machine",
        "1",
        "--wait",
    ]);
    assert_eq!(diff["jobstateid"], 5, "{diff}");
    let diff = diff["diffid"].to_string();

    // Active allocations refuse the version; the hint names --force.
    s.sim().world().set_allocations(FleetId(1), 2);
    let out = run(s
        .cfp()
        .args(["imageversion", "create", "--diff", &diff, "--restart"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cfp: hint: add --force"),
        "{}",
        stderr(&out)
    );

    let version = ok(&[
        "imageversion",
        "create",
        "--diff",
        &diff,
        "--no-restart",
        "--force",
        "--game-build",
        "1.4.2",
        "--disable-percentage",
        "90",
        "--disable-timeout",
        "30m",
        "--wait",
    ]);
    assert_eq!(version["imageversionid"], 5101, "{version}");
    assert_eq!(version["jobstateid"], 5, "{version}");
    let create = &s
        .sim()
        .journal()
        .entries_for(OperationId::CreateImageVersion)[1];
    let query = create.query.clone().unwrap_or_default();
    for param in [
        "restart=0",
        "force=1",
        "game_build=1.4.2",
        "disable_percentage=90",
        "disable_timeout=30",
        "install_at=NOW%28%29",
    ] {
        assert!(query.contains(param), "{param}: {query}");
    }
    let status = ok(&["imageversion", "status", "5101"]);
    assert_eq!(status["imageversionid"], 5101);

    let ready = ok(&["image", "status", "1", "--wait-ready"]);
    assert_eq!(ready["pending_machines"], 0, "{ready}");
    let installs = ok(&["imageinstall", "status", "--version", "5101"]);
    assert_eq!(installs["installs"], Value::Array(vec![]), "all done");
    // The diff was accepted: the image is free, and a second version is
    // refused.
    let options = ok(&["image", "options", "--game", "1", "--image", "1"]);
    assert_eq!(
        (options["diffid"].clone(), options["updateid"].clone()),
        (0.into(), 0.into())
    );
    let out = run(s
        .cfp()
        .args(["imageversion", "create", "--diff", &diff, "--restart"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn a_version_at_a_set_time_lists_its_installs_waiting() {
    use cfp_testkit::world::EXTRA_FIELD;
    let s = Sim::with(ClockMode::Manual, World::default().extra_field(true));
    // Image 1's own rollout ends; a diff of machine 2 runs and completes.
    s.sim().clock().advance(Duration::from_secs(600));
    let out = run(s
        .cfp()
        .args(["imagediff", "create", "--image", "1", "--machine", "2"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let diff = stdout_json(&out)["diffid"].to_string();
    s.sim().clock().advance(Duration::from_secs(600));
    let out = run(s.cfp().args([
        "imageversion",
        "create",
        "--diff",
        &diff,
        "--restart",
        "--install-at",
        "2099-01-01T00:00:00Z",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let create = &s
        .sim()
        .journal()
        .entries_for(OperationId::CreateImageVersion)[0];
    let query = create.query.clone().unwrap_or_default();
    assert!(query.contains("install_at=4070908800"), "{query}");

    let out = run(s
        .cfp()
        .args(["imageinstall", "status", "--version", "5101"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = stdout_json(&out);
    let installs = v["installs"].as_array().unwrap();
    assert_eq!(installs.len(), 4, "{v}");
    for i in installs {
        assert_eq!(i["target_imageversionid"], 5101);
        assert_eq!(i["imagepath"], "/images/1/5101", "{i}");
    }
    assert!(v.get(EXTRA_FIELD).is_some(), "every field kept: {v}");
    let out = run(s
        .cfp()
        .args(["imageinstall", "status", "--version", "5102"]));
    assert_eq!(stdout_json(&out)["installs"], Value::Array(vec![]));
    let out = run(s
        .cfp()
        .args(["-o", "table", "imageinstall", "status", "--version", "5101"]));
    let table = stdout(&out);
    assert!(
        table.contains("5101") && table.contains("Europe West"),
        "{table}"
    );
    let out = run(s
        .cfp()
        .args(["-o", "table", "imageinstall", "status", "--version", "5102"]));
    assert_eq!(stdout(&out).trim(), "no install in progress");
}

// ---------------------------------------------------------------------------
// Image options

#[test]
fn image_options_show_the_lock_and_the_default_url() {
    let s = Sim::start(ClockMode::Manual);
    let out = run(s.cfp().args(["image", "options"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let all = stdout_json(&out);
    assert_eq!(all["images"].as_array().unwrap().len(), 4, "{all}");
    assert!(all.get("diffid").is_none(), "no image asked for: {all}");

    let out = run(s.cfp().args([
        "-o", "table", "image", "options", "--game", "1", "--image", "3",
    ]));
    let table = stdout(&out);
    assert!(table.contains("locked by diff 218590"), "{table}");
    assert!(table.contains("demo-server-legacy"), "{table}");
    let out = run(s.cfp().args([
        "-o", "table", "image", "options", "--game", "1", "--image", "1",
    ]));
    let table = stdout(&out);
    assert!(table.contains("not locked"), "{table}");
    assert!(
        table.contains("s3://builds/demo-server/"),
        "no secret, shown: {table}"
    );
    let out = run(s
        .cfp()
        .args(["image", "options", "--game", "9", "--image", "1"]));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
}

#[test]
fn a_default_url_with_credentials_is_redacted_in_tables_and_json() {
    const URL: &str =
        "s3://AKIA-FAKE-DO-NOT-USE:s3cret-FAKE-DO-NOT-USE@builds/x/?token=tok-DO-NOT-USE";
    let world = World::default().update_url(ImageId(1), URL);
    let s = Sim::with(ClockMode::Manual, world);
    let args = ["image", "options", "--game", "1", "--image", "1"];
    let out = run(s.cfp().args(["-o", "table"]).args(args));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("s3://<redacted>@builds/x/?token=<redacted>"),
        "{}",
        stdout(&out)
    );
    let out = run(s.cfp().args(["-vvv", "-o", "json"]).args(args));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout_json(&out)["update_url"],
        "s3://<redacted>@builds/x/?token=<redacted>"
    );
    for text in [stdout(&out), stderr(&out)] {
        assert!(!text.contains("DO-NOT-USE"), "{text}");
    }
    // Credentials too short for the redactor: the whole URL is matched.
    let world = World::default().update_url(ImageId(1), "steam://FAKE:FAKE@app/42");
    let s = Sim::with(ClockMode::Manual, world);
    let out = run(s.cfp().args(args));
    assert_eq!(stdout_json(&out)["update_url"], "steam://<redacted>@app/42");
    assert!(!stdout(&out).contains("FAKE:FAKE"), "{}", stdout(&out));
}

// ---------------------------------------------------------------------------
// Fleet profile switches

#[test]
fn fleet_switch_profile_and_its_status() {
    let s = Sim::fast();
    // The fleet calls are not per project: no account service id needed.
    let cfp = || {
        let mut c = s.cfp();
        c.env_remove("CFP_ASID");
        c
    };
    let out = run(cfp().args(["fleet", "switch-status", "2"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["State"], "not requested");
    let out = run(cfp().args(["fleet", "switch-status", "2", "--wait"]));
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no profile switch was requested"),
        "{}",
        stderr(&out)
    );

    let out = run(cfp().args([
        "fleet",
        "switch-profile",
        "2",
        "--profile-id",
        "12",
        "--within",
        "1h30m",
        "--max-machines",
        "10",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let started = stdout_json(&out);
    assert_eq!(started["State"], "pending", "{started}");
    assert_eq!(started["ServersPending"], 40);
    let sent = &s
        .sim()
        .journal()
        .entries_for(OperationId::SwitchFleetProfile)[0];
    assert_eq!(
        sent.body_text(),
        r#"{"ProfileID":12,"Timeout":"1h30m","MaxMachines":10}"#
    );

    let out = run(cfp().args(["-o", "ndjson", "fleet", "switch-status", "2", "--wait"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|e| e["kind"] == "profile_switch")
    );
    assert_eq!(lines.last().unwrap()["State"], "complete");
    let out = run(cfp().args(["-o", "table", "fleet", "switch-status", "2"]));
    let table = stdout(&out);
    assert!(
        table.contains("complete") && table.contains("40 of 40 servers (100%)"),
        "{table}"
    );

    // An allocation fleet takes no switch; an unknown profile is not found.
    let switch = |fleet: &str, profile: &str| {
        run(cfp()
            .args(["fleet", "switch-profile", fleet, "--profile-id", profile])
            .args(["--within", "1h"]))
    };
    let out = switch("1", "12");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("allocation fleet"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&switch("2", "99")), 4);
}

// ---------------------------------------------------------------------------
// ZStack sessions

const PASSWORD: &str = "ops-password-DO-NOT-USE";

fn zstack_world() -> World {
    World::default().zstack_account("ops", PASSWORD)
}

/// The session of an `export CFP_ZSTACK_SESSION=…` line.
fn session_of(stdout: &str) -> String {
    let line = stdout
        .strip_prefix("export CFP_ZSTACK_SESSION=")
        .unwrap_or_else(|| panic!("not the export line: {stdout:?}"));
    let session = line.strip_suffix('\n').unwrap();
    assert!(
        !session.is_empty() && session.bytes().all(|b| b.is_ascii_hexdigit()),
        "{stdout:?}"
    );
    session.to_owned()
}

#[test]
fn zstack_login_prints_the_export_line_and_logout_ends_the_session() {
    let s = Sim::with(ClockMode::Manual, zstack_world());
    let out = run(s
        .cfp()
        .args([
            "zstack",
            "login",
            "--account",
            "ops",
            "--password-stdin",
            "--print",
        ])
        .write_stdin(format!("{PASSWORD}\n")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let session = session_of(&stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("logged in to ZStack as ops"), "{err}");
    assert!(err.contains("the session expires"), "{err}");
    assert!(!err.contains(&session), "the session only on stdout: {err}");
    // `-o` does not change the line.
    let out = run(s
        .cfp()
        .args([
            "-o",
            "table",
            "zstack",
            "login",
            "--account",
            "ops",
            "--password-stdin",
            "--print",
        ])
        .write_stdin(PASSWORD));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    session_of(&stdout(&out));

    let upload = ["upload-job", "ccf943310d86335bb3d2511ca8e14137"];
    let with = |session: &str| {
        let mut c = s.cfp();
        c.env("CFP_ZSTACK_SESSION", session);
        c
    };
    assert_eq!(code(&run(with(&session).args(upload))), 0);
    let out = run(with(&session).args(["zstack", "logout"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "unset CFP_ZSTACK_SESSION\n");
    assert!(
        stderr(&out).contains("the ZStack session is over"),
        "{}",
        stderr(&out)
    );
    let out = run(with(&session).args(upload));
    assert_eq!(code(&out), 3, "the session is over: {}", stderr(&out));
    // Over already: still exit 0.
    let out = run(with(&session).args(["zstack", "logout"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let logout = s.sim().journal().entries_for(OperationId::LogOut);
    assert_eq!(logout.len(), 2);
}

/// Without --print the session is kept in the profile (mode 0600, the
/// rest of the file kept), the next commands use it, and logout removes it.
#[test]
fn zstack_login_keeps_the_session_in_the_profile_and_logout_removes_it() {
    let s = Sim::with(ClockMode::Manual, zstack_world());
    let config = s.config_dir.path().join("config.toml");
    std::fs::write(
        &config,
        "# the studio's settings\n[profiles.ops]\nasid = 1 # kept\n",
    )
    .unwrap();
    let base = || {
        let mut c = s.cfp();
        c.env_remove("CFP_ZSTACK_SESSION").env("CFP_PROFILE", "ops");
        c
    };
    let out = run(base()
        .args(["zstack", "login", "--account", "ops", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("kept in profile \"ops\""), "{err}");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with("# the studio's settings"), "{text}");
    assert!(text.contains("asid = 1 # kept"), "{text}");
    let parsed: toml::Table = text.parse().unwrap();
    let session = parsed["profiles"]["ops"]["zstack_session"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!err.contains(&session), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let upload = ["upload-job", "ccf943310d86335bb3d2511ca8e14137"];
    let out = run(base().args(upload));
    assert_eq!(code(&out), 0, "the stored session works: {}", stderr(&out));
    let out = run(base().args(["config", "show"]));
    assert!(!stdout(&out).contains(&session), "{}", stdout(&out));

    let out = run(base().args(["zstack", "logout"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("removed the session from profile \"ops\""),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains("zstack_session"), "{text}");
    assert!(text.contains("asid = 1 # kept"), "{text}");
    assert_eq!(s.sim().journal().count(OperationId::LogOut), 1);
}

#[test]
fn zstack_login_refusals() {
    let s = Sim::with(ClockMode::Manual, zstack_world());
    let out = run(s
        .cfp()
        .args(["zstack", "login", "--account", "ops", "--password-stdin"])
        .write_stdin("wrong-password-DO-NOT-USE\n"));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cfp: hint: check the account name and the password"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    let out = run(s
        .cfp()
        .env_remove("CFP_ZSTACK_SESSION")
        .args(["zstack", "logout"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no ZStack session to end"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.sim().journal().count(OperationId::LogOut), 0);
    // A proxy's refusal is not "already over": the session may live on.
    s.sim().faults().add(
        cfp_testkit::FaultRule::new(cfp_testkit::Fault::HtmlErrorPage { status: 403 })
            .operation(OperationId::LogOut),
    );
    let out = run(s.cfp().args(["zstack", "logout"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no `unset` line: {}", stdout(&out));
}

/// What the help promises: `eval "$(cfp zstack login …)"` sets the session
/// in the shell, and the next command uses it.
#[cfg(unix)]
#[test]
fn eval_of_the_login_line_sets_the_session_in_the_shell() {
    use std::io::Write as _;
    let s = Sim::with(ClockMode::Manual, zstack_world());
    let mut child = std::process::Command::new("sh")
        .env("CFP_CONFIG", s.config_dir.path().join("config.toml"))
        .env("CFP_ZSTACK_URL", s.sim().base_url())
        .env("CFP_OUTPUT", "json")
        .env_remove("CFP_ZSTACK_SESSION")
        .env_remove("CFP_ZSTACK_ACCESS_KEY_ID")
        .env_remove("CFP_ZSTACK_ACCESS_KEY_SECRET")
        .env_remove("CFP_PROFILE")
        .env("CFP", assert_cmd::cargo::cargo_bin("cfp"))
        .args([
            "-c",
            r#"eval "$("$CFP" zstack login --account ops --password-stdin --print)" &&
               "$CFP" upload-job ccf943310d86335bb3d2511ca8e14137"#,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout_json(&out)["existingJobDetails"][0]["longJobState"],
        "Suspended"
    );
}

/// On a terminal, the password is asked for and not echoed. `script`
/// (util-linux) gives cfp a pseudo-terminal; the password is typed once
/// the prompt is shown and echo is off.
#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_the_password_is_asked_for_without_echo() {
    use std::io::{Read as _, Write as _};
    use std::process::{Command, Stdio};
    if Command::new("script")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("skipped: no util-linux `script` to make a terminal");
        return;
    }
    let s = Sim::with(ClockMode::Manual, zstack_world());
    let cfp = assert_cmd::cargo::cargo_bin("cfp");
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c"])
        .arg(format!(
            "{} zstack login --account ops --print",
            cfp.display()
        ))
        .arg("/dev/null")
        .env("CFP_CONFIG", s.config_dir.path().join("config.toml"))
        .env("CFP_ZSTACK_URL", s.sim().base_url())
        .env_remove("CFP_ZSTACK_SESSION")
        .env_remove("CFP_ZSTACK_ACCESS_KEY_ID")
        .env_remove("CFP_ZSTACK_ACCESS_KEY_SECRET")
        .env_remove("CFP_PROFILE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen).contains("ZStack password for ops: ") {
        assert!(std::time::Instant::now() < deadline, "no prompt: {seen:?}");
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.extend(chunk);
        }
    }
    // rpassword prints the prompt, then turns echo off: a person types
    // after that; so does this test, once the terminal settles.
    std::thread::sleep(Duration::from_secs(1));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{PASSWORD}\r").as_bytes()).unwrap();
    stdin.flush().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    seen.extend(rx.try_iter().flatten());
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(status.success(), "{text}");
    assert!(text.contains("export CFP_ZSTACK_SESSION="), "{text}");
    assert!(text.contains("logged in to ZStack as ops"), "{text}");
    assert!(!text.contains(PASSWORD), "echoed: {text}");
}

// ---------------------------------------------------------------------------
// ZStack AccessKeys

const AK_ID: &str = "e2e-akid-DO-NOT-USE";
const AK_SECRET: &str = "e2e-aksecret-DO-NOT-USE";

/// A clock more than 15 minutes off the server's: ZStack's 403
/// `requestTimeTooSkewed`, explained.
#[test]
fn a_skewed_clock_is_named_when_an_access_key_is_refused_for_it() {
    let s = Sim::with(
        ClockMode::Manual,
        World::default().zstack_access_key(AK_ID, AK_SECRET),
    );
    s.sim().clock().advance(Duration::from_secs(20 * 60));
    let out = run(s
        .cfp()
        .env_remove("CFP_ZSTACK_SESSION")
        .env("CFP_ZSTACK_ACCESS_KEY_ID", AK_ID)
        .env("CFP_ZSTACK_ACCESS_KEY_SECRET", AK_SECRET)
        .args(["upload-job", "ccf943310d86335bb3d2511ca8e14137"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("requestTimeTooSkewed"), "{err}");
    assert!(err.contains("within 15 minutes"), "{err}");
    assert!(err.contains("enable NTP"), "{err}");
    for secret in [AK_ID, AK_SECRET] {
        assert!(!err.contains(secret), "{err}");
    }
}

#[test]
fn a_zstack_access_key_from_the_environment_signs_each_request() {
    // Real time: a signature's Date must be near the server's clock.
    let s = Sim::with(
        ClockMode::Real,
        World::default().zstack_access_key(AK_ID, AK_SECRET),
    );
    let upload = ["upload-job", "ccf943310d86335bb3d2511ca8e14137"];
    let keyed = |secret: &str| {
        let mut c = s.cfp();
        c.env_remove("CFP_ZSTACK_SESSION")
            .env("CFP_ZSTACK_ACCESS_KEY_ID", AK_ID)
            .env("CFP_ZSTACK_ACCESS_KEY_SECRET", secret);
        c
    };
    let out = run(keyed(AK_SECRET).args(upload));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(s.sim().journal().last().unwrap().status, 200);
    let out = run(keyed("wrong-aksecret-DO-NOT-USE").args(upload));
    assert_eq!(code(&out), 3, "{}", stderr(&out));

    // A session and a key, or half a key: refused before sending.
    let before = s.requests();
    let out = run(keyed(AK_SECRET)
        .env("CFP_ZSTACK_SESSION", SESSION)
        .args(upload));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("set one of them"), "{}", stderr(&out));
    let out = run(s
        .cfp()
        .env_remove("CFP_ZSTACK_SESSION")
        .env("CFP_ZSTACK_ACCESS_KEY_ID", AK_ID)
        .args(upload));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("CFP_ZSTACK_ACCESS_KEY_SECRET"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.requests(), before, "nothing sent");

    // Shown only as their length; logout has no session to end.
    let out = run(keyed(AK_SECRET).args(["config", "show"]));
    let text = stdout(&out);
    assert!(
        text.contains("environment CFP_ZSTACK_ACCESS_KEY_ID"),
        "{text}"
    );
    assert!(!text.contains("DO-NOT-USE"), "{text}");
    let out = run(keyed(AK_SECRET).args(["zstack", "logout"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("AccessKey"), "{}", stderr(&out));
}
