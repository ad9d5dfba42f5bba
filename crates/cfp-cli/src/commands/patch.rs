//! `cfp patch`, `cfp patch resume`, `cfp patch show`: the whole
//! zero-downtime patch as one command (the SDK's `cfp_api::patch::Patch`),
//! with a view for people, events for machines, and a state file that makes
//! it resumable.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cfp_api::model::{
    AccountServiceId, DiffStatus, FleetId, GameId, ImageId, ImageStatus, InstallAt, MachineId,
    ProfileId, UpdateUrl,
};
use cfp_api::patch::{
    Approval, Disable, EventKind, FileStore, FullMode, MaxFailed, Outcome, Patch, PatchError,
    PatchEvent, PatchRecord, PatchSpec, PatchStore, Stage, SwitchSpec,
};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::imageupdate::{UrlSource, update_url};
use crate::cli::{Asid, OutputFormat};
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;

/// `cfp patch …`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PatchArgs {
    #[command(subcommand)]
    pub sub: Option<PatchSub>,

    #[command(flatten)]
    pub run: PatchRun,
}

/// `cfp patch resume | show`.
#[derive(Debug, Subcommand)]
pub enum PatchSub {
    /// Continue a patch from its last recorded stage
    #[command(after_help = "Example:\n  cfp patch resume --yes")]
    Resume {
        #[command(flatten)]
        asid: Asid,
        /// The image (finds its state file); not needed when one patch is unfinished
        #[arg(long, value_name = "ID")]
        image: Option<ImageId>,
        /// The state file [default: the platform state dir, one file per asid and image]
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Give the go-ahead for the version without asking
        #[arg(long)]
        yes: bool,
        /// If the update is still to create: read its URL from this
        /// environment variable [default: CFP_UPDATE_URL when it is set,
        /// else the image's default URL]
        #[arg(long, value_name = "VAR", conflicts_with = "url_stdin")]
        url_env: Option<String>,
        /// If the update is still to create: read its URL from the first
        /// line of stdin
        #[arg(long)]
        url_stdin: bool,
    },
    /// Print a patch's recorded state
    #[command(after_help = "Example:\n  cfp patch show --asid 1 --image 1 -o json")]
    Show {
        #[command(flatten)]
        asid: Asid,
        /// The image (finds its state file); not needed when there is one patch
        #[arg(long, value_name = "ID")]
        image: Option<ImageId>,
        /// The state file [default: the platform state dir]
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
    },
}

/// When a version is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FullArg {
    /// Full when the diff found no changes (the vendor requires it then)
    Auto,
    /// Always full
    Always,
    /// Never full (a diff without changes fails the patch)
    Never,
}

