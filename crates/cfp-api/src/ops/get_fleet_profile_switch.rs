//! `getFleetProfileSwitch`: where a reservation fleet's profile switch stands.

use bytes::Bytes;
use cfp_model::ProfileSwitch;
use cfp_model::params::GetFleetProfileSwitchParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read, safe to repeat; see [`Clanforge::wait_for_profile_switch`](crate::Clanforge::wait_for_profile_switch).
impl Operation for GetFleetProfileSwitchParams {
    type Output = ProfileSwitch;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<ProfileSwitch>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::FleetId;

    #[test]
    fn the_fleet_goes_in_the_path() {
        let req = request(&GetFleetProfileSwitchParams::new(FleetId(3))).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(req.uri().path(), "/prefix/cfp/v2/fleet/3/switchprofile");
        assert_eq!(req.uri().query(), None);
        let s = GetFleetProfileSwitchParams::parse(&response(
            200,
            r#"{"ServersPending": 0, "ServersProcessed": 0, "ProfileID": 0, "State": "not requested"}"#,
        ))
        .unwrap();
        assert!(s.is_done());
    }
}
