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

/// The `cfp: error:` line of a run.
fn error_line(out: &std::process::Output) -> String {
    stderr(out)
        .lines()
        .find(|l| l.starts_with("cfp: error: "))
        .unwrap_or_else(|| panic!("no error line:\n{}", stderr(out)))
        .to_owned()
}

#[test]
fn errors_lead_with_the_resource_and_its_id() {
    let sim = Sim::fast();
    for (args, said, exit) in [
        (
            &["task", "get", "12"][..],
            "cfp: error: task 12 not found",
            4,
        ),
        (
            &["task", "cancel", "77"],
            "cfp: error: task 77 not found",
            4,
        ),
        (&["task", "pause", "77"], "cfp: error: task 77 not found", 4),
        (&["batch", "get", "9"], "cfp: error: batch 9 not found", 4),
        (
            &["batch", "get", "9", "--wait"],
            "cfp: error: batch 9 not found",
            4,
        ),
        (
            &["imagediff", "status", "218596"],
            "cfp: error: diff 218596 not found",
            4,
        ),
        (
            &["image", "status", "99"],
            "cfp: error: image 99 not found",
            4,
        ),
        // An unknown template is not found, as an unknown task is.
        (
            &["task", "create", "--template", "99", "--instance", "1"],
            "cfp: error: task template 99 does not exist",
            4,
        ),
    ] {
        let out = run(sim.cfp().args(args));
        assert_eq!(code(&out), exit, "{args:?}: {}", stderr(&out));
        assert_eq!(error_line(&out), said, "{args:?}");
    }
    let out = run(sim
        .cfp()
        .args(["task", "create", "--template", "99", "--instance", "1"]));
    assert!(stderr(&out).contains("cfp: hint: see the templates with `cfp task templates`"));
    // The operation id and the raw error only at -v.
    let out = run(sim.cfp().args(["task", "get", "12"]));
    assert!(!stderr(&out).contains("getTask"), "{}", stderr(&out));
    let out = run(sim.cfp().args(["-v", "task", "get", "12"]));
    let line = error_line(&out);
    assert!(
        line.starts_with("cfp: error: task 12 not found ["),
        "{line}"
    );
    assert!(line.contains("getTask: "), "{line}");
}

