//! `getImageVersionStatus`: an image version job's state and progress.

use bytes::Bytes;
use cfp_model::VersionJob;
use cfp_model::params::GetImageVersionStatusParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read, safe to repeat; see [`Clanforge::wait_for_version`](crate::Clanforge::wait_for_version)
/// to wait for the job.
impl Operation for GetImageVersionStatusParams {
    type Output = VersionJob;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<VersionJob>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{AccountServiceId, ImageVersionId};

    #[test]
    fn the_version_goes_in_the_path() {
        let req = request(&GetImageVersionStatusParams::new(ImageVersionId(5101), AccountServiceId(1))).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imageversion/5101/status");
        let v = GetImageVersionStatusParams::parse(&response(
            200,
            r#"{"imageversionid": 5101, "jobcreated": 1763900000, "jobfailed": 0, "jobprogress": 100,
                "jobstateid": 5, "jobstatename": "Complete", "jobupdated": 1763900600}"#,
        ))
        .unwrap();
        assert!(v.state().is_success());
    }
}
