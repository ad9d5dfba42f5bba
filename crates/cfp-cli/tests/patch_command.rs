//! `cfp patch` end to end: `cfp` as a process against the simulator, one
//! test per branch, each checking the exit code, what was printed, and —
//! from the simulator's journal — that no unsafe request was sent twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::path::PathBuf;

use cfp_api::model::{FleetId, ImageId, OperationId};
use cfp_testkit::world::{Rollout, Timings, World};
use cfp_testkit::{ClockMode, Fault, FaultRule};
use serde_json::Value;
use support::{Sim, code, run, secrets, stderr, stdout};

/// A fake update URL with fake storage credentials: they must never be
/// printed.
const URL: &str = "s3://build-key-DO-NOT-USE:build-secret-DO-NOT-USE@builds/demo/1.4.2/";

const UNSAFE: [OperationId; 5] = [
    OperationId::CreateImageUpdate,
    OperationId::CreateImageDiff,
    OperationId::RejectImageDiff,
    OperationId::CreateImageVersion,
    OperationId::SwitchFleetProfile,
];

struct Case {
    sim: Sim,
    state: PathBuf,
    _dir: tempfile::TempDir,
}

/// Real time (cfp's clock then agrees with the simulator's ETAs, so its
/// waits follow them) with every job taking a second or two.
fn quick() -> Timings {
    Timings {
        diff_created: 0,
        diff_pending: 0,
        diff_queued: 0,
        diff_running: 1..=1,
        task_action: 1..=1,
        rollout_machine: 1..=2,
        update_running: 1..=1,
        version_running: 1..=1,
        switch_step: 1,
    }
}

impl Case {
    fn new(world: World) -> Self {
        Self::timed(world, quick())
    }

    fn timed(world: World, timings: Timings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            sim: Sim::with(ClockMode::Real, world.timings(timings)),
            state: dir.path().join("patch.json"),
            _dir: dir,
        }
    }

    fn patch(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.sim.cfp();
        cmd.env("BUILD_URL", URL)
            .args(["patch", "--state"])
            .arg(&self.state)
            .args(args);
        run(&mut cmd)
    }

    fn resume(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.sim.cfp();
        cmd.args(["patch", "resume", "--state"])
            .arg(&self.state)
            .args(args);
        run(&mut cmd)
    }

    fn sent(&self, op: OperationId) -> u64 {
        self.sim.sim().journal().count(op)
    }

    /// No unsafe request reached the simulator more than once.
    fn never_twice(&self) {
        for op in UNSAFE {
            assert!(self.sent(op) <= 1, "{op} was sent {} times", self.sent(op));
        }
    }
}

fn no_secret(out: &std::process::Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    for s in secrets()
        .into_iter()
        .chain(["build-key".into(), "build-secret".into()])
    {
        assert!(!all.contains(&s), "output leaks {s:?}:\n{all}");
    }
}

fn lines(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Image 1 on machine 1 (the default world's rollout fails one machine of
/// four as the seed decides: allowed).
const BASE: [&str; 9] = [
    "--image",
    "1",
    "--machine",
    "1",
    "--url-env",
    "BUILD_URL",
    "--restart",
    "--max-failed",
    "1",
];

#[test]
fn a_whole_patch_streams_events_and_ends_with_its_summary() {
    let c = Case::new(World::default());
    let mut args = BASE.to_vec();
    args.extend([
        "--yes",
        "--switch-fleet",
        "2",
        "--switch-profile",
        "12",
        "-o",
        "ndjson",
        "-vv",
    ]);
    let out = c.patch(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    no_secret(&out);
    let events = lines(&out);
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["result"], "patched");
    assert_eq!(summary["ids"]["update"], 7001);
    assert!(summary["ids"]["version"].is_u64());
    let stages: Vec<&str> = summary["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "preflight",
            "update",
            "diff",
            "confirm",
            "version",
            "rollout",
            "switch"
        ]
    );
    // An event per stage change, each with a time and its stage.
    for e in &events[..events.len() - 1] {
        assert!(e["at"].is_i64() && e["stage"].is_string(), "{e}");
    }
    let passed: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "passed")
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    assert_eq!(passed, stages);
    for op in UNSAFE {
        let want = u64::from(op != OperationId::RejectImageDiff);
        assert_eq!(c.sent(op), want, "{op}");
    }
    // The state file has no secret either.
    let state = std::fs::read_to_string(&c.state).unwrap();
    assert!(!state.contains("DO-NOT-USE"), "{state}");
}

