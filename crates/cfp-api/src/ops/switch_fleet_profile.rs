//! `switchFleetProfile`: switch a reservation fleet's empty servers to another profile.

use bytes::Bytes;
use cfp_model::ProfileSwitch;
use cfp_model::params::SwitchFleetProfileParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// Changes state: retried only when the request provably never left. The
/// body is checked first (a zero profile, a timeout under a second or
/// `MaxMachines: 0` are refused before sending).
impl Operation for SwitchFleetProfileParams {
    type Output = ProfileSwitch;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<ProfileSwitch>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::request;
    use std::time::Duration;
    use cfp_model::{FleetId, ProfileId, SwitchProfile};

    #[test]
    fn the_body_is_pascal_case_json() {
        let body = SwitchProfile::new(ProfileId(12), Duration::from_secs(7200)).max_machines(10);
        let req = request(&SwitchFleetProfileParams::new(FleetId(3), body)).unwrap();
        assert_eq!(req.method(), http::Method::PATCH);
        assert_eq!(req.uri().path(), "/prefix/cfp/v2/fleet/3/switchprofile");
        assert_eq!(req.headers()[http::header::CONTENT_TYPE], "application/json");
        assert_eq!(&req.body()[..], br#"{"ProfileID":12,"Timeout":"2h","MaxMachines":10}"#);
        let bad = SwitchProfile::new(ProfileId(12), Duration::from_millis(10));
        let e = request(&SwitchFleetProfileParams::new(FleetId(3), bad)).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
    }
}
