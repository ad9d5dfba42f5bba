//! `cfp imagediff create | retry | status | reject`.

use cfp_api::model::{
    AccountServiceId, DiffId, DiffJob, DiffRejection, DiffStatus, ImageId, MachineId,
};
use clap::Subcommand;

use super::locked_image;
use crate::cli::Asid;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::key_values;
use crate::output::table::job_rows;
use crate::wait::wait_for;

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

    /// Reject a complete or failed diff, unlocking its image
    ///
    /// By default the reference machine is left as it is (reinstall=0);
    /// with --reinstall it is reinstalled to the image's last good state,
    /// and the answer is that uninstall job.
    #[command(after_help = "Examples:\n  cfp imagediff reject --asid 1 218589\n  \
                            cfp imagediff reject --asid 1 218589 --reinstall   # and reset the reference machine")]
    #[doc(alias = "rejectImageDiff")]
    Reject {
        #[command(flatten)]
        asid: Asid,
        /// The diff (complete or failed)
        #[arg(value_name = "DIFFID", allow_negative_numbers = true)]
        diff: DiffId,
        /// Also reinstall the reference machine to the image's last good
        /// state [default: leave it as it is]
        #[arg(long)]
        reinstall: bool,
    },
}

impl ImagediffCommand {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Self::Create { asid, .. }
            | Self::Retry { asid, .. }
            | Self::Status { asid, .. }
            | Self::Reject { asid, .. } => asid.asid,
        }
    }
}

pub(super) async fn run(ctx: &Ctx, c: ImagediffCommand) -> Result<(), CliError> {
    let asid = ctx.asid()?;
    let cf = ctx.client.clanforge(asid);
    let (job, wait, info) = match c {
        ImagediffCommand::Create {
            image,
            machine,
            diff,
            wait,
            ..
        } => {
            let mut call = cf.create_image_diff(image, machine);
            if let Some(d) = diff {
                call = call.diff_id(d);
            }
            let job = call.send().await.map_err(|e| {
                if let Some(lock) = crate::error::image_lock(&e) {
                    return locked_image(ctx, asid, image, lock, e);
                }
                match diff {
                    Some(d) => CliError::outcome_unknown(
                        e,
                        format!("image diff create --diff {d} (a retry of diff {d})"),
                        CliError::check_with(&diff_status(ctx, asid, &d.to_string())),
                    ),
                    None => CliError::outcome_unknown(
                        e,
                        format!("image diff create for image {image} on machine {machine}"),
                        created_diff_hint(ctx, asid, image, machine),
                    ),
                }
            })?;
            (job, wait, false)
        }
        ImagediffCommand::Retry { diff, wait, .. } => {
            let job = cf.retry_image_diff(diff).send().await.map_err(|e| {
                CliError::outcome_unknown(
                    e,
                    format!("image diff retry of diff {diff}"),
                    CliError::check_with(&diff_status(ctx, asid, &diff.to_string())),
                )
            })?;
            (job, wait, false)
        }
        ImagediffCommand::Reject {
            diff, reinstall, ..
        } => {
            let rejected = cf
                .reject_image_diff(diff, reinstall)
                .send()
                .await
                .map_err(|e| {
                    CliError::outcome_unknown(
                        e,
                        format!("image diff reject of diff {diff}"),
                        format!(
                            "cfp did not send it again. If it was carried out, diff {diff} no \
                             longer locks its image: `{}` names the image and game, and `cfp {}image \
                             options --asid {asid} --game GAMEID --image IMAGEID` shows what locks it",
                            diff_status(ctx, asid, &format!("{diff} --info")),
                            ctx.sim_flag()
                        ),
                    )
                })?;
            return ctx.print(&rejected);
        }
        ImagediffCommand::Status {
            diff, info, wait, ..
        } => {
            if !wait {
                let status = cf.get_image_diff_status(diff).info(info).send().await?;
                return ctx.print(&status);
            }
            let reattach = format!(
                "cfp {}imagediff status --asid {asid} {diff}{} --wait",
                ctx.sim_flag(),
                if info { " --info" } else { "" }
            );
            let done = wait_for(
                ctx,
                cf.wait_for_diff(diff).info(info),
                reattach,
                async |_| Vec::new(),
            )
            .await?;
            return ctx.print(&done);
        }
    };
    if !wait {
        return ctx.print(&job);
    }
    let reattach = format!(
        "cfp {}imagediff status --asid {asid} {} --wait",
        ctx.sim_flag(),
        job.diff_id
    );
    let waiter = cf.wait_for_diff(job.diff_id).info(info);
    let done = wait_for(ctx, waiter, reattach, async |_| Vec::new()).await?;
    ctx.print(&done)
}

