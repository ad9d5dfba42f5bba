//! The command line: every command, flag and environment variable of the
//! `cfp` contract (the README and `docs/cli.md`).

use std::time::Duration;

use cfp_api::model::AccountServiceId;
use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::commands::batch::BatchCommand;
pub use crate::commands::fleet::FleetCommand;
pub use crate::commands::image::ImageCommand;
pub use crate::commands::imagediff::ImagediffCommand;
pub use crate::commands::imageinstall::ImageinstallCommand;
pub use crate::commands::imageupdate::ImageupdateCommand;
pub use crate::commands::imageversion::{ImageversionCommand, ImageversionCreateArgs, Restart};
pub use crate::commands::patch::PatchArgs;
pub use crate::commands::task::{Target, TaskCommand, TaskCreateArgs};
pub use crate::commands::upload_job::UploadJobArgs;
pub use crate::commands::zstack::ZstackCommand;
use crate::parse::parse_duration;

/// Drive a game-server fleet's control plane: image updates, diffs,
/// versions and rollouts, fleet profile switches, task batches, and ZStack
/// sessions and upload jobs.
///
/// Configuration comes from flags, then the environment (CFP_*), then the
/// profile in cfp/config.toml under your config directory, then defaults.
/// Try `cfp --sim image status 1` or `cfp demo`: both run against a built-in
/// simulator and need no configuration.
#[derive(Debug, Parser)]
#[command(
    name = "cfp",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Exit codes: 0 ok, 1 other error, 2 invalid input (nothing sent), 3 authentication \
                  refused, 4 not found, 5 the awaited job/task/batch/rollout failed, 6 waiting \
                  timed out, 130 interrupted."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Output format [env: CFP_OUTPUT] [default: table on a terminal, json
    /// otherwise]
    #[arg(short, long, global = true, value_enum)]
    pub output: Option<OutputFormat>,

    /// Profile to read from cfp/config.toml [env: CFP_PROFILE] [default: the
    /// file's default_profile, else "default"]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Run against an in-process simulator with the demo world (no
    /// configuration, no network)
    #[arg(long, global = true)]
    pub sim: bool,

    /// Give up on a single API call after this long, retries included
    /// (e.g. 30s, 2m) [default: 120s]
    #[arg(long, global = true, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Bound a whole --wait / --wait-ready; exit 6 when it runs out [default: 30m]
    #[arg(long, global = true, value_name = "DUR", value_parser = parse_duration)]
    pub wait_timeout: Option<Duration>,

    /// Log to stderr: -v info, -vv debug, -vvv trace (RUST_LOG overrides).
    /// Credentials are never logged
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Filter the JSON result with a jq expression (run in-process; no jq
    /// needed) and print each value it yields on its own line as compact
    /// JSON. Implies JSON: -o is ignored, and no progress events are printed
    #[arg(long, global = true, value_name = "EXPR")]
    pub jq: Option<String>,

    /// No progress while waiting: no bar on a terminal, no status lines in a log
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// Send nothing: print the request(s) the command would send — method,
    /// URL, auth scheme, body; never a credential — and exit 0
    #[arg(long, global = true)]
    pub dry_run: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The vendor-shaped response as one JSON document.
    Json,
    /// Tables and rollout bars, for people.
    Table,
    /// Tables with every column and nothing shortened, times absolute
    /// and relative: for a wide terminal or a file.
    Wide,
    /// One JSON document per line: progress events while waiting, the
    /// result last.
    Ndjson,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Image update jobs: a patch's new build on a reference machine (Clanforge)
    #[command(subcommand)]
    Imageupdate(ImageupdateCommand),

    /// Image difference analysis jobs: create, retry, status, reject (Clanforge)
    #[command(subcommand)]
    Imagediff(ImagediffCommand),

    /// Image versions: accept a diff and install it on the fleets (Clanforge)
    #[command(subcommand)]
    Imageversion(ImageversionCommand),

    /// Image install jobs in progress (Clanforge)
    #[command(subcommand)]
    Imageinstall(ImageinstallCommand),

    /// Image rollout status, and what an image can be updated with (Clanforge)
    #[command(subcommand)]
    Image(ImageCommand),

    /// Reservation fleet profile switches (Clanforge)
    #[command(subcommand)]
    Fleet(FleetCommand),

    /// Task templates and tasks (application-instance task API)
    #[command(subcommand)]
    Task(TaskCommand),

    /// Task batches (application-instance task API)
    #[command(subcommand)]
    Batch(BatchCommand),

    /// Suspended or ongoing upload jobs of an image (ZStack)
    #[command(
        after_help = "Example:\n  cfp upload-job ccf943310d86335bb3d2511ca8e14137 --system-tag resumable::true"
    )]
    #[doc(alias = "getUploadJobDetails")]
    UploadJob(UploadJobArgs),

    /// ZStack sessions for the next commands
    #[command(subcommand)]
    Zstack(ZstackCommand),

    /// Patch an image with zero downtime: update, diff, version, rollout gate
    /// and an optional profile switch, resumable
    #[command(after_help = "Examples:\n  \
        cfp patch --asid 1 --image 1 --machine 1 --url-env BUILD_URL --restart --yes -o ndjson\n  \
        cfp patch --asid 1 --image 1 --machine 1 --plan\n  \
        cfp patch resume --yes\n  \
        cfp patch show")]
    Patch(Box<PatchArgs>),

    /// Walk through every operation against the built-in simulator
    #[command(after_help = "Examples:\n  \
        cfp demo\n  \
        cfp demo --speed 600 -o ndjson   # faster; one JSON document per step")]
    Demo(DemoArgs),

    /// Show the effective configuration and where each value came from
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  cfp completions zsh   # the script, on stdout\n  \
                      cfp completions bash > ~/.local/share/bash-completion/completions/cfp"
    )]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

