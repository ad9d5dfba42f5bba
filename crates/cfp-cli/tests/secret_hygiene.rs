//! No credential in anything `cfp` prints: every command, in every output
//! format, succeeding and failing in each way, at `-vvv` and with
//! `RUST_LOG=trace` (every crate's events), with credentials from the
//! environment and from a profile file. Neither stdout nor stderr may hold
//! a credential, nor base64 of key:secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use cfp_api::model::OperationId;
use cfp_testkit::{Fault, FaultRule};
use support::{KEY, SECRET, SESSION, Sim, TOKEN, code, run, secrets, stderr, stdout};

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
    // The patch commands (their own secrets: below).
    &["image", "options"],
    &["image", "options", "--game", "1", "--image", "3"],
    &["imageupdate", "create", "--image", "1", "--machine", "2", "--desc", "x", "--wait"],
    &["imageupdate", "status", "7001", "--wait"],
    &["imageupdate", "retry", "7000"],
    &["imagediff", "reject", "218589"],
    &["imageversion", "create", "--diff", "218590", "--no-restart", "--wait"],
    &["imageversion", "status", "5101"],
    &["imageinstall", "status"],
    &["imageinstall", "status", "--version", "5101"],
    &["fleet", "switch-profile", "2", "--profile-id", "12", "--within", "1h", "--wait"],
    &["fleet", "switch-status", "2"],
    // Failures: not found, invalid input, a server error (see below).
    &["task", "get", "99999"],
    &["image", "status", "99"],
    &["task", "create", "--template", "1", "--instance", "3", "--instance", "3"],
    &["imageupdate", "create", "--image", "3", "--machine", "1", "--desc", "x"],
    &["fleet", "switch-profile", "1", "--profile-id", "12", "--within", "1h"],
    &["zstack", "logout"],
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

