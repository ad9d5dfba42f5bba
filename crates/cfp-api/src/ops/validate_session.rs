//! `validateSession`: is a ZStack session still valid?

use bytes::Bytes;
use cfp_model::SessionValidity;
use cfp_model::params::ValidateSessionParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// A read: safe to repeat. The session goes in the path and no other
/// credentials are sent (ZStack answers it without a session); the session
/// is cut out of any error. An unknown or expired session is an answer
/// with `valid: false`, not an error.
impl Operation for ValidateSessionParams {
    type Output = SessionValidity;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<SessionValidity>, Error> {
        response::zstack(Self::OPERATION, r)
    }

    async fn send(call: crate::call::Call<Self>) -> Result<Answer<SessionValidity>, Error> {
        let session = call.params.session.expose().to_owned();
        call.client
            .execute_with_secrets(&call.params, &[session.as_str()])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};
    use cfp_model::ZStackSession;

    #[test]
    fn the_session_goes_in_the_path_and_no_credentials_are_sent() {
        let s = ZStackSession::new("3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d").unwrap();
        let req = request(&ValidateSessionParams::new(s)).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(
            req.uri().path(),
            "/prefix/zstack/v1/accounts/sessions/3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d/valid"
        );
        assert!(req.headers().get(http::header::AUTHORIZATION).is_none());
    }

    #[test]
    fn valid_or_not_is_an_answer_and_a_zstack_failure_an_error() {
        let over = ValidateSessionParams::parse(&response(200, r#"{"valid": false}"#)).unwrap();
        assert!(!over.valid);
        let failed = r#"{"error": {"code": "SYS.1001", "description": "internal error"}}"#;
        let e = ValidateSessionParams::parse(&response(503, failed)).unwrap_err();
        assert!(e.service_error().is_some(), "{e}");
    }
}
