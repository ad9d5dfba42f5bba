//! `cfp imageversion create | status`: a complete diff accepted as the
//! image's next version, and installed on the fleets that run the image.

use cfp_api::ServiceError;
use cfp_api::model::{AccountServiceId, DiffId, ImageVersionId, InstallAt, VersionJob};
use clap::{Args, Subcommand};

use crate::cli::Asid;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::key_values;
use crate::output::table::job_rows;
use crate::parse::parse_duration;
use crate::wait::wait_for;

#[derive(Debug, Subcommand)]
pub enum ImageversionCommand {
    /// Accept a complete diff: make it the image's next version and install
    /// it on the machines of the fleets that run the image
    ///
    /// Accepting the diff unlocks the image. The version is built (a job:
    /// --wait waits for it), then installed at --install-at (default: now).
    /// By default the create is refused while a fleet has active
    /// allocations; --force installs anyway. Follow the install with `cfp
    /// imageinstall status --version V` and the rollout with `cfp image
    /// status IMAGE --wait-ready`.
    #[command(after_help = "Examples:\n  \
        cfp imageversion create --asid 1 --diff 218596 --restart --wait\n  \
        cfp imageversion create --asid 1 --diff 218596 --no-restart --install-at 2030-01-01T03:00:00Z\n  \
        cfp imageversion create --diff 218596 --restart --disable-percentage 90 --disable-timeout 30m\n\n\
        Then: cfp image status --asid 1 1 --wait-ready --fail-on-failed")]
    #[doc(alias = "createImageVersion")]
    Create(ImageversionCreateArgs),

    /// Show an image version job's state and progress
    #[command(after_help = "Example:\n  cfp imageversion status --asid 1 5101 --wait")]
    #[doc(alias = "getImageVersionStatus")]
    Status {
        #[command(flatten)]
        asid: Asid,
        /// The image version
        #[arg(value_name = "VERSIONID", allow_negative_numbers = true)]
        version_id: ImageVersionId,
        /// Wait until the version job ends, showing progress
        #[arg(long)]
        wait: bool,
    },
}

/// `cfp imageversion create`.
#[derive(Debug, Args)]
pub struct ImageversionCreateArgs {
    #[command(flatten)]
    pub asid: Asid,

    /// The complete diff to accept
    #[arg(long, value_name = "ID")]
    pub diff: DiffId,

    #[command(flatten)]
    pub restart: Restart,

    /// Build a full image rather than a partial one (required when the
    /// diff found no changes)
    #[arg(long)]
    pub full: bool,

    /// The game's own build label, set as the game version's version
    #[arg(long, value_name = "TEXT")]
    pub game_build: Option<String>,

    /// Create the version although a fleet has active allocations (their
    /// servers are disturbed by the install)
    #[arg(long)]
    pub force: bool,

    /// When to install: now, a Unix time, or an RFC 3339 time
    /// (2030-01-01T03:00:00Z) [default: now]
    #[arg(long, value_name = "TIME")]
    pub install_at: Option<InstallAt>,

    /// Once this share of machines (0 to 100) reports success, disable the
    /// machines that have not after --disable-timeout
    #[arg(long, value_name = "P", value_parser = parse_percentage)]
    pub disable_percentage: Option<f64>,

    /// With --disable-percentage: how long a machine may take before it is
    /// disabled, in whole minutes (30m, 2h) [default: 4h]
    #[arg(
        long,
        value_name = "DUR",
        value_parser = parse_minutes,
        requires = "disable_percentage"
    )]
    pub disable_timeout: Option<u64>,

    /// Wait until the version is built and its install started, showing
    /// progress
    #[arg(long)]
    pub wait: bool,
}

/// Whether game servers restart for the install: one of the two, always
/// said (the vendor requires it, and neither is a safe guess).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Restart {
    /// Restart the game servers for the install
    #[arg(long)]
    pub restart: bool,

    /// Install without restarting the game servers
    #[arg(long)]
    pub no_restart: bool,
}

/// `--disable-percentage`: a share from 0 to 100.
fn parse_percentage(s: &str) -> Result<f64, String> {
    let p: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number from 0 to 100"))?;
    if !p.is_finite() || !(0.0..=100.0).contains(&p) {
        return Err(format!("{s:?} is not a share from 0 to 100"));
    }
    Ok(p)
}

