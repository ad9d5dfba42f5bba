//! Bad input, table-driven: every command, every id it takes, and each of
//! malformed, empty, huge, non-ASCII digits, negative and zero; then
//! conflicting and repeated flags, bad times, durations, tags and global
//! options. Each must exit 2 with a message on stderr that names the
//! problem, print nothing on stdout, and send nothing (the simulator's
//! journal stays empty).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::{Sim, code, run, stderr};

/// One way to get an id wrong, and what the message must say.
const BAD_IDS: &[(&str, &str)] = &[
    ("12abc", "digits only"),
    ("", "it is empty"),
    ("99999999999999999999999", "too large"),
    ("١٢", "digits only"),
    ("１２", "digits only"),
    ("-4", "not negative"),
    ("0", "greater than zero"),
];

/// Every id a command takes: the command with `{}` where the id goes (a
/// flag is written `--flag={}` so that a negative value reaches the id
/// parser), and what kind of id the message must name.
#[rustfmt::skip]
const ID_SLOTS: &[(&[&str], &str)] = &[
    (&["imagediff", "create", "--image={}", "--machine", "2"], "image id"),
    (&["imagediff", "create", "--image", "1", "--machine={}"], "machine id"),
    (&["imagediff", "create", "--image", "1", "--machine", "2", "--diff={}"], "diff id"),
    (&["imagediff", "create", "--asid={}", "--image", "1", "--machine", "2"], "account service id"),
    (&["imagediff", "retry", "{}"], "diff id"),
    (&["imagediff", "retry", "--asid={}", "218595"], "account service id"),
    (&["imagediff", "status", "{}", "--info"], "diff id"),
    (&["image", "status", "{}", "--detail"], "image id"),
    (&["image", "status", "--asid={}", "1"], "account service id"),
    (&["task", "create", "--template={}", "--fleet", "1"], "task template id"),
    (&["task", "create", "--template", "1", "--instance={}"], "application instance id"),
    (&["task", "create", "--template", "1", "--fleet={}"], "fleet id"),
    (&["task", "create", "--template", "1", "--region={}"], "region id"),
    (&["task", "get", "{}"], "task id"),
    (&["task", "pause", "{}"], "task id"),
    (&["task", "resume", "{}"], "task id"),
    (&["task", "cancel", "{}"], "task id"),
    (&["batch", "get", "{}", "--wait"], "task batch id"),
    (&["imageupdate", "create", "--image={}", "--machine", "1", "--desc", "x"], "image id"),
    (&["imageupdate", "create", "--image", "1", "--machine={}", "--desc", "x"], "machine id"),
    (&["imageupdate", "create", "--asid={}", "--image", "1", "--machine", "1", "--desc", "x"], "account service id"),
    (&["imageupdate", "status", "{}", "--wait"], "update id"),
    (&["imageupdate", "retry", "{}"], "update id"),
    (&["imagediff", "reject", "{}", "--reinstall"], "diff id"),
    (&["imageversion", "create", "--diff={}", "--restart"], "diff id"),
    (&["imageversion", "status", "{}"], "image version id"),
    (&["imageinstall", "status", "--version={}"], "image version id"),
    (&["image", "options", "--game={}", "--image", "1"], "game id"),
    (&["image", "options", "--game", "1", "--image={}"], "image id"),
    (&["fleet", "switch-profile", "{}", "--profile-id", "12", "--within", "1h"], "fleet id"),
    (&["fleet", "switch-profile", "2", "--profile-id={}", "--within", "1h"], "profile id"),
    (&["fleet", "switch-status", "{}", "--wait"], "fleet id"),
];