/// `cfp imagediff status --asid A DIFF`.
fn diff_status(ctx: &Ctx, asid: AccountServiceId, diff: &str) -> String {
    format!(
        "cfp {}imagediff status --asid {asid} {diff}",
        ctx.sim_flag()
    )
}

/// How to find a diff whose create may have been carried out: its id never
/// arrived, and cfp has no command that lists diffs.
fn created_diff_hint(
    ctx: &Ctx,
    asid: AccountServiceId,
    image: ImageId,
    machine: MachineId,
) -> String {
    format!(
        "cfp did not send it again. If it was carried out, the newest diff of image {image} on \
         machine {machine} is the new one: check it with `{}` before running the create again. \
         cfp cannot list diffs yet; while that diff runs, a new create is refused with \
         \"image locked by diffid: N\", which names it",
        diff_status(ctx, asid, "DIFFID")
    )
}

// -- How people see it --------------------------------------------------------

impl Table for DiffJob {
    fn table(&self) -> String {
        key_values(&job_rows("diff", self.diff_id.to_string(), self))
    }
}

impl Table for DiffRejection {
    fn table(&self) -> String {
        match self {
            Self::Rejected { diff_id } => format!(
                "diff {diff_id} rejected: the image is no longer locked by it; the reference \
                 machine was left as it is\n"
            ),
            Self::Reinstalling(job) => {
                let mut out = String::from(
                    "diff rejected: the image is no longer locked by it; the reference machine \
                     is being reinstalled to the image's last good state\n\n",
                );
                out.push_str(&key_values(&job_rows(
                    "uninstall job",
                    job.uninstall_job_id.to_string(),
                    job,
                )));
                out
            }
        }
    }
}

impl Table for DiffStatus {
    fn table(&self) -> String {
        let mut rows = job_rows("diff", self.job.diff_id.to_string(), &self.job);
        for (label, info) in [
            ("game", &self.game),
            ("image", &self.image),
            ("machine", &self.machine),
        ] {
            if let Some(i) = info {
                let id = i
                    .game_id
                    .map(|v| v.to_string())
                    .or(i.image_id.map(|v| v.to_string()))
                    .or(i.machine_id.map(|v| v.to_string()));
                let shown = match (id, &i.name) {
                    (Some(id), Some(n)) => format!("{id} {n}"),
                    (Some(id), None) => id,
                    (None, Some(n)) => n.clone(),
                    (None, None) => "-".into(),
                };
                rows.push((label, shown));
            }
        }
        let mut out = key_values(&rows);
        if self.job.state().is_success() {
            out.push_str(&diff_summary(self));
        }
        out
    }
}

/// How many of the largest paths of each kind the summary lists.
const SUMMARY_PATHS: usize = 5;

/// `changes  added 2 · modified 3 · removed 0`, then the largest paths of
/// each kind (`+` added, `~` modified, `-` removed) with their sizes.
fn diff_summary(status: &DiffStatus) -> String {
    let summary = status.summary(SUMMARY_PATHS);
    let mut out = format!(
        "\nchanges  added {} · modified {} · removed {}\n",
        summary.added.count, summary.modified.count, summary.removed.count
    );
    if status.has_no_changes() {
        out.push_str(
            "         no file changed: a version made from this diff must be a full one\n",
        );
        return out;
    }
    for (mark, kind) in [
        ('+', &summary.added),
        ('~', &summary.modified),
        ('-', &summary.removed),
    ] {
        for (path, size) in &kind.largest {
            let size = size.map(bytes).unwrap_or_default();
            out.push_str(&format!("  {mark} {path}  {size}\n"));
        }
        if kind.count > kind.largest.len() {
            out.push_str(&format!(
                "  {mark} … and {} more\n",
                kind.count - kind.largest.len()
            ));
        }
    }
    out
}

/// A size for people: `512 B`, `4.0 KiB`, `256.0 MiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
