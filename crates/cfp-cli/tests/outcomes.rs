//! Honest outcomes, end to end against the simulator with scripted faults:
//!
//! - a call that changes something (task create, image diff create and
//!   retry, the pause/resume toggle) whose answer cannot be read — a body
//!   cut short, a connection reset mid-answer, a 502, a 504 — says first
//!   that it **may have been carried out**, names the command that shows
//!   what happened, exits 1, and is sent exactly once (the simulator's
//!   journal);
//! - a wait honours `Retry-After` up to its deadline, and a deadline that
//!   passes during 503s is "timed out" (exit 6).
//!
//! The simulator carries out a request it answers with a cut body or a
//! reset, and not one it answers with a 502 or 504; the tests check the
//! hinted command shows which.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use cfp_api::model::OperationId;
use cfp_testkit::{ClockMode, Fault, FaultRule, RetryAfter};
use serde_json::Value;
use support::*;

/// The answers that cannot be read, and whether the simulator carried the
/// request out before giving them.
const UNREADABLE: [(Fault, bool); 4] = [
    (Fault::TruncatedJson, true),
    (Fault::ConnectionReset, true),
    (Fault::Status { status: 502 }, false),
    (Fault::Status { status: 504 }, false),
];

/// A simulator whose jobs and tasks stand still.
fn still() -> Sim {
    Sim::start(ClockMode::Manual)
}

fn once(sim: &Sim, fault: Fault, op: OperationId) {
    sim.sim()
        .faults()
        .add(FaultRule::new(fault).operation(op).times(1));
}

/// Exit 1; stderr leads with "WHAT may have been carried out", and its
/// hint says it was not sent again and names `command`; nothing on stdout.
fn assert_unknown(out: &Output, fault: Fault, what: &str, command: &str) {
    let err = stderr(out);
    assert_eq!(code(out), 1, "{fault:?}: {err}");
    assert!(
        err.starts_with(&format!("cfp: error: {what} may have been carried out: ")),
        "{fault:?}: {err}"
    );
    assert!(
        err.contains("\ncfp: hint: cfp did not send it again. "),
        "{fault:?}: {err}"
    );
    assert!(err.contains(&format!("`{command}`")), "{fault:?}: {err}");
    assert!(out.stdout.is_empty(), "{fault:?}: no result on stdout");
}

