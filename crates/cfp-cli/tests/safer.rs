//! Safer fleet-wide changes and hints that work (issue 14, points 3 and 5),
//! end to end against the simulator: the confirmation before a wide batch
//! (on a real pseudo-terminal), `--dry-run` on every state-changing command
//! (the simulator's journal stays empty), several task ids, batch actions,
//! task list filters, the rollout gate on an image on no machine, re-attach
//! hints under `--sim` and with `--profile`, and `config show` on a broken
//! configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use cfp_api::model::{ImageId, OperationId};
use cfp_testkit::ClockMode;
use cfp_testkit::world::World;
use serde_json::Value;
use support::pty::PtyCommand;
use support::{Sim, code, run, secrets, stderr, stdout, stdout_json};

/// A simulator whose clock stands still: tasks stay pending or running.
fn still() -> Sim {
    Sim::start(ClockMode::Manual)
}

fn creates(sim: &Sim) -> u64 {
    sim.sim().journal().count(OperationId::CreateTaskBatch)
}

/// Creates a batch on game servers `instances` and returns its id and its
/// task ids.
fn batch_on(sim: &Sim, instances: &[u32]) -> (u64, Vec<u64>) {
    let mut args = vec![
        "task".to_owned(),
        "create".into(),
        "--template".into(),
        "1".into(),
    ];
    for i in instances {
        args.push("--instance".into());
        args.push(i.to_string());
    }
    let out = run(sim.cfp().args(&args));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let batch = stdout_json(&out);
    let ids = batch["taskIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    (batch["id"].as_u64().unwrap(), ids)
}

fn codes(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["resultCode"].as_i64().unwrap_or(-1))
        .collect()
}

// ---------------------------------------------------------------------------
// The confirmation before a batch for a fleet, a region or labels

#[test]
fn a_fleet_batch_is_confirmed_on_a_terminal_and_y_creates_it() {
    let sim = still();
    let run = PtyCommand::cfp(
        &sim,
        80,
        &["task", "create", "--template", "1", "--fleet", "1"],
    )
    .input("y\r")
    .run();
    assert_eq!(run.code, 0, "{}", run.text());
    let text = run.text();
    assert!(
        text.contains("Create a batch that runs Restart (template 1) on every game server of fleet 1, now? [y/N]"),
        "{text}"
    );
    assert_eq!(creates(&sim), 1);
}

#[test]
fn a_declined_confirmation_sends_nothing_and_exits_2() {
    let sim = still();
    for (args, answer) in [
        (&["--region", "2"][..], "n\r"),
        (&["--label", "env=staging"][..], "\r"),
        (&["--fleet", "1", "--at", "+30m"][..], "nope\r"),
    ] {
        let mut all = vec!["task", "create", "--template", "1"];
        all.extend_from_slice(args);
        let run = PtyCommand::cfp(&sim, 120, &all).input(answer).run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.text());
        let text = run.text();
        assert!(text.contains("[y/N]"), "{text}");
        assert!(
            text.contains("not confirmed: no batch was created"),
            "{text}"
        );
    }
    assert_eq!(creates(&sim), 0, "a declined batch is never sent");
}

#[test]
fn the_question_says_where_and_when() {
    let sim = still();
    let run = PtyCommand::cfp(
        &sim,
        0,
        &[
            "task",
            "create",
            "--template",
            "2",
            "--label",
            "env=staging",
            "--at",
            "2030-01-01T03:00:00Z",
        ],
    )
    .input("n\r")
    .run();
    let text = run.text();
    assert!(
        text.contains("runs Stop (template 2) on every game server labelled env=staging, at"),
        "{text}"
    );
    assert!(text.contains("2030-01-01"), "{text}");
}

#[test]
fn yes_skips_the_question_and_servers_by_id_are_not_asked_about() {
    let sim = still();
    for args in [
        &["task", "create", "--template", "1", "--fleet", "1", "--yes"][..],
        &["task", "create", "--template", "1", "--region", "1", "-y"],
        &["task", "create", "--template", "1", "--instance", "3"],
    ] {
        let run = PtyCommand::cfp(&sim, 80, args).run();
        assert_eq!(run.code, 0, "{args:?}: {}", run.text());
        assert!(!run.text().contains("[y/N]"), "{args:?}: {}", run.text());
    }
    assert_eq!(creates(&sim), 3);
}

