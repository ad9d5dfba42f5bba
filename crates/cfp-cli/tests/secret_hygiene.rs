//! No credential in anything `cfp` prints: every command, in every output
//! format, succeeding and failing in each way, at `-vvv` and with
//! `RUST_LOG=trace` (every crate's events), with credentials from the
//! environment and from a profile file. Neither stdout nor stderr may hold
//! a credential, nor base64 of key:secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use cfp_api::model::OperationId;
use cfp_testkit::{Fault, FaultRule};
use support::{KEY, SECRET, SESSION, Sim, TOKEN, code, run, secrets, stderr};

/// Every command of the CLI, most of them succeeding against the simulator.
/// Each runs twice, so the `task create` lines make batches 1 and 2
/// (scheduled: task 1 is pending), then 3 and 4 (fleet 2, finished).
#[rustfmt::skip]
const COMMANDS: &[&[&str]] = &[
    &["imagediff", "create", "--image", "1", "--machine", "2"],
    &["imagediff", "create", "--image", "1", "--machine", "3", "--wait"],
    &["imagediff", "create", "--image", "1", "--machine", "1", "--diff", "218595"],
    &["imagediff", "retry", "218595", "--wait"],
    &["imagediff", "status", "218595", "--info"],
    &["imagediff", "status", "218595", "--wait"],
    &["image", "status", "1", "--detail"],
    &["image", "status", "1", "--wait-ready", "--fail-on-failed"],
    &["task", "templates"],
    &["task", "create", "--template", "2", "--instance", "9", "--at", "+2h"],
    &["task", "create", "--template", "1", "--fleet", "2", "--wait"],
    &["task", "create", "--template", "4", "--label", "env=staging", "--param", "version=1.2"],
    &["task", "list"],
    &["task", "get", "1"],
    &["task", "pause", "1"],
    &["task", "resume", "1"],
    &["task", "cancel", "1"],
    &["batch", "list"],
    &["batch", "get", "1"],
    &["batch", "get", "3", "--wait"],
    &["upload-job", "ccf943310d86335bb3d2511ca8e14137"],
    &["upload-job", "ccf943310d86335bb3d2511ca8e14137", "--system-tag", "a", "--user-tag", "b"],
    &["upload-job", "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"],
    &["config", "show"],
    &["completions", "bash"],
    // Failures: not found, invalid input, a server error (see below).
    &["task", "get", "99999"],
    &["image", "status", "99"],
    &["task", "create", "--template", "1", "--instance", "3", "--instance", "3"],
    &["batch", "list"],
];

fn assert_clean(args: &[&str], how: &str, out: &std::process::Output) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for s in secrets() {
        assert!(!all.contains(&s), "{args:?} ({how}) leaked {s:?}:\n{all}");
    }
}

#[test]
fn every_command_at_trace_level_prints_no_credential() {
    let s = Sim::quick_jobs();
    // The last `batch list` meets a 500.
    s.sim().faults().add(
        FaultRule::new(Fault::Status { status: 500 })
            .operation(OperationId::ListTaskBatches)
            .nth(2),
    );
    let mut traced = 0;
    let formats = ["json", "table", "ndjson"];
    for (i, args) in COMMANDS.iter().enumerate() {
        let output = formats[i % formats.len()];
        let out = run(s.cfp().args(["-vvv", "-o", output]).args(*args));
        assert_clean(args, &format!("-vvv -o {output}"), &out);
        if stderr(&out).contains("cfp.call") {
            traced += 1;
        }
        let output = formats[(i + 1) % formats.len()];
        let out = run(s
            .cfp()
            .env("RUST_LOG", "trace")
            .args(["-o", output])
            .args(*args));
        assert_clean(args, &format!("RUST_LOG=trace -o {output}"), &out);
    }
    assert!(traced > 20, "most runs traced their calls: {traced}");
    assert!(s.requests() > 50);
}

#[test]
fn refused_credentials_at_trace_level_are_not_echoed() {
    let s = Sim::fast();
    let runs: &[(&str, &str, &[&str])] = &[
        (
            "CFP_TASK_TOKEN",
            "wrong-token-DO-NOT-USE",
            &["task", "list"],
        ),
        (
            "CFP_CLANFORGE_SECRET",
            "wrong-secret-DO-NOT-USE",
            &["image", "status", "1"],
        ),
        (
            "CFP_ZSTACK_SESSION",
            "wrong-session-DO-NOT-USE",
            &["upload-job", "ccf943310d86335bb3d2511ca8e14137"],
        ),
    ];
    for (var, value, args) in runs {
        let out = run(s.cfp().env(var, value).arg("-vvv").args(*args));
        assert_eq!(code(&out), 3, "{args:?}: {}", stderr(&out));
        assert_clean(args, var, &out);
    }
}

#[test]
fn credentials_from_a_profile_file_are_not_printed_either() {
    let s = Sim::fast();
    let file = s.config_dir.path().join("config.toml");
    std::fs::write(
        &file,
        format!(
            "[profiles.ops]\nclanforge_key = \"{KEY}\"\nclanforge_secret = \"{SECRET}\"\n\
             task_token = \"{TOKEN}\"\nzstack_session = \"{SESSION}\"\nasid = 1\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    for args in [
        &["config", "show"][..],
        &["task", "templates"],
        &["image", "status", "1"],
        &["upload-job", "ccf943310d86335bb3d2511ca8e14137"],
    ] {
        let out = run(s
            .cfp()
            .env_remove("CFP_CLANFORGE_KEY")
            .env_remove("CFP_CLANFORGE_SECRET")
            .env_remove("CFP_TASK_TOKEN")
            .env_remove("CFP_ZSTACK_SESSION")
            .args(["-vvv", "--profile", "ops"])
            .args(args));
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert_clean(args, "profile", &out);
    }
}
