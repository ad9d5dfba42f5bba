//! The command line: every command, flag and environment variable of the
//! `cfp` contract (the README and `docs/cli.md`).

use std::time::Duration;

use cfp_api::model::{
    AccountServiceId, ApplicationInstanceId, DiffId, FleetId, ImageId, MachineId, RegionId,
    TaskBatchId, TaskId, TaskTemplateId, ZStackImageId,
};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::parse::{At, KeyValue, parse_duration};

/// Drive a game-server fleet's control plane: image diffs, image rollouts,
/// task batches and image upload jobs.
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

    /// No progress bar while waiting (it is also off when stderr is not a terminal)
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The vendor-shaped response as one JSON document.
    Json,
    /// Tables and rollout bars, for people.
    Table,
    /// One JSON document per line: progress events while waiting, the
    /// result last.
    Ndjson,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Image difference analysis jobs (Clanforge)
    #[command(subcommand)]
    Imagediff(ImagediffCommand),

    /// Image rollout status (Clanforge)
    #[command(subcommand)]
    Image(ImageCommand),

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

    /// Walk through every operation against the built-in simulator
    Demo(DemoArgs),

    /// Show the effective configuration and where each value came from
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Print a shell completion script
    #[command(
        after_help = "Example:\n  cfp completions bash > ~/.local/share/bash-completion/completions/cfp"
    )]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// The account service id (project), shared by the Clanforge commands.
#[derive(Debug, Args)]
pub struct Asid {
    /// Account service id (project) [env: CFP_ASID]
    #[arg(long, value_name = "ID")]
    pub asid: Option<AccountServiceId>,
}

#[derive(Debug, Subcommand)]
pub enum ImagediffCommand {
    /// Start an image difference analysis between an image's latest version
    /// and a machine
    #[command(
        after_help = "Examples:\n  cfp imagediff create --asid 1 --image 1 --machine 2 --wait\n  \
                            cfp imagediff create --asid 1 --image 1 --machine 2 --diff 218595   # retry that diff"
    )]
    #[doc(alias = "createImageDiff")]
    Create {
        #[command(flatten)]
        asid: Asid,
        /// The game image
        #[arg(long, value_name = "ID")]
        image: ImageId,
        /// The machine to compare against
        #[arg(long, value_name = "ID")]
        machine: MachineId,
        /// Retry this (complete or failed) diff instead of starting a new one
        #[arg(long, value_name = "ID")]
        diff: Option<DiffId>,
        /// Wait until the job ends, showing progress
        #[arg(long)]
        wait: bool,
    },

    /// Recalculate a complete or failed diff
    #[command(after_help = "Example:\n  cfp imagediff retry --asid 1 218595 --wait")]
    #[doc(alias = "retryImageDiff")]
    Retry {
        #[command(flatten)]
        asid: Asid,
        /// The diff
        #[arg(value_name = "DIFFID", allow_negative_numbers = true)]
        diff: DiffId,
        /// Wait until the job ends, showing progress
        #[arg(long)]
        wait: bool,
    },

    /// Show a diff's state and progress
    #[command(after_help = "Example:\n  cfp imagediff status --asid 1 218595 --info --wait")]
    #[doc(alias = "getImageDiffStatus")]
    Status {
        #[command(flatten)]
        asid: Asid,
        /// The diff
        #[arg(value_name = "DIFFID", allow_negative_numbers = true)]
        diff: DiffId,
        /// Include the game, image and machine
        #[arg(long)]
        info: bool,
        /// Wait until the job ends, showing progress
        #[arg(long)]
        wait: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Show an image's rollout over fleets and regions
    #[command(after_help = "Examples:\n  cfp image status --asid 1 1 --detail\n  \
                            cfp image status --asid 1 1 --wait-ready --fail-on-failed   # gate a patch")]
    #[doc(alias = "getImageStatus")]
    Status {
        #[command(flatten)]
        asid: Asid,
        /// The game image
        #[arg(value_name = "IMAGEID", allow_negative_numbers = true)]
        image: ImageId,
        /// Per-fleet and per-region counts
        #[arg(long)]
        detail: bool,
        /// Wait until no machine is pending
        #[arg(long)]
        wait_ready: bool,
        /// With --wait-ready: exit 5 if any machine failed to install
        #[arg(long, requires = "wait_ready")]
        fail_on_failed: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// List the task templates (Restart, Stop, Start, Update, …)
    #[command(after_help = "Example:\n  cfp task templates -o table")]
    #[doc(alias = "listTaskTemplates")]
    Templates,

    /// List the last 100 tasks you created
    #[command(
        after_help = "Example:\n  cfp task list -o json | jq '.[] | select(.resultCode == 126)'"
    )]
    #[doc(alias = "listTasks")]
    List,

    /// Run a template on game servers, now or at a set time
    #[command(
        after_help = "Examples:\n  cfp task create --template 1 --fleet 2 --wait\n  \
                            cfp task create --template 4 --instance 17 --instance 18 --param version=1.4.2\n  \
                            cfp task create --template 1 --region 3 --at +30m\n  \
                            cfp task create --template 1 --label env=staging --at 2030-01-01T03:00:00Z"
    )]
    #[doc(alias = "createTaskBatch")]
    Create(TaskCreateArgs),

    /// Show a task
    #[command(after_help = "Example:\n  cfp task get 41")]
    #[doc(alias = "getTask")]
    Get {
        /// The task
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        task: TaskId,
    },

    /// Pause a task (nothing is sent if it is already paused)
    #[command(after_help = "Example:\n  cfp task pause 41")]
    #[doc(alias = "toggleTaskPause")]
    Pause {
        /// The task
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        task: TaskId,
    },

    /// Resume a paused task (nothing is sent if it is not paused)
    #[command(after_help = "Example:\n  cfp task resume 41")]
    Resume {
        /// The task
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        task: TaskId,
    },

    /// Cancel a task
    #[command(after_help = "Example:\n  cfp task cancel 41")]
    #[doc(alias = "cancelTask")]
    Cancel {
        /// The task
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        task: TaskId,
    },
}

