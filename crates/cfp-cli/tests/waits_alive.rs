//! Waits that stay alive: polls scheduled on the server's clock (a scaled
//! simulator's end is noticed within a second), a watched wait polls at
//! least every 10 s, the ETA counts down and the bar moves between polls,
//! a log (stderr not a terminal) gets a status line on each change and at
//! least every minute, and NDJSON events say when, what kind and about what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::collections::BTreeSet;

use cfp_api::model::OperationId;
use cfp_testkit::ClockMode;
use cfp_testkit::world::{Timings, World};
use serde_json::Value;
use support::pty::PtyCommand;
use support::{Sim, code, run, stderr, stdout, stdout_json};

/// Every job in the default world's diff takes this long once it runs (real
/// seconds, on a real-time simulator): long enough to watch it.
fn slow_diff() -> Sim {
    let timings = Timings {
        diff_created: 0,
        diff_pending: 0,
        diff_queued: 0,
        diff_running: 141..=141,
        ..Timings::default()
    };
    Sim::with(ClockMode::Real, World::default().timings(timings))
}

/// The `eta in …` countdowns in what the terminal received, in order.
fn countdowns(text: &str) -> Vec<String> {
    text.split("eta in ")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once('\x1b')
                .map(|(left, _)| left.trim().to_owned())
        })
        .collect()
}

#[test]
fn against_a_simulator_at_30x_a_diffs_end_is_noticed_within_a_second() {
    // The case: `cfp-sim --speed 30` and the default world's diff
    // (about 4 s of real time). cfp runs on the real clock; the simulator's
    // clock is 30 times faster and its Date says so.
    let s = Sim::start(ClockMode::Scaled(30.0));
    let out = run(s.cfp().args([
        "imagediff",
        "create",
        "--image",
        "1",
        "--machine",
        "2",
        "--wait",
    ]));
    assert!(matches!(code(&out), 0 | 5), "{}", stderr(&out));
    let job: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ended = job["jobupdated"].as_i64().unwrap();
    let polls = s
        .sim()
        .journal()
        .entries_for(OperationId::GetImageDiffStatus);
    let last = polls.last().unwrap().sim_time.as_second();
    // 30 simulated seconds are one real second (and some slack for a slow
    // machine); the 30 s sleep of old was 900 simulated seconds.
    assert!(
        last - ended <= 45,
        "ended at {ended}, noticed at {last} (simulated), {} polls",
        polls.len()
    );
    assert!(polls.len() <= 10, "{} polls", polls.len());
}

#[test]
fn on_a_terminal_the_countdown_and_the_bar_move_between_polls_and_polls_come_every_10s() {
    let s = slow_diff();
    let started = s.sim().clock().now_secs();
    let run = PtyCommand::cfp(
        &s,
        80,
        &[
            "imagediff",
            "create",
            "--image",
            "1",
            "--machine",
            "2",
            "--wait",
            "--wait-timeout",
            "11s",
        ],
    )
    .run();
    let text = run.text();
    // The ETA is 141 s away: the wait times out (exit 6).
    assert_eq!(run.code, 6, "{text}");
    let polls = s
        .sim()
        .journal()
        .entries_for(OperationId::GetImageDiffStatus);
    let times: Vec<i64> = polls.iter().map(|e| e.sim_time.as_second()).collect();
    // Watched: the first poll, one 10 s later (not 30 s: the ETA may be
    // wrong), the last at the deadline.
    assert!(times.len() >= 3, "polls at {times:?} (started {started})");
    assert!(
        times.windows(2).all(|w| w[1] - w[0] <= 11),
        "polls at {times:?}"
    );
    // Between the first two polls (10 s) the countdown moved on: several
    // different values, though only one answer came.
    let seen: BTreeSet<String> = countdowns(&text).into_iter().collect();
    assert!(seen.len() >= 5, "countdowns {seen:?} in {text}");
    // And the bar moved: more than one percentage drawn.
    let percents: BTreeSet<&str> = text
        .split('%')
        .filter_map(|before| before.rsplit(' ').next())
        .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert!(percents.len() >= 2, "percents {percents:?}");
    // Nothing left of the bar at the end: the screen ends with the message.
    let screen = run.screen();
    assert!(
        screen.iter().all(|l| !l.contains("eta in ")),
        "{}",
        screen.join("\n")
    );
}

