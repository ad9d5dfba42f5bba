//! `getImageStatus`: the rollout status of an image over fleets and regions.

use bytes::Bytes;
use cfp_model::ImageStatus;
use cfp_model::params::GetImageStatusParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read; see [`Clanforge::wait_for_rollout`](crate::Clanforge::wait_for_rollout)
/// to wait until no machine is pending.
impl Operation for GetImageStatusParams {
    type Output = ImageStatus;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<ImageStatus>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::{AccountServiceId, FleetId, ImageId};

    #[test]
    fn both_ids_go_in_the_path_and_detail_in_the_query() {
        let p = GetImageStatusParams::new(AccountServiceId(1), ImageId(22));
        let req = request(&p.clone().detail(true)).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v2/project/1/image/22/status");
        assert_eq!(req.uri().query(), Some("detail=true"));
        assert_eq!(request(&p).unwrap().uri().query(), None);
    }

    #[test]
    fn fleets_decode_with_the_php_empty_map() {
        let body = r#"{"fleets": {"3": {"regions": [], "pending_machines": 1,
            "completed_machines": 2}}, "pending_machines": 1, "failed_machines": 0,
            "completed_machines": 2}"#;
        let s = GetImageStatusParams::parse(&response(200, body)).unwrap();
        assert!(!s.is_ready());
        assert!(s.fleets.as_ref().unwrap()[&FleetId(3)].regions.is_empty());
    }
}
