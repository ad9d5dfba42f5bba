//! `cfp imagediff create | retry | status`.

use crate::cli::ImagediffCommand;
use crate::context::Ctx;
use crate::error::CliError;
use crate::wait::wait_for;

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
            (call.send().await?, wait, false)
        }
        ImagediffCommand::Retry { diff, wait, .. } => {
            (cf.retry_image_diff(diff).send().await?, wait, false)
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