/// Everything else that is wrong before anything is sent, and what the
/// message must say.
#[rustfmt::skip]
const OTHER: &[(&[&str], &str)] = &[
    // ZStack image ids: any text, but not empty, blank, too long or odd.
    (&["upload-job", ""], "it is empty"),
    (&["upload-job", "has space"], "whitespace"),
    (&["upload-job", "ideographic\u{3000}space"], "whitespace"),
    (&["upload-job", "bell\u{7}"], "control characters"),
    (&["upload-job", "img", "--system-tag"], "a value is required"),
    // Repeated and conflicting flags, missing ones, stray arguments.
    (&["imagediff", "create", "--image", "1", "--image", "2", "--machine", "2"], "cannot be used multiple times"),
    (&["imagediff", "create", "--image", "1"], "--machine"),
    (&["imagediff", "retry", "1", "2"], "unexpected argument"),
    (&["imagediff", "status", "5", "--info", "--info"], "cannot be used multiple times"),
    (&["image", "status", "1", "--fail-on-failed"], "--wait-ready"),
    (&["task", "templates", "5"], "unexpected argument"),
    (&["task", "list", "--fleet", "1"], "unexpected argument"),
    (&["task", "create", "--template", "1", "--fleet", "1", "--region", "2"], "cannot be used with"),
    (&["task", "create", "--template", "1", "--instance", "3", "--fleet", "1"], "cannot be used with"),
    (&["task", "create", "--template", "1", "--label", "env=x", "--region", "1"], "cannot be used with"),
    (&["task", "create", "--template", "1"], "required"),
    (&["task", "create", "--fleet", "1"], "--template"),
    (&["task", "create", "--template", "1", "--instance", "3", "--instance", "3"], "listed twice"),
    (&["task", "create", "--template", "1", "--label", "Env=x"], "label key"),
    (&["task", "create", "--template", "1", "--fleet", "1", "--param", "=x"], "KEY=VALUE"),
    // Times for --at.
    (&["task", "create", "--template", "1", "--fleet", "1", "--at", "2001-01-01T00:00:00Z"], "in the past"),
    (&["task", "create", "--template", "1", "--fleet", "1", "--at=-5m"], "in the past"),
    (&["task", "create", "--template", "1", "--fleet", "1", "--at", "tomorrow"], "not a time"),
    (&["task", "create", "--template", "1", "--fleet", "1", "--at", "2030-01-01 03:00"], "RFC 3339"),
    (&["task", "create", "--template", "1", "--fleet", "1", "--at", "+99999999999999999999h"], "not a duration"),
    (&["task", "create", "--template", "1", "--fleet", "1", "--at", "+٣٠m"], "not a duration"),
    (&["batch", "get", "1", "2"], "unexpected argument"), // task get takes several ids
    (&["task", "pause", "1", "--wait"], "unexpected argument"),
    (&["task", "cancel"], "required"),
    (&["batch", "list", "7"], "unexpected argument"),
    (&["batch", "get", "1", "--wait", "--wait"], "cannot be used multiple times"),
    // Image updates: the URL is never an argument, and its source must hold one.
    (&["imageupdate", "create", "--image", "1", "--machine", "1"], "--desc"),
    (&["imageupdate", "create", "--image", "1", "--machine", "1", "--desc", " "], "must not be blank"),
    (&["imageupdate", "create", "--image", "1", "--machine", "1", "--desc", "x", "--url", "s3://k:s@b/"], "shell's history"),
    (&["imageupdate", "create", "--image", "1", "--machine", "1", "--desc", "x", "--url-env", "V", "--url-stdin"], "cannot be used with"),
    (&["imageupdate", "create", "--image", "1", "--machine", "1", "--desc", "x", "--url-env", "CFP_TEST_NO_SUCH_VAR"], "is not set"),
    (&["imageupdate", "create", "--image", "1", "--machine", "1", "--desc", "x", "--url-stdin"], "stdin holds no update URL"),
    (&["imageupdate", "retry", "7000", "7001"], "unexpected argument"),
    (&["imagediff", "reject", "218589", "--reinstall", "--reinstall"], "cannot be used multiple times"),
    (&["imagediff", "reject"], "required"),
    // Versions: restart said one way, a timeout only with its percentage.
    (&["imageversion", "create", "--diff", "5"], "--restart|--no-restart"),
    (&["imageversion", "create", "--diff", "5", "--restart", "--no-restart"], "cannot be used with"),
    (&["imageversion", "create", "--restart"], "--diff"),
    (&["imageversion", "create", "--diff", "5", "--restart", "--disable-timeout", "30m"], "--disable-percentage"),
    (&["imageversion", "create", "--diff", "5", "--restart", "--disable-percentage", "101"], "from 0 to 100"),
    (&["imageversion", "create", "--diff", "5", "--restart", "--disable-percentage", "90", "--disable-timeout", "90s"], "whole minutes"),
    (&["imageversion", "create", "--diff", "5", "--restart", "--disable-percentage", "90", "--disable-timeout", "0m"], "positive"),
    (&["imageversion", "create", "--diff", "5", "--restart", "--install-at", "tomorrow"], "not NOW()"),
    (&["imageversion", "create", "--diff", "5", "--restart", "--install-at", "0"], "after 1970"),
    (&["imageversion", "create", "--diff", "5", "--restart", "--game-build", " "], "must not be blank"),
    (&["imageinstall", "status", "5101"], "unexpected argument"),
    // Options: game and image together.
    (&["image", "options", "--game", "1"], "--image"),
    (&["image", "options", "--image", "1"], "--game"),
    // Fleet switches.
    (&["fleet", "switch-profile", "2", "--profile-id", "12"], "--within"),
    (&["fleet", "switch-profile", "2", "--within", "1h"], "--profile-id"),
    (&["fleet", "switch-profile", "2", "--profile", "12", "--within", "1h"], "--profile-id"),
    (&["fleet", "switch-profile", "2", "--profile-id", "12", "--within", "soon"], "not a duration"),
    (&["fleet", "switch-profile", "2", "--profile-id", "12", "--within", "9999h"], "at most a week"),
    (&["fleet", "switch-profile", "2", "--profile-id", "12", "--within", "1h", "--max-machines", "0"], "0 is not in 1.."),
    (&["fleet", "switch-status"], "required"),
    // ZStack sessions: no password on the command line, none asked for
    // without a terminal.
    (&["zstack", "login"], "--account"),
    (&["zstack", "login", "--account", "admin"], "cannot ask for one"),
    (&["zstack", "login", "--account", "admin", "--password-stdin"], "the password is empty"),
    (&["zstack", "login", "--account", " ", "--password-stdin"], "--account is empty"),
    (&["zstack", "login", "--account", "admin", "--password", "x"], "unexpected argument"),
    (&["zstack", "logout", "now"], "unexpected argument"),
    // Global options.
    (&["--timeout", "soon", "task", "list"], "not a duration"),
    (&["--timeout", "0s", "task", "list"], "positive"),
    (&["--timeout=-5m", "task", "list"], "positive"),
    (&["--timeout", "99999999999999999999h", "task", "list"], "not a duration"),
    (&["--wait-timeout", "0s", "batch", "list"], "positive"),
    (&["--wait-timeout", "9999h", "batch", "list"], "at most a week"),
    (&["-o", "xml", "task", "list"], "possible values"),
    (&["--profile", "nope", "task", "list"], "profile \"nope\""),
    (&["nonsense"], "unrecognized subcommand"),
    (&["task"], "Usage"),
];

