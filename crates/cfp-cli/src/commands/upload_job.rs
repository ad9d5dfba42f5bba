//! `cfp upload-job`.

use crate::cli::UploadJobArgs;
use crate::context::Ctx;
use crate::error::CliError;

pub(super) async fn run(ctx: &Ctx, args: UploadJobArgs) -> Result<(), CliError> {
    let details = ctx
        .client
        .get_upload_job_details(args.image)
        .system_tags(args.system_tags)
        .user_tags(args.user_tags)
        .send()
        .await?;
    ctx.print(&details)
}
