//! Output for pipelines and errors written for people, end to end against
//! the simulator:
//!
//! - `-o ndjson` on list commands prints one item per line;
//! - `--jq EXPR` filters the JSON result in-process; a bad expression is a
//!   usage error (exit 2) that names what is wrong, before any request;
//! - a closed stdout (`cfp … | head`) ends quietly with exit 0;
//! - error messages lead with the resource and its id, name the URL that
//!   refused a connection and where it came from, say when https meets a
//!   plain-http server, and give examples for a bad `--at`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::process::Stdio;

use serde_json::Value;
use support::*;

/// Lines of stdout, each parsed as one JSON document.
fn ndjson_lines(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not one JSON document per line ({e}): {l:?}"))
        })
        .collect()
}

/// Creates a batch of `n` tasks on instances 1..=n and waits for it.
fn batch_of(sim: &Sim, n: u64) {
    let mut cmd = sim.cfp();
    cmd.args(["task", "create", "--template", "1", "--wait"]);
    for i in 1..=n {
        cmd.args(["--instance", &i.to_string()]);
    }
    let out = run(&mut cmd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn ndjson_lists_print_one_item_per_line() {
    let sim = Sim::fast();
    batch_of(&sim, 3);

    let out = run(sim.cfp().args(["task", "templates", "-o", "ndjson"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let templates = ndjson_lines(&out);
    assert_eq!(templates.len(), 4, "{}", stdout(&out));
    assert_eq!(templates[0]["name"], "Restart");

    let out = run(sim.cfp().args(["task", "list", "-o", "ndjson"]));
    let tasks = ndjson_lines(&out);
    assert_eq!(tasks.len(), 3, "{}", stdout(&out));
    assert!(
        tasks
            .iter()
            .all(|t| t["id"].is_u64() && t["batchId"].is_u64())
    );

    let out = run(sim.cfp().args(["batch", "list", "-o", "ndjson"]));
    let batches = ndjson_lines(&out);
    assert_eq!(batches.len(), 1, "{}", stdout(&out));
    assert_eq!(batches[0]["numTasks"], 3, "{}", stdout(&out));

    // A list wrapped in an object: its items, one per line.
    let out = run(sim.cfp().args([
        "upload-job",
        "ccf943310d86335bb3d2511ca8e14137",
        "-o",
        "ndjson",
    ]));
    let jobs = ndjson_lines(&out);
    assert_eq!(jobs.len(), 1, "{}", stdout(&out));
    assert_eq!(jobs[0]["longJobState"], "Suspended");
    // The vendor's number as sent, not re-encoded.
    assert!(stdout(&out).contains("452984832E8"), "{}", stdout(&out));

    // -o json is still one document (an array).
    let out = run(sim.cfp().args(["task", "list", "-o", "json"]));
    assert_eq!(stdout_json(&out).as_array().map(Vec::len), Some(3));
}

#[test]
fn jq_filters_the_json_result_in_process() {
    let sim = Sim::fast();
    batch_of(&sim, 2);

    let out = run(sim.cfp().args(["task", "templates", "--jq", ".[].name"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\"Restart\"\n\"Stop\"\n\"Start\"\n\"Update\"\n"
    );

    // Values are compact JSON, one per line, whatever -o says.
    let out = run(sim.cfp().args([
        "-o",
        "table",
        "task",
        "list",
        "--jq",
        ".[] | select(.entityId == 2) | {id, entityId}",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = ndjson_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stdout(&out));
    assert_eq!(lines[0]["entityId"], 2);

    // A filter that selects nothing prints nothing and succeeds, as jq.
    let out = run(sim
        .cfp()
        .args(["task", "list", "--jq", ".[] | select(.id < 0)"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_bad_jq_expression_is_exit_2_before_any_request() {
    let sim = Sim::fast();
    let before = sim.requests();
    for (expr, said) in [
        (".[] | select(", "expected"),
        ("nosuchfilter", "undefined filter `nosuchfilter`"),
    ] {
        let out = run(sim.cfp().args(["task", "list", "--jq", expr]));
        assert_eq!(code(&out), 2, "{expr}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("invalid --jq expression"), "{err}");
        assert!(err.contains(said), "{err}");
        assert_eq!(stdout(&out), "");
    }
    assert_eq!(sim.requests(), before, "nothing was sent");

    // A filter that fails on the answer: exit 1, the error in words, cut short.
    let out = run(sim.cfp().args(["task", "templates", "--jq", ".foo"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--jq: cannot index"), "{err}");
    assert!(err.lines().all(|l| l.chars().count() < 250), "{err}");
}

/// `cfp` as a plain child process with the simulator's settings, for tests
/// that need to hold its pipes.
fn child(sim: &Sim, args: &[&str]) -> std::process::Command {
    let url = sim.sim().base_url();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cfp"));
    cmd.args(args)
        .env_remove("RUST_LOG")
        .env_remove("CFP_OUTPUT")
        .env_remove("CFP_PROFILE")
        .env("CFP_CONFIG", sim.config_dir.path().join("config.toml"))
        .env("CFP_CLANFORGE_URL", &url)
        .env("CFP_CLANFORGE_KEY", KEY)
        .env("CFP_CLANFORGE_SECRET", SECRET)
        .env("CFP_TASK_URL", &url)
        .env("CFP_TASK_TOKEN", TOKEN)
        .env("CFP_ZSTACK_URL", &url)
        .env("CFP_ZSTACK_SESSION", SESSION)
        .env("CFP_ASID", "1");
    cmd
}

#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let sim = Sim::fast();
    batch_of(&sim, 20);
    for args in [
        &["task", "list", "-o", "json"][..],
        &["task", "list", "-o", "ndjson"],
        &["task", "templates", "-o", "table"],
        &["task", "list", "--jq", ".[]"],
        &["completions", "bash"],
    ] {
        let mut c = child(&sim, args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before cfp writes (`| head -c 0`).
        drop(c.stdout.take());
        let out = c.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}: no Broken pipe error");
    }
}