/// The flags of a new patch.
#[derive(Debug, Args)]
pub struct PatchRun {
    #[command(flatten)]
    pub asid: Asid,
    /// The game image to patch
    #[arg(long, value_name = "ID", required = true)]
    pub image: Option<ImageId>,
    /// The reference machine the update and the diff run on
    #[arg(long, value_name = "ID", required = true)]
    pub machine: Option<MachineId>,
    /// The image's game [default: the account service's only game]
    #[arg(long, value_name = "ID")]
    pub game: Option<GameId>,
    /// Read the update URL (s3://, steam://, gs://, https://; it may carry
    /// credentials) from this environment variable [default: CFP_UPDATE_URL
    /// when it is set, else the image's default update URL]
    #[arg(long, value_name = "VAR", conflicts_with = "url_stdin")]
    pub url_env: Option<String>,
    /// Read the update URL from the first line of stdin
    #[arg(long)]
    pub url_stdin: bool,
    /// Refused: the URL would be left in the shell's history (see
    /// --url-env and --url-stdin)
    #[arg(long, hide = true, value_name = "URL")]
    pub url: Option<super::imageupdate::RefusedUrl>,
    /// The update's description [default: "cfp patch" and the time]
    #[arg(long, value_name = "TEXT")]
    pub desc: Option<String>,
    /// Stop the servers during the install and restart them (else each
    /// picks the version up when it exits or its profile changes)
    #[arg(long)]
    pub restart: bool,
    /// The game's own build label (the game version's `version`)
    #[arg(long, value_name = "V")]
    pub game_build: Option<String>,
    /// When the version is a full image
    #[arg(long, value_enum, default_value_t = FullArg::Auto)]
    pub full: FullArg,
    /// Install although fleets have active allocations
    #[arg(long)]
    pub force: bool,
    /// When to install: now, a Unix time or an RFC 3339 time [default: now]
    #[arg(long, value_name = "TIME")]
    pub install_at: Option<InstallAt>,
    /// Disable machines still installing after this long (whole minutes,
    /// e.g. 30m), once --disable-percentage of them have installed
    #[arg(long, value_name = "DUR", requires = "disable_percentage", value_parser = crate::parse::parse_duration)]
    pub disable_timeout: Option<Duration>,
    /// The share of machines (0–100) that must install before stragglers
    /// are disabled
    #[arg(long, value_name = "P", requires = "disable_timeout")]
    pub disable_percentage: Option<f64>,
    /// Reject (reinstall=0) a diff that locks the image instead of refusing
    #[arg(long)]
    pub reject_locking_diff: bool,
    /// Failed machines the rollout gate tolerates: a count or a share (5%)
    #[arg(long, value_name = "N|P%", default_value = "0")]
    pub max_failed: MaxFailed,
    /// A reservation fleet to switch to --switch-profile once the rollout
    /// passed
    #[arg(long, value_name = "ID", requires = "switch_profile")]
    pub switch_fleet: Option<FleetId>,
    /// The profile the reservation fleet switches to (`--profile` names
    /// the configuration profile)
    #[arg(long, value_name = "ID", requires = "switch_fleet")]
    pub switch_profile: Option<ProfileId>,
    /// How long the profile switch may take
    #[arg(long, value_name = "DUR", default_value = "1h", value_parser = crate::parse::parse_duration)]
    pub switch_within: Duration,
    /// At most this many servers switch at a time [default: all at once]
    #[arg(long, value_name = "N")]
    pub switch_max_machines: Option<u32>,
    /// Print the stages and the requests they would send; send nothing
    #[arg(long)]
    pub plan: bool,
    /// Give the go-ahead for the version without asking
    #[arg(long)]
    pub yes: bool,
    /// The state file [default: the platform state dir, one file per asid and image]
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

impl PatchArgs {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match &self.sub {
            Some(PatchSub::Resume { asid, .. } | PatchSub::Show { asid, .. }) => asid.asid,
            None => self.run.asid.asid,
        }
    }
}

/// The state directory's patch files.
fn state_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "cfp")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .join("patches"),
    )
}

/// The default state file of a patch. Under `--sim` the world is the
/// run's own, so its patches are kept apart from real ones.
fn default_state(ctx: &Ctx, asid: AccountServiceId, image: ImageId) -> Result<PathBuf, CliError> {
    let sim = if ctx.sim.is_some() { "sim-" } else { "" };
    state_dir()
        .map(|d| d.join(format!("{sim}asid-{asid}-image-{image}.json")))
        .ok_or_else(|| {
            CliError::usage(
                "no state directory on this platform",
                "give the state file with --state FILE",
            )
        })
}

/// The state file of `resume` and `show`: given, by asid and image, or the
/// only one there is (unfinished ones first).
fn find_state(
    ctx: &Ctx,
    image: Option<ImageId>,
    state: Option<PathBuf>,
) -> Result<PathBuf, CliError> {
    if let Some(s) = state {
        return Ok(s);
    }
    if let (Some(asid), Some(image)) = (ctx.settings.asid.value, image) {
        return default_state(ctx, asid, image);
    }
    let dir = state_dir().ok_or_else(|| {
        CliError::usage("no state directory on this platform", "give --state FILE")
    })?;
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    let unfinished: Vec<&PathBuf> = files
        .iter()
        .filter(|p| {
            FileStore::new(p.as_path())
                .load()
                .ok()
                .flatten()
                .is_some_and(|r| !r.is_finished())
        })
        .collect();
    match (unfinished.as_slice(), files.as_slice()) {
        ([one], _) => Ok((*one).clone()),
        ([], [one]) => Ok(one.clone()),
        ([], []) => Err(CliError::usage(
            "no patch has been recorded",
            "start one with `cfp patch --asid ID --image ID --machine ID`",
        )),
        _ => Err(CliError::usage(
            format!("several patches are recorded in {}", dir.display()),
            "say which with --asid and --image, or --state FILE",
        )),
    }
}

