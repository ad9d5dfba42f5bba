//! `cfp image status`.

use cfp_api::model::{AccountServiceId, ImageId};
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
    },
}

impl ImageCommand {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Self::Status { asid, .. } => asid.asid,
        }
    }
}

pub(super) async fn run(ctx: &Ctx, c: ImageCommand) -> Result<(), CliError> {
    let ImageCommand::Status {
        image,
        detail,
        wait_ready,
        fail_on_failed,
        ..
    } = c;
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
        "cfp {}image status --asid {asid} {image}{} --wait-ready{}",
        ctx.sim_flag(),
        if detail { " --detail" } else { "" },
        if fail_on_failed {
            " --fail-on-failed"
        } else {
            ""
        }
    );
    let done = wait_for(ctx, waiter, reattach, async |_| Vec::new()).await?;
    ctx.print(&done)
}
