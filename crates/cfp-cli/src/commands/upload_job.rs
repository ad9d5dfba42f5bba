//! `cfp upload-job`.

use cfp_api::model::{UploadJobDetails, ZStackImageId};
use clap::Args;

use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::{Col, Grid};
use crate::output::table::text;

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

// -- How people see it --------------------------------------------------------

impl Table for UploadJobDetails {
    fn table(&self) -> String {
        if self.existing_job_details.is_empty() {
            return "no upload jobs\n".into();
        }
        let mut t = Grid::new([
            Col::keep("long job").drop(1),
            Col::text("state"),
            Col::keep("image uuid").drop(3),
            Col::keep("offset (bytes)").right().drop(2),
            Col::keep("upload url"),
        ]);
        let dash = || "-".to_owned();
        for j in &self.existing_job_details {
            t.row(vec![
                text(j.long_job_uuid.clone().unwrap_or_else(dash)),
                text(j.long_job_state.clone().unwrap_or_else(dash)),
                text(j.image_uuid.clone().unwrap_or_else(dash)),
                text(j.offset.map(|o| o.to_string()).unwrap_or_else(dash)),
                text(j.image_upload_url.clone().unwrap_or_else(dash)),
            ]);
        }
        t.render()
    }
}
