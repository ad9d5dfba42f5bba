//! Against a hostile server — every string it sends carries terminal escape
//! sequences and echoes the credentials it was sent (raw, `key:secret`, its
//! base64 and a long prefix of it, percent-encoded, with `/` written `\/`)
//! — nothing `cfp` prints holds 10 consecutive characters of any
//! credential (nor of an update URL's storage credentials), and nothing a terminal would act on reaches stdout or
//! stderr: every command, as a table and as JSON, at `-v` to `-vvv` and
//! with `RUST_LOG=trace`, succeeding and failing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use cfp_testkit::world::{Timings, World};
use cfp_testkit::{ClockMode, Credentials, Simulator};

/// Obviously fake credentials with characters that encode differently in
/// JSON (`/`), percent-encoding (`/`, `+`, `=`) and base64.
const KEY: &str = "hostile/key+DO-NOT-USE";
const SECRET: &str = "hostile=secret/DO-NOT-USE";
const TOKEN: &str = "hostile+token/DO-NOT-USE";
const SESSION: &str = "hostile-session-DO-NOT-USE";
/// An update URL with storage credentials (`CFP_UPDATE_URL`): a secret too.
const URL_KEY: &str = "AKIAHOSTILEDONOTUSE";
const URL_SECRET: &str = "hostile/url+secret=DO-NOT-USE";

#[rustfmt::skip]
const COMMANDS: &[&[&str]] = &[
    &["imagediff", "create", "--image", "1", "--machine", "2"],
    &["imagediff", "retry", "218595"],
    &["imagediff", "status", "218595", "--info"],
    &["imagediff", "status", "218595", "--wait"],
    &["image", "status", "1", "--detail"],
    &["task", "templates"],
    &["task", "create", "--template", "1", "--fleet", "2", "--wait"],
    &["task", "list"],
    &["task", "get", "1"],
    &["task", "pause", "1"],
    &["batch", "list"],
    &["batch", "get", "1"],
    &["upload-job", "ccf943310d86335bb3d2511ca8e14137"],
    &["upload-job", "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"],
    &["patch", "--image", "1", "--machine", "1", "--yes", "--max-failed", "100%"],
    &["image", "options", "--game", "1", "--image", "3"],
    &["imageupdate", "create", "--image", "2", "--machine", "3", "--desc", "1.4.2", "--wait"],
    &["imageupdate", "status", "7000"],
    &["imageupdate", "retry", "7000"],
    &["imagediff", "reject", "218589", "--reinstall"],
    &["imageversion", "create", "--diff", "218590", "--restart", "--wait"],
    &["imageversion", "status", "5101"],
    &["imageinstall", "status"],
    &["fleet", "switch-profile", "2", "--profile-id", "12", "--within", "1h", "--wait"],
    &["fleet", "switch-status", "2"],
    &["task", "create", "--template", "2", "--instance", "7", "--at", "+1h"],
    &["task", "resume", "1"],
    &["task", "cancel", "2"],
    &["batch", "get", "1", "--wait"],
    &["image", "status", "1", "--wait-ready"],
    &["imageinstall", "status", "--version", "5101"],
    &["patch", "show", "--image", "1"],
    &["patch", "resume", "--image", "1", "--yes"],
    &["zstack", "logout"],
    // Failures: not found, a locked image, a refused request.
    &["task", "get", "99999"],
    &["image", "status", "99"],
    &["imagediff", "create", "--image", "3", "--machine", "4"],
];

/// Jobs, tasks and rollouts of a second or two (a diff runs `diff_running`
/// seconds), so that every wait ends quickly on the real clock.
fn quick(diff_running: u64) -> Timings {
    Timings {
        diff_created: 0,
        diff_pending: 0,
        diff_queued: 0,
        diff_running: diff_running..=diff_running,
        task_action: 1..=1,
        rollout_machine: 1..=2,
        update_running: 1..=1,
        version_running: 1..=1,
        switch_step: 1,
    }
}

/// Every window of 10 characters of every credential, and of its forms.
fn windows() -> Vec<String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    let mut out = Vec::new();
    for s in [
        KEY,
        SECRET,
        TOKEN,
        SESSION,
        URL_KEY,
        URL_SECRET,
        b64.as_str(),
    ] {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(10) {
            out.push(w.iter().collect());
        }
    }
    out
}

