//! Credentials per API surface, held so that they never leak.
//!
//! | surface | header |
//! |---|---|
//! | Clanforge | `Authorization: Basic base64(key:secret)` |
//! | task API | `PRIVATE-TOKEN: <token>` |
//! | ZStack | `Authorization: OAuth <session uuid>` |
//!
//! The header value is computed once and kept in a [`secrecy::SecretString`];
//! `Debug` shows only the scheme, and every header value handed to a
//! transport is marked sensitive (so `http`'s own `Debug` prints
//! `Sensitive`, and HTTP/2 never indexes it).

use std::fmt;

use base64::Engine as _;
use cfp_model::AuthScheme;
use http::{HeaderName, HeaderValue};

use crate::redact::Redactor;
use secrecy::{ExposeSecret, SecretString};

/// The `PRIVATE-TOKEN` header of the task API.
pub const PRIVATE_TOKEN: HeaderName = HeaderName::from_static("private-token");

/// The credentials of one API surface.
///
/// ```
/// use cfp_transport::Credentials;
///
/// let c = Credentials::basic("test-key-DO-NOT-USE", "test-secret-DO-NOT-USE").unwrap();
/// let shown = format!("{c:?}");
/// assert!(!shown.contains("DO-NOT-USE"));
/// let (name, value) = c.header();
/// assert_eq!(name, "authorization");
/// assert!(value.is_sensitive());
/// ```
#[derive(Clone)]
pub struct Credentials {
    scheme: AuthScheme,
    /// The complete header value, e.g. `Basic dGVzdDp0ZXN0`.
    value: SecretString,
}

/// Credentials that cannot be sent as given. The message never repeats the
/// value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {reason}")]
pub struct CredentialError {
    /// Which part is wrong, e.g. `"clanforge key"`.
    pub what: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Credentials {
    /// Clanforge: HTTP Basic with the API key and secret.
    pub fn basic(key: impl AsRef<str>, secret: impl AsRef<str>) -> Result<Self, CredentialError> {
        let (key, secret) = (key.as_ref(), secret.as_ref());
        check("clanforge key", key)?;
        check("clanforge secret", secret)?;
        if key.contains(':') {
            return Err(CredentialError {
                what: "clanforge key",
                reason: "it must not contain ':'",
            });
        }
        // The joined pair is held as a secret so that it is zeroed on drop.
        let pair = SecretString::from(format!("{key}:{secret}"));
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair.expose_secret());
        Ok(Self {
            scheme: AuthScheme::Basic,
            value: SecretString::from(format!("Basic {encoded}")),
        })
    }

    /// Task API: the `PRIVATE-TOKEN` header.
    pub fn private_token(token: impl AsRef<str>) -> Result<Self, CredentialError> {
        let token = token.as_ref();
        check("task token", token)?;
        Ok(Self {
            scheme: AuthScheme::PrivateToken,
            value: SecretString::from(token.to_owned()),
        })
    }

    /// ZStack: `Authorization: OAuth <session uuid>`.
    pub fn oauth_session(session: impl AsRef<str>) -> Result<Self, CredentialError> {
        let session = session.as_ref();
        check("zstack session", session)?;
        Ok(Self {
            scheme: AuthScheme::OAuthSession,
            value: SecretString::from(format!("OAuth {session}")),
        })
    }

    /// Replaces these credentials in `text`, in every form a server may
    /// echo them and any part long enough to matter (see [`Redactor`]),
    /// with `<redacted>`.
    ///
    /// For text that comes from a server, such as an error page that echoes
    /// the request's headers back: it is shown to people and logged.
    ///
    /// ```
    /// use cfp_transport::Credentials;
    ///
    /// let c = Credentials::private_token("tok-DO-NOT-USE").unwrap();
    /// assert_eq!(c.redact("bad token tok-DO-NOT-USE"), "bad token <redacted>");
    /// ```
    pub fn redact(&self, text: &str) -> String {
        self.redactor().redact(text).into_owned()
    }

    /// A [`Redactor`] of these credentials.
    pub fn redactor(&self) -> Redactor {
        // The secret parts only: the schemes' words (`Basic `, `OAuth `) are
        // public, and a window over them would take the text around.
        let value = self.value.expose_secret();
        let mut r = Redactor::default();
        match self.scheme {
            AuthScheme::Basic => {
                let encoded = value.strip_prefix("Basic ").unwrap_or(value);
                if let Ok(pair) = base64::engine::general_purpose::STANDARD.decode(encoded)
                    && let Ok(pair) = String::from_utf8(pair)
                    && let Some((key, secret)) = pair.split_once(':')
                {
                    r.add_basic(key, secret);
                }
            }
            AuthScheme::OAuthSession => r.add(value.strip_prefix("OAuth ").unwrap_or(value)),
            AuthScheme::PrivateToken => r.add(value),
        }
        r
    }

