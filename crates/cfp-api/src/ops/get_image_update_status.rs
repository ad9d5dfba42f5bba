//! `getImageUpdateStatus`: an image update job's state and progress.

use bytes::Bytes;
use cfp_model::UpdateJob;
use cfp_model::params::GetImageUpdateStatusParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read, safe to repeat; see [`Clanforge::wait_for_update`](crate::Clanforge::wait_for_update)
/// to wait for the job. A failed job answers with `success: false`: the job,
/// in its failed state, not an error.
impl Operation for GetImageUpdateStatusParams {
    type Output = UpdateJob;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<UpdateJob>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{AccountServiceId, UpdateId};

    #[test]
    fn the_update_goes_in_the_path() {
        let req = request(&GetImageUpdateStatusParams::new(UpdateId(7001), AccountServiceId(1))).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imageupdate/7001/status");
        assert_eq!(req.uri().query(), Some("accountserviceid=1"));
        let failed = GetImageUpdateStatusParams::parse(&response(
            200,
            r#"{"updateid": 7001, "jobcreated": 1763900000, "joberror": "download failed",
                "jobfailed": 1, "jobprogress": 10, "jobstateid": 6, "jobstatename": "Failed",
                "jobupdated": 1763900100, "success": false}"#,
        ))
        .unwrap();
        assert!(failed.has_failed());
        assert_eq!(failed.error_message(), Some("download failed"));
    }
}
