//! `getUploadJobDetails`: an image's suspended or ongoing upload jobs, in
//! the documented `PUT` form, with the `GET` form of ZStack's source
//! (`getUploadJobDetailsByQuery`) after a 405.

use bytes::Bytes;
use cfp_model::UploadJobDetails;
use cfp_model::params::{GetUploadJobDetailsByQueryParams, GetUploadJobDetailsParams};

use crate::answer::Answer;
use crate::call::{Call, Operation};
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// Sends the documented `PUT` with a JSON body. A ZStack build that
/// declares the call as a `GET` (as ZStack's source does; newer servers
/// check the method) answers `405`; the client then sends the `GET` form
/// with `systemTags`/`userTags` query parameters once and uses it for every
/// later call (shared by all clones of the client). A failed call is
/// ZStack's 503 with its error chain: an [`Error::Service`], never retried;
/// an id that matches no upload job is a success with no jobs.
impl Operation for GetUploadJobDetailsParams {
    type Output = UploadJobDetails;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<UploadJobDetails>, Error> {
        response::zstack(Self::OPERATION, r)
    }

    async fn send(call: Call<Self>) -> Result<Answer<UploadJobDetails>, Error> {
        let client = &call.client;
        let p = &call.params;
        for (field, tags) in [
            ("systemTags", &p.body.system_tags),
            ("userTags", &p.body.user_tags),
        ] {
            if tags.iter().any(|t| t.trim().is_empty()) {
                return Err(Error::invalid(Self::OPERATION, field, "a tag is empty"));
            }
        }
        let by_query = GetUploadJobDetailsByQueryParams::new(p.image_id.clone())
            .system_tags(p.body.system_tags.clone())
            .user_tags(p.body.user_tags.clone());
        if client.upload_jobs_by_query() {
            return client.execute(&by_query).await;
        }
        let response = client.dispatch(p).await?;
        if response.status() == http::StatusCode::METHOD_NOT_ALLOWED {
            tracing::debug!("zstack refused the PUT form with 405; using the GET form from now on");
            client.remember_upload_jobs_by_query();
            return client.execute(&by_query).await;
        }
        client.read::<Self>(&response)
    }
}

/// The `GET` form; sent only by [`GetUploadJobDetailsParams`]'s call.
impl Operation for GetUploadJobDetailsByQueryParams {
    type Output = UploadJobDetails;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<UploadJobDetails>, Error> {
        response::zstack(Self::OPERATION, r)
    }
}

impl Call<GetUploadJobDetailsParams> {
    /// System tags (`systemTags`), e.g. `resumable::true`.
    pub fn system_tags(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.params.body.system_tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// User tags (`userTags`).
    pub fn user_tags(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.params.body.user_tags = tags.into_iter().map(Into::into).collect();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{UploadJobDetailsBody, ZStackImageId};

    fn image() -> ZStackImageId {
        ZStackImageId::new("ccf943310d86335bb3d2511ca8e14137").unwrap()
    }

    #[test]
    fn the_put_form_sends_the_tags_as_json() {
        let p = GetUploadJobDetailsParams::new(image()).body(UploadJobDetailsBody {
            system_tags: vec!["resumable::true".into()],
            user_tags: vec![],
        });
        let req = request(&p).unwrap();
        assert_eq!(req.method(), http::Method::PUT);
        assert_eq!(
            req.uri().path(),
            "/prefix/zstack/v1/images/upload-job/details/ccf943310d86335bb3d2511ca8e14137"
        );
        assert_eq!(
            req.headers()[http::header::CONTENT_TYPE],
            "application/json;charset=UTF-8"
        );
        assert_eq!(&req.body()[..], br#"{"systemTags":["resumable::true"]}"#);
        let empty = request(&GetUploadJobDetailsParams::new(image())).unwrap();
        assert_eq!(&empty.body()[..], b"{}");
    }

    #[test]
    fn the_get_form_sends_the_tags_as_repeated_query_pairs() {
        let p = GetUploadJobDetailsByQueryParams::new(image())
            .system_tags(["resumable::true", "a b"])
            .user_tags(["c&d"]);
        let req = request(&p).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(
            req.uri().query(),
            Some("systemTags=resumable%3A%3Atrue&systemTags=a%20b&userTags=c%26d")
        );
        assert!(p.target().is_ok());
    }

    #[test]
    fn no_jobs_and_failures() {
        let d = GetUploadJobDetailsParams::parse(&response(200, "{}")).unwrap();
        assert!(d.existing_job_details.is_empty());
        let e = GetUploadJobDetailsParams::parse(&response(
            503,
            r#"{"error": {"code": "SYS.1001", "description": "not found"}}"#,
        ))
        .unwrap_err();
        assert_eq!(e.status(), Some(503));
        assert!(!e.is_retryable());
    }
}
