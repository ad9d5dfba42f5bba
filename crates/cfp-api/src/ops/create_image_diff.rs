//! `createImageDiff`: start an image difference analysis job.

use bytes::Bytes;
use cfp_model::DiffJob;
use cfp_model::params::CreateImageDiffParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A GET that starts a job: its retry class is `unsafe`, so it is retried
/// only when the request provably never left. Clanforge's failure envelope,
/// even with a 2xx status ("image locked by diffid: N"), is an
/// [`Error::Service`].
impl Operation for CreateImageDiffParams {
    type Output = DiffJob;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<DiffJob>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;
    use crate::ops::test_support::{DIFF_JOB, request, response};
    use cfp_model::params::Params;
    use cfp_model::{AccountServiceId, DiffId, ImageId, JobState, MachineId};

    fn params() -> CreateImageDiffParams {
        CreateImageDiffParams::new(AccountServiceId(1), ImageId(22), MachineId(333))
    }

    #[test]
    fn the_ids_go_in_the_query() {
        let req = request(&params()).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imagediff/create");
        assert_eq!(
            req.uri().query(),
            Some("accountserviceid=1&imageid=22&machineid=333")
        );
        assert!(req.body().is_empty());
        let req = request(&params().diff_id(DiffId(218_595))).unwrap();
        assert_eq!(
            req.uri().query(),
            Some("accountserviceid=1&imageid=22&machineid=333&diffid=218595")
        );
    }

    #[test]
    fn a_zero_id_is_refused_before_sending() {
        let mut p = params();
        p.machine_id = MachineId(0);
        let e = request(&p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "createImageDiff: invalid machineid: must be a positive id"
        );
    }

    #[test]
    fn a_job_decodes() {
        let job = CreateImageDiffParams::parse(&response(200, DIFF_JOB)).unwrap();
        assert_eq!(job.state(), JobState::Running);
        assert_eq!(job.eta.unwrap().as_secs(), 1_763_900_700);
    }

    #[test]
    fn the_failure_envelope_is_a_service_error_even_with_200() {
        let body = r#"{"success": false, "error": true, "error_code": 1,
            "error_message": "image locked by diffid: 218595", "messages": [], "_debug": []}"#;
        let e = CreateImageDiffParams::parse(&response(200, body)).unwrap_err();
        match &e {
            Error::Service {
                status: 200,
                error: ServiceError::Clanforge(c),
                ..
            } => assert_eq!(c.error_code, Some(1)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            "createImageDiff: image locked by diffid: 218595 (clanforge error 1) (http 200)"
        );
        assert_eq!(CreateImageDiffParams::OPERATION.name(), "createImageDiff");
    }
}