/// `--disable-timeout`: a duration in whole minutes (the vendor takes
/// minutes), at most a week.
fn parse_minutes(s: &str) -> Result<u64, String> {
    let d = parse_duration(s)?;
    if d.subsec_nanos() != 0 || d.as_secs() % 60 != 0 {
        return Err(format!(
            "{s:?}: give whole minutes (e.g. 30m, 2h, 1h30m): the timeout is sent in minutes"
        ));
    }
    Ok(d.as_secs() / 60)
}

impl ImageversionCommand {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Self::Create(args) => args.asid.asid,
            Self::Status { asid, .. } => asid.asid,
        }
    }
}

pub(super) async fn run(ctx: &Ctx, c: ImageversionCommand) -> Result<(), CliError> {
    let asid = ctx.asid()?;
    let cf = ctx.client.clanforge(asid);
    // The version to wait for; without --wait, the answer is printed.
    let version = match c {
        ImageversionCommand::Status {
            version_id: version,
            wait,
            ..
        } => {
            if !wait {
                return ctx.print(&cf.get_image_version_status(version).send().await?);
            }
            version
        }
        ImageversionCommand::Create(args) => {
            let mut call = cf
                .create_image_version(args.diff, args.restart.restart)
                .full(args.full)
                .force(args.force);
            if let Some(build) = args.game_build {
                call = call.game_build(build);
            }
            if let Some(at) = args.install_at {
                call = call.install_at(at);
            }
            if let Some(p) = args.disable_percentage {
                call = call.disable_percentage(p);
            }
            if let Some(m) = args.disable_timeout {
                call = call.disable_timeout(m);
            }
            let diff = args.diff;
            let job = call
                .send()
                .await
                .map_err(|e| version_refused(ctx, asid, diff, e))?;
            if !args.wait {
                return ctx.print(&job);
            }
            job.version_id
        }
    };
    let reattach = format!(
        "cfp {}imageversion status --asid {asid} {version} --wait",
        ctx.sim_flag()
    );
    let done = wait_for(ctx, cf.wait_for_version(version), reattach, async |_| {
        Vec::new()
    })
    .await?;
    ctx.print(&done)
}

/// A version create that failed: an unknown outcome says how to check it;
/// a refusal that names a flag (`full=1`, `force=1`) says which of cfp's.
fn version_refused(ctx: &Ctx, asid: AccountServiceId, diff: DiffId, e: cfp_api::Error) -> CliError {
    let says = |flag: &str| {
        matches!(
            e.service_error(),
            Some(ServiceError::Clanforge(c))
                if c.error_message.as_deref().is_some_and(|m| m.contains(flag))
        )
    };
    if says("full=1") {
        return CliError::api_with_hint(
            e,
            "add --full: a diff that found no changes makes only a full version".into(),
        );
    }
    if says("force=1") {
        return CliError::api_with_hint(
            e,
            "add --force to install anyway: the servers of the active allocations are disturbed"
                .into(),
        );
    }
    CliError::outcome_unknown(
        e,
        format!("image version create from diff {diff}"),
        format!(
            "cfp did not send it again. If it was carried out, diff {diff} was accepted: a new \
             create is refused saying so, and `cfp {}imageinstall status --asid {asid}` lists the \
             new version's installs",
            ctx.sim_flag()
        ),
    )
}

// -- How people see it --------------------------------------------------------

impl Table for VersionJob {
    fn table(&self) -> String {
        key_values(&job_rows("version", self.version_id.to_string(), self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_whole_minutes() {
        assert_eq!(parse_minutes("30m"), Ok(30));
        assert_eq!(parse_minutes("1h30m"), Ok(90));
        assert_eq!(parse_minutes("120s"), Ok(2));
        assert!(parse_minutes("90s").unwrap_err().contains("whole minutes"));
        assert!(parse_minutes("0m").is_err());
        assert!(parse_minutes("30").is_err());
    }

    #[test]
    fn percentages_are_0_to_100() {
        assert_eq!(parse_percentage("90"), Ok(90.0));
        assert_eq!(parse_percentage("99.5"), Ok(99.5));
        for bad in ["-1", "100.1", "NaN", "inf", "ninety", ""] {
            assert!(parse_percentage(bad).is_err(), "{bad}");
        }
    }
}