/// A character a terminal acts on: C0 controls but newline and tab, DEL,
/// C1 controls, bidi overrides and isolates.
fn acts_on_terminal(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\n' && c != '\t')
        || (0x7f..=0x9f).contains(&u)
        || matches!(u, 0x200e | 0x200f | 0x061c | 0x202a..=0x202e | 0x2066..=0x2069)
}

#[test]
fn a_hostile_server_gets_neither_a_secret_nor_an_escape_sequence_printed() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt
        .block_on(
            Simulator::builder()
                // Real time and one-second jobs: cfp's waits follow the
                // server's ETAs, and every wait ends in a second or two.
                .clock(ClockMode::Real)
                .world(World::default().hostile(true).timings(quick(1)))
                .credentials(Credentials {
                    clanforge_key: KEY.into(),
                    clanforge_secret: SECRET.into(),
                    task_token: TOKEN.into(),
                    zstack_session: SESSION.into(),
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let url = sim.base_url();
    let windows = windows();
    // The lines above in every form; then every command's help examples
    // (support::help_examples) as a table at -vvv and as JSON with
    // RUST_LOG=trace, so a new command is covered by its help. `demo` and
    // `completions` are left out: they talk to no configured server.
    /// `-o` format, verbosity, `RUST_LOG`.
    type Form = (&'static str, &'static str, Option<&'static str>);
    const EVERY_FORM: [Form; 5] = [
        ("table", "-v", None),
        ("table", "-vv", None),
        ("table", "-vvv", None),
        ("table", "-v", Some("trace")),
        ("json", "-vvv", None),
    ];
    const TWO_FORMS: [Form; 2] = [("table", "-vvv", None), ("json", "-v", Some("trace"))];
    let own = COMMANDS.iter().map(|args| {
        (
            args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>(),
            &EVERY_FORM[..],
        )
    });
    let examples: Vec<(Vec<String>, &[Form])> = support::help_examples()
        .into_iter()
        .filter(|(of, _)| !matches!(of.first().map(String::as_str), Some("demo" | "completions")))
        .map(|(_, args)| (args, &TWO_FORMS[..]))
        .collect();
    let n_examples = examples.len();
    assert!(n_examples > 40, "{n_examples} help examples");
    let jobs: Vec<(Vec<String>, Form)> = own
        .chain(examples)
        .flat_map(|(args, forms)| forms.iter().map(move |form| (args.clone(), *form)))
        .collect();
    // One run: does the hostile text reach what cfp prints (made harmless)?
    let run_one = |args: &[String], (format, verbosity, rust_log): Form| -> bool {
        // An example that picks its own output keeps it.
        let picks_output = args
            .iter()
            .any(|a| a == "-o" || a.starts_with("--output") || a == "--jq");
        let mut cmd = assert_cmd::Command::cargo_bin("cfp").unwrap();
        cmd.env_remove("RUST_LOG")
            .env("CFP_CONFIG", dir.path().join("config.toml"))
            .env("CFP_CLANFORGE_URL", &url)
            .env("CFP_CLANFORGE_KEY", KEY)
            .env("CFP_CLANFORGE_SECRET", SECRET)
            .env("CFP_TASK_URL", &url)
            .env("CFP_TASK_TOKEN", TOKEN)
            .env("CFP_ZSTACK_URL", &url)
            .env("CFP_ZSTACK_SESSION", SESSION)
            .env(
                "CFP_UPDATE_URL",
                format!(
                    "s3://{URL_KEY}:{}@builds/demo/",
                    URL_SECRET.replace('/', "%2F")
                ),
            )
            .env("CFP_ASID", "1")
            .env("CFP_WAIT_TIMEOUT", "20s")
            .env("XDG_STATE_HOME", dir.path())
            .timeout(std::time::Duration::from_secs(60))
            .arg(verbosity)
            .args(args);
        if !picks_output {
            cmd.args(["-o", format]);
        }
        if let Some(level) = rust_log {
            cmd.env("RUST_LOG", level);
        }
        let out = cmd.output().unwrap();
        let how = format!("{args:?} -o {format} {verbosity} RUST_LOG={rust_log:?}");
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            if let Some(w) = windows.iter().find(|w| text.contains(w.as_str())) {
                panic!("{how}: {stream} holds {w:?} of a credential:\n{text}");
            }
            if let Some(c) = text.chars().find(|c| acts_on_terminal(*c)) {
                panic!("{how}: {stream} holds {c:?}, which a terminal acts on:\n{text}");
            }
        }
        String::from_utf8_lossy(&out.stdout).contains("pwned")
            || String::from_utf8_lossy(&out.stderr).contains("pwned")
    };
    // Four runs at a time: most of a run's time is a wait on the server's
    // clock, and what is checked is each run's own output.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (runs, shown) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let (mut runs, mut shown) = (0, 0);
                    while let Some((args, form)) =
                        jobs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        runs += 1;
                        shown += usize::from(run_one(args, *form));
                    }
                    (runs, shown)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .fold((0, 0), |(r, s), (r2, s2)| (r + r2, s + s2))
    });
    assert_eq!(runs, COMMANDS.len() * 5 + n_examples * 2);
    // The hostile text reached what cfp prints (made harmless), so the
    // checks checked something.
    assert!(
        shown > runs / 2,
        "the hostile text was printed by {shown} of {runs} runs"
    );
    rt.block_on(sim.shutdown());
}