pub(super) async fn run(ctx: &Ctx, args: PatchArgs) -> Result<(), CliError> {
    match args.sub {
        Some(PatchSub::Show { image, state, .. }) => {
            let path = find_state(ctx, image, state)?;
            let record = FileStore::new(&path).load()?.ok_or_else(|| {
                CliError::usage(
                    format!("no patch is recorded in {}", path.display()),
                    "start one with `cfp patch`",
                )
            })?;
            ctx.print(&Summary::of(&record, &path, ctx))
        }
        Some(PatchSub::Resume {
            image,
            state,
            yes,
            url_env,
            url_stdin,
            ..
        }) => {
            if crate::dry_run::active() {
                return Err(CliError::usage(
                    "`cfp patch resume` has no --dry-run: what it sends depends on where the patch stands",
                    "see where it stands with `cfp patch show`",
                ));
            }
            if ctx.sim.is_some() {
                return Err(CliError::usage(
                    "`cfp --sim patch resume` cannot resume a patch: its jobs were in the world \
                     of an earlier --sim run, which ended with that run",
                    "run the patch again with --sim, or against `cfp-sim` to resume it across \
                     runs (docs/cli.md, \"The simulator across runs\")",
                ));
            }
            let path = find_state(ctx, image, state)?;
            let record = FileStore::new(&path).load()?.ok_or_else(|| {
                CliError::usage(
                    format!("no patch is recorded in {}", path.display()),
                    "start one with `cfp patch`",
                )
            })?;
            if record.is_finished() {
                return Err(CliError::usage(
                    format!(
                        "the patch recorded in {} is over ({})",
                        path.display(),
                        outcome_words(record.outcome.as_ref())
                    ),
                    "see it with `cfp patch show`, or start a new one with `cfp patch`",
                ));
            }
            let url = update_url(UrlSource::from_flags(url_env, url_stdin))?;
            drive(ctx, record.spec, url, yes, path).await
        }
        None => {
            let r = args.run;
            if r.url.is_some() {
                return Err(super::imageupdate::url_refused());
            }
            let asid = ctx.asid()?;
            let (Some(image), Some(machine)) = (r.image, r.machine) else {
                return Err(CliError::usage(
                    "a patch needs --image and --machine",
                    "cfp patch --asid ID --image ID --machine ID --yes",
                ));
            };
            if let Some(p) = r.disable_percentage
                && !(0.0..=100.0).contains(&p)
            {
                return Err(CliError::usage(
                    format!("--disable-percentage {p} is not between 0 and 100"),
                    "give a share of the machines, e.g. 90",
                ));
            }
            let url = update_url(UrlSource::from_flags(r.url_env, r.url_stdin))?;
            let desc = r.desc.unwrap_or_else(|| {
                format!(
                    "cfp patch {}",
                    jiff::Timestamp::try_from(ctx.clock.wall_now())
                        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_default()
                )
            });
            if desc.trim().is_empty() {
                return Err(CliError::usage("--desc is blank", "describe the update"));
            }
            let mut spec = PatchSpec::new(asid, image, machine, desc)
                .restart(r.restart)
                .full(match r.full {
                    FullArg::Auto => FullMode::Auto,
                    FullArg::Always => FullMode::Always,
                    FullArg::Never => FullMode::Never,
                })
                .force(r.force)
                .reject_locking_diff(r.reject_locking_diff)
                .max_failed(r.max_failed);
            if let Some(g) = r.game {
                spec = spec.game(g);
            }
            if let Some(b) = r.game_build {
                spec = spec.game_build(b);
            }
            if let Some(at) = r.install_at {
                spec = spec.install_at(at);
            }
            if let (Some(t), Some(p)) = (r.disable_timeout, r.disable_percentage) {
                spec = spec.disable(Disable {
                    percentage: p,
                    timeout_minutes: t.as_secs().div_ceil(60).max(1),
                });
            }
            if let (Some(fleet), Some(profile)) = (r.switch_fleet, r.switch_profile) {
                spec = spec.switch(SwitchSpec {
                    fleet,
                    profile,
                    within: r.switch_within,
                    max_machines: r.switch_max_machines,
                });
            }
            let path = match r.state {
                Some(p) => p,
                None => {
                    let p = default_state(ctx, asid, image)?;
                    // An earlier --sim patch's record describes a world that
                    // ended with its run: a new --sim patch starts afresh.
                    if ctx.sim.is_some() && !r.plan && !crate::dry_run::active() {
                        let _ = std::fs::remove_file(&p);
                    }
                    p
                }
            };
            // --dry-run is --plan: the patch's requests depend on answers.
            if r.plan || crate::dry_run::active() {
                return print_plan(ctx, &spec, url.as_ref(), &path);
            }
            drive(ctx, spec, url, r.yes, path).await
        }
    }
}

