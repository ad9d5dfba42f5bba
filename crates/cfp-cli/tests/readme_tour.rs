//! The README's tour, as pasted: every `cfp` line of its `sh` blocks, in
//! order, against one fresh simulator with the default world and the demo
//! credentials, configured only by the tour's own `export` lines (the URL
//! `http://127.0.0.1:8080` replaced by the simulator's). Each line must exit
//! as its comment says: N for a comment that starts with `exit N`, else 0.
//!
//! Shell features the tour uses: `export`, `A && B` (each runs while the
//! last exited 0), and `eval "$(cfp …)"` (the command runs on a terminal,
//! typing the simulator's password when asked, and the `export` or `unset`
//! it prints is applied). The `cargo run … cfp-sim` and `curl` lines are
//! the simulator itself (here it runs in-process). Any other line fails the
//! test, so the tour cannot grow a line this test does not check.
//!
//! The simulator runs 600× faster than real time (the tour suggests
//! `--speed 30` for people): the exits are the same, the test is quicker.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)] // test code

mod support;

use std::collections::BTreeMap;
use std::process::Output;

use assert_cmd::Command;
use cfp_testkit::world::World;
use cfp_testkit::{ClockMode, Simulator};
use support::pty::PtyCommand;
use support::{Sim, code, stderr, stdout};

const README: &str = include_str!("../../../README.md");

/// The URL the tour's `export` lines name for the simulator.
const TOUR_URL: &str = "http://127.0.0.1:8080";

/// The lines of the `sh` blocks of the README's "A tour" section.
fn tour_lines() -> Vec<&'static str> {
    let start = README.find("\n## A tour").expect("README has a tour");
    let rest = &README[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let mut lines = Vec::new();
    let mut in_sh = false;
    for line in rest[..end].lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && t == "```sh";
            continue;
        }
        if in_sh && !t.is_empty() && !t.starts_with('#') {
            lines.push(t);
        }
    }
    lines
}

/// `line` split at its comment (a `#` outside quotes after a space).
fn split_comment(line: &str) -> (&str, &str) {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => {
                return (line[..i].trim(), line[i + 1..].trim());
            }
            _ => {}
        }
        prev = c;
    }
    (line.trim(), "")
}

/// The exit a comment states when it starts with `exit N`, else 0.
fn expected_exit(comment: &str) -> i32 {
    comment
        .strip_prefix("exit ")
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or(0)
}

/// Shell words, split as a POSIX shell splits them.
fn words(command: &str) -> Vec<String> {
    shlex::split(command).unwrap_or_else(|| panic!("unbalanced quotes in {command:?}"))
}

/// One run's exit and output.
struct Ran {
    code: i32,
    out: String,
    err: String,
}

struct Tour {
    sim: Sim,
    env: BTreeMap<String, String>,
}

impl Tour {
    fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        // The default world with the demo credentials, as cfp-sim serves it.
        let running = rt
            .block_on(
                Simulator::builder()
                    .clock(ClockMode::Scaled(600.0))
                    .world(World::default())
                    .start(),
            )
            .unwrap();
        let config_dir = tempfile::tempdir().unwrap();
        std::fs::write(config_dir.path().join("config.toml"), "").unwrap();
        Self {
            sim: Sim {
                sim: Some(running),
                rt,
                config_dir,
            },
            env: BTreeMap::new(),
        }
    }

    fn url(&self) -> String {
        self.sim.sim().base_url().trim_end_matches('/').to_owned()
    }

    /// `export A=B C=D`, the simulator's URL for the tour's.
    fn export(&mut self, assignments: &str) {
        for w in words(assignments) {
            let (k, v) = w.split_once('=').expect("export NAME=VALUE");
            self.env
                .insert(k.to_owned(), v.replace(TOUR_URL, &self.url()));
        }
    }

    /// `cfp ARGS` with the tour's environment and nothing else of cfp's.
    fn cfp(&self, args: &[String]) -> Ran {
        let mut cmd = Command::cargo_bin("cfp").unwrap();
        for (k, _) in std::env::vars() {
            if k.starts_with("CFP_") || k == "RUST_LOG" || k == "BUILD_URL" {
                cmd.env_remove(k);
            }
        }
        cmd.env("CFP_CONFIG", self.sim.config_dir.path().join("config.toml"));
        cmd.envs(&self.env);
        let out: Output = cmd
            .args(args)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        Ran {
            code: code(&out),
            out: stdout(&out),
            err: stderr(&out),
        }
    }

    /// `eval "$(cfp ARGS)"`: on a terminal, typing the simulator's
    /// password if asked; the `export` or `unset` printed is applied.
    fn eval(&mut self, args: &[String]) -> Ran {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = PtyCommand::cfp(&self.sim, 100, &args).input("password\r");
        for var in [
            "CFP_CLANFORGE_KEY",
            "CFP_CLANFORGE_SECRET",
            "CFP_TASK_TOKEN",
            "CFP_ZSTACK_SESSION",
        ] {
            cmd = cmd.env_remove(var);
        }
        for (k, v) in &self.env {
            cmd = cmd.env(k, v);
        }
        let run = cmd.run();
        let text = run.text();
        for line in text.lines().map(str::trim) {
            if let Some(assignment) = line.strip_prefix("export ") {
                self.export(assignment);
            } else if let Some(name) = line.strip_prefix("unset ") {
                self.env.remove(name.trim());
            }
        }
        Ran {
            code: run.code,
            out: text,
            err: String::new(),
        }
    }
}