    /// How these credentials authenticate.
    pub fn scheme(&self) -> AuthScheme {
        self.scheme
    }

    /// The header to send, its value marked sensitive.
    pub fn header(&self) -> (HeaderName, HeaderValue) {
        let name = match self.scheme {
            AuthScheme::Basic | AuthScheme::OAuthSession => http::header::AUTHORIZATION,
            AuthScheme::PrivateToken => PRIVATE_TOKEN,
        };
        // Checked on construction: visible ASCII only, so this cannot fail;
        // an empty value would be refused by the server, never leaked.
        let mut value = HeaderValue::from_str(self.value.expose_secret())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        value.set_sensitive(true);
        (name, value)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("scheme", &self.scheme)
            .field("value", &"** redacted **")
            .finish()
    }
}

/// A credential part must be non-empty visible ASCII without spaces.
fn check(what: &'static str, value: &str) -> Result<(), CredentialError> {
    if value.is_empty() {
        return Err(CredentialError {
            what,
            reason: "it is empty",
        });
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CredentialError {
            what,
            reason: "it must be printable ASCII without spaces",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "test-key-DO-NOT-USE";
    const SECRET: &str = "test-secret-DO-NOT-USE";

    #[test]
    fn basic_is_base64_of_key_colon_secret() {
        let c = Credentials::basic(KEY, SECRET).unwrap();
        let (name, value) = c.header();
        assert_eq!(name, http::header::AUTHORIZATION);
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"))
        );
        assert_eq!(value.to_str().unwrap(), expected);
        assert!(value.is_sensitive());
    }

    #[test]
    fn private_token_and_oauth_session_headers() {
        let (name, value) = Credentials::private_token("tok").unwrap().header();
        assert_eq!(name, "private-token");
        assert_eq!(value.to_str().unwrap(), "tok");
        assert!(value.is_sensitive());
        let (name, value) = Credentials::oauth_session("abc-123").unwrap().header();
        assert_eq!(name, "authorization");
        assert_eq!(value.to_str().unwrap(), "OAuth abc-123");
        assert!(value.is_sensitive());
    }

    #[test]
    fn debug_and_header_debug_show_no_secret() {
        let c = Credentials::basic(KEY, SECRET).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
        for shown in [format!("{c:?}"), format!("{:?}", c.header())] {
            assert!(!shown.contains("DO-NOT-USE"), "{shown}");
            assert!(!shown.contains(&encoded), "{shown}");
        }
    }

    #[test]
    fn bad_values_are_refused_without_repeating_them() {
        let e = Credentials::basic("a:b", "s").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid clanforge key: it must not contain ':'"
        );
        let e = Credentials::private_token("line\nbreak-DO-NOT-USE").unwrap_err();
        assert!(!e.to_string().contains("DO-NOT-USE"));
        assert!(Credentials::oauth_session("").is_err());
        assert!(Credentials::oauth_session("has space").is_err());
    }

    #[test]
    fn redact_removes_every_piece_of_the_credentials() {
        let basic = Credentials::basic("key-DO-NOT-USE", "secret-DO-NOT-USE").unwrap();
        let (_, header) = basic.header();
        let header = header.to_str().unwrap().to_owned();
        let encoded = header.trim_start_matches("Basic ").to_owned();
        let echoed = format!(
            "got {header}; user key-DO-NOT-USE pw secret-DO-NOT-USE raw {encoded} pair key-DO-NOT-USE:secret-DO-NOT-USE"
        );
        let shown = basic.redact(&echoed);
        assert!(
            !shown.contains("DO-NOT-USE") && !shown.contains(&encoded),
            "{shown}"
        );
        let session = Credentials::oauth_session("sess-DO-NOT-USE").unwrap();
        assert_eq!(session.redact("OAuth sess-DO-NOT-USE"), "OAuth <redacted>");
        assert_eq!(session.redact("id sess-DO-NOT-USE!"), "id <redacted>!");
        assert_eq!(session.redact("nothing here"), "nothing here");
    }
}