#[test]
fn without_a_terminal_a_fleet_batch_is_created_as_before() {
    let sim = still();
    let out = run(sim
        .cfp()
        .args(["task", "create", "--template", "1", "--fleet", "1"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("[y/N]"));
    assert!(stdout_json(&out)["id"].as_u64().is_some());
    assert_eq!(creates(&sim), 1);
}

// ---------------------------------------------------------------------------
// --dry-run

#[test]
fn dry_run_sends_nothing_for_every_state_changing_command() {
    let sim = still();
    let commands: Vec<(&[&str], &str, &str)> = vec![
        (
            &["task", "create", "--template", "1", "--fleet", "1"],
            "createTaskBatch",
            "POST",
        ),
        (&["task", "pause", "41"], "toggleTaskPause", "PUT"),
        (&["task", "resume", "41", "42"], "toggleTaskPause", "PUT"),
        (&["task", "cancel", "61", "62"], "cancelTask", "DELETE"),
        (&["batch", "cancel", "9"], "getTaskBatch", "GET"),
        (&["batch", "pause", "9"], "getTaskBatch", "GET"),
        (&["batch", "resume", "9"], "getTaskBatch", "GET"),
        (
            &["imagediff", "create", "--image", "1", "--machine", "1"],
            "createImageDiff",
            "GET",
        ),
        (&["imagediff", "retry", "218595"], "retryImageDiff", "GET"),
        (&["imagediff", "reject", "218589"], "rejectImageDiff", "GET"),
        (
            &[
                "imageupdate",
                "create",
                "--image",
                "1",
                "--machine",
                "1",
                "--desc",
                "1.4.2",
            ],
            "createImageUpdate",
            "GET",
        ),
        (&["imageupdate", "retry", "7000"], "retryImageUpdate", "GET"),
        (
            &["imageversion", "create", "--diff", "218595", "--restart"],
            "createImageVersion",
            "GET",
        ),
        (
            &[
                "fleet",
                "switch-profile",
                "2",
                "--profile-id",
                "12",
                "--within",
                "2h",
            ],
            "switchFleetProfile",
            "PATCH",
        ),
        (
            &["zstack", "login", "--account", "admin"],
            "logInByAccount",
            "PUT",
        ),
        (&["zstack", "logout"], "logOut", "DELETE"),
    ];
    for (args, operation, method) in commands {
        let out = run(sim.cfp().arg("--dry-run").args(args));
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let v = stdout_json(&out);
        assert_eq!(v["sent"], false, "{args:?}");
        let first = &v["requests"][0];
        assert_eq!(first["operation"], operation, "{args:?}: {v}");
        assert_eq!(first["method"], method, "{args:?}: {v}");
        let text = format!("{}{}", stdout(&out), stderr(&out));
        for s in secrets() {
            assert!(!text.contains(&s), "{args:?} shows a credential: {text}");
        }
    }
    assert_eq!(sim.requests(), 0, "the simulator received nothing");
}

#[test]
fn dry_run_shows_the_body_the_auth_scheme_and_each_id() {
    let sim = still();
    let out = run(sim.cfp().args([
        "--dry-run",
        "task",
        "create",
        "--template",
        "4",
        "--label",
        "env=staging",
        "--param",
        "version=1.4.2",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = stdout_json(&out);
    let r = &v["requests"][0];
    assert!(
        r["url"]
            .as_str()
            .unwrap()
            .ends_with("/v3/applicationInstance/task")
    );
    assert!(
        r["auth"].as_str().unwrap().starts_with("PRIVATE-TOKEN"),
        "{r}"
    );
    assert_eq!(r["body"]["taskTemplateId"], "4");
    assert_eq!(r["body"]["labels"][0]["key"], "env");
    assert_eq!(r["body"]["taskActionParam"][0]["paramValue"], "1.4.2");

    let out = run(sim.cfp().args(["--dry-run", "task", "cancel", "61", "62"]));
    let v = stdout_json(&out);
    let urls: Vec<&str> = v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 2, "{v}");
    assert!(urls[0].ends_with("/task/61") && urls[1].ends_with("/task/62"));

    let out = run(sim.cfp().args(["--dry-run", "batch", "cancel", "9"]));
    let v = stdout_json(&out);
    assert!(
        v["notes"][0].as_str().unwrap().contains("DELETE"),
        "what follows the read is said: {v}"
    );
    assert_eq!(sim.requests(), 0);
}

#[test]
fn dry_run_masks_the_update_url_and_the_password() {
    let sim = still();
    let url = "s3://AKIAEXAMPLE:s3cr3tKEY@builds/1.4.2/?sig=abcdef123";
    let out = run(sim.cfp().env("BUILD_URL", url).args([
        "--dry-run",
        "imageupdate",
        "create",
        "--image",
        "1",
        "--machine",
        "1",
        "--desc",
        "x",
        "--url-env",
        "BUILD_URL",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for secret in ["AKIAEXAMPLE", "s3cr3tKEY", "abcdef123"] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(
        text.contains("url=s3://<redacted>@builds/1.4.2/?sig=<redacted>"),
        "{text}"
    );
    assert!(text.contains("Basic"), "{text}");

    let out = run(sim
        .cfp()
        .args(["--dry-run", "zstack", "login", "--account", "admin"]));
    let v = stdout_json(&out);
    assert_eq!(
        v["requests"][0]["body"]["logInByAccount"]["password"],
        "<redacted>"
    );
    assert_eq!(
        v["requests"][0]["body"]["logInByAccount"]["accountName"],
        "admin"
    );
    assert_eq!(sim.requests(), 0);
}

#[test]
fn dry_run_on_a_terminal_neither_asks_nor_sends() {
    let sim = still();
    let run = PtyCommand::cfp(
        &sim,
        80,
        &[
            "task",
            "create",
            "--template",
            "1",
            "--fleet",
            "1",
            "--dry-run",
        ],
    )
    .run();
    assert_eq!(run.code, 0, "{}", run.text());
    let screen = run.screen().join("\n");
    assert!(!screen.contains("[y/N]"), "{screen}");
    assert!(screen.contains("Nothing was sent (--dry-run)"), "{screen}");
    assert!(screen.contains("POST"), "{screen}");
    assert_eq!(sim.requests(), 0);
}

#[test]
fn dry_run_keeps_input_errors() {
    let sim = still();
    let out = run(sim.cfp().args([
        "--dry-run",
        "task",
        "create",
        "--template",
        "1",
        "--fleet",
        "1",
        "--at",
        "yesterday",
    ]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(sim.requests(), 0);
}

// ---------------------------------------------------------------------------
// Several ids, batch actions, filters

#[test]
fn several_ids_each_get_a_result_and_the_exit_code_is_the_worst() {
    let sim = still();
    let (_, ids) = batch_on(&sim, &[1, 2]);
    let (a, b) = (ids[0].to_string(), ids[1].to_string());

    // One id: the task itself, as before.
    let out = run(sim.cfp().args(["task", "get", &a]));
    assert_eq!(code(&out), 0);
    let alone = stdout_json(&out);
    assert_eq!(alone["id"].as_u64(), Some(ids[0]));

    let out = run(sim.cfp().args(["task", "get", &a, "999999", &b]));
    assert_eq!(code(&out), 4, "not found is the worst: {}", stderr(&out));
    let v = stdout_json(&out);
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 3, "{v}");
    assert_eq!(items[0], alone, "each task as the service wrote it");
    assert_eq!(items[1]["id"], 999_999);
    assert_eq!(items[1]["exitCode"], 4);
    assert!(items[1]["error"].as_str().is_some());
    assert_eq!(items[2]["id"].as_u64(), Some(ids[1]));
    let err = stderr(&out);
    assert!(err.contains("task 999999"), "{err}");
    assert!(err.contains("1 of 3 tasks could not be read"), "{err}");
}

#[test]
fn cancelling_several_then_again_is_a_success() {
    let sim = still();
    let (_, ids) = batch_on(&sim, &[4, 5]);
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    let out = run(sim.cfp().args(["task", "cancel", &a, &b]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(codes(&stdout_json(&out)), vec![125, 125]);
    // Already cancelled: still a success, with the task as it is.
    let out = run(sim.cfp().args(["task", "cancel", &a, &b]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(codes(&stdout_json(&out)), vec![125, 125]);
    let out = run(sim.cfp().args(["task", "cancel", &a]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["resultCode"], 125);
}

#[test]
fn pausing_and_resuming_several() {
    let sim = still();
    let (_, ids) = batch_on(&sim, &[6, 7]);
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    let out = run(sim.cfp().args(["task", "pause", &a, &b]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(codes(&stdout_json(&out)), vec![2, 2]);
    let out = run(sim.cfp().args(["task", "resume", &a, &b]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(codes(&stdout_json(&out)).iter().all(|c| *c == 0 || *c == 1));
}

#[test]
fn batch_cancel_acts_on_each_task_not_ended() {
    let sim = still();
    let (batch, ids) = batch_on(&sim, &[8, 9, 10]);
    let out = run(sim.cfp().args(["task", "cancel", &ids[1].to_string()]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before = sim.sim().journal().count(OperationId::CancelTask);

    let out = run(sim.cfp().args(["batch", "cancel", &batch.to_string()]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = stdout_json(&out);
    assert_eq!(codes(&v), vec![125, 125, 125], "{v}");
    assert_eq!(
        sim.sim().journal().count(OperationId::CancelTask) - before,
        2,
        "the cancelled task is left as it is"
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("task {}: left as it is", ids[1])),
        "{err}"
    );
    assert!(
        err.contains(&format!("task {}: cancelled", ids[0])),
        "{err}"
    );
}

#[test]
fn batch_pause_and_resume_act_on_the_tasks_that_need_it() {
    let sim = still();
    let (batch, ids) = batch_on(&sim, &[11, 12]);
    let b = batch.to_string();
    let out = run(sim.cfp().args(["task", "pause", &ids[0].to_string()]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(sim.cfp().args(["batch", "pause", &b]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(codes(&stdout_json(&out)), vec![2, 2]);
    assert!(stderr(&out).contains("already paused"), "{}", stderr(&out));
    let out = run(sim.cfp().args(["batch", "resume", &b]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(codes(&stdout_json(&out)).iter().all(|c| *c == 0 || *c == 1));

    let out = run(sim.cfp().args(["batch", "cancel", "424242"]));
    assert_eq!(code(&out), 4, "an unknown batch: {}", stderr(&out));
}

#[test]
fn task_list_filters_by_batch_and_state() {
    let sim = still();
    let (b1, ids1) = batch_on(&sim, &[13, 14, 15]);
    let (_, ids2) = batch_on(&sim, &[16]);
    let out = run(sim.cfp().args(["task", "cancel", &ids1[0].to_string()]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let out = run(sim.cfp().args(["task", "list", "--batch", &b1.to_string()]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = stdout_json(&out);
    let got: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, ids1, "every task of the batch, in order");

    let out = run(sim.cfp().args(["task", "list", "--state", "cancelled"]));
    let v = stdout_json(&out);
    let got: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, vec![ids1[0]]);

    let out = run(sim.cfp().args([
        "task",
        "list",
        "--batch",
        &b1.to_string(),
        "--state",
        "active",
    ]));
    let v = stdout_json(&out);
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    assert!(!v.to_string().contains(&format!("\"id\":{}", ids2[0])));

    let out = run(sim.cfp().args(["task", "list", "--state", "broken"]));
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    for valid in [
        "pending",
        "in-progress",
        "paused",
        "cancelled",
        "done-with-error",
        "done",
    ] {
        assert!(err.contains(valid), "{err}");
    }
}

// ---------------------------------------------------------------------------
// The rollout gate on an image on no machine

#[test]
fn wait_ready_on_an_image_on_no_machine_exits_5_unless_allowed() {
    let sim = Sim::with(
        ClockMode::Scaled(600.0),
        World::default().image(ImageId(9), "on no machine"),
    );
    let out = run(sim.cfp().args(["image", "status", "9", "--wait-ready"]));
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("image 9 is on no machine"), "{err}");
    assert!(err.contains("--allow-empty"), "{err}");
    assert_eq!(stdout_json(&out)["pending_machines"], 0);

    let out = run(sim
        .cfp()
        .args(["image", "status", "9", "--wait-ready", "--allow-empty"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // An image on machines passes as before.
    let out = run(sim.cfp().args(["image", "status", "1", "--wait-ready"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

// ---------------------------------------------------------------------------
// Hints that work

/// A config file with a profile `ops`.
fn with_ops_profile(sim: &Sim) {
    std::fs::write(
        sim.config_dir.path().join("config.toml"),
        "[profiles.ops]\nasid = 1\n",
    )
    .unwrap();
}

#[test]
fn reattach_hints_keep_the_profile_and_output_flags() {
    let sim = still();
    with_ops_profile(&sim);
    let out = run(sim.cfp().args([
        "--profile",
        "ops",
        "-o",
        "ndjson",
        "--wait-timeout",
        "1s",
        "task",
        "create",
        "--template",
        "1",
        "--instance",
        "1",
        "--wait",
    ]));
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("re-attach with: cfp --profile ops -o ndjson batch get 1 --wait"),
        "{err}"
    );
}

#[test]
fn under_sim_a_reattach_hint_says_what_to_run_against_cfp_sim() {
    let sim = still();
    with_ops_profile(&sim);
    let out = run(sim.cfp().args([
        "--sim",
        "--profile",
        "ops",
        "--wait-timeout",
        "1s",
        "task",
        "create",
        "--template",
        "1",
        "--fleet",
        "1",
        "--at",
        "+1h",
        "--wait",
    ]));
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("each --sim run starts a fresh world"), "{err}");
    assert!(err.contains("cfp-sim"), "{err}");
    assert!(err.contains("The simulator across runs"), "{err}");
    assert!(
        err.contains("re-attach with: cfp --profile ops batch get 1 --wait"),
        "{err}"
    );
    assert!(
        !err.contains("cfp --sim batch get"),
        "a hint that 404s: {err}"
    );
}

#[test]
fn the_demo_says_where_its_commands_run_one_after_another() {
    let sim = still();
    let out = run(sim.cfp().arg("demo"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("add --sim to run it yourself"), "{text}");
    assert!(text.contains("start `cfp-sim`"), "{text}");
    assert!(
        !text.contains("`cfp --sim task list`"),
        "an empty list in a fresh world"
    );
}

#[test]
fn under_sim_a_patch_starts_afresh_and_does_not_promise_a_resume() {
    let sim = still();
    let state = tempfile::tempdir().unwrap();
    let patch = |extra: &[&str]| {
        let mut args = vec!["--sim", "patch"];
        args.extend_from_slice(extra);
        run(sim.cfp().env("XDG_STATE_HOME", state.path()).args(&args))
    };
    let start = ["--asid", "1", "--image", "1", "--machine", "1"];
    for round in 0..2 {
        // No terminal: it stops for the go-ahead (exit 2), every time from
        // the start, since the previous run's world is gone.
        let out = patch(&start);
        assert_eq!(code(&out), 2, "round {round}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("update started"), "round {round}: {err}");
        assert!(err.contains("this patch cannot be resumed"), "{err}");
        assert!(err.contains("cfp-sim"), "{err}");
        assert!(!err.contains("cfp --sim patch resume"), "{err}");
    }
    let out = patch(&["resume", "--yes"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot resume a patch"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_more_failed_tasks_hint_of_a_batch_wait_lists_them_all() {
    let sim = still();
    let out = run(sim
        .cfp()
        .args(["task", "create", "--template", "1", "--fleet", "1"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let batch = stdout_json(&out)["id"].as_u64().unwrap().to_string();
    let out = run(sim.cfp().args(["batch", "cancel", &batch]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let n = stdout_json(&out).as_array().unwrap().len();
    assert!(n > 20, "a fleet of {n}");

    let out = run(sim.cfp().args(["batch", "get", &batch, "--wait"]));
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let err = stderr(&out);
    let hint = format!(
        "… and {} more: cfp task list --batch {batch} --state done-with-error --state cancelled",
        n - 20
    );
    assert!(err.contains(&hint), "{err}");

    // The hint, run as printed, lists every one of them.
    let out = run(sim.cfp().args([
        "task",
        "list",
        "--batch",
        &batch,
        "--state",
        "done-with-error",
        "--state",
        "cancelled",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out).as_array().unwrap().len(), n);
}

#[test]
fn docs_say_how_to_run_against_cfp_sim() {
    let doc = include_str!("../../../docs/cli.md");
    assert!(doc.contains("The simulator across runs"));
    assert!(doc.contains("cfp-sim"));
}

#[test]
fn config_show_works_on_a_broken_config_and_shows_the_error_in_place() {
    let sim = still();
    let path = sim.config_dir.path().join("config.toml");
    std::fs::write(&path, "[profiles.default]\nbogus = 1\n").unwrap();
    let out = run(sim.cfp().args(["config", "show"]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let v = stdout_json(&out);
    let file = &v[0];
    assert_eq!(file["setting"], "config file");
    assert!(
        file["source"]
            .as_str()
            .unwrap()
            .contains("unknown key \"bogus\""),
        "{v}"
    );
    // The other settings are still shown, from the environment.
    let token = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["setting"] == "task token")
        .unwrap();
    assert_eq!(token["source"], "environment CFP_TASK_TOKEN");
    assert!(stderr(&out).contains("unknown key"), "{}", stderr(&out));
    for s in secrets() {
        assert!(!stdout(&out).contains(&s));
    }

    // Any other command refuses the broken file.
    let out = run(sim.cfp().args(["task", "templates"]));
    assert_eq!(code(&out), 2);
}

#[test]
fn cfp_config_naming_a_missing_file_is_an_error() {
    let sim = still();
    let missing = sim.config_dir.path().join("missing.toml");
    let out = run(sim
        .cfp()
        .env("CFP_CONFIG", &missing)
        .args(["task", "templates"]));
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("named by CFP_CONFIG"), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(sim.requests(), 0);
    let out = run(sim
        .cfp()
        .env("CFP_CONFIG", &missing)
        .args(["config", "show"]));
    assert_eq!(code(&out), 2);
    assert!(
        stdout_json(&out)[0]["source"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
}