#[test]
fn without_a_terminal_a_log_gets_a_status_line_on_each_change_and_every_minute() {
    // Under --sim (60 simulated seconds per real second) the client's clock
    // is the simulator's: a batch scheduled 5 minutes ahead does not change
    // for 5 simulated minutes, and a line comes every simulated minute.
    let s = Sim::start(ClockMode::Manual);
    let out = run(s.cfp().args([
        "--sim",
        "task",
        "create",
        "--template",
        "1",
        "--fleet",
        "1",
        "--at",
        "+5m",
        "--wait",
    ]));
    let err = stderr(&out);
    assert!(matches!(code(&out), 0 | 5), "{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("cfp: batch "))
        .collect();
    let first = lines.first().expect("status lines");
    // Waiting for the start: the same line again, at least every minute.
    let repeats = lines.iter().take_while(|l| l == &first).count();
    assert!(repeats >= 4, "{err}");
    // Then changes, each on its own line, the last one the end.
    let last = lines.last().unwrap();
    assert_ne!(last, first, "{err}");
    assert!(first.contains("ok 0"), "{err}");
    // The result still goes to stdout.
    let batch: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(batch["numTasks"].as_u64().unwrap() > 0, "{batch}");
}

#[test]
fn ndjson_events_carry_a_timestamp_a_type_and_what_they_are_about() {
    let s = Sim::fast();
    let out = run(s.cfp().args([
        "-o",
        "ndjson",
        "imagediff",
        "create",
        "--image",
        "1",
        "--machine",
        "2",
        "--wait",
    ]));
    assert!(matches!(code(&out), 0 | 5), "{}", stderr(&out));
    // No status lines when stdout streams events.
    assert!(!stderr(&out).contains("cfp: diff"), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (object, events) = lines.split_last().unwrap();
    let (result, progress) = events.split_last().unwrap();
    assert!(!progress.is_empty(), "{lines:?}");
    let diff = object["diffid"].as_u64().unwrap();
    for e in progress {
        assert_eq!(e["type"], "progress", "{e}");
        assert_eq!(e["event"], "progress", "{e}");
        assert_eq!(e["kind"], "diff", "{e}");
        assert_eq!(e["diff"], diff, "{e}");
        assert_eq!(e["diffid"], diff, "{e}");
        let ts = e["ts"].as_str().unwrap();
        assert!(ts.ends_with('Z'), "{ts}");
        ts.parse::<jiff::Timestamp>().unwrap();
    }
    assert_eq!(result["type"], "result", "{result}");
    assert_eq!(result["kind"], "diff", "{result}");
    assert_eq!(result["diff"], diff, "{result}");
    let outcome = if code(&out) == 0 {
        "succeeded"
    } else {
        "unsuccessful"
    };
    assert_eq!(result["outcome"], outcome, "{result}");
    result["ts"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    // The result itself is the vendor's object, untouched.
    assert!(object.get("type").is_none(), "{object}");
}

#[test]
fn batch_and_rollout_events_name_the_batch_and_the_image() {
    let s = Sim::fast();
    let out = run(s.cfp().args([
        "-o",
        "ndjson",
        "task",
        "create",
        "--template",
        "1",
        "--fleet",
        "1",
        "--wait",
    ]));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 3, "{}: {lines:?}", stderr(&out));
    let batch = lines.last().unwrap()["id"].as_u64().unwrap();
    for e in &lines[..lines.len() - 1] {
        assert_eq!(e["batch"], batch, "{e}");
    }
    let out = run(s
        .cfp()
        .args(["-o", "ndjson", "image", "status", "1", "--wait-ready"]));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 3, "{}: {lines:?}", stderr(&out));
    for e in &lines[..lines.len() - 1] {
        assert_eq!(e["image"], 1, "{e}");
        assert!(e["ts"].is_string(), "{e}");
    }
}

#[test]
fn ndjson_on_a_terminal_leaves_no_frozen_bar_lines_between_events() {
    let s = Sim::quick_jobs();
    let run = PtyCommand::cfp(
        &s,
        80,
        &[
            "-o",
            "ndjson",
            "imagediff",
            "create",
            "--image",
            "1",
            "--machine",
            "2",
            "--wait",
        ],
    )
    .run();
    assert!(matches!(run.code, 0 | 5), "{}", run.text());
    // The bar was drawn (its elapsed time) while the events came …
    assert!(run.text().contains("[00:00:"), "{}", run.text());
    // … and none of it is left between them.
    let screen = run.screen();
    assert!(
        screen.iter().all(|l| !l.contains("[00:00:")),
        "a bar line left on the screen:\n{}",
        screen.join("\n")
    );
    let events = screen.iter().filter(|l| l.starts_with('{')).count();
    assert!(events >= 3, "{}", screen.join("\n"));
}

#[test]
fn patch_events_carry_a_type_and_a_timestamp_too() {
    let timings = Timings {
        diff_created: 0,
        diff_pending: 0,
        diff_queued: 0,
        diff_running: 1..=1,
        task_action: 1..=1,
        rollout_machine: 1..=2,
        update_running: 1..=1,
        version_running: 1..=1,
        switch_step: 1,
    };
    let s = Sim::with(ClockMode::Real, World::default().timings(timings));
    let dir = tempfile::tempdir().unwrap();
    let out = run(s
        .cfp()
        .env("BUILD_URL", "s3://builds/demo/1.4.2/")
        .args(["patch", "--state"])
        .arg(dir.path().join("patch.json"))
        .args(["--image", "1", "--machine", "1", "--url-env", "BUILD_URL"])
        .args(["--max-failed", "1", "--yes", "-o", "ndjson"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, events) = lines.split_last().unwrap();
    assert_eq!(summary["event"], "summary", "{summary}");
    assert!(!events.is_empty());
    for e in events {
        assert_eq!(e["type"], "progress", "{e}");
        let ts: jiff::Timestamp = e["ts"].as_str().unwrap().parse().unwrap();
        assert_eq!(ts.as_second(), e["at"].as_i64().unwrap(), "{e}");
    }
}

#[test]
fn no_progress_also_silences_the_status_lines() {
    let s = Sim::fast();
    let args = [
        "task",
        "create",
        "--template",
        "1",
        "--fleet",
        "1",
        "--wait",
    ];
    let out = run(s.cfp().args(args));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("cfp: batch "), "{}", stderr(&out));
    let out = run(s.cfp().arg("--no-progress").args(args));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("cfp: batch "), "{}", stderr(&out));
    assert!(stdout_json(&out)["numTasks"].as_u64().unwrap() > 0);
}
