//! ZStack sessions: log in with an account name and password, log out.
//!
//! Sources: zstackio/zstack `APILogInByAccountMsg` (`PUT
//! /v1/accounts/login`, body `{"logInByAccount": {"accountName", "password"}}`,
//! the password as the hex of its SHA-512 digest, which is what ZStack's own
//! SDK and UI send), its reply `APILogInReply` (`inventory`, a
//! `SessionInventory`), and `APILogOutMsg` (`DELETE
//! /v1/accounts/sessions/{sessionUuid}`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ZStackError, ZStackReply};
use crate::params::{ParamError, ParamValue, RequestBody};

/// A ZStack session: sent as `Authorization: OAuth <uuid>`. A credential,
/// so `Debug` does not show it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ZStackSession(String);

impl ZStackSession {
    /// Wraps a session id; it must be visible ASCII without spaces (it goes
    /// into a header and a path segment). The message never repeats it.
    pub fn new(s: impl Into<String>) -> Result<Self, &'static str> {
        let s = Self(s.into());
        s.validate()?;
        Ok(s)
    }

    /// The session id, for the request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn validate(&self) -> Result<(), &'static str> {
        if self.0.is_empty() {
            return Err("it is empty");
        }
        if self.0.len() > 256 {
            return Err("it is longer than 256 characters");
        }
        if !self.0.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("it must be printable ASCII without spaces");
        }
        Ok(())
    }
}

impl fmt::Debug for ZStackSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ZStackSession(** redacted **)")
    }
}

impl ParamValue for ZStackSession {
    fn check(&self) -> Result<(), &'static str> {
        self.validate()
    }

    fn write_raw(&self, out: &mut String) {
        out.push_str(&self.0);
    }

    fn parse(text: &str) -> Result<Self, String> {
        Ok(Self(text.to_owned()))
    }
}

/// The login request. The password is held only as the hex of its SHA-512
/// digest (what ZStack compares), which is still a credential: `Debug`
/// does not show it.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogInByAccount {
    /// `logInByAccount`.
    #[serde(rename = "logInByAccount")]
    pub log_in_by_account: AccountLogin,
}

/// The account and password digest of [`LogInByAccount`].
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountLogin {
    /// `accountName`.
    #[serde(rename = "accountName")]
    pub account_name: String,
    /// `password`: the SHA-512 digest of the password, lowercase hex.
    pub password: String,
}

impl LogInByAccount {
    /// A login as `account` with the lowercase hex SHA-512 digest of the
    /// password (`cfp-api` computes it from the password).
    pub fn new(account: impl Into<String>, password_sha512_hex: impl Into<String>) -> Self {
        Self {
            log_in_by_account: AccountLogin {
                account_name: account.into(),
                password: password_sha512_hex.into(),
            },
        }
    }
}

impl fmt::Debug for LogInByAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogInByAccount")
            .field("account_name", &self.log_in_by_account.account_name)
            .field("password", &"** redacted **")
            .finish()
    }
}

impl fmt::Debug for AccountLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountLogin")
            .field("account_name", &self.account_name)
            .field("password", &"** redacted **")
            .finish()
    }
}

impl RequestBody for LogInByAccount {
    fn check(&self) -> Result<(), ParamError> {
        let l = &self.log_in_by_account;
        if l.account_name.trim().is_empty() {
            return Err(ParamError::new("accountName", "must not be empty"));
        }
        if l.account_name.chars().any(char::is_control) {
            return Err(ParamError::new(
                "accountName",
                "must not contain control characters",
            ));
        }
        if l.password.len() != 128
            || !l
                .password
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ParamError::new(
                "password",
                "must be the SHA-512 digest of the password in lowercase hex (128 digits)",
            ));
        }
        Ok(())
    }
}

/// The login answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReply {
    /// `inventory`: the session.
    pub inventory: SessionInventory,
}

