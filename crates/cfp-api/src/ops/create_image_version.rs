//! `createImageVersion`: accept a complete diff — build the image version
//! and install it on the fleets that run the image.

use bytes::Bytes;
use cfp_model::params::CreateImageVersionParams;
use cfp_model::{InstallAt, VersionJob};

use crate::answer::Answer;
use crate::call::{Call, Operation};
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A GET that starts a job: retried only when the request provably never
/// left. Without [`install_at`](Call::install_at) the call sends `NOW()`:
/// an older vendor page says an install without it waits for a manual
/// start, and a patch that silently never installs is the worse surprise.
/// `disable_timeout` without `disable_percentage` is refused before
/// sending (the vendor reads the timeout only with the percentage).
impl Operation for CreateImageVersionParams {
    type Output = VersionJob;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<VersionJob>, Error> {
        response::clanforge(Self::OPERATION, r)
    }

    async fn send(mut call: Call<Self>) -> Result<Answer<VersionJob>, Error> {
        let p = &mut call.params;
        if p.disable_timeout.is_some() && p.disable_percentage.is_none() {
            return Err(Error::invalid(
                Self::OPERATION,
                "disable_timeout",
                "it applies only with disable_percentage",
            ));
        }
        if p.install_at.is_none() {
            p.install_at = Some(InstallAt::Now);
        }
        call.client.execute(&call.params).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{AccountServiceId, DiffId, ImageVersionId};

    #[test]
    fn the_options_go_in_the_query_in_spec_order() {
        let p = CreateImageVersionParams::new(AccountServiceId(1), DiffId(218_595), true)
            .game_build("1.4.2".into())
            .install_at(InstallAt::Now)
            .disable_timeout(30)
            .disable_percentage(90.5);
        let req = request(&p).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imageversion/create");
        assert_eq!(
            req.uri().query(),
            Some(
                "accountserviceid=1&diffid=218595&restart=1&game_build=1.4.2&install_at=NOW%28%29&disable_timeout=30&disable_percentage=90.5"
            )
        );
        let over = CreateImageVersionParams::new(AccountServiceId(1), DiffId(1), false)
            .disable_percentage(101.0);
        let e = request(&over).unwrap_err();
        assert!(e.to_string().contains("disable_percentage"), "{e}");
    }

    #[test]
    fn the_job_decodes() {
        let v = CreateImageVersionParams::parse(&response(
            200,
            r#"{"imageversionid": 5101, "jobcreated": 1763900000, "jobfailed": 0, "jobprogress": 0,
                "jobstateid": 1, "jobstatename": "Created", "jobupdated": 1763900000, "success": true}"#,
        ))
        .unwrap();
        assert_eq!(v.version_id, ImageVersionId(5101));
    }

    #[tokio::test]
    async fn a_timeout_without_a_percentage_is_refused_and_nothing_is_sent() {
        let mock = std::sync::Arc::new(cfp_transport::MockTransport::new());
        let client = crate::Client::builder()
            .clanforge_url("https://example.test")
            .clanforge_credentials("test-key-DO-NOT-USE", "test-secret-DO-NOT-USE")
            .transport(mock.clone())
            .build()
            .unwrap();
        let e = client
            .clanforge(AccountServiceId(1))
            .create_image_version(DiffId(1), false)
            .disable_timeout(30)
            .send()
            .await
            .unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(mock.requests().is_empty());
    }
}