#[test]
fn the_readme_tour_exits_as_its_comments_say() {
    let mut tour = Tour::start();
    let lines = tour_lines();
    assert!(lines.len() > 20, "the tour: {lines:#?}");
    let mut ran = 0;
    let mut failure_case = None;
    for line in lines {
        let (command, comment) = split_comment(line);
        if let Some(assignments) = command.strip_prefix("export ") {
            tour.export(assignments);
            continue;
        }
        if command.starts_with("cargo run ") {
            assert!(command.contains("cfp-sim"), "{line}");
            continue;
        }
        if command.starts_with("curl ") {
            continue;
        }
        let want = expected_exit(comment);
        let started = std::time::Instant::now();
        if let Some(inner) = command
            .strip_prefix("eval \"$(")
            .and_then(|c| c.strip_suffix(")\""))
        {
            let w = words(inner);
            assert_eq!(w[0], "cfp", "{line}");
            let r = tour.eval(&w[1..]);
            assert_eq!(r.code, want, "{line}\n{}", r.out);
            ran += 1;
            continue;
        }
        let mut last = None;
        for step in command.split(" && ") {
            let w = words(step);
            assert_eq!(
                w.first().map(String::as_str),
                Some("cfp"),
                "not a cfp line: {line}"
            );
            let r = tour.cfp(&w[1..]);
            ran += 1;
            let code = r.code;
            last = Some(r);
            if code != 0 {
                break;
            }
        }
        let r = last.unwrap();
        eprintln!(
            "{:>6.1} s  exit {}  {line}",
            started.elapsed().as_secs_f64(),
            r.code
        );
        assert_eq!(
            r.code, want,
            "{line}\nstdout:\n{}\nstderr:\n{}",
            r.out, r.err
        );
        assert!(!r.err.contains("panicked"), "{line}: {}", r.err);
        if command.contains("resultCode == 126") {
            failure_case = Some(r);
        }
    }
    assert!(ran >= 20, "{ran} cfp runs");
    // The failure case prints the failed task, really.
    let r = failure_case.expect("the tour's failure case (resultCode == 126)");
    let failed: Vec<serde_json::Value> = r
        .out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(failed.len(), 1, "{}", r.out);
    assert_eq!(failed[0]["resultCode"], 126);
    assert_eq!(failed[0]["entityId"], 101);
}

#[test]
fn the_tour_parser_reads_comments_exits_and_quotes() {
    assert_eq!(
        split_comment("cfp a 'x # y'   # exit 5: because"),
        ("cfp a 'x # y'", "exit 5: because")
    );
    assert_eq!(expected_exit("exit 5: machine 3 failed"), 5);
    assert_eq!(expected_exit("exit 0, or 5 and the failed tasks"), 0);
    assert_eq!(expected_exit("the patch gate: exit 5 when one failed"), 0);
    assert_eq!(expected_exit("pause/resume send nothing"), 0);
    assert_eq!(
        words(r#"cfp task list --jq '.[] | select(.a == "b")' "x y""#),
        [
            "cfp",
            "task",
            "list",
            "--jq",
            r#".[] | select(.a == "b")"#,
            "x y"
        ]
    );
}
