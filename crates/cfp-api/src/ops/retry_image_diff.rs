//! `retryImageDiff`: recalculate a complete or failed diff.

use bytes::Bytes;
use cfp_model::DiffJob;
use cfp_model::params::RetryImageDiffParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// Starts the job again: retried only when the request provably never left.
impl Operation for RetryImageDiffParams {
    type Output = DiffJob;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<DiffJob>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{DIFF_JOB, request, response};
    use cfp_model::{AccountServiceId, DiffId};

    #[test]
    fn the_diff_goes_in_the_path() {
        let req = request(&RetryImageDiffParams::new(
            DiffId(218_595),
            AccountServiceId(1),
        ))
        .unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imagediff/218595/retry");
        assert_eq!(req.uri().query(), Some("accountserviceid=1"));
        assert!(RetryImageDiffParams::parse(&response(200, DIFF_JOB)).is_ok());
    }
}
