//! Clanforge image difference analysis: create, retry, status.

use bytes::Bytes;
use cfp_model::clanforge::{CreateImageDiff, GetImageDiffStatus, RetryImageDiff};
use cfp_model::{DiffJob, DiffStatus, OperationId};

use super::request::RequestSpec;
use super::{Operation, positive, response};
use crate::base_url::BaseUrl;
use crate::error::Error;

/// `createImageDiff`: `GET /cfp/v1/imagediff/create?accountserviceid&imageid&machineid[&diffid]`.
pub(crate) struct CreateDiffOp<'a>(pub(crate) &'a CreateImageDiff);

impl Operation for CreateDiffOp<'_> {
    type Output = DiffJob;
    const ID: OperationId = OperationId::CreateImageDiff;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        let r = self.0;
        positive(Self::ID, "accountserviceid", r.account_service_id.get())?;
        positive(Self::ID, "imageid", r.image_id.get())?;
        positive(Self::ID, "machineid", r.machine_id.get())?;
        let mut spec = RequestSpec::new(Self::ID)
            .query("accountserviceid", r.account_service_id)
            .query("imageid", r.image_id)
            .query("machineid", r.machine_id);
        if let Some(diff) = r.diff_id {
            positive(Self::ID, "diffid", diff.get())?;
            spec = spec.query("diffid", diff);
        }
        spec.build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<DiffJob, Error> {
        response::clanforge(Self::ID, response)
    }
}

/// `retryImageDiff`: `GET /cfp/v1/imagediff/{diffid}/retry?accountserviceid`.
pub(crate) struct RetryDiffOp(pub(crate) RetryImageDiff);

impl Operation for RetryDiffOp {
    type Output = DiffJob;
    const ID: OperationId = OperationId::RetryImageDiff;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        let r = self.0;
        positive(Self::ID, "diffid", r.diff_id.get())?;
        positive(Self::ID, "accountserviceid", r.account_service_id.get())?;
        RequestSpec::new(Self::ID)
            .path(r.diff_id)
            .query("accountserviceid", r.account_service_id)
            .build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<DiffJob, Error> {
        response::clanforge(Self::ID, response)
    }
}

/// `getImageDiffStatus`: `GET /cfp/v1/imagediff/{diffid}/status?accountserviceid[&diff_info=1]`.
pub(crate) struct DiffStatusOp(pub(crate) GetImageDiffStatus);

impl Operation for DiffStatusOp {
    type Output = DiffStatus;
    const ID: OperationId = OperationId::GetImageDiffStatus;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        let r = self.0;
        positive(Self::ID, "diffid", r.diff_id.get())?;
        positive(Self::ID, "accountserviceid", r.account_service_id.get())?;
        let mut spec = RequestSpec::new(Self::ID)
            .path(r.diff_id)
            .query("accountserviceid", r.account_service_id);
        if r.info {
            spec = spec.query("diff_info", 1u64);
        }
        spec.build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<DiffStatus, Error> {
        response::clanforge(Self::ID, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;
    use crate::operations::test_support::{DIFF_JOB, base, response};
    use cfp_model::{AccountServiceId, DiffId, ImageId, JobState, MachineId};

    fn create(diff: Option<u64>) -> CreateImageDiff {
        CreateImageDiff {
            account_service_id: AccountServiceId(1),
            image_id: ImageId(22),
            machine_id: MachineId(333),
            diff_id: diff.map(DiffId),
        }
    }

    #[test]
    fn create_sends_the_ids_as_query_parameters() {
        let req = CreateDiffOp(&create(None)).request(&base()).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imagediff/create");
        assert_eq!(
            req.uri().query(),
            Some("accountserviceid=1&imageid=22&machineid=333")
        );
        assert!(req.body().is_empty());
        let req = CreateDiffOp(&create(Some(218_595)))
            .request(&base())
            .unwrap();
        assert_eq!(
            req.uri().query(),
            Some("accountserviceid=1&imageid=22&machineid=333&diffid=218595")
        );
    }

    #[test]
    fn create_refuses_zero_ids_before_sending() {
        let mut r = create(None);
        r.machine_id = MachineId(0);
        let e = CreateDiffOp(&r).request(&base()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "createImageDiff: invalid machineid: must be a positive id"
        );
    }

    #[test]
    fn retry_and_status_put_the_diff_in_the_path() {
        let req = RetryDiffOp(RetryImageDiff {
            account_service_id: AccountServiceId(1),
            diff_id: DiffId(218_595),
        })
        .request(&base())
        .unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imagediff/218595/retry");
        assert_eq!(req.uri().query(), Some("accountserviceid=1"));
        let status = |info| {
            DiffStatusOp(GetImageDiffStatus {
                account_service_id: AccountServiceId(1),
                diff_id: DiffId(5),
                info,
            })
            .request(&base())
            .unwrap()
        };
        assert_eq!(
            status(true).uri().query(),
            Some("accountserviceid=1&diff_info=1")
        );
        assert_eq!(status(false).uri().query(), Some("accountserviceid=1"));
        assert_eq!(
            status(false).uri().path(),
            "/prefix/cfp/v1/imagediff/5/status"
        );
    }

    #[test]
    fn a_job_decodes() {
        let job = CreateDiffOp::parse(&response(200, DIFF_JOB)).unwrap();
        assert_eq!(job.state(), JobState::Running);
        assert_eq!(job.eta.unwrap().as_secs(), 1_763_900_700);
    }

    #[test]
    fn the_failure_envelope_is_a_service_error_even_with_200() {
        let body = r#"{"success": false, "error": true, "error_code": 1,
            "error_message": "image locked by diffid: 218595", "messages": [], "_debug": []}"#;
        let e = CreateDiffOp::parse(&response(200, body)).unwrap_err();
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
    }

    #[test]
    fn a_401_envelope_is_an_auth_service_error() {
        let body =
            r#"{"success": false, "error": true, "error_code": 401, "error_message": "bad key"}"#;
        let e = DiffStatusOp::parse(&response(401, body)).unwrap_err();
        assert!(e.is_auth());
        assert!(e.service_error().is_some());
    }

    #[test]
    fn a_missing_field_is_a_decode_error_with_its_path() {
        let e = DiffStatusOp::parse(&response(200, r#"{"diffid": 1}"#)).unwrap_err();
        match e {
            Error::Decode { source, .. } => assert!(source.message.contains("missing field")),
            other => panic!("{other:?}"),
        }
    }
}