/// A session, as ZStack describes it (`SessionInventory`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInventory {
    /// `uuid`: the session.
    pub uuid: ZStackSession,
    /// `accountUuid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_uuid: Option<String>,
    /// `userUuid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_uuid: Option<String>,
    /// `expiredDate`: when the session expires, as ZStack writes dates
    /// (Java's default form, e.g. `Nov 23, 2025 2:13:20 PM`, in the
    /// server's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_date: Option<String>,
    /// `createDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date: Option<String>,
}

impl ZStackReply for SessionReply {
    const WHAT: &'static str = "zstack session";
}

/// The logout answer: nothing (an empty object).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogOutReply {
    /// `success`, if the server sent it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::loose_bool"
    )]
    pub success: Option<bool>,
    /// The failure, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ZStackError>,
}

impl ZStackReply for LogOutReply {
    const WHAT: &'static str = "zstack logout";

    fn take_failure(&mut self) -> Option<ZStackError> {
        super::failure(self.error.take(), self.success)
    }
}

/// Whether a session is valid: ZStack's `APIValidateSessionReply`, whose
/// `validSession` its REST server writes as `valid`.
///
/// ```
/// use cfp_model::SessionValidity;
/// use cfp_model::zstack::decode_as;
///
/// let v: SessionValidity = decode_as(br#"{"valid": false}"#).unwrap();
/// assert!(!v.valid);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionValidity {
    /// `valid`: the session exists and has not expired.
    pub valid: bool,
    /// `success`, if the server sent it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::loose_bool"
    )]
    pub success: Option<bool>,
    /// The failure, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ZStackError>,
}

impl ZStackReply for SessionValidity {
    const WHAT: &'static str = "zstack session validity";

    fn take_failure(&mut self) -> Option<ZStackError> {
        super::failure(self.error.take(), self.success)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zstack::decode_as;

    const DIGEST: &str = "26c669cd0814ac40e5328752b21c4aa6450d16295e4eec30356a06a911c23983aaebe12d5da38eeebfc1b213be650498df8419194d5a26c7e0a50af156853c79";

    #[test]
    fn the_login_body_is_zstacks_shape_and_checked() {
        let b = LogInByAccount::new("demo", DIGEST);
        assert!(b.check().is_ok());
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["logInByAccount"]["accountName"], "demo");
        assert!(!format!("{b:?}").contains(DIGEST));
        assert!(LogInByAccount::new("demo", "password").check().is_err());
        assert!(LogInByAccount::new(" ", DIGEST).check().is_err());
        assert!(
            LogInByAccount::new("demo", DIGEST.to_uppercase())
                .check()
                .is_err()
        );
    }

    #[test]
    fn the_session_decodes_and_hides() {
        let r: SessionReply = decode_as(
            br#"{"inventory": {"uuid": "3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d", "accountUuid": "a",
                "userUuid": "a", "expiredDate": "Nov 23, 2025 2:13:20 PM", "createDate": "x"}}"#,
        )
        .unwrap();
        assert_eq!(
            r.inventory.uuid.expose(),
            "3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d"
        );
        assert!(!format!("{r:?}").contains("3e1f5ae7"));
        assert!(ZStackSession::new("has space").is_err());
    }

    #[test]
    fn logout_is_empty_or_an_error() {
        assert!(decode_as::<LogOutReply>(b"{}").is_ok());
        assert!(decode_as::<LogOutReply>(br#"{"success": "false"}"#).is_err());
    }

    #[test]
    fn a_validity_is_read_and_a_failure_is_an_error() {
        let v: SessionValidity = decode_as(br#"{"valid": true, "unknown": 1}"#).unwrap();
        assert!(v.valid);
        assert!(decode_as::<SessionValidity>(br#"{"valid": "yes"}"#).is_err());
        assert!(decode_as::<SessionValidity>(br#"{}"#).is_err());
        let failed = br#"{"success": false, "error": {"code": "SYS.1001", "description": "x"}}"#;
        assert!(decode_as::<SessionValidity>(failed).is_err());
    }
}