/// Runs one bad command line; returns a description of what is wrong with
/// how cfp handled it, if anything.
fn check(s: &Sim, args: &[String], says: &str) -> Option<String> {
    let before = s.requests();
    let out = run(s.cfp().args(args));
    let err = stderr(&out);
    let mut problems = Vec::new();
    if code(&out) != 2 {
        problems.push(format!("exit {} (want 2)", code(&out)));
    }
    if !err.contains(says) {
        problems.push(format!("stderr does not say {says:?}"));
    }
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
        problems.push("it panicked".into());
    }
    if !out.stdout.is_empty() {
        problems.push(format!(
            "stdout is not empty: {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    if s.requests() != before {
        problems.push("a request was sent".into());
    }
    (!problems.is_empty()).then(|| format!("{args:?}: {}\n  stderr: {err}", problems.join("; ")))
}

#[test]
fn every_id_of_every_command_refuses_malformed_empty_huge_unicode_negative_and_zero() {
    let s = Sim::fast();
    let mut failures = Vec::new();
    let mut cases = 0;
    for (template, kind) in ID_SLOTS {
        for (value, says) in BAD_IDS {
            let args: Vec<String> = template.iter().map(|a| a.replace("{}", value)).collect();
            cases += 1;
            if let Some(f) = check(&s, &args, says) {
                failures.push(f);
            }
            // The message names which id is wrong, with the value.
            let out = run(s.cfp().args(&args));
            let err = stderr(&out);
            if !err.contains(&format!("invalid {kind} {value:?}")) {
                failures.push(format!("{args:?}: does not name the {kind}: {err}"));
            }
        }
    }
    assert!(cases >= ID_SLOTS.len() * BAD_IDS.len());
    assert!(
        failures.is_empty(),
        "{} of {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(s.requests(), 0, "no request was sent");
}

#[test]
fn conflicting_flags_bad_times_durations_tags_and_options_are_refused_before_sending() {
    let s = Sim::fast();
    let failures: Vec<String> = OTHER
        .iter()
        .filter_map(|(args, says)| {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            check(&s, &args, says)
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        OTHER.len(),
        failures.join("\n")
    );
    assert_eq!(s.requests(), 0, "no request was sent");
}
