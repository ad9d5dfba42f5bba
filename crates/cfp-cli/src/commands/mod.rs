//! The commands: one module per command group of the contract.

pub mod batch;
pub mod fleet;
pub mod image;
pub mod imagediff;
pub mod imageinstall;
pub mod imageupdate;
pub mod imageversion;
pub mod patch;
pub mod task;
pub mod task_set;
pub mod upload_job;
pub mod zstack;

use cfp_api::model::{AccountServiceId, ImageId, ImageLock};

use crate::cli::Command;
use crate::context::Ctx;
use crate::error::CliError;

pub use task::batch_request;

/// The `--asid` flag of the command, if it has one and it was given.
pub fn asid_flag(command: &Command) -> Option<AccountServiceId> {
    command.asid()
}

/// Runs an API command.
pub async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Imagediff(c) => imagediff::run(ctx, c).await,
        Command::Imageupdate(c) => imageupdate::run(ctx, c).await,
        Command::Imageversion(c) => imageversion::run(ctx, c).await,
        Command::Imageinstall(c) => imageinstall::run(ctx, c).await,
        Command::Image(c) => image::run(ctx, c).await,
        Command::Fleet(c) => fleet::run(ctx, c).await,
        Command::Task(c) => task::run(ctx, c).await,
        Command::Batch(c) => batch::run(ctx, c).await,
        Command::UploadJob(args) => upload_job::run(ctx, args).await,
        Command::Zstack(c) => zstack::run(ctx, c).await,
        Command::Patch(args) => patch::run(ctx, *args).await,
        // Handled before a client exists.
        Command::Demo(_) | Command::Config(_) | Command::Completions { .. } => Ok(()),
    }
}

/// An update or diff of `image` refused because `lock` holds the image,
/// with the commands that release it.
pub(crate) fn locked_image(
    ctx: &Ctx,
    asid: AccountServiceId,
    image: ImageId,
    lock: ImageLock,
    e: cfp_api::Error,
) -> CliError {
    let sim = ctx.sim_flag();
    let hint = match lock {
        ImageLock::Diff(d) => format!(
            "it stays locked until a version is made from diff {d} or the diff is \
             rejected. See it with `cfp {sim}imagediff status --asid {asid} {d}`; then accept \
             it with `cfp {sim}imageversion create --asid {asid} --diff {d} --restart` (a \
             complete diff) or reject it with `cfp {sim}imagediff reject --asid {asid} {d}`"
        ),
        ImageLock::Update(u) => format!(
            "it stays locked while update {u} runs: wait for it with \
             `cfp {sim}imageupdate status --asid {asid} {u} --wait`"
        ),
    };
    CliError::api_with_hint(e, hint).with_subject(format!("image {image}"))
}