/// `cfp task create`.
#[derive(Debug, Args)]
pub struct TaskCreateArgs {
    /// The template to run (see `cfp task templates`)
    #[arg(long, value_name = "ID")]
    pub template: TaskTemplateId,

    #[command(flatten)]
    pub target: Target,

    /// Run at this time instead of now: RFC 3339 (2030-01-01T03:00:00Z) or
    /// relative (+30m, +2h, +1d)
    #[arg(long, value_name = "TIME")]
    pub at: Option<At>,

    /// A parameter the template's actions require (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<KeyValue>,

    /// Wait until every task ended; exit 5 if any failed or was cancelled
    #[arg(long)]
    pub wait: bool,
}

/// Which game servers a batch runs on: exactly one kind.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// Game servers by application instance id (repeatable)
    #[arg(long = "instance", value_name = "ID")]
    pub instances: Vec<ApplicationInstanceId>,

    /// Every game server of a fleet
    #[arg(long, value_name = "ID")]
    pub fleet: Option<FleetId>,

    /// Every game server of a region
    #[arg(long, value_name = "ID")]
    pub region: Option<RegionId>,

    /// Game servers carrying a label (repeatable; all must match)
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<KeyValue>,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// List the last 100 task batches you created
    #[command(after_help = "Example:\n  cfp batch list")]
    #[doc(alias = "listTaskBatches")]
    List,

    /// Show a batch, or wait for it to end
    #[command(after_help = "Example:\n  cfp batch get 9 --wait")]
    #[doc(alias = "getTaskBatch")]
    Get {
        /// The batch
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        batch: TaskBatchId,
        /// Wait until every task ended; exit 5 if any failed or was cancelled
        #[arg(long)]
        wait: bool,
    },
}

/// `cfp upload-job`.
#[derive(Debug, Args)]
pub struct UploadJobArgs {
    /// The ZStack image id
    #[arg(value_name = "IMAGEID")]
    pub image: ZStackImageId,

    /// A system tag (repeatable)
    #[arg(long = "system-tag", value_name = "T")]
    pub system_tags: Vec<String>,

    /// A user tag (repeatable)
    #[arg(long = "user-tag", value_name = "T")]
    pub user_tags: Vec<String>,
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
    fn fail_on_failed_needs_wait_ready() {
        let e =
            Cli::try_parse_from(["cfp", "image", "status", "1", "--fail-on-failed"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
    }
}
