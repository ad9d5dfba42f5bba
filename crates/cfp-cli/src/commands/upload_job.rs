//! `cfp upload-job`.

use cfp_api::model::ZStackImageId;
use clap::Args;

use crate::context::Ctx;
use crate::error::CliError;

/// `cfp upload-job`.
#[derive(Debug, Args)]
pub struct UploadJobArgs {
    /// The ZStack image id
    #[arg(value_name = "IMAGEID")]
    pub image: ZStackImageId,

    /// A system tag (repeatable)
    #[arg(long = "system-tag", value_name = "T")]
    pub system_tags: Vec<String>,

    /// A user tag (repeatable)
    #[arg(long = "user-tag", value_name = "T")]
    pub user_tags: Vec<String>,
}

pub(super) async fn run(ctx: &Ctx, args: UploadJobArgs) -> Result<(), CliError> {
    let details = ctx
        .client
        .get_upload_job_details(args.image)
        .system_tags(args.system_tags)
        .user_tags(args.user_tags)
        .send()
        .await?;
    ctx.print_list(&details, Some("existingJobDetails"))
}
