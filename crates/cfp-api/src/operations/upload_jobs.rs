//! ZStack upload-job details: the documented `PUT` with a JSON body, and the
//! `GET` with query parameters that ZStack's source declares (sent after a
//! 405).

use bytes::Bytes;
use cfp_model::zstack::GetUploadJobDetails;
use cfp_model::{OperationId, UploadJobDetails};

use super::request::{JSON_UTF8, RequestSpec};
use super::{Operation, response};
use crate::base_url::BaseUrl;
use crate::error::Error;

/// `getUploadJobDetails`: `PUT /zstack/v1/images/upload-job/details/{imageId}`
/// with `{"systemTags": [...], "userTags": [...]}` (`{}` without tags).
pub(crate) struct UploadJobsPutOp<'a>(pub(crate) &'a GetUploadJobDetails);

impl Operation for UploadJobsPutOp<'_> {
    type Output = UploadJobDetails;
    const ID: OperationId = OperationId::GetUploadJobDetails;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        check_tags(Self::ID, self.0)?;
        RequestSpec::new(Self::ID)
            .path(&self.0.image_id)
            .json(&self.0.body(), JSON_UTF8)?
            .build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<UploadJobDetails, Error> {
        response::zstack(Self::ID, response)
    }
}

/// `getUploadJobDetailsByQuery`: `GET /zstack/v1/images/upload-job/details/{imageId}?systemTags=…&userTags=…`.
pub(crate) struct UploadJobsGetOp<'a>(pub(crate) &'a GetUploadJobDetails);

impl Operation for UploadJobsGetOp<'_> {
    type Output = UploadJobDetails;
    const ID: OperationId = OperationId::GetUploadJobDetailsByQuery;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        check_tags(Self::ID, self.0)?;
        let mut spec = RequestSpec::new(Self::ID).path(&self.0.image_id);
        for t in &self.0.system_tags {
            spec = spec.query("systemTags", t);
        }
        for t in &self.0.user_tags {
            spec = spec.query("userTags", t);
        }
        spec.build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<UploadJobDetails, Error> {
        response::zstack(Self::ID, response)
    }
}

fn check_tags(op: OperationId, r: &GetUploadJobDetails) -> Result<(), Error> {
    for (field, tags) in [("systemTags", &r.system_tags), ("userTags", &r.user_tags)] {
        if tags.iter().any(|t| t.trim().is_empty()) {
            return Err(Error::invalid(op, field, "a tag is empty"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;
    use crate::operations::test_support::{base, response};
    use cfp_model::ZStackImageId;

    fn input(tags: bool) -> GetUploadJobDetails {
        let mut r = GetUploadJobDetails::new(
            ZStackImageId::new("ccf943310d86335bb3d2511ca8e14137").unwrap(),
        );
        if tags {
            r.system_tags = vec!["resumable::true".into(), "a b".into()];
            r.user_tags = vec!["release-1.4.2".into()];
        }
        r
    }

    #[test]
    fn put_sends_the_tags_as_a_json_body() {
        let req = UploadJobsPutOp(&input(true)).request(&base()).unwrap();
        assert_eq!(req.method(), http::Method::PUT);
        assert_eq!(
            req.uri().path(),
            "/prefix/zstack/v1/images/upload-job/details/ccf943310d86335bb3d2511ca8e14137"
        );
        assert_eq!(req.uri().query(), None);
        assert_eq!(
            req.headers()[http::header::CONTENT_TYPE],
            "application/json;charset=UTF-8"
        );
        let json: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"systemTags": ["resumable::true", "a b"], "userTags": ["release-1.4.2"]})
        );
        let req = UploadJobsPutOp(&input(false)).request(&base()).unwrap();
        assert_eq!(req.body().as_ref(), b"{}");
    }

    #[test]
    fn get_sends_the_tags_as_repeated_query_parameters() {
        let req = UploadJobsGetOp(&input(true)).request(&base()).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(
            req.uri().query(),
            Some("systemTags=resumable%3A%3Atrue&systemTags=a+b&userTags=release-1.4.2")
        );
        assert!(req.body().is_empty());
    }

    #[test]
    fn the_exponent_offset_decodes_exactly() {
        let body = r#"{ "existingJobDetails": [ { "longJobUuid": "0792dd52aeb9329cb1e677fae6465f23", "longJobState": "Suspended", "imageUuid": "ccf943310d86335bb3d2511ca8e14137", "imageUploadUrl": "http://127.0.0.1:8001/imagestore/upload", "offset": 452984832E8 } ] }"#;
        let d = UploadJobsPutOp::parse(&response(200, body)).unwrap();
        assert_eq!(
            d.existing_job_details[0].offset.unwrap().get(),
            45_298_483_200_000_000
        );
    }

    #[test]
    fn an_error_chain_in_a_200_is_a_service_error() {
        let body = r#"{"success": false, "error": {"code": "SYS.1001", "description": "A resource is not found",
            "cause": {"code": "SYS.1000", "description": "An internal error happened in system"}}}"#;
        let e = UploadJobsGetOp::parse(&response(200, body)).unwrap_err();
        assert!(matches!(e.service_error(), Some(ServiceError::ZStack(_))));
        assert!(e.to_string().contains("caused by SYS.1000"), "{e}");
        let e = UploadJobsPutOp::parse(&response(404, r#"{"error": {"code": "SYS.1001"}}"#))
            .unwrap_err();
        assert!(e.is_not_found());
    }

    #[test]
    fn an_empty_tag_is_invalid_input() {
        let mut r = input(false);
        r.user_tags.push(" ".into());
        assert!(
            UploadJobsPutOp(&r)
                .request(&base())
                .unwrap_err()
                .is_invalid_input()
        );
    }
}