#[test]
fn without_a_terminal_or_yes_it_stops_before_the_version_then_resumes() {
    let c = Case::new(World::default());
    let out = c.patch(&BASE);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs a go-ahead"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("patch resume --state"),
        "{}",
        stderr(&out)
    );
    assert_eq!(c.sent(OperationId::CreateImageVersion), 0);
    let summary: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summary["result"], "awaiting_confirmation");
    let out = c.resume(&["--yes", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summary["result"], "patched");
    c.never_twice();
    // `show` prints the record.
    let mut cmd = c.sim.cfp();
    cmd.args(["patch", "show", "--state"])
        .arg(&c.state)
        .args(["-o", "table"]);
    let shown = run(&mut cmd);
    assert_eq!(code(&shown), 0);
    assert!(stdout(&shown).contains("patched"), "{}", stdout(&shown));
}

#[test]
fn a_lock_by_a_diff_is_refused_unless_cleared() {
    let c = Case::new(World::default());
    let image3 = [
        "--image",
        "3",
        "--machine",
        "4",
        "--url-env",
        "BUILD_URL",
        "--yes",
    ];
    let out = c.patch(&image3);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("locked by diff 218590"), "{err}");
    assert!(err.contains("--reject-locking-diff"), "{err}");
    for op in UNSAFE {
        assert_eq!(c.sent(op), 0, "{op}");
    }
    let out = c.patch(&[image3.as_slice(), &["--reject-locking-diff"]].concat());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(c.sent(OperationId::RejectImageDiff), 1);
    c.never_twice();
}

#[test]
fn a_failed_update_exits_5_with_the_job_error() {
    let c = Case::new(World::default());
    c.sim
        .sim()
        .world()
        .fail_next_updates(1, "download failed: no such build");
    let out = c.patch(&[BASE.as_slice(), &["--yes"]].concat());
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("failed at its update stage: download failed: no such build"),
        "{}",
        stderr(&out)
    );
    c.never_twice();
}

#[test]
fn the_rollout_gate_fails_over_max_failed() {
    let world = World::default().rollout(ImageId(1), Rollout::new([FleetId(1), FleetId(2)], 1.0));
    let c = Case::new(world);
    let out = c.patch(&[&BASE[..7], &["--yes", "--max-failed", "3"]].concat());
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("4 of 4 machines failed"),
        "{}",
        stderr(&out)
    );
    c.never_twice();
}

#[test]
fn plan_sends_nothing() {
    let c = Case::new(World::default());
    let out = c.patch(&[BASE.as_slice(), &["--plan", "-o", "table"]].concat());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for stage in [
        "preflight",
        "update",
        "diff",
        "confirm",
        "version",
        "rollout",
    ] {
        assert!(text.contains(stage), "{text}");
    }
    assert!(text.contains("install_at=NOW()"), "{text}");
    no_secret(&out);
    assert_eq!(c.sim.requests(), 0);
}

#[test]
fn a_lost_answer_is_adopted_on_resume() {
    let c = Case::new(World::default());
    c.sim.sim().faults().add(
        FaultRule::new(Fault::ConnectionReset)
            .operation(OperationId::CreateImageDiff)
            .times(1),
    );
    let out = c.patch(&[BASE.as_slice(), &["--yes"]].concat());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("may have been carried out"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("patch resume"), "{}", stderr(&out));
    let out = c.resume(&["--yes", "-o", "ndjson"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        lines(&out).iter().any(|e| e["event"] == "adopted"),
        "{}",
        stdout(&out)
    );
    assert_eq!(c.sent(OperationId::CreateImageDiff), 1);
    c.never_twice();
}

#[test]
fn a_wait_that_times_out_exits_6_and_resumes() {
    // The update takes 3 s; each wait may take 1 s.
    let c = Case::timed(
        World::default(),
        Timings {
            update_running: 3..=3,
            ..quick()
        },
    );
    let mut cmd = c.sim.cfp();
    cmd.env("BUILD_URL", URL)
        .env("CFP_WAIT_TIMEOUT", "1s")
        .args(["patch", "--state"])
        .arg(&c.state)
        .args(BASE)
        .arg("--yes");
    let out = run(&mut cmd);
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert!(stderr(&out).contains("patch resume"), "{}", stderr(&out));
    let out = c.resume(&["--yes"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    c.never_twice();
}

#[test]
fn a_second_patch_of_another_image_on_the_same_state_is_refused() {
    let c = Case::new(World::default());
    let out = c.patch(&BASE);
    assert_eq!(code(&out), 2);
    let out = c.patch(&["--image", "2", "--machine", "1", "--yes"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("a patch of image 1"),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_waiting_and_resume_finishes() {
    use std::io::Read as _;
    let c = Case::new(World::default());
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cfp"));
    let template = c.sim.cfp();
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd
        .env("BUILD_URL", URL)
        .args(["patch", "--state"])
        .arg(&c.state)
        .args(BASE)
        .arg("--yes")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the update is recorded, interrupt.
    let started = std::time::Instant::now();
    while c.sent(OperationId::CreateImageUpdate) == 0 {
        assert!(started.elapsed().as_secs() < 30, "the patch never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("patch resume --state"), "{err}");
    let out = c.resume(&["--yes"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    c.never_twice();
}
