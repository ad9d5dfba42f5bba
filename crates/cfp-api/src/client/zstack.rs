//! ZStack methods: upload-job details, with the 405 fallback.

use cfp_model::UploadJobDetails;
use cfp_model::zstack::GetUploadJobDetails;

use super::Client;
use crate::error::Error;
use crate::operations::Operation as _;
use crate::operations::upload_jobs::{UploadJobsGetOp, UploadJobsPutOp};

impl Client {
    /// Reads the suspended or ongoing upload jobs of an image: where to
    /// continue an upload and from which byte offset.
    ///
    /// Sends the documented `PUT /zstack/v1/images/upload-job/details/{imageId}`
    /// with a JSON body. A ZStack build that declares the call as a `GET`
    /// (as ZStack's source does) answers `405`; the client then sends the
    /// `GET` form with `systemTags`/`userTags` query parameters once
    /// (`getUploadJobDetailsByQuery`) and uses that form for every later
    /// call. The choice is shared by all clones of the client. ZStack may
    /// report failure inside a 200: that is an [`Error::Service`] with the
    /// chain of causes.
    #[doc(alias = "getUploadJobDetails")]
    #[doc(alias = "getUploadJobDetailsByQuery")]
    pub async fn upload_job_details(
        &self,
        request: &GetUploadJobDetails,
    ) -> Result<UploadJobDetails, Error> {
        if self.upload_jobs_by_query() {
            return self.execute(&UploadJobsGetOp(request)).await;
        }
        let put = UploadJobsPutOp(request);
        let response = self.send(&put).await?;
        if response.status() == http::StatusCode::METHOD_NOT_ALLOWED {
            tracing::debug!("zstack refused the PUT form with 405; using the GET form from now on");
            self.remember_upload_jobs_by_query();
            return self.execute(&UploadJobsGetOp(request)).await;
        }
        UploadJobsPutOp::parse(&response).map_err(|e| self.redact(UploadJobsPutOp::ID, e))
    }
}
