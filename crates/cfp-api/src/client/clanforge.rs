//! Clanforge methods: image diffs and image rollout status.

use cfp_model::clanforge::{CreateImageDiff, GetImageDiffStatus, GetImageStatus, RetryImageDiff};
use cfp_model::{DiffJob, DiffStatus, ImageStatus};

use super::Client;
use crate::error::Error;
use crate::operations::image_diff::{CreateDiffOp, DiffStatusOp, RetryDiffOp};
use crate::operations::image_status::ImageStatusOp;

impl Client {
    /// Starts an image difference analysis job between the latest version
    /// of an image and a machine's files (with `diff_id` set, Clanforge
    /// retries that diff instead).
    ///
    /// `GET /cfp/v1/imagediff/create`. It starts a job, so it is retried
    /// only when the request provably never left. A Clanforge failure
    /// envelope, even with a 2xx status, is an [`Error::Service`].
    #[doc(alias = "createImageDiff")]
    pub async fn create_image_diff(&self, request: &CreateImageDiff) -> Result<DiffJob, Error> {
        self.execute(&CreateDiffOp(request)).await
    }

    /// Recalculates a complete or failed image diff.
    ///
    /// `GET /cfp/v1/imagediff/{diffid}/retry`; retried only when the request
    /// provably never left.
    #[doc(alias = "retryImageDiff")]
    pub async fn retry_image_diff(&self, request: RetryImageDiff) -> Result<DiffJob, Error> {
        self.execute(&RetryDiffOp(request)).await
    }

    /// Reads the state and progress of an image diff job (with `info`, also
    /// the game, image and machine).
    ///
    /// `GET /cfp/v1/imagediff/{diffid}/status`. See
    /// [`wait_for_diff`](Client::wait_for_diff) to wait for the job.
    #[doc(alias = "getImageDiffStatus")]
    pub async fn image_diff_status(
        &self,
        request: GetImageDiffStatus,
    ) -> Result<DiffStatus, Error> {
        self.execute(&DiffStatusOp(request)).await
    }

    /// Reads the rollout status of an image over fleets and regions (with
    /// `detail`, per fleet and region).
    ///
    /// `GET /cfp/v2/project/{accountserviceid}/image/{imageid}/status`. See
    /// [`wait_for_rollout`](Client::wait_for_rollout) to wait until no
    /// machine is pending.
    #[doc(alias = "getImageStatus")]
    pub async fn image_status(&self, request: GetImageStatus) -> Result<ImageStatus, Error> {
        self.execute(&ImageStatusOp(request)).await
    }
}
