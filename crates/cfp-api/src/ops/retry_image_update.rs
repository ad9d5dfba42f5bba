//! `retryImageUpdate`: run a failed image update job again.

use bytes::Bytes;
use cfp_model::UpdateJob;
use cfp_model::params::RetryImageUpdateParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// Starts the job again: retried only when the request provably never left.
/// No vendor page documents it; the path mirrors diff retry.
impl Operation for RetryImageUpdateParams {
    type Output = UpdateJob;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<UpdateJob>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::request;
    use cfp_model::{AccountServiceId, UpdateId};

    #[test]
    fn the_update_goes_in_the_path() {
        let req = request(&RetryImageUpdateParams::new(UpdateId(7001), AccountServiceId(1))).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imageupdate/7001/retry");
        assert_eq!(req.uri().query(), Some("accountserviceid=1"));
    }
}