/// Runs the patch with the view the output format calls for.
async fn drive(
    ctx: &Ctx,
    spec: PatchSpec,
    url: Option<UpdateUrl>,
    yes: bool,
    path: PathBuf,
) -> Result<(), CliError> {
    let resume = format!(
        "cfp {}patch resume --state {}",
        ctx.sim_flag(),
        shell_word(&path.display().to_string())
    );
    let interactive = crate::prompt::interactive();
    let approval = if yes {
        Approval::Yes
    } else if interactive {
        Approval::Ask(Box::new(ask))
    } else {
        Approval::Stop
    };
    let view = Arc::new(Mutex::new(View::new(ctx)));
    let sink = view.clone();
    let mut patch = Patch::new(ctx.client.clone(), spec, FileStore::new(&path))
        .approval(approval)
        .wait_timeout(
            ctx.settings
                .wait_timeout
                .value
                .unwrap_or(crate::config::DEFAULT_WAIT_TIMEOUT),
        )
        .on_event(move |e| {
            sink.lock().unwrap_or_else(PoisonError::into_inner).event(e);
        });
    if let Some(u) = url {
        patch = patch.update_url(u);
    }
    let result = tokio::select! {
        r = patch.run() => r,
        _ = tokio::signal::ctrl_c() => {
            view.lock().unwrap_or_else(PoisonError::into_inner).finish();
            return Err(CliError::Interrupted { reattach: Some(resume) });
        }
    };
    view.lock().unwrap_or_else(PoisonError::into_inner).finish();
    let store = FileStore::new(&path);
    let record = store.load().ok().flatten();
    let summary = record.as_ref().map(|r| Summary::of(r, &path, ctx));
    match result {
        Ok(_) => match summary {
            Some(s) => ctx.print(&s),
            None => Ok(()),
        },
        Err(e) => {
            // The summary says where the patch stands, for pipelines.
            if let Some(s) = &summary
                && matches!(ctx.format, OutputFormat::Json | OutputFormat::Ndjson)
            {
                ctx.print(s)?;
            }
            Err(patch_error(e, &resume))
        }
    }
}