/// Every command's help examples (`support::help_examples`) once at
/// `RUST_LOG=trace`: a new command is covered by its help. `demo` and
/// `completions` talk to no configured server.
#[test]
fn every_help_example_at_trace_level_prints_no_credential() {
    let s = Sim::quick_jobs();
    let mut ran = 0;
    for (of, args) in support::help_examples() {
        if matches!(of.first().map(String::as_str), Some("demo" | "completions")) {
            continue;
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(s
            .cfp()
            .env("RUST_LOG", "trace")
            .env("CFP_WAIT_TIMEOUT", "20s")
            .args(&args));
        assert_clean(&args, "RUST_LOG=trace", &out);
        ran += 1;
    }
    assert!(ran > 40, "{ran} help examples");
    assert!(s.requests() > 40);
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

/// Runs `args` at `-vvv` and at `RUST_LOG=trace`, in every output format,
/// against an outside simulator and the in-process one (`--sim`, whose own
/// traces go through cfp's stderr too), with `env` set and `stdin` given;
/// none of `secrets` may appear. Returns the exit codes seen.
fn clean_everywhere(
    s: &Sim,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
    secrets: &[&str],
) -> Vec<i32> {
    let mut codes = Vec::new();
    for sim in [false, true] {
        for (i, output) in ["json", "table", "ndjson"].iter().enumerate() {
            let mut cmd = s.cfp();
            if sim {
                cmd.arg("--sim");
            }
            if i == 1 {
                cmd.env("RUST_LOG", "trace");
            } else {
                cmd.arg("-vvv");
            }
            for (k, v) in env {
                cmd.env(k, v);
            }
            let out = run(cmd.args(["-o", output]).args(args).write_stdin(stdin));
            let all = format!("{}{}", stdout(&out), stderr(&out));
            for secret in secrets.iter().copied().chain(["DO-NOT-USE"]) {
                assert!(
                    !all.contains(secret),
                    "{args:?} (--sim {sim}, -o {output}) leaked {secret:?}:\n{all}"
                );
            }
            codes.push(code(&out));
        }
    }
    codes
}

/// The update URL's credentials, long and short, in the user information
/// and the query.
const UPDATE_URL: &str =
    "s3://AKIA-FAKE-DO-NOT-USE:s3cr3t/FAKE+DO-NOT-USE@builds/1.4.2/?sig=sig-DO-NOT-USE&v=1";

#[test]
fn an_update_url_never_reaches_stdout_stderr_or_a_trace() {
    let s = Sim::quick_jobs();
    let create = ["imageupdate", "create", "--machine", "2", "--desc", "x"];
    let parts = ["AKIA-FAKE", "s3cr3t", "sig-DO", "s3cr3t%2FFAKE"];
    // From CFP_UPDATE_URL, from a named variable, from stdin; waited for;
    // and refused because the image is locked (an error that may echo).
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (
            &["--image", "1", "--wait"],
            &[("CFP_UPDATE_URL", UPDATE_URL)],
            "",
        ),
        (
            &["--image", "2", "--url-env", "BUILD_URL"],
            &[("BUILD_URL", UPDATE_URL)],
            "",
        ),
        (&["--image", "4", "--url-stdin"], &[], UPDATE_URL),
    ];
    for (extra, env, stdin) in cases {
        let args: Vec<&str> = create.iter().chain(extra.iter()).copied().collect();
        let codes = clean_everywhere(&s, &args, env, stdin, &parts);
        assert!(
            codes.contains(&0) || extra.contains(&"4"),
            "{args:?}: {codes:?}"
        );
    }
    // Not taken as an argument, bad, or short: never repeated either.
    let short = "steam://FAKE:FAKE@app/9";
    for (args, env, stdin) in [
        (vec!["--image", "1", "--url", UPDATE_URL], vec![], ""),
        (
            vec!["--image", "1"],
            vec![("CFP_UPDATE_URL", "ftp://user:pw-DO-NOT-USE@h/")],
            "",
        ),
        (
            vec!["--image", "1", "--url-stdin"],
            vec![],
            "s3://a b-DO-NOT-USE",
        ),
        (vec!["--image", "3", "--url-stdin"], vec![], short),
    ] {
        let args: Vec<&str> = create.iter().copied().chain(args).collect();
        let codes = clean_everywhere(&s, &args, &env, stdin, &["FAKE:FAKE@"]);
        assert!(codes.iter().all(|c| *c != 0), "{args:?}: {codes:?}");
    }
}

#[test]
fn a_default_update_url_with_credentials_is_redacted_from_image_options() {
    use cfp_api::model::ImageId;
    use cfp_testkit::ClockMode;
    use cfp_testkit::world::World;
    let s = Sim::with(
        ClockMode::Manual,
        World::default().update_url(ImageId(1), UPDATE_URL),
    );
    let args = ["image", "options", "--game", "1", "--image", "1"];
    for output in ["json", "table", "ndjson"] {
        for trace in [false, true] {
            let mut cmd = s.cfp();
            if trace {
                cmd.env("RUST_LOG", "trace");
            } else {
                cmd.arg("-vvv");
            }
            let out = run(cmd.args(["-o", output]).args(args));
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            assert_clean(&args, output, &out);
            for part in ["AKIA-FAKE", "s3cr3t", "sig-DO"] {
                assert!(!stdout(&out).contains(part), "{}", stdout(&out));
            }
        }
    }
}

#[test]
fn a_zstack_password_and_session_stay_where_they_belong() {
    use cfp_testkit::ClockMode;
    use cfp_testkit::world::World;
    const PASSWORD: &str = "zs-password-DO-NOT-USE";
    let s = Sim::with(
        ClockMode::Manual,
        World::default().zstack_account("ops", PASSWORD),
    );
    let login = [
        "zstack",
        "login",
        "--account",
        "ops",
        "--password-stdin",
        "--print",
    ];
    let mut sessions = Vec::new();
    for trace in [false, true] {
        let mut cmd = s.cfp();
        if trace {
            cmd.env("RUST_LOG", "trace");
        } else {
            cmd.arg("-vvv");
        }
        let out = run(cmd.args(login).write_stdin(format!("{PASSWORD}\n")));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let line = stdout(&out);
        let session = line
            .strip_prefix("export CFP_ZSTACK_SESSION=")
            .and_then(|l| l.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("{line:?}"))
            .to_owned();
        // stdout is the one line; the session is nowhere on stderr, the
        // password nowhere at all.
        assert!(!stderr(&out).contains(&session), "{}", stderr(&out));
        assert_clean(&login, "login", &out);
        sessions.push(session);
    }
    // Kept in the profile instead: no output holds it, at trace level.
    let stored = &login[..5];
    let out = run(s
        .cfp()
        .env("RUST_LOG", "trace")
        .args(stored)
        .write_stdin(format!("{PASSWORD}\n")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    let file = std::fs::read_to_string(s.config_dir.path().join("config.toml")).unwrap();
    let kept: toml::Table = file.parse().unwrap();
    let session = kept["profiles"]["default"]["zstack_session"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!stderr(&out).contains(&session), "{}", stderr(&out));
    assert_clean(stored, "stored login", &out);
    // Logging out with it, at trace level, does not print it either.
    for session in &sessions {
        let out = run(s
            .cfp()
            .env("RUST_LOG", "trace")
            .env("CFP_ZSTACK_SESSION", session)
            .args(["zstack", "logout"]));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(session.as_str()), "{all}");
    }
    // A wrong password is not echoed.
    let out = run(s
        .cfp()
        .arg("-vvv")
        .args(login)
        .write_stdin("wrong-pw-DO-NOT-USE\n"));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_clean(&login, "wrong password", &out);
}

#[test]
fn a_zstack_access_key_is_not_printed() {
    use cfp_testkit::ClockMode;
    use cfp_testkit::world::World;
    const ID: &str = "hyg-akid-DO-NOT-USE";
    const SECRET: &str = "hyg-aksecret-DO-NOT-USE";
    let s = Sim::with(
        ClockMode::Real,
        World::default().zstack_access_key(ID, SECRET),
    );
    let upload = ["upload-job", "ccf943310d86335bb3d2511ca8e14137"];
    for (id, secret, want) in [
        (ID, SECRET, 0),
        (ID, "wrong-secret-DO-NOT-USE", 3),
        ("no-such-key-DO-NOT-USE", SECRET, 3),
    ] {
        for trace in [false, true] {
            let mut cmd = s.cfp();
            if trace {
                cmd.env("RUST_LOG", "trace");
            } else {
                cmd.arg("-vvv");
            }
            let out = run(cmd
                .env_remove("CFP_ZSTACK_SESSION")
                .env("CFP_ZSTACK_ACCESS_KEY_ID", id)
                .env("CFP_ZSTACK_ACCESS_KEY_SECRET", secret)
                .args(upload));
            assert_eq!(code(&out), want, "{}", stderr(&out));
            assert_clean(&upload, "access key", &out);
        }
    }
}
