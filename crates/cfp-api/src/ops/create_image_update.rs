//! `createImageUpdate`: start an image update job — the image's files
//! brought up to date on a reference machine from an update URL.

use bytes::Bytes;
use cfp_model::UpdateJob;
use cfp_model::params::CreateImageUpdateParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A GET that starts a job: retried only when the request provably never
/// left. While a diff or an update of the image is open, Clanforge answers
/// the envelope "image locked by diffid: N" (an [`Error::Service`]). The
/// update URL may carry storage credentials: the client adds its secret
/// parts to its redactor, so an echo of it in an error is cut out.
impl Operation for CreateImageUpdateParams {
    type Output = UpdateJob;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<UpdateJob>, Error> {
        response::clanforge(Self::OPERATION, r)
    }

    async fn send(call: crate::call::Call<Self>) -> Result<Answer<UpdateJob>, Error> {
        let secrets = call
            .params
            .url
            .as_ref()
            .map(cfp_model::UpdateUrl::secret_parts)
            .unwrap_or_default();
        call.client
            .execute_with_secrets(&call.params, &secrets)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{AccountServiceId, ImageId, MachineId, UpdateId};

    fn params() -> CreateImageUpdateParams {
        CreateImageUpdateParams::new(
            AccountServiceId(1),
            ImageId(22),
            MachineId(333),
            "release 1.4.2".into(),
        )
    }

    #[test]
    fn the_update_url_is_sent_encoded_and_checked() {
        let url = "s3://AKIA-DO-NOT-USE:pw-DO-NOT-USE@builds/1.4.2/?region=eu"
            .parse()
            .unwrap();
        let req = request(&params().url(url)).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imageupdate/create");
        assert_eq!(
            req.uri().query(),
            Some(
                "accountserviceid=1&imageid=22&machineid=333&desc=release%201.4.2&url=s3%3A%2F%2FAKIA-DO-NOT-USE%3Apw-DO-NOT-USE%40builds%2F1.4.2%2F%3Fregion%3Deu"
            )
        );
        let mut blank = params();
        blank.description = "  ".into();
        assert_eq!(
            request(&blank).unwrap_err().to_string(),
            "createImageUpdate: invalid desc: must not be blank"
        );
    }

    #[test]
    fn the_job_decodes_and_a_lock_is_a_service_error() {
        let job = CreateImageUpdateParams::parse(&response(
            200,
            r#"{"updateid": 7001, "jobcreated": 1763900000, "jobfailed": 0, "jobprogress": 0,
                "jobstateid": 1, "jobstatename": "Created", "jobupdated": 1763900000, "success": true}"#,
        ))
        .unwrap();
        assert_eq!(job.update_id, UpdateId(7001));
        let e = CreateImageUpdateParams::parse(&response(
            200,
            r#"{"success": false, "error": true, "error_code": 1, "error_message": "image locked by diffid: 218595"}"#,
        ))
        .unwrap_err();
        assert!(e.service_error().is_some());
    }
}