/// `cfp demo`'s one-command patch: the view and the summary `cfp patch`
/// prints, the go-ahead given, the record in memory (the demo's simulator
/// ends with it: there is nothing to resume).
#[cfg(feature = "sim")]
pub(crate) async fn run_in_memory(
    ctx: &Ctx,
    spec: PatchSpec,
    url: UpdateUrl,
) -> Result<(), CliError> {
    let store = cfp_api::patch::MemoryStore::new();
    let view = Arc::new(Mutex::new(View::new(ctx)));
    let sink = view.clone();
    let result = Patch::new(ctx.client.clone(), spec, store.clone())
        .approval(Approval::Yes)
        .update_url(url)
        .wait_timeout(
            ctx.settings
                .wait_timeout
                .value
                .unwrap_or(crate::config::DEFAULT_WAIT_TIMEOUT),
        )
        .on_event(move |e| {
            sink.lock().unwrap_or_else(PoisonError::into_inner).event(e);
        })
        .run()
        .await;
    view.lock().unwrap_or_else(PoisonError::into_inner).finish();
    if let Some(r) = store.load().ok().flatten() {
        ctx.print(&Summary::of(&r, std::path::Path::new("in memory"), ctx))?;
    }
    result
        .map(drop)
        .map_err(|e| patch_error(e, "cfp demo (the patch was in memory)"))
}

fn patch_error(e: PatchError, resume: &str) -> CliError {
    match e {
        PatchError::Refused { message, hint } => CliError::Usage { message, hint },
        PatchError::StageFailed { stage, reason } => CliError::WaitFailed {
            message: format!("the patch failed at its {stage} stage: {reason}"),
            details: Vec::new(),
        },
        PatchError::StageRefused { stage, reason } => {
            let hint = if reason.contains("allocation") {
                format!("{resume} after adding --force to `cfp patch`, or when the allocations end")
            } else {
                resume.to_owned()
            };
            CliError::WaitFailed {
                message: format!("the service refused the {stage} stage: {reason}"),
                details: vec![format!("nothing was carried out; continue with: {hint}")],
            }
        }
        PatchError::TimedOut { stage, message } => CliError::WaitTimeout {
            message: format!("the {stage} stage is still going: {message}"),
            reattach: resume.to_owned(),
        },
        PatchError::AwaitingConfirmation => CliError::usage(
            "stopped before the version: it needs a go-ahead, and there is no terminal to ask on",
            format!("look at the changes with `cfp patch show`, then run `{resume} --yes`"),
        ),
        PatchError::Declined => CliError::Usage {
            message: "stopped before the version: the go-ahead was refused".into(),
            hint: Some(
                "the diff still locks the image; reject it with `cfp imagediff reject`, or patch again with --reject-locking-diff"
                    .into(),
            ),
        },
        PatchError::Api { stage, source } => {
            let e = *source;
            if e.may_have_been_carried_out() {
                CliError::MayHaveBeenCarriedOut {
                    what: format!("the {stage} stage's request"),
                    hint: format!(
                        "cfp did not send it again; `{resume}` finds out whether it was carried out before sending anything"
                    ),
                    error: Box::new(e),
                }
            } else {
                CliError::Api(e)
            }
        }
        PatchError::Store(e) => CliError::Io(e),
        other => CliError::WaitFailed {
            message: other.to_string(),
            details: Vec::new(),
        },
    }
}

/// Asks for the go-ahead on the terminal.
fn ask(diff: &DiffStatus) -> bool {
    let s = diff.summary(5);
    let _ = writeln!(
        std::io::stderr().lock(),
        "diff {}: {} added, {} modified, {} removed",
        diff.job.diff_id,
        s.added.count,
        s.modified.count,
        s.removed.count
    );
    crate::prompt::confirm("Create the image version and install it?")
}

