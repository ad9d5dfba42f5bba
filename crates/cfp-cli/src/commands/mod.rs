//! The commands: one module per command group of the contract.

pub mod batch;
pub mod image;
pub mod imagediff;
pub mod patch;
pub mod task;
pub mod upload_job;

use cfp_api::model::AccountServiceId;

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
        Command::Image(c) => image::run(ctx, c).await,
        Command::Task(c) => task::run(ctx, c).await,
        Command::Batch(c) => batch::run(ctx, c).await,
        Command::UploadJob(args) => upload_job::run(ctx, args).await,
        Command::Patch(args) => patch::run(ctx, *args).await,
        // Handled before a client exists.
        Command::Demo(_) | Command::Config(_) | Command::Completions { .. } => Ok(()),
    }
}
