//! `getImageDiffStatus`: a diff job's state, progress and changed files.

use bytes::Bytes;
use cfp_model::DiffStatus;
use cfp_model::params::GetImageDiffStatusParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read; see [`Clanforge::wait_for_diff`](crate::Clanforge::wait_for_diff)
/// to wait for the job. A job that failed answers with its job fields and
/// `success: false`: that is the job in its failed state, not an error.
impl Operation for GetImageDiffStatusParams {
    type Output = DiffStatus;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<DiffStatus>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{AccountServiceId, DiffId};

    #[test]
    fn info_is_sent_as_diff_info_1() {
        let p = GetImageDiffStatusParams::new(DiffId(5), AccountServiceId(1));
        assert_eq!(
            request(&p).unwrap().uri().query(),
            Some("accountserviceid=1")
        );
        let req = request(&p.info(true)).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imagediff/5/status");
        assert_eq!(req.uri().query(), Some("accountserviceid=1&diff_info=1"));
    }

    #[test]
    fn a_missing_field_is_a_decode_error_with_its_path() {
        let e = GetImageDiffStatusParams::parse(&response(200, r#"{"diffid": 1}"#)).unwrap_err();
        match e {
            Error::Decode { source, .. } => assert!(source.message.contains("missing field")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_401_envelope_is_an_auth_service_error() {
        let body =
            r#"{"success": false, "error": true, "error_code": 401, "error_message": "bad key"}"#;
        let e = GetImageDiffStatusParams::parse(&response(401, body)).unwrap_err();
        assert!(e.is_auth());
        assert!(e.service_error().is_some());
    }
}
