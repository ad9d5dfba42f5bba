//! Shared by the CLI suites: a simulator in this process with obviously
//! fake credentials, and `cfp` pointed at it through the environment only,
//! as a user would. assert_cmd gives the child pipes, so stdout and stderr
//! are not terminals: the default output is JSON and no progress bar is
//! drawn.
#![allow(dead_code)] // each suite uses a different subset
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::process::Output;
use std::time::Duration;

pub(crate) mod pty;

use assert_cmd::Command;
use base64::Engine as _;
use cfp_testkit::world::{Timings, World};
use cfp_testkit::{ClockMode, Credentials, RunningSimulator, Simulator};
use serde_json::Value;

pub(crate) const KEY: &str = "e2e-key-DO-NOT-USE";
pub(crate) const SECRET: &str = "e2e-secret-DO-NOT-USE";
pub(crate) const TOKEN: &str = "e2e-token-DO-NOT-USE";
pub(crate) const SESSION: &str = "e2e-session-DO-NOT-USE";

/// Every string that must never appear in cfp's output: the credentials,
/// the base64 of key:secret, and the fake marker itself.
pub(crate) fn secrets() -> Vec<String> {
    vec![
        KEY.into(),
        SECRET.into(),
        TOKEN.into(),
        SESSION.into(),
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}")),
        "DO-NOT-USE".into(),
    ]
}

pub(crate) struct Sim {
    pub(crate) sim: Option<RunningSimulator>,
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) config_dir: tempfile::TempDir,
}

impl Sim {
    pub(crate) fn start(clock: ClockMode) -> Self {
        Self::with(clock, World::default())
    }

    pub(crate) fn with(clock: ClockMode, world: World) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt
            .block_on(
                Simulator::builder()
                    .clock(clock)
                    .world(world)
                    .credentials(Credentials {
                        clanforge_key: KEY.into(),
                        clanforge_secret: SECRET.into(),
                        task_token: TOKEN.into(),
                        zstack_session: SESSION.into(),
                    })
                    .start(),
            )
            .unwrap();
        let config_dir = tempfile::tempdir().unwrap();
        // An empty config file: CFP_CONFIG must name one that exists, and
        // the user's own is never read by tests.
        std::fs::write(config_dir.path().join("config.toml"), "").unwrap();
        Self {
            sim: Some(sim),
            rt,
            config_dir,
        }
    }

    /// Fast simulated time: waits end in well under a second.
    pub(crate) fn fast() -> Self {
        Self::start(ClockMode::Scaled(600.0))
    }

    /// Real time (so cfp's clock agrees with the simulator's ETAs and
    /// schedules) with every job taking a second or two.
    pub(crate) fn quick_jobs() -> Self {
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
        Self::with(ClockMode::Real, World::default().timings(timings))
    }

    pub(crate) fn sim(&self) -> &RunningSimulator {
        self.sim.as_ref().unwrap()
    }

    /// `cfp` configured for this simulator through the environment only.
    pub(crate) fn cfp(&self) -> Command {
        let url = self.sim().base_url();
        let mut cmd = Command::cargo_bin("cfp").unwrap();
        for var in [
            "RUST_LOG",
            "CFP_OUTPUT",
            "CFP_PROFILE",
            "CFP_TIMEOUT",
            "CFP_WAIT_TIMEOUT",
            "CFP_UPDATE_URL",
            "CFP_ZSTACK_ACCESS_KEY_ID",
            "CFP_ZSTACK_ACCESS_KEY_SECRET",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("CFP_CONFIG", self.config_dir.path().join("config.toml"))
            .env("CFP_CLANFORGE_URL", &url)
            .env("CFP_CLANFORGE_KEY", KEY)
            .env("CFP_CLANFORGE_SECRET", SECRET)
            .env("CFP_TASK_URL", &url)
            .env("CFP_TASK_TOKEN", TOKEN)
            .env("CFP_ZSTACK_URL", &url)
            .env("CFP_ZSTACK_SESSION", SESSION)
            .env("CFP_ASID", "1")
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// Requests the simulator has received.
    pub(crate) fn requests(&self) -> u64 {
        self.sim().journal().total()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.rt.block_on(sim.shutdown());
        }
    }
}

pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

pub(crate) fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every command's examples, as its `--help` shows them (`Example:` and
/// `Examples:` after the options), that run on their own: the lines that
/// start with `cfp`, split as a shell would (a `# comment` dropped), without
/// the `cfp`, leaving out the ones a shell would have to join to something
/// else (a pipe, a redirection, `$(…)`, `||`). Each comes with the command
/// it is the help of (`["task", "create"]`).
///
/// The suites that go over every command run these beside their own
/// lines, so a new command is in them once its help shows an example.
pub(crate) fn help_examples() -> Vec<(Vec<String>, Vec<String>)> {
    use clap::CommandFactory as _;

    fn walk(
        cmd: &clap::Command,
        path: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, Vec<String>)>,
    ) {
        let help = cmd
            .get_after_help()
            .or(cmd.get_after_long_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        for line in help.lines().map(str::trim) {
            if !line.starts_with("cfp ") || line.contains("$(") {
                continue;
            }
            let Some(words) = shlex::split(line) else {
                continue;
            };
            let joins = words
                .iter()
                .any(|w| matches!(w.as_str(), "|" | "||" | "&&" | ";" | ">" | "<" | ">>"));
            if !joins {
                out.push((path.clone(), words[1..].to_vec()));
            }
        }
        for sub in cmd.get_subcommands() {
            path.push(sub.get_name().to_owned());
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(&cfp_cli::cli::Cli::command(), &mut Vec::new(), &mut out);
    out
}

/// Every command a person runs (the leaves of the command tree, but `help`).
pub(crate) fn leaf_commands() -> Vec<Vec<String>> {
    use clap::CommandFactory as _;

    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|c| c.get_name() != "help")
            .collect();
        if subs.is_empty() || !cmd.is_subcommand_required_set() && !path.is_empty() {
            out.push(path.clone());
        }
        for sub in subs {
            path.push(sub.get_name().to_owned());
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(&cfp_cli::cli::Cli::command(), &mut Vec::new(), &mut out);
    out
}