#[test]
fn a_locked_image_leads_with_the_image_and_names_the_commands_that_unlock_it() {
    let sim = Sim::fast();
    let out = run(sim
        .cfp()
        .args(["imagediff", "create", "--image", "3", "--machine", "4"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        error_line(&out),
        "cfp: error: image 3 is locked by diff 218590"
    );
    let err = stderr(&out);
    assert!(
        err.contains("`cfp imagediff status --asid 1 218590`")
            && err.contains("`cfp imagediff reject --asid 1 218590`"),
        "{err}"
    );
}

#[test]
fn a_refused_connection_names_the_url_and_where_it_came_from() {
    let sim = Sim::fast();
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = run(sim.cfp().env("CFP_TASK_URL", &url).args(["task", "list"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let line = error_line(&out);
    assert!(
        line.starts_with(&format!(
            "cfp: error: cannot connect to {url}: connection refused"
        )),
        "{line}"
    );
    assert!(line.contains("from environment CFP_TASK_URL"), "{line}");
    assert!(stderr(&out).contains("cfp config show"), "{}", stderr(&out));

    // From a profile: the profile says so.
    let config = sim.config_dir.path().join("refused.toml");
    std::fs::write(
        &config,
        format!("[profiles.lab]\ntask_url = \"{url}\"\ntask_token = \"x\"\n"),
    )
    .unwrap();
    let out = run(sim
        .cfp()
        .env("CFP_CONFIG", &config)
        .env_remove("CFP_TASK_URL")
        .env_remove("CFP_TASK_TOKEN")
        .args(["--profile", "lab", "task", "list"]));
    let line = error_line(&out);
    assert!(line.contains("connection refused"), "{line}");
    assert!(line.contains("from profile \"lab\""), "{line}");
}

#[test]
fn https_against_a_plain_http_server_says_so() {
    let sim = Sim::fast();
    let plain = sim.sim().base_url();
    assert!(plain.starts_with("http://"), "{plain}");
    let https = plain.replacen("http://", "https://", 1);
    let out = run(sim.cfp().env("CFP_TASK_URL", &https).args(["task", "list"]));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let line = error_line(&out);
    assert!(
        line.contains(&format!(
            "{} answered in plain HTTP, not HTTPS",
            https.trim_end_matches('/')
        )),
        "{line}"
    );
    assert!(line.contains("CFP_TASK_URL"), "{line}");
    assert!(
        !stderr(&out).contains("InvalidContentType"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("http://"),
        "the hint says what to use"
    );
}

#[test]
fn a_time_cfp_cannot_read_gets_examples() {
    let sim = Sim::fast();
    let before = sim.requests();
    let out = run(sim.cfp().args([
        "task",
        "create",
        "--template",
        "1",
        "--instance",
        "1",
        "--at",
        "tomorrow",
    ]));
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("\"tomorrow\" is not a time cfp understands"),
        "{err}"
    );
    for example in ["+30m", "+2h", "2030-01-01T03:00:00Z"] {
        assert!(err.contains(example), "{example}: {err}");
    }
    assert!(!err.contains("four digit"), "no parser internals: {err}");
    assert_eq!(sim.requests(), before);
}

#[test]
fn a_failed_task_is_said_once_and_counts_are_singular_when_one() {
    let sim = Sim::fast();
    // Game server 101 of the default world is offline: its task ends 126.
    let out = run(sim.cfp().args([
        "task",
        "create",
        "--template",
        "1",
        "--instance",
        "101",
        "--instance",
        "5",
        "--wait",
    ]));
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("1 failed and 0 cancelled of 2 tasks"), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("on game server 101"))
        .unwrap_or_else(|| panic!("no line for the failed task:\n{err}"));
    assert_eq!(
        line.trim(),
        format!(
            "{} on game server 101: done with error (126) — application instance 101 is offline",
            line.trim().split(" on ").next().unwrap()
        )
    );
    assert_eq!(line.matches("with error").count(), 1, "{line}");

    let out = run(sim.cfp().args([
        "task",
        "create",
        "--template",
        "1",
        "--instance",
        "101",
        "--wait",
    ]));
    assert_eq!(code(&out), 5);
    assert!(
        stderr(&out).contains("1 failed and 0 cancelled of 1 task\n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ndjson_install_status_prints_one_install_per_line() {
    let sim = Sim::start(cfp_testkit::ClockMode::Manual);
    // A new diff of image 1, which rolls out on fleets 1 and 2, complete
    // after at most 160 s; then a version of it.
    let out = run(sim
        .cfp()
        .args(["imagediff", "create", "--image", "1", "--machine", "2"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let diff = stdout_json(&out)["diffid"].to_string();
    sim.sim()
        .clock()
        .advance(std::time::Duration::from_secs(200));
    let out = run(sim
        .cfp()
        .args(["imageversion", "create", "--diff", &diff, "--restart"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The version builds (20–40 s), then installs on the image's machines.
    sim.sim()
        .clock()
        .advance(std::time::Duration::from_secs(45));
    let out = run(sim.cfp().args(["imageinstall", "status", "-o", "ndjson"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let installs = ndjson_lines(&out);
    assert!(!installs.is_empty(), "{}", stdout(&out));
    assert!(
        installs
            .iter()
            .all(|i| i.is_object() && i.get("installs").is_none()),
        "{}",
        stdout(&out)
    );
    let json = run(sim.cfp().args(["imageinstall", "status", "-o", "json"]));
    assert_eq!(
        stdout_json(&json)["installs"].as_array().map(Vec::len),
        Some(installs.len())
    );
}
