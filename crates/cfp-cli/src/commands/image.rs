//! `cfp image status`.

use crate::cli::ImageCommand;
use crate::context::Ctx;
use crate::error::CliError;
use crate::wait::wait_for;

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
