//! `rejectImageDiff`: reject a complete or failed diff, unlocking the image.

use bytes::Bytes;
use cfp_model::DiffRejection;
use cfp_model::params::RejectImageDiffParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A GET that changes state: retried only when the request provably never
/// left. `reinstall` is always sent (`0` or `1`): the vendor requires it.
impl Operation for RejectImageDiffParams {
    type Output = DiffRejection;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<DiffRejection>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{AccountServiceId, DiffId};

    #[test]
    fn reinstall_is_always_sent_and_both_answers_decode() {
        let req = request(&RejectImageDiffParams::new(DiffId(5), AccountServiceId(1), false)).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imagediff/5/reject");
        assert_eq!(req.uri().query(), Some("accountserviceid=1&reinstall=0"));
        let r = RejectImageDiffParams::parse(&response(200, r#"{"diffid": 5}"#)).unwrap();
        assert_eq!(*r, DiffRejection::Rejected { diff_id: DiffId(5) });
        let r = RejectImageDiffParams::parse(&response(
            200,
            r#"{"uninstalljobid": 9101, "jobcreated": 1763900000, "jobfailed": 0, "jobprogress": 0,
                "jobstateid": 1, "jobstatename": "Created", "jobupdated": 1763900000}"#,
        ))
        .unwrap();
        assert!(r.uninstall_job().is_some());
    }
}
