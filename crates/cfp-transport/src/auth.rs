//! Credentials per API surface, held so that they never leak.
//!
//! | surface | header |
//! |---|---|
//! | Clanforge | `Authorization: Basic base64(key:secret)` |
//! | task API | `PRIVATE-TOKEN: <token>` |
//! | ZStack | `Authorization: OAuth <session uuid>` |
//! | ZStack (AccessKey) | `Authorization: ZStack <key id>:<signature>` and `Date`, signed per attempt |
//!
//! The header value is computed once and kept in a [`secrecy::SecretString`]
//! (an AccessKey's signature covers the method, the `Date` and the path, so
//! it is computed for each attempt);
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
    /// The complete header value, e.g. `Basic dGVzdDp0ZXN0`; for an
    /// AccessKey, its id.
    value: SecretString,
    /// An AccessKey's secret (the HMAC key).
    signing: Option<SecretString>,
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
            signing: None,
        })
    }

    /// Task API: the `PRIVATE-TOKEN` header.
    pub fn private_token(token: impl AsRef<str>) -> Result<Self, CredentialError> {
        let token = token.as_ref();
        check("task token", token)?;
        Ok(Self {
            scheme: AuthScheme::PrivateToken,
            value: SecretString::from(token.to_owned()),
            signing: None,
        })
    }

    /// ZStack: `Authorization: OAuth <session uuid>`.
    pub fn oauth_session(session: impl AsRef<str>) -> Result<Self, CredentialError> {
        let session = session.as_ref();
        check("zstack session", session)?;
        Ok(Self {
            scheme: AuthScheme::OAuthSession,
            value: SecretString::from(format!("OAuth {session}")),
            signing: None,
        })
    }

    /// ZStack: an AccessKey (id and secret), as ZStack's AccessKey-era REST
    /// server checks it. Each attempt sends a `Date` header and
    /// `Authorization: ZStack <id>:<base64(HMAC-SHA1(secret, "METHOD\nDATE\nPATH"))>`,
    /// where `PATH` is the request path decoded, without the `/zstack`
    /// context path and without the query (ZStack's `RestServer` and
    /// `AccessKeyManager`). The server refuses a `Date` more than 15 minutes
    /// off its clock.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use cfp_transport::Credentials;
    ///
    /// let c = Credentials::access_key("TESTKEYID-DO-NOT-USE", "test-secret-DO-NOT-USE").unwrap();
    /// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_763_900_000);
    /// let headers = c.headers_for(&http::Method::GET, "/zstack/v1/images", at);
    /// assert_eq!(headers[0].1, "Sun, 23 Nov 2025 12:13:20 GMT");
    /// assert!(headers[1].1.to_str().unwrap().starts_with("ZStack TESTKEYID-DO-NOT-USE:"));
    /// ```
    pub fn access_key(
        id: impl AsRef<str>,
        secret: impl AsRef<str>,
    ) -> Result<Self, CredentialError> {
        let (id, secret) = (id.as_ref(), secret.as_ref());
        check("zstack access key id", id)?;
        check("zstack access key secret", secret)?;
        if id.contains(':') {
            return Err(CredentialError {
                what: "zstack access key id",
                reason: "it must not contain ':'",
            });
        }
        Ok(Self {
            scheme: AuthScheme::AccessKey,
            value: SecretString::from(id.to_owned()),
            signing: Some(SecretString::from(secret.to_owned())),
        })
    }

    /// The auth headers of one attempt of `method` on `path` (the request
    /// URI's path, still percent-encoded) at `now`: the `Date` and the
    /// signed `Authorization` for an AccessKey, else the one fixed header.
    /// Values are marked sensitive.
    pub fn headers_for(
        &self,
        method: &http::Method,
        path: &str,
        now: std::time::SystemTime,
    ) -> Vec<(HeaderName, HeaderValue)> {
        let Some(secret) = &self.signing else {
            return vec![self.header()];
        };
        let date = httpdate::fmt_http_date(now);
        let to_sign = format!("{}\n{}\n{}", method.as_str(), date, signed_path(path));
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            secret.expose_secret().as_bytes(),
        );
        let tag = aws_lc_rs::hmac::sign(&key, to_sign.as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
        let mut auth = HeaderValue::from_str(&format!(
            "ZStack {}:{signature}",
            self.value.expose_secret()
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""));
        auth.set_sensitive(true);
        let date = HeaderValue::from_str(&date).unwrap_or_else(|_| HeaderValue::from_static(""));
        vec![
            (http::header::DATE, date),
            (http::header::AUTHORIZATION, auth),
        ]
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
            AuthScheme::AccessKey => {
                r.add(value);
                if let Some(secret) = &self.signing {
                    r.add(secret.expose_secret());
                }
            }
            AuthScheme::None => {}
        }
        r
    }

    /// How these credentials authenticate.
    pub fn scheme(&self) -> AuthScheme {
        self.scheme
    }

    /// The header to send, its value marked sensitive. For an AccessKey,
    /// which is signed per request, this is only its id: send
    /// [`headers_for`](Self::headers_for) instead.
    pub fn header(&self) -> (HeaderName, HeaderValue) {
        let name = match self.scheme {
            AuthScheme::Basic | AuthScheme::OAuthSession | AuthScheme::AccessKey => {
                http::header::AUTHORIZATION
            }
            AuthScheme::PrivateToken | AuthScheme::None => PRIVATE_TOKEN,
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

/// The path ZStack signs: percent-decoded, without the `/zstack` context
/// path (and whatever prefix a proxy put before it), without the query.
fn signed_path(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let path = match path.find("/zstack/") {
        Some(i) => &path[i + "/zstack".len()..],
        None => path,
    };
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
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
    fn access_keys_sign_method_date_and_decoded_path() {
        let c = Credentials::access_key("KEYID-DO-NOT-USE", "secret-DO-NOT-USE").unwrap();
        let at = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_763_900_000);
        let h = c.headers_for(&http::Method::PUT, "/p/zstack/v1/images/a%20b?x=1", at);
        assert_eq!(h[0].0, http::header::DATE);
        let date = h[0].1.to_str().unwrap();
        let auth = h[1].1.to_str().unwrap();
        assert!(h[1].1.is_sensitive());
        // The signature over what ZStack signs, computed independently here.
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            b"secret-DO-NOT-USE",
        );
        let tag = aws_lc_rs::hmac::sign(&key, format!("PUT\n{date}\n/v1/images/a b").as_bytes());
        let expected = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
        assert_eq!(auth, format!("ZStack KEYID-DO-NOT-USE:{expected}"));
        // Another second, another signature.
        let later = c.headers_for(
            &http::Method::PUT,
            "/zstack/v1/images/a%20b",
            at + std::time::Duration::from_secs(1),
        );
        assert_ne!(later[1].1, h[1].1);
        assert!(!format!("{c:?}").contains("DO-NOT-USE"));
        assert_eq!(c.redact("secret-DO-NOT-USE"), "<redacted>");
        assert!(Credentials::access_key("a:b", "s").is_err());
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