fn batches(sim: &Sim) -> usize {
    let out = run(sim.cfp().args(["batch", "list"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout_json(&out).as_array().unwrap().len()
}

#[test]
fn task_create_whose_answer_is_lost_may_have_been_carried_out() {
    for (fault, carried_out) in UNREADABLE {
        let s = still();
        let before = batches(&s);
        once(&s, fault, OperationId::CreateTaskBatch);
        let out = run(s
            .cfp()
            .args(["task", "create", "--template", "1", "--fleet", "1"]));
        assert_unknown(&out, fault, "task create (template 1)", "cfp batch list");
        assert_eq!(
            s.sim().journal().count(OperationId::CreateTaskBatch),
            1,
            "{fault:?}: sent once"
        );
        // The hinted command tells whether it was.
        assert_eq!(batches(&s) - before, usize::from(carried_out), "{fault:?}");
    }
}

#[test]
fn task_create_with_wait_whose_answer_is_lost_does_not_wait() {
    let s = still();
    once(&s, Fault::TruncatedJson, OperationId::CreateTaskBatch);
    let out = run(s.cfp().args([
        "task",
        "create",
        "--template",
        "1",
        "--fleet",
        "1",
        "--wait",
    ]));
    assert_unknown(
        &out,
        Fault::TruncatedJson,
        "task create (template 1)",
        "cfp batch list",
    );
    assert_eq!(s.sim().journal().count(OperationId::GetTaskBatch), 0);
}

#[test]
fn image_diff_create_whose_answer_is_lost_may_have_been_carried_out() {
    for (fault, carried_out) in UNREADABLE {
        let s = still();
        once(&s, fault, OperationId::CreateImageDiff);
        let create = ["imagediff", "create", "--image", "1", "--machine", "2"];
        let out = run(s.cfp().args(create));
        assert_unknown(
            &out,
            fault,
            "image diff create for image 1 on machine 2",
            "cfp imagediff status --asid 1 DIFFID",
        );
        let err = stderr(&out);
        assert!(
            err.contains(
                "If it was carried out, the newest diff of image 1 on machine 2 is the new one: \
                 check it with `cfp imagediff status --asid 1 DIFFID`"
            ),
            "{err}"
        );
        assert_eq!(
            s.sim().journal().count(OperationId::CreateImageDiff),
            1,
            "{fault:?}: sent once"
        );
        // What the hint says: if it was carried out, a new create is
        // refused, naming the diff; if not, it starts one.
        let again = run(s.cfp().args(create));
        if carried_out {
            assert_eq!(code(&again), 1, "{}", stderr(&again));
            assert!(
                stderr(&again).contains("is locked by diff "),
                "{}",
                stderr(&again)
            );
        } else {
            assert_eq!(code(&again), 0, "{fault:?}: {}", stderr(&again));
        }
    }
}

#[test]
fn image_diff_create_with_diff_whose_answer_is_lost_names_that_diff() {
    let s = still();
    once(&s, Fault::ConnectionReset, OperationId::CreateImageDiff);
    let out = run(s.cfp().args([
        "imagediff",
        "create",
        "--image",
        "1",
        "--machine",
        "1",
        "--diff",
        "218595",
    ]));
    assert_unknown(
        &out,
        Fault::ConnectionReset,
        "image diff create --diff 218595 (a retry of diff 218595)",
        "cfp imagediff status --asid 1 218595",
    );
    assert_eq!(s.sim().journal().count(OperationId::CreateImageDiff), 1);
}

fn diff_state(s: &Sim, diff: &str) -> Value {
    let out = run(s.cfp().args(["imagediff", "status", diff]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout_json(&out)["jobstateid"].clone()
}

#[test]
fn image_diff_retry_whose_answer_is_lost_may_have_been_carried_out() {
    for (fault, carried_out) in UNREADABLE {
        let s = still();
        assert_eq!(diff_state(&s, "218595"), 5, "complete before the retry");
        once(&s, fault, OperationId::RetryImageDiff);
        let out = run(s.cfp().args(["imagediff", "retry", "218595"]));
        assert_unknown(
            &out,
            fault,
            "image diff retry of diff 218595",
            "cfp imagediff status --asid 1 218595",
        );
        assert_eq!(
            s.sim().journal().count(OperationId::RetryImageDiff),
            1,
            "{fault:?}: sent once"
        );
        // The hinted command tells whether it was: a retried diff runs again.
        assert_eq!(
            diff_state(&s, "218595") != 5,
            carried_out,
            "{fault:?}: {}",
            diff_state(&s, "218595")
        );
    }
}

/// A task that has not started (the clock stands still), and its id.
fn a_task(s: &Sim) -> String {
    let out = run(s
        .cfp()
        .args(["task", "create", "--template", "2", "--instance", "5"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout_json(&out)["taskIds"][0].to_string()
}

/// Paused, or not: pending (0) and in progress (1) are both running.
fn paused(task: &Value) -> bool {
    match task["resultCode"].as_i64() {
        Some(2) => true,
        Some(0 | 1) => false,
        _ => panic!("neither paused nor running: {task}"),
    }
}

fn is_paused(s: &Sim, task: &str) -> bool {
    let out = run(s.cfp().args(["task", "get", task]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    paused(&stdout_json(&out))
}

/// Pause and resume read the task again after a toggle whose answer is
/// lost: where the toggle was carried out, that read settles it (exit 0,
/// the task as read); where it was not, the outcome stays unknown.
#[test]
fn a_pause_or_resume_whose_toggle_answer_is_lost_is_settled_by_a_read_or_reported() {
    for (fault, carried_out) in UNREADABLE {
        for action in ["pause", "resume"] {
            let s = still();
            let task = a_task(&s);
            if action == "resume" {
                let out = run(s.cfp().args(["task", "pause", &task]));
                assert_eq!(code(&out), 0, "{}", stderr(&out));
            }
            let wanted = action == "pause";
            assert_eq!(is_paused(&s, &task), !wanted);
            let toggles = s.sim().journal().count(OperationId::ToggleTaskPause);
            once(&s, fault, OperationId::ToggleTaskPause);
            let out = run(s.cfp().args(["task", action, &task]));
            if carried_out {
                assert_eq!(code(&out), 0, "{fault:?} {action}: {}", stderr(&out));
                assert_eq!(paused(&stdout_json(&out)), wanted, "{fault:?} {action}");
            } else {
                assert_unknown(
                    &out,
                    fault,
                    &format!("task {action} {task}"),
                    &format!("cfp task get {task}"),
                );
            }
            assert_eq!(
                s.sim().journal().count(OperationId::ToggleTaskPause),
                toggles + 1,
                "{fault:?} {action}: one toggle"
            );
            assert_eq!(
                is_paused(&s, &task),
                if carried_out { wanted } else { !wanted },
                "{fault:?} {action}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Waits keep their deadline

/// A batch that will not end (the clock stands still), and its id.
fn a_batch(s: &Sim) -> String {
    let out = run(s
        .cfp()
        .args(["task", "create", "--template", "1", "--fleet", "1"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout_json(&out)["id"].to_string()
}

#[test]
fn a_wait_answered_503_retry_after_past_its_deadline_times_out_at_the_deadline() {
    let s = still();
    let batch = a_batch(&s);
    s.sim().faults().add(
        FaultRule::new(Fault::Unavailable {
            retry_after: RetryAfter::Seconds(999_999),
        })
        .operation(OperationId::GetTaskBatch),
    );
    let started = Instant::now();
    let out = run(s
        .cfp()
        .args(["--wait-timeout", "3s", "batch", "get", &batch, "--wait"]));
    let took = started.elapsed();
    let err = stderr(&out);
    assert_eq!(code(&out), 6, "{err}");
    assert!(
        err.starts_with(&format!(
            "cfp: error: gave up waiting for task batch {batch} after 3s: last seen no answer \
             yet; the last poll failed: getTaskBatch: "
        )),
        "{err}"
    );
    assert!(err.contains("(http 503)"), "{err}");
    assert!(
        err.contains(&format!("re-attach with: cfp batch get {batch} --wait")),
        "{err}"
    );
    let j = s.sim().journal();
    assert_eq!(
        j.count(OperationId::GetTaskBatch),
        1,
        "no poll before the server's Retry-After"
    );
    j.check_retry_after(Some(OperationId::GetTaskBatch))
        .unwrap();
    // It waited until its deadline, and not much longer.
    assert!(took >= Duration::from_secs(3), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_wait_waits_out_a_503_retry_after_longer_than_one_call_then_ends_well() {
    let s = Sim::quick_jobs();
    // The first poll is refused for 3 s: longer than the call's own 2 s,
    // so the waiter, not the client's retries, must honour it.
    s.sim().faults().add(
        FaultRule::new(Fault::Unavailable {
            retry_after: RetryAfter::Seconds(3),
        })
        .operation(OperationId::GetTaskBatch)
        .times(1),
    );
    let out = run(s.cfp().args([
        "--timeout",
        "2s",
        "--wait-timeout",
        "60s",
        "task",
        "create",
        "--template",
        "1",
        "--instance",
        "7",
        "--wait",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let b = stdout_json(&out);
    assert_eq!(b["numTasksOk"], b["numTasks"]);
    let j = s.sim().journal();
    let polls = j.entries_for(OperationId::GetTaskBatch);
    assert_eq!(polls[0].status, 503);
    assert!(polls.len() >= 2);
    j.check_retry_after(Some(OperationId::GetTaskBatch))
        .unwrap();
}

// ---------------------------------------------------------------------------
// The patch commands that change something

#[test]
fn patch_commands_whose_answer_is_lost_may_have_been_carried_out() {
    // (the command, its operation, what the message says was asked, the
    // command the hint names)
    let cases: &[(&[&str], OperationId, &str, &str)] = &[
        (
            &[
                "imageupdate",
                "create",
                "--image",
                "1",
                "--machine",
                "1",
                "--desc",
                "x",
            ],
            OperationId::CreateImageUpdate,
            "image update create for image 1 on machine 1",
            "cfp imageupdate status --asid 1 UPDATEID",
        ),
        (
            &["imageupdate", "retry", "7000"],
            OperationId::RetryImageUpdate,
            "image update retry of update 7000",
            "cfp imageupdate status --asid 1 7000",
        ),
        (
            &["imagediff", "reject", "218589"],
            OperationId::RejectImageDiff,
            "image diff reject of diff 218589",
            "cfp imagediff status --asid 1 218589 --info",
        ),
        (
            &["imageversion", "create", "--diff", "218590", "--restart"],
            OperationId::CreateImageVersion,
            "image version create from diff 218590",
            "cfp imageinstall status --asid 1",
        ),
        (
            &[
                "fleet",
                "switch-profile",
                "2",
                "--profile-id",
                "12",
                "--within",
                "1h",
            ],
            OperationId::SwitchFleetProfile,
            "fleet 2 switch to profile 12",
            "cfp fleet switch-status --asid 1 2",
        ),
    ];
    for (fault, _) in [UNREADABLE[0], UNREADABLE[2]] {
        for (args, op, what, command) in cases {
            let s = still();
            once(&s, fault, *op);
            let out = run(s.cfp().args(*args));
            assert_unknown(&out, fault, what, command);
            assert_eq!(
                s.sim().journal().count(*op),
                1,
                "{args:?} {fault:?}: sent once"
            );
        }
    }
}

#[test]
fn a_zstack_login_whose_answer_is_lost_says_to_log_in_again() {
    let s = still();
    once(&s, Fault::TruncatedJson, OperationId::LogInByAccount);
    let out = run(s
        .cfp()
        .args(["zstack", "login", "--account", "admin", "--password-stdin"])
        .write_stdin("password\n"));
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    assert!(
        err.starts_with("cfp: error: zstack login as admin may have been carried out: "),
        "{err}"
    );
    assert!(err.contains("log in again"), "{err}");
    assert!(out.stdout.is_empty(), "no session line");
    assert_eq!(s.sim().journal().count(OperationId::LogInByAccount), 1);
}
