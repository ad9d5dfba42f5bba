//! The `cfp` binary against a simulator on loopback: every command, every
//! exit code, JSON shapes, non-terminal output. Bad input on every command
//! is in `bad_input.rs`, the secret check on every command in
//! `secret_hygiene.rs`.
//!
//! Each test starts its own simulator in this process (with obviously fake
//! credentials) and points `cfp` at it through the environment, as a user
//! would. assert_cmd gives the child pipes, so stdout and stderr are not
//! terminals: the default output is JSON and no progress bar is drawn.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::time::Duration;

use assert_cmd::Command;
use cfp_api::model::{FleetId, OperationId};
use cfp_testkit::world::{TaskFailureRule, TaskScope};
use cfp_testkit::{ClockMode, Fault, FaultRule};
use serde_json::Value;
use support::*;

// ---------------------------------------------------------------------------
// Every command

#[test]
fn imagediff_create_retry_and_status() {
    let s = Sim::fast();
    let out = run(s
        .cfp()
        .args(["imagediff", "create", "--image", "1", "--machine", "2"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let job = stdout_json(&out);
    let diff = job["diffid"].as_u64().unwrap();
    assert!(job["jobstatename"].is_string());
    assert!(
        job["jobcreated"].is_i64(),
        "timestamps stay unix timestamps: {job}"
    );

    let out = run(s
        .cfp()
        .args(["imagediff", "status", &diff.to_string(), "--info"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let status = stdout_json(&out);
    assert_eq!(status["diffid"].as_u64(), Some(diff));
    assert!(status["game"].is_object(), "{status}");

    let out = run(s.cfp().args(["imagediff", "retry", "218595"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["diffid"], 218_595);
}

#[test]
fn a_failed_diff_prints_exit_0_waits_exit_5_and_a_retried_one_counts_its_failures() {
    let s = Sim::quick_jobs();
    s.sim()
        .world()
        .fail_next_diffs(2, "machine 2 did not answer");
    let out = run(s
        .cfp()
        .args(["imagediff", "create", "--image", "1", "--machine", "2"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let diff = stdout_json(&out)["diffid"].as_u64().unwrap().to_string();

    // Waiting on it: it fails; exit 5 and joberror on stderr.
    let out = run(s.cfp().args(["imagediff", "status", &diff, "--wait"]));
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("machine 2 did not answer"),
        "{}",
        stderr(&out)
    );
    // Reading it: the job, in its failed state, with success false: exit 0.
    let out = run(s.cfp().args(["imagediff", "status", &diff]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let job = stdout_json(&out);
    assert_eq!(job["jobstateid"], 6);
    assert_eq!(job["success"], false);
    assert_eq!(job["jobfailed"], 1);

    // Retried, it fails again; retried once more, it completes with
    // jobfailed 2, and waiting on it exits 0.
    for (attempt, exit) in [(2, 5), (3, 0)] {
        let out = run(s.cfp().args(["imagediff", "retry", &diff, "--wait"]));
        assert_eq!(code(&out), exit, "attempt {attempt}: {}", stderr(&out));
    }
    let out = run(s.cfp().args(["imagediff", "status", &diff, "--wait"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let job = stdout_json(&out);
    assert_eq!(job["jobstateid"], 5);
    assert_eq!(job["jobfailed"], 2);
}

#[test]
fn a_complete_diff_shows_what_changed() {
    let s = Sim::fast();
    let out = run(s
        .cfp()
        .args(["-o", "table", "imagediff", "status", "218595"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains("changes  added "), "{table}");
    assert!(table.contains("  ~ "), "a modified file is listed: {table}");
    let out = run(s
        .cfp()
        .args(["-o", "json", "imagediff", "status", "218595"]));
    let json = stdout_json(&out);
    assert!(
        json["modified"].as_object().is_some_and(|m| !m.is_empty()),
        "{json}"
    );
}

#[test]
fn imagediff_wait_streams_ndjson_progress_then_the_result() {
    let s = Sim::fast();
    let out = run(s.cfp().args([
        "-o",
        "ndjson",
        "imagediff",
        "create",
        "--image",
        "1",
        "--machine",
        "3",
        "--wait",
    ]));
    let lines: Vec<Value> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 3, "{lines:?}");
    // Progress events, the result event, then the result itself.
    assert_eq!(lines[lines.len() - 2]["type"], "result", "{lines:?}");
    for event in &lines[..lines.len() - 2] {
        assert_eq!(event["event"], "progress");
        assert_eq!(event["kind"], "diff");
    }
    let last = lines.last().unwrap();
    assert!(last.get("event").is_none(), "the result comes last: {last}");
    let state = last["jobstateid"].as_i64().unwrap();
    match state {
        5 => assert_eq!(code(&out), 0),
        6 | 7 => assert_eq!(code(&out), 5, "{}", stderr(&out)),
        other => panic!("ended in state {other}"),
    }
}

#[test]
fn image_status_json_is_vendor_shaped_and_table_has_bars() {
    let s = Sim::fast();
    let out = run(s.cfp().args(["image", "status", "1", "--detail"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = stdout_json(&out);
    assert!(v["pending_machines"].is_u64());
    assert!(v["fleets"]["1"]["regions"].is_object(), "{v}");

    let out = run(s
        .cfp()
        .args(["-o", "table", "image", "status", "1", "--detail"]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("fleet") && text.contains("░"), "{text}");
}

#[test]
fn image_status_wait_ready_and_fail_on_failed() {
    let s = Sim::fast();
    let out = run(s.cfp().args(["image", "status", "1", "--wait-ready"]));
    let v = stdout_json(&out);
    assert_eq!(v["pending_machines"], 0, "{v}");
    let failed = v["failed_machines"].as_u64().unwrap_or(0);
    let out = run(s
        .cfp()
        .args(["image", "status", "1", "--wait-ready", "--fail-on-failed"]));
    if failed > 0 {
        assert_eq!(code(&out), 5, "{}", stderr(&out));
        assert!(stderr(&out).contains("failed"), "{}", stderr(&out));
    } else {
        assert_eq!(code(&out), 0);
    }
}

#[test]
fn task_commands_print_single_resources_as_objects() {
    let s = Sim::fast();
    let out = run(s.cfp().args(["task", "templates"]));
    assert_eq!(stdout_json(&out).as_array().unwrap().len(), 4);

    let future = "+2h";
    let out = run(s.cfp().args([
        "task",
        "create",
        "--template",
        "2",
        "--instance",
        "5",
        "--instance",
        "6",
        "--at",
        future,
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let batch = stdout_json(&out);
    assert!(
        batch.is_object(),
        "a batch, not a one-element array: {batch}"
    );
    let ids: Vec<u64> = batch["taskIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let (a, b) = (ids[0].to_string(), ids[1].to_string());

    let out = run(s.cfp().args(["task", "get", &a]));
    let task = stdout_json(&out);
    assert!(task.is_object());
    assert_eq!(task["resultCode"], 0, "scheduled tasks wait: {task}");

    let out = run(s.cfp().args(["task", "pause", &a]));
    assert_eq!(stdout_json(&out)["resultCode"], 2);
    let toggles = s.sim().journal().count(OperationId::ToggleTaskPause);
    let out = run(s.cfp().args(["task", "pause", &a]));
    assert_eq!(stdout_json(&out)["resultCode"], 2);
    assert_eq!(
        s.sim().journal().count(OperationId::ToggleTaskPause),
        toggles,
        "pausing a paused task sends no toggle"
    );
    let out = run(s.cfp().args(["task", "resume", &a]));
    assert_eq!(stdout_json(&out)["resultCode"], 0);
    let out = run(s.cfp().args(["task", "cancel", &b]));
    assert_eq!(stdout_json(&out)["resultCode"], 125);
    let out = run(s.cfp().args(["task", "resume", &b]));
    assert_eq!(
        code(&out),
        1,
        "a cancelled task cannot be resumed: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("cancel"), "{}", stderr(&out));

    let out = run(s.cfp().args(["task", "list"]));
    assert!(stdout_json(&out).as_array().unwrap().len() >= 2);
    let out = run(s.cfp().args(["batch", "list"]));
    assert!(!stdout_json(&out).as_array().unwrap().is_empty());
    let out = run(s.cfp().args(["batch", "get", &batch["id"].to_string()]));
    assert_eq!(stdout_json(&out)["numTasksCancelled"], 1);
}

#[test]
fn task_create_wait_ends_ok_or_lists_the_failures_with_exit_5() {
    let s = Sim::fast();
    let out = run(s.cfp().args([
        "task",
        "create",
        "--template",
        "1",
        "--fleet",
        "1",
        "--wait",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let b = stdout_json(&out);
    assert_eq!(b["numTasksOk"], b["numTasks"]);

    s.sim()
        .world()
        .add_task_failure(TaskFailureRule::new(TaskScope::Fleet(FleetId(2)), 1.0));
    let out = run(s.cfp().args([
        "task",
        "create",
        "--template",
        "1",
        "--fleet",
        "2",
        "--wait",
    ]));
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let b = stdout_json(&out);
    assert!(
        b["numTasksFailed"].as_u64().unwrap() > 0,
        "the final batch is printed"
    );
    let err = stderr(&out);
    assert!(err.contains("ended unsuccessfully"), "{err}");
    assert!(
        err.contains("done with error (126)"),
        "failed tasks are listed: {err}"
    );
}

#[test]
fn upload_job_details() {
    let s = Sim::fast();
    let out = run(s
        .cfp()
        .args(["upload-job", "ccf943310d86335bb3d2511ca8e14137"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The vendor's own form of the number, exactly: not re-encoded.
    assert!(
        stdout(&out).contains(r#""offset": 452984832E8"#),
        "{}",
        stdout(&out)
    );
    let v = stdout_json(&out);
    assert_eq!(v["existingJobDetails"][0]["longJobState"], "Suspended");
}

#[test]
fn config_show_says_where_each_value_came_from_and_redacts_secrets() {
    let s = Sim::fast();
    let out = run(s.cfp().args(["config", "show"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("environment CFP_TASK_TOKEN"), "{text}");
    assert!(text.contains("<redacted"), "{text}");
    assert!(!text.contains(TOKEN) && !text.contains(SECRET), "{text}");
}

#[test]
fn completions_are_printed() {
    let s = Sim::fast();
    let out = run(s.cfp().args(["completions", "bash"]));
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8(out.stdout).unwrap().contains("imagediff"));
}

// ---------------------------------------------------------------------------
// Exit codes

// Exit 2 for every kind of bad input, on every command: `bad_input.rs`.

#[test]
fn exit_2_when_configuration_is_missing() {
    let s = Sim::fast();
    let out = run(s
        .cfp()
        .env_remove("CFP_ASID")
        .args(["image", "status", "1"]));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--asid"), "{}", stderr(&out));
    let out = run(s.cfp().env_remove("CFP_TASK_TOKEN").args(["task", "list"]));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("CFP_TASK_TOKEN"), "{}", stderr(&out));
    let out = run(s
        .cfp()
        .env("CFP_TASK_URL", "ftp://x")
        .args(["task", "list"]));
    assert_eq!(code(&out), 2);
    assert_eq!(s.requests(), 0);
}

#[test]
fn exit_3_when_credentials_are_refused() {
    let s = Sim::fast();
    let out = run(s
        .cfp()
        .env("CFP_TASK_TOKEN", "wrong-token")
        .args(["task", "list"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let out = run(s
        .cfp()
        .env("CFP_CLANFORGE_SECRET", "wrong")
        .args(["image", "status", "1"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let out = run(s
        .cfp()
        .env("CFP_ZSTACK_SESSION", "wrong")
        .args(["upload-job", "ccf943310d86335bb3d2511ca8e14137"]));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
}

#[test]
fn exit_4_for_unknown_ids() {
    let s = Sim::fast();
    for args in [
        vec!["task", "get", "99999"],
        vec!["batch", "get", "99999"],
        vec!["imagediff", "status", "99999"],
        vec!["image", "status", "99999"],
    ] {
        let out = run(s.cfp().args(&args));
        assert_eq!(code(&out), 4, "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn an_upload_id_that_matches_no_job_is_no_upload_jobs_and_exit_0() {
    // ZStack answers an id with no unfinished upload as a success with no
    // `existingJobDetails`: not a 404.
    let s = Sim::fast();
    let out = run(s
        .cfp()
        .args(["-o", "table", "upload-job", "no-such-upload"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "no upload jobs");
}

#[test]
fn exit_1_for_a_server_error() {
    let s = Sim::fast();
    s.sim()
        .faults()
        .add(FaultRule::new(Fault::Status { status: 500 }).operation(OperationId::ListTaskBatches));
    let out = run(s.cfp().args(["batch", "list"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("500"), "{}", stderr(&out));
}

#[test]
fn exit_6_when_the_wait_times_out() {
    // Real-time simulation: a diff takes minutes, the wait gets 2 seconds.
    let s = Sim::start(ClockMode::Real);
    let out = run(s.cfp().args([
        "--wait-timeout",
        "2s",
        "imagediff",
        "create",
        "--image",
        "1",
        "--machine",
        "4",
        "--wait",
    ]));
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("re-attach with: cfp imagediff status --asid 1"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no half result on stdout");
}

#[cfg(unix)]
#[test]
fn exit_130_on_ctrl_c_leaves_the_job_running_and_says_how_to_re_attach() {
    let s = Sim::start(ClockMode::Manual);
    let bin = assert_cmd::cargo::cargo_bin("cfp");
    let mut std_cmd = std::process::Command::new(bin);
    let url = s.sim().base_url();
    std_cmd
        .env("CFP_CONFIG", s.config_dir.path().join("config.toml"))
        .env("CFP_CLANFORGE_URL", &url)
        .env("CFP_CLANFORGE_KEY", KEY)
        .env("CFP_CLANFORGE_SECRET", SECRET)
        .env("CFP_ASID", "1")
        .args([
            "imagediff",
            "create",
            "--image",
            "1",
            "--machine",
            "2",
            "--wait",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = std_cmd.spawn().unwrap();
    // Wait until the wait has started polling.
    let mut polled = false;
    for _ in 0..200 {
        if s.sim().journal().count(OperationId::GetImageDiffStatus) > 0 {
            polled = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(polled, "cfp never polled");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no half result on stdout");
    let err = stderr(&out);
    assert!(
        err.contains("Re-attach with: cfp imagediff status --asid 1"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Secrets, terminals, --sim, demo

// No credential at -vvv or RUST_LOG=trace, on every command: `secret_hygiene.rs`.

#[test]
fn traces_into_a_pipe_carry_no_colour_codes() {
    let s = Sim::fast();
    let out = run(s.cfp().args(["-vvv", "task", "templates"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cfp.call"), "traced: {err}");
    assert!(
        !err.contains('\u{1b}'),
        "no ANSI escapes on a pipe: {err:?}"
    );
}

#[test]
fn piped_output_defaults_to_json_without_progress_bars() {
    let s = Sim::fast();
    let out = run(s.cfp().args([
        "task",
        "create",
        "--template",
        "1",
        "--instance",
        "7",
        "--wait",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout_json(&out);
    let err = stderr(&out);
    assert!(
        !err.contains('\r') && !err.contains('█'),
        "no progress bar on a pipe: {err:?}"
    );
}

#[test]
fn sim_works_with_no_configuration_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("cfp")
        .unwrap()
        .env_clear()
        .env("HOME", dir.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(["--sim", "image", "status", "1"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout_json(&out)["pending_machines"].is_u64());
}

#[test]
fn demo_walks_through_every_operation() {
    let out = Command::cargo_bin("cfp")
        .unwrap()
        .args(["demo", "--speed", "600"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let n = cfp_api::model::OperationId::ALL.len();
    assert!(
        text.contains(&format!("{n} of {n} operations exercised")),
        "{text}"
    );
}

#[test]
fn version_and_help() {
    let out = Command::cargo_bin("cfp")
        .unwrap()
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("cfp "));
    let out = Command::cargo_bin("cfp")
        .unwrap()
        .args(["task", "create", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("Examples:"));
}

#[test]
fn json_output_keeps_every_field_the_vendor_sent_on_every_command() {
    use cfp_testkit::world::{EXTRA_FIELD, World};
    let s = Sim::with(ClockMode::Scaled(600.0), World::default().extra_field(true));
    let json = |args: &[&str]| {
        let out = run(s.cfp().arg("-o").arg("json").args(args));
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        stdout_json(&out)
    };
    let has = |v: &Value, args: &[&str]| match v {
        Value::Array(items) => {
            assert!(!items.is_empty(), "{args:?}: an empty list proves nothing");
            for i in items {
                assert!(i.get(EXTRA_FIELD).is_some(), "{args:?}: {i}");
            }
        }
        other => assert!(other.get(EXTRA_FIELD).is_some(), "{args:?}: {other}"),
    };
    // Far enough ahead that the fast simulated clock does not reach it.
    let batch = json(&[
        "task",
        "create",
        "--template",
        "2",
        "--instance",
        "7",
        "--at",
        "2030-01-01T00:00:00Z",
    ]);
    has(&batch, &["task", "create"]);
    let batch_id = batch["id"].to_string();
    let task = batch["taskIds"][0].to_string();
    let diff = json(&["imagediff", "create", "--image", "1", "--machine", "3"]);
    has(&diff, &["imagediff", "create"]);
    let diff_id = diff["diffid"].to_string();
    // Image 2 (image 1 is locked by the diff above), from a URL, before
    // the retry of its failed update 7000 locks it.
    let out = run(s.cfp().env("CFP_UPDATE_URL", "s3://builds/beta/").args([
        "imageupdate",
        "create",
        "--image",
        "2",
        "--machine",
        "2",
        "--desc",
        "x",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let update = stdout_json(&out);
    has(&update, &["imageupdate", "create"]);
    // Diff 218590 (image 3) accepted before the loop could reject it.
    let version = json(&["imageversion", "create", "--diff", "218590", "--no-restart"]);
    has(&version, &["imageversion", "create"]);
    has(
        &json(&["imageversion", "status", "5101"]),
        &["imageversion", "status"],
    );
    for args in [
        vec!["imagediff", "retry", "218595"],
        vec!["imagediff", "status", "218595", "--info"],
        vec!["imagediff", "status", &diff_id, "--wait"],
        vec!["image", "status", "1", "--detail"],
        vec!["image", "status", "1", "--wait-ready"],
        vec!["task", "templates"],
        vec!["task", "list"],
        vec!["task", "get", &task],
        vec!["task", "pause", &task],
        vec!["task", "resume", &task],
        vec!["task", "cancel", &task],
        vec!["batch", "list"],
        vec!["batch", "get", &batch_id],
        vec!["upload-job", "8d3c1b5a7e9f4c2d8b6a4e2c0a9f7d5b"],
        vec!["image", "options"],
        vec!["image", "options", "--game", "1", "--image", "1"],
        vec!["imageupdate", "status", "7000"],
        vec!["imageupdate", "retry", "7000"],
        vec!["imagediff", "reject", "218589", "--reinstall"],
        vec!["imageinstall", "status"],
        vec!["fleet", "switch-status", "2"],
        vec![
            "fleet",
            "switch-profile",
            "2",
            "--profile-id",
            "11",
            "--within",
            "1h",
        ],
    ] {
        has(&json(&args), &args);
    }
}