fn shell_word(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn outcome_words(o: Option<&Outcome>) -> String {
    match o {
        None => "in progress".into(),
        Some(Outcome::Patched) => "patched".into(),
        Some(Outcome::AwaitingConfirmation) => "waiting for a go-ahead".into(),
        Some(Outcome::Declined) => "the go-ahead was refused".into(),
        Some(Outcome::Failed { stage, reason }) => format!("failed at {stage}: {reason}"),
    }
}

// ---------------------------------------------------------------------------
// The plan

fn print_plan(
    ctx: &Ctx,
    spec: &PatchSpec,
    url: Option<&UpdateUrl>,
    path: &std::path::Path,
) -> Result<(), CliError> {
    let a = spec.asid;
    let i = spec.image;
    let m = spec.machine;
    let game = spec.game.map_or_else(
        || "<the account service's game>".to_owned(),
        |g| g.to_string(),
    );
    let url_part = url.map_or_else(String::new, |u| format!("&url={}", u.masked()));
    let mut steps: Vec<(Stage, String)> = vec![
        (
            Stage::Preflight,
            format!("GET /cfp/v1/image/options?accountserviceid={a}&gameid={game}&imageid={i}"),
        ),
        (
            Stage::Update,
            format!(
                "GET /cfp/v1/imageupdate/create?accountserviceid={a}&imageid={i}&machineid={m}&desc=…{url_part}, then GET /cfp/v1/imageupdate/<updateid>/status until it ends"
            ),
        ),
        (
            Stage::Diff,
            format!(
                "GET /cfp/v1/imagediff/create?accountserviceid={a}&imageid={i}&machineid={m}, then GET /cfp/v1/imagediff/<diffid>/status until it ends"
            ),
        ),
        (
            Stage::Confirm,
            "nothing sent: a prompt on a terminal, or --yes".into(),
        ),
        (
            Stage::Version,
            format!(
                "GET /cfp/v1/imageversion/create?accountserviceid={a}&diffid=<diffid>&restart={}{}{}&install_at={}, then GET /cfp/v1/imageversion/<id>/status until it ends",
                u8::from(spec.restart),
                match spec.full {
                    FullMode::Always => "&full=1",
                    FullMode::Auto => "[&full=1 if the diff finds no changes]",
                    FullMode::Never => "",
                },
                if spec.force { "&force=1" } else { "" },
                spec.install_at
                    .map_or_else(|| "NOW()".to_owned(), |t| t.to_string())
            ),
        ),
        (
            Stage::Rollout,
            format!(
                "GET /cfp/v2/project/{a}/image/{i}/status?detail=true until no machine is pending (at most {} failed)",
                spec.max_failed
            ),
        ),
    ];
    if let Some(s) = spec.switch {
        steps.push((
            Stage::Switch,
            format!(
                "PATCH /cfp/v2/fleet/{}/switchprofile {{\"ProfileID\": {}, …}}, then GET until complete",
                s.fleet, s.profile
            ),
        ));
    }
    if spec.reject_locking_diff {
        steps.insert(
            1,
            (
                Stage::Preflight,
                format!("if a diff locks the image: GET /cfp/v1/imagediff/<diffid>/reject?accountserviceid={a}&reinstall=0"),
            ),
        );
    }
    let plan = Plan {
        state_file: path.display().to_string(),
        steps: steps
            .into_iter()
            .map(|(stage, requests)| PlanStep { stage, requests })
            .collect(),
    };
    ctx.print(&plan)
}

#[derive(Debug, Serialize)]
struct Plan {
    state_file: String,
    steps: Vec<PlanStep>,
}

#[derive(Debug, Serialize)]
struct PlanStep {
    stage: Stage,
    requests: String,
}

impl Table for Plan {
    fn table(&self) -> String {
        let mut out = String::from("The patch would run (nothing was sent):\n");
        for s in &self.steps {
            out.push_str(&format!("  {:<9} {}\n", s.stage.name(), s.requests));
        }
        out.push_str(&format!("State file: {}\n", self.state_file));
        out
    }
}

// ---------------------------------------------------------------------------
// The summary

/// Where a patch stands, as `-o json` prints it (and `-o ndjson` last).
#[derive(Debug, Serialize)]
struct Summary {
    event: &'static str,
    result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_stage: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    stage: Stage,
    asid: AccountServiceId,
    image: ImageId,
    machine: MachineId,
    ids: cfp_api::patch::PatchIds,
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<cfp_api::patch::ChangeCounts>,
    stages: Vec<StageSecs>,
    calls: u64,
    state_file: String,
}

#[derive(Debug, Serialize)]
struct StageSecs {
    stage: Stage,
    seconds: i64,
}

impl Summary {
    fn of(r: &PatchRecord, path: &std::path::Path, ctx: &Ctx) -> Self {
        let now = cfp_api::patch::unix_now(ctx.clock.as_ref());
        let (result, failed_stage, reason) = match &r.outcome {
            None => ("in_progress".to_owned(), None, None),
            Some(Outcome::Patched) => ("patched".to_owned(), None, None),
            Some(Outcome::AwaitingConfirmation) => ("awaiting_confirmation".to_owned(), None, None),
            Some(Outcome::Declined) => ("declined".to_owned(), None, None),
            Some(Outcome::Failed { stage, reason }) => {
                ("failed".to_owned(), Some(*stage), Some(reason.clone()))
            }
        };
        Self {
            event: "summary",
            result,
            failed_stage,
            reason,
            stage: r.stage,
            asid: r.spec.asid,
            image: r.spec.image,
            machine: r.spec.machine,
            ids: r.ids(),
            changes: r.changes,
            stages: r
                .durations(now)
                .into_iter()
                .map(|(stage, seconds)| StageSecs { stage, seconds })
                .collect(),
            calls: r.calls,
            state_file: path.display().to_string(),
        }
    }
}

impl Table for Summary {
    fn table(&self) -> String {
        let mut out = format!(
            "Patch of image {} (asid {}, machine {}): {}",
            self.image,
            self.asid,
            self.machine,
            self.result.replace('_', " ")
        );
        if let (Some(s), Some(r)) = (self.failed_stage, &self.reason) {
            out.push_str(&format!(" at {s}: {r}"));
        }
        out.push('\n');
        let ids = &self.ids;
        let mut line = Vec::new();
        if let Some(d) = ids.rejected_diff {
            line.push(format!("rejected diff {d}"));
        }
        if let Some(u) = ids.update {
            line.push(format!("update {u}"));
        }
        if let Some(d) = ids.diff {
            line.push(format!("diff {d}"));
        }
        if let Some(v) = ids.version {
            line.push(format!("version {v}"));
        }
        if !line.is_empty() {
            out.push_str(&format!("  {}\n", line.join(" · ")));
        }
        if let Some(c) = self.changes {
            out.push_str(&format!(
                "  changes: {} added, {} modified, {} removed\n",
                c.added, c.modified, c.removed
            ));
        }
        for s in &self.stages {
            out.push_str(&format!(
                "  {:<9} {}\n",
                s.stage.name(),
                crate::output::layout::duration(Duration::from_secs(
                    s.seconds.max(0).unsigned_abs()
                ))
            ));
        }
        out.push_str(&format!(
            "  {} calls · state {}\n",
            self.calls, self.state_file
        ));
        out
    }
}

// ---------------------------------------------------------------------------
// The live view

/// How events are shown: NDJSON on stdout, a live line per stage on a
/// terminal, or a plain line per stage change (and at least once a minute)
/// on stderr.
struct View {
    mode: Mode,
    bar: Option<indicatif::ProgressBar>,
    last_plain: Option<Instant>,
    stage: Option<Stage>,
    /// The rollout per fleet and region, last seen and not yet shown.
    rollout: Option<ImageStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ndjson,
    Live,
    Plain,
}

impl View {
    fn new(ctx: &Ctx) -> Self {
        let mode = match ctx.format {
            OutputFormat::Ndjson => Mode::Ndjson,
            _ if ctx.progress_bar => Mode::Live,
            _ => Mode::Plain,
        };
        Self {
            mode,
            bar: None,
            last_plain: None,
            stage: None,
            rollout: None,
        }
    }

    fn event(&mut self, e: &PatchEvent) {
        match self.mode {
            Mode::Ndjson => {
                let _ = crate::output::ndjson_line(&mut std::io::stdout().lock(), &EventLine(e));
            }
            Mode::Live => self.live(e),
            Mode::Plain => self.plain(e),
        }
    }

    fn line(text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", crate::shield::for_terminal(text));
    }

    fn plain(&mut self, e: &PatchEvent) {
        let tick = e.kind == EventKind::Progress;
        let due = self
            .last_plain
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(60));
        if tick && !due {
            return;
        }
        self.last_plain = Some(Instant::now());
        Self::line(&format!("cfp patch: {:<9} {}", e.stage.name(), e.message));
        if let Some(rollout) = &e.rollout
            && tick
        {
            Self::line(&crate::output::table::rollout_bar(rollout.counts()));
        }
    }

    fn live(&mut self, e: &PatchEvent) {
        if self.stage != Some(e.stage) {
            if let Some(bar) = self.bar.take() {
                bar.finish_and_clear();
            }
            self.stage = Some(e.stage);
        }
        match e.kind {
            EventKind::Progress => {
                let bar = self.bar.get_or_insert_with(|| {
                    let bar = indicatif::ProgressBar::new(100);
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    if let Ok(style) = indicatif::ProgressStyle::with_template(
                        "  {prefix:<9} [{bar:20}] {pos:>3}% {msg}",
                    ) {
                        bar.set_style(style.progress_chars("=> "));
                    }
                    bar.set_prefix(e.stage.name());
                    bar
                });
                bar.set_position(u64::from(e.percent.unwrap_or(0)));
                let mut msg = e.message.clone();
                if let Some(r) = &e.rollout {
                    let c = r.counts();
                    msg = format!(
                        "{} pending, {} done, {} failed",
                        c.pending, c.completed, c.failed
                    );
                }
                // Kept short so the line fits 80 columns.
                msg.truncate(40);
                bar.set_message(crate::shield::for_terminal(&msg));
                if let Some(r) = &e.rollout {
                    self.rollout = Some(r.clone());
                }
            }
            EventKind::Passed => {
                self.clear_bar();
                Self::line(&format!("✓ {:<9} {}", e.stage.name(), e.message));
                self.show_rollout();
            }
            EventKind::Changes => {
                // Lines printed under a live bar would leave it behind.
                self.clear_bar();
                Self::line(&format!("  {:<9} {}", "changes", e.message));
                if let Some(d) = &e.diff {
                    let s = d.summary(3);
                    for (kind, c) in [
                        ("added", &s.added),
                        ("modified", &s.modified),
                        ("removed", &s.removed),
                    ] {
                        for (path, _) in &c.largest {
                            Self::line(&format!("            {kind:<8} {path}"));
                        }
                    }
                }
            }
            EventKind::Adopted | EventKind::Skipped => {
                self.clear_bar();
                Self::line(&format!("  {:<9} {}", e.stage.name(), e.message));
            }
            EventKind::Started | EventKind::Sending => {}
        }
    }

    fn clear_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// The rollout's bars per fleet and region, as `image status --detail`
    /// shows them (fitted to the width), once the gate has read them.
    fn show_rollout(&mut self) {
        if let Some(status) = self.rollout.take() {
            let mut err = std::io::stderr().lock();
            for line in status.table().lines() {
                let _ = writeln!(err, "{}", crate::shield::for_terminal(line));
            }
        }
    }

    fn finish(&mut self) {
        self.clear_bar();
        // A gate that failed still shows where the machines stand.
        if self.mode == Mode::Live {
            self.show_rollout();
        }
    }
}

/// A patch event as one NDJSON line.
struct EventLine<'a>(&'a PatchEvent);

impl Serialize for EventLine<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let e = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("event", &e.kind)?;
        // As the waits' events: a type, and when, in RFC 3339.
        m.serialize_entry("type", "progress")?;
        if let Ok(ts) = jiff::Timestamp::from_second(e.at) {
            m.serialize_entry("ts", &ts.to_string())?;
        }
        m.serialize_entry("at", &e.at)?;
        m.serialize_entry("stage", &e.stage)?;
        m.serialize_entry("message", &e.message)?;
        if let Some(p) = e.percent {
            m.serialize_entry("percent", &p)?;
        }
        if let Some(eta) = e.eta {
            m.serialize_entry("eta", &eta)?;
        }
        m.serialize_entry("ids", &e.ids)?;
        if let Some(r) = &e.rollout {
            let c = r.counts();
            m.serialize_entry(
                "machines",
                &serde_json::json!({"pending": c.pending, "completed": c.completed, "failed": c.failed}),
            )?;
        }
        m.end()
    }
}
