//! `logInByAccount`: log in to ZStack with an account name and password.

use bytes::Bytes;
use cfp_model::params::LogInByAccountParams;
use cfp_model::{LogInByAccount, SessionReply};

use crate::answer::Answer;
use crate::call::Operation;
use crate::client::Client;
use crate::error::Error;
use crate::response;
use cfp_model::params::Params as _;

/// Sent without credentials (a stale session is never sent with it).
/// It creates a session: retried only when the request provably never
/// left. Wrong credentials are ZStack's 503 with its error body: an
/// [`Error::Service`].
impl Operation for LogInByAccountParams {
    type Output = SessionReply;

    fn parse(r: &http::Response<Bytes>) -> Result<Answer<SessionReply>, Error> {
        response::zstack(Self::OPERATION, r)
    }

    async fn send(call: crate::call::Call<Self>) -> Result<Answer<SessionReply>, Error> {
        // The digest stands for the password: cut it out of any echo.
        let digest = call.params.body.log_in_by_account.password.clone();
        call.client
            .execute_with_secrets(&call.params, &[digest.as_str()])
            .await
    }
}

impl Client {
    /// Logs in to ZStack as `account` with `password`, which is sent as the
    /// lowercase hex of its SHA-512 digest (what ZStack's own clients send
    /// and its server compares). The session is in
    /// `answer.inventory.uuid`; build a client with it
    /// ([`ClientBuilder::zstack_session`](crate::ClientBuilder::zstack_session)).
    ///
    /// An empty account or password is refused before sending.
    pub async fn zstack_login(
        &self,
        account: &str,
        password: &str,
    ) -> Result<Answer<SessionReply>, Error> {
        if password.is_empty() {
            return Err(Error::invalid(
                <LogInByAccountParams as cfp_model::params::Params>::OPERATION,
                "password",
                "it is empty",
            ));
        }
        let digest = password_digest(password);
        self.log_in_by_account(LogInByAccount::new(account, digest))
            .send()
            .await
    }
}

/// The lowercase hex SHA-512 digest of `password`.
pub(crate) fn password_digest(password: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, password.as_bytes());
    let mut hex = String::with_capacity(128);
    for b in d.as_ref() {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::{request, response};

    #[test]
    fn the_password_is_its_sha512_hex_and_no_credentials_go() {
        // SHA-512("password"), as ZStack's own tests write it.
        assert!(password_digest("password").starts_with("b109f3bbbc244eb8"));
        assert!(password_digest("password").ends_with("cbc86"));
        let p = LogInByAccountParams::new(LogInByAccount::new("admin", password_digest("password")));
        let req = request(&p).unwrap();
        assert_eq!(req.method(), http::Method::PUT);
        assert_eq!(req.uri().path(), "/prefix/zstack/v1/accounts/login");
        assert_eq!(req.headers()[http::header::CONTENT_TYPE], "application/json;charset=UTF-8");
        let json: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(json["logInByAccount"]["accountName"], "admin");
        assert!(req.headers().get(http::header::AUTHORIZATION).is_none());
    }

    #[test]
    fn the_session_and_a_refusal_decode() {
        let r = LogInByAccountParams::parse(&response(
            200,
            r#"{"inventory": {"uuid": "3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d"}}"#,
        ))
        .unwrap();
        assert_eq!(r.inventory.uuid.expose(), "3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d");
        let e = LogInByAccountParams::parse(&response(
            503,
            r#"{"error": {"code": "ID.1000", "description": "wrong account name or password"}}"#,
        ))
        .unwrap_err();
        assert_eq!(e.status(), Some(503));
        assert!(e.to_string().contains("wrong account name or password"), "{e}");
    }
}
