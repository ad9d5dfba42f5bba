//! `getImageInstallStatus`: the incomplete install jobs of the account service.

use bytes::Bytes;
use cfp_model::InstallStatus;
use cfp_model::params::GetImageInstallStatusParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read, safe to repeat.
impl Operation for GetImageInstallStatusParams {
    type Output = InstallStatus;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<InstallStatus>, Error> {
        response::clanforge(Self::OPERATION, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::AccountServiceId;

    #[test]
    fn an_empty_list_is_nothing_installing() {
        let req = request(&GetImageInstallStatusParams::new(AccountServiceId(3))).unwrap();
        assert_eq!(req.uri().path(), "/prefix/cfp/v1/imageinstall/status");
        assert_eq!(req.uri().query(), Some("accountserviceid=3"));
        let s = GetImageInstallStatusParams::parse(&response(200, r#"{"installs": []}"#)).unwrap();
        assert!(s.installs.is_empty());
    }
}
