//! Clanforge image rollout status.

use bytes::Bytes;
use cfp_model::clanforge::GetImageStatus;
use cfp_model::{ImageStatus, OperationId};

use super::request::RequestSpec;
use super::{Operation, positive, response};
use crate::base_url::BaseUrl;
use crate::error::Error;

/// `getImageStatus`: `GET /cfp/v2/project/{accountserviceid}/image/{imageid}/status[?detail=true]`.
pub(crate) struct ImageStatusOp(pub(crate) GetImageStatus);

impl Operation for ImageStatusOp {
    type Output = ImageStatus;
    const ID: OperationId = OperationId::GetImageStatus;

    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error> {
        let r = self.0;
        positive(Self::ID, "accountserviceid", r.account_service_id.get())?;
        positive(Self::ID, "imageid", r.image_id.get())?;
        let mut spec = RequestSpec::new(Self::ID)
            .path(r.account_service_id)
            .path(r.image_id);
        if r.detail {
            spec = spec.query("detail", "true");
        }
        spec.build(base)
    }

    fn parse(response: &http::Response<Bytes>) -> Result<ImageStatus, Error> {
        response::clanforge(Self::ID, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::test_support::{base, response};
    use cfp_model::{AccountServiceId, FleetId, ImageId};

    #[test]
    fn both_ids_go_in_the_path_and_detail_in_the_query() {
        let op = |detail| {
            ImageStatusOp(GetImageStatus {
                account_service_id: AccountServiceId(1),
                image_id: ImageId(22),
                detail,
            })
            .request(&base())
            .unwrap()
        };
        assert_eq!(
            op(true).uri().path(),
            "/prefix/cfp/v2/project/1/image/22/status"
        );
        assert_eq!(op(true).uri().query(), Some("detail=true"));
        assert_eq!(op(false).uri().query(), None);
    }

    #[test]
    fn fleets_decode_with_the_php_empty_map() {
        let body = r#"{"fleets": {"3": {"regions": [], "pending_machines": 1,
            "completed_machines": 2}}, "pending_machines": 1, "failed_machines": 0,
            "completed_machines": 2}"#;
        let s = ImageStatusOp::parse(&response(200, body)).unwrap();
        assert!(!s.is_ready());
        assert!(s.fleets.unwrap()[&FleetId(3)].regions.is_empty());
    }
}