/// On a terminal, where progress bars and live views are drawn: the
/// hostile text in job states, task names and errors neither acts on the
/// terminal (no OSC title or hyperlink, no BEL, BS, screen clear or bidi
/// override reaches it; the bars' own cursor moves are cfp's) nor carries a
/// credential.
#[test]
fn on_a_terminal_the_bars_and_views_of_a_hostile_server_are_harmless() {
    use support::pty::PtyCommand;
    let hostile = || {
        support::Sim::with(
            ClockMode::Real,
            World::default().hostile(true).timings(quick(2)),
        )
    };
    let state = tempfile::tempdir().unwrap();
    let secrets: Vec<String> = support::secrets()
        .into_iter()
        .filter(|s| s.chars().count() >= 10)
        .collect();
    #[rustfmt::skip]
    let commands: [(&[&str], bool); 5] = [
        // Job states in the bar and the table.
        (&["imagediff", "create", "--image", "1", "--machine", "2", "--wait"], true),
        (&["task", "create", "--template", "1", "--instance", "3", "--instance", "4", "--wait"], false),
        (&["image", "status", "1", "--detail", "--wait-ready"], false),
        (&["patch", "--image", "1", "--machine", "1", "--yes", "--max-failed", "100%"], false),
        // An error message (the server's words at -v).
        (&["-v", "task", "get", "99999"], true),
    ];
    for (args, must_show) in commands {
        for cols in [80, 120] {
            // A fresh world each: no run's locks get in another's way.
            let sim = hostile();
            let run = PtyCommand::cfp(&sim, cols, args)
                .env("XDG_STATE_HOME", state.path().to_str().unwrap())
                .env("CFP_WAIT_TIMEOUT", "20s")
                .run();
            let text = run.text();
            let how = format!("{args:?} at {cols} columns");
            for bad in ["\u{1b}]", "\u{7}", "\u{8}", "\u{202e}", "\u{1b}[2J"] {
                assert!(
                    !text.contains(bad),
                    "{how}: {bad:?} reached the terminal:\n{text:?}"
                );
            }
            for s in &secrets {
                let chars: Vec<char> = s.chars().collect();
                for w in chars.windows(10) {
                    let w: String = w.iter().collect();
                    assert!(!text.contains(&w), "{how}: {w:?} of a credential:\n{text}");
                }
            }
            // Where the server's text is shown whole enough (tables cut free
            // text to fit), a visible part of the payload proves that it
            // reached the terminal, made harmless.
            if must_show {
                assert!(
                    ["pwned", "click", "gnp.exe", "evil.example"]
                        .iter()
                        .any(|part| text.contains(part)),
                    "{how}: the hostile text was not shown:\n{}",
                    run.screen().join("\n")
                );
            }
        }
    }
}
