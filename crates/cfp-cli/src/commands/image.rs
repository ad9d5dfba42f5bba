//! `cfp image status | options`.

use cfp_api::model::{AccountServiceId, GameId, ImageId};
use clap::Subcommand;

use crate::cli::Asid;
use crate::context::Ctx;
use crate::error::CliError;
use crate::wait::wait_for;

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
        /// With --wait-ready: pass for an image on no machine (all counts
        /// zero) instead of exit 5
        #[arg(long, requires = "wait_ready")]
        allow_empty: bool,
    },

    /// Show the games, images and reference machines; for one image, what
    /// locks it and its default update URL
    ///
    /// An image is locked by a diff of it until a version is made from the
    /// diff or it is rejected, and by an update of it while that runs: no
    /// new update or diff of it starts meanwhile. The default update URL
    /// may carry storage credentials: the table masks it, and JSON output
    /// has its credentials redacted.
    #[command(after_help = "Examples:\n  cfp image options --asid 1\n  \
                            cfp image options --asid 1 --game 1 --image 3   # locked by diff 218590?")]
    #[doc(alias = "getImageOptions")]
    Options {
        #[command(flatten)]
        asid: Asid,
        /// The game of the image (with --image)
        #[arg(long, value_name = "ID", requires = "image")]
        game: Option<GameId>,
        /// The image whose lock and default update URL to show (with --game)
        #[arg(long, value_name = "ID", requires = "game")]
        image: Option<ImageId>,
    },
}

impl ImageCommand {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Self::Status { asid, .. } | Self::Options { asid, .. } => asid.asid,
        }
    }
}

pub(super) async fn run(ctx: &Ctx, c: ImageCommand) -> Result<(), CliError> {
    let (image, detail, wait_ready, fail_on_failed, allow_empty) = match c {
        ImageCommand::Status {
            image,
            detail,
            wait_ready,
            fail_on_failed,
            allow_empty,
            ..
        } => (image, detail, wait_ready, fail_on_failed, allow_empty),
        ImageCommand::Options { game, image, .. } => return options(ctx, game, image).await,
    };
    let asid = ctx.asid()?;
    let cf = ctx.client.clanforge(asid);
    if !wait_ready {
        let status = cf.get_image_status(image).detail(detail).send().await?;
        return ctx.print(&status);
    }
    let waiter = cf
        .wait_for_rollout(image)
        .detail(detail)
        .fail_on_failed(fail_on_failed);
    let reattach = format!(
        "cfp {}image status --asid {asid} {image}{} --wait-ready{}{}",
        ctx.sim_flag(),
        if detail { " --detail" } else { "" },
        if fail_on_failed {
            " --fail-on-failed"
        } else {
            ""
        },
        if allow_empty { " --allow-empty" } else { "" }
    );
    let done = wait_for(ctx, waiter, reattach, async |_| Vec::new()).await?;
    ctx.print(&done)?;
    // Nothing pending because nothing is there: a gate that passed here
    // would let a rollout through that never reached a machine.
    let machines =
        done.pending_machines + done.completed_machines + done.failed_machines.unwrap_or(0);
    if machines == 0 && !allow_empty {
        return Err(CliError::WaitFailed {
            message: format!(
                "image {image} is on no machine: no machine is pending, installed or failed, \
                 so its rollout cannot be ready"
            ),
            details: vec![format!(
                "check the image id and its fleets (`{}image status --asid {asid} {image} --detail`); \
                 add --allow-empty if an image on no machine is expected",
                ctx.cfp()
            )],
        });
    }
    Ok(())
}

/// `cfp image options`: fetched, the update URL's secrets protected, then
/// printed — the JSON is the vendor's, which holds the URL.
async fn options(ctx: &Ctx, game: Option<GameId>, image: Option<ImageId>) -> Result<(), CliError> {
    let asid = ctx.asid()?;
    let mut call = ctx.client.clanforge(asid).get_image_options();
    if let (Some(g), Some(i)) = (game, image) {
        call = call.game_id(g).image_id(i);
    }
    let options = call.send().await?;
    if let Some(url) = &options.update_url {
        crate::shield::protect_update_url(url);
    }
    ctx.print(&options)
}