impl Command {
    /// The command's `--asid`, if it has one and it was given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Command::Imagediff(c) => c.asid(),
            Command::Imageupdate(c) => c.asid(),
            Command::Imageversion(c) => c.asid(),
            Command::Imageinstall(c) => c.asid(),
            Command::Image(c) => c.asid(),
            Command::Patch(c) => c.asid(),
            Command::Fleet(c) => c.asid(),
            Command::Task(_)
            | Command::Batch(_)
            | Command::UploadJob(_)
            | Command::Zstack(_)
            | Command::Demo(_)
            | Command::Config(_)
            | Command::Completions { .. } => None,
        }
    }
}

/// The account service id (project), shared by the Clanforge commands.
#[derive(Debug, Args)]
pub struct Asid {
    /// Account service id (project) [env: CFP_ASID]
    #[arg(long, value_name = "ID")]
    pub asid: Option<AccountServiceId>,
}

/// `cfp demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Simulated seconds per real second
    #[arg(long, default_value_t = 60.0, value_name = "N")]
    pub speed: f64,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting, its value (secrets redacted) and where it came from
    #[command(after_help = "Example:\n  cfp --profile staging config show")]
    Show,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn targets_exclude_each_other() {
        let e = Cli::try_parse_from([
            "cfp",
            "task",
            "create",
            "--template",
            "1",
            "--fleet",
            "1",
            "--region",
            "2",
        ])
        .unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict);
        let e = Cli::try_parse_from(["cfp", "task", "create", "--template", "1"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }

    #[test]
    fn ids_are_checked_by_the_parser() {
        let e = Cli::try_parse_from(["cfp", "task", "get", "0"]).unwrap_err();
        assert!(e.to_string().contains("must be greater than zero"), "{e}");
        let e = Cli::try_parse_from(["cfp", "task", "get", "-3"]).unwrap_err();
        assert!(e.to_string().contains("not negative"), "{e}");
        let e = Cli::try_parse_from(["cfp", "batch", "get", "x1"]).unwrap_err();
        assert!(e.to_string().contains("digits only"), "{e}");
    }

    #[test]
    fn the_switch_target_profile_is_not_the_configuration_profile() {
        let cli = Cli::try_parse_from([
            "cfp",
            "--profile",
            "ops",
            "fleet",
            "switch-profile",
            "2",
            "--profile-id",
            "12",
            "--within",
            "2h",
        ])
        .unwrap();
        assert_eq!(cli.global.profile.as_deref(), Some("ops"));
        assert!(matches!(
            cli.command,
            Command::Fleet(FleetCommand::SwitchProfile { profile_id, .. })
                if profile_id == cfp_api::model::ProfileId(12)
        ));
    }

    #[test]
    fn version_create_needs_restart_or_no_restart_and_a_timeout_its_percentage() {
        let base = ["cfp", "imageversion", "create", "--diff", "5"];
        let e = Cli::try_parse_from(base).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let both = [&base[..], &["--restart", "--no-restart"]].concat();
        let e = Cli::try_parse_from(both).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict);
        let timeout = [&base[..], &["--restart", "--disable-timeout", "30m"]].concat();
        let e = Cli::try_parse_from(timeout).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let ok = [
            &base[..],
            &[
                "--no-restart",
                "--disable-percentage",
                "90",
                "--disable-timeout",
                "30m",
            ],
        ]
        .concat();
        assert!(Cli::try_parse_from(ok).is_ok());
    }

    #[test]
    fn image_options_takes_game_and_image_together() {
        for args in [
            &["cfp", "image", "options", "--game", "1"][..],
            &["cfp", "image", "options", "--image", "1"],
        ] {
            let e = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        }
        assert!(Cli::try_parse_from(["cfp", "image", "options"]).is_ok());
    }

    #[test]
    fn fail_on_failed_needs_wait_ready() {
        let e =
            Cli::try_parse_from(["cfp", "image", "status", "1", "--fail-on-failed"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }
}
