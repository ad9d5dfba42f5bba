//! `logOut`: end a ZStack session.

use bytes::Bytes;
use cfp_model::LogOutReply;
use cfp_model::params::LogOutParams;

use crate::answer::Answer;
use crate::call::Operation;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// Ending a session twice changes nothing: safe to repeat. The session
/// goes in the path; no other credentials are sent, and the session is cut
/// out of any error.
impl Operation for LogOutParams {
    type Output = LogOutReply;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<LogOutReply>, Error> {
        response::zstack(Self::OPERATION, r)
    }

    async fn send(call: crate::call::Call<Self>) -> Result<Answer<LogOutReply>, Error> {
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
    fn the_session_goes_in_the_path() {
        let s = ZStackSession::new("3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d").unwrap();
        let req = request(&LogOutParams::new(s)).unwrap();
        assert_eq!(req.method(), http::Method::DELETE);
        assert_eq!(
            req.uri().path(),
            "/prefix/zstack/v1/accounts/sessions/3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d"
        );
        assert!(req.headers().get(http::header::AUTHORIZATION).is_none());
        assert!(LogOutParams::parse(&response(200, "{}")).is_ok());
    }
}
