//! The credentials the simulator accepts, one set per surface.

use std::fmt;

use base64::Engine as _;

/// The credentials the simulator accepts: a Clanforge key and secret (HTTP
/// Basic), a task API token (`PRIVATE-TOKEN`) and a ZStack session
/// (`Authorization: OAuth <session>`).
///
/// `Debug` never shows the values.
///
/// ```
/// let c = cfp_testkit::Credentials::demo();
/// assert_eq!(c.task_token, "demo");
/// assert!(!format!("{c:?}").contains("demo"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The Clanforge API key (the Basic user name).
    pub clanforge_key: String,
    /// The Clanforge API secret (the Basic password).
    pub clanforge_secret: String,
    /// The task API token, sent in the `PRIVATE-TOKEN` header.
    pub task_token: String,
    /// The ZStack session UUID, sent as `Authorization: OAuth <session>`.
    pub zstack_session: String,
}

impl Credentials {
    /// The demo credentials: key `demo`, secret `demo`, token `demo`,
    /// session `demo`.
    pub fn demo() -> Self {
        Self {
            clanforge_key: "demo".into(),
            clanforge_secret: "demo".into(),
            task_token: "demo".into(),
            zstack_session: "demo".into(),
        }
    }

    /// The `Authorization` header value a Clanforge client sends.
    pub fn clanforge_basic_header(&self) -> String {
        let raw = format!("{}:{}", self.clanforge_key, self.clanforge_secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// The `Authorization` header value a ZStack client sends.
    pub fn zstack_oauth_header(&self) -> String {
        format!("OAuth {}", self.zstack_session)
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Self::demo()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("clanforge_key", &"** redacted **")
            .field("clanforge_secret", &"** redacted **")
            .field("task_token", &"** redacted **")
            .field("zstack_session", &"** redacted **")
            .finish()
    }
}

/// What the server checks requests against, precomputed. `Debug` shows
/// nothing of it.
#[derive(Clone)]
pub(crate) struct AuthCheck {
    /// `Basic base64(key:secret)` as most clients write it (fast path).
    basic_header: Vec<u8>,
    basic_user: Vec<u8>,
    basic_password: Vec<u8>,
    task_token: String,
    zstack_session: String,
}

impl fmt::Debug for AuthCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthCheck(** redacted **)")
    }
}

impl AuthCheck {
    pub(crate) fn new(c: &Credentials) -> Self {
        Self {
            basic_header: c.clanforge_basic_header().into_bytes(),
            basic_user: c.clanforge_key.as_bytes().to_vec(),
            basic_password: c.clanforge_secret.as_bytes().to_vec(),
            task_token: c.task_token.clone(),
            zstack_session: c.zstack_session.clone(),
        }
    }

    /// `Authorization: Basic base64(key:secret)`; the scheme is
    /// case-insensitive.
    pub(crate) fn clanforge(&self, authorization: Option<&[u8]>) -> bool {
        if authorization == Some(self.basic_header.as_slice()) {
            return true;
        }
        let Some(value) = authorization.and_then(|v| std::str::from_utf8(v).ok()) else {
            return false;
        };
        let Some((scheme, token)) = value.trim().split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
            return false;
        };
        let Some(colon) = decoded.iter().position(|&b| b == b':') else {
            return false;
        };
        decoded[..colon] == self.basic_user[..] && decoded[colon + 1..] == self.basic_password[..]
    }

    /// The credentials in every form a hostile server echoes them: raw,
    /// `key:secret`, its base64 and a long prefix of it, percent-encoded.
    pub(crate) fn echo_forms(&self) -> Vec<String> {
        let user = String::from_utf8_lossy(&self.basic_user).into_owned();
        let password = String::from_utf8_lossy(&self.basic_password).into_owned();
        let pair = format!("{user}:{password}");
        let b64 = base64::engine::general_purpose::STANDARD.encode(&pair);
        let prefix: String = b64.chars().take(b64.len() * 2 / 3).collect();
        let pct = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        vec![
            user.clone(),
            password.clone(),
            pair.clone(),
            format!("Basic {b64}"),
            prefix,
            pct(&pair),
            self.task_token.clone(),
            pct(&self.task_token),
            format!("OAuth {}", self.zstack_session),
        ]
    }

    /// `PRIVATE-TOKEN: <token>`.
    pub(crate) fn task(&self, token: Option<&[u8]>) -> bool {
        token.is_some_and(|t| t == self.task_token.as_bytes())
    }

    /// `Authorization: OAuth <session>`; the word OAuth is case-insensitive.
    /// A missing header or another scheme is refused before the API runs
    /// (ZStack's plain-text 400), a wrong session when it runs (`ID.1001`).
    pub(crate) fn zstack(&self, authorization: Option<&[u8]>) -> ZStackAuth {
        let Some(value) = authorization else {
            return ZStackAuth::MissingHeader;
        };
        let Some(value) = std::str::from_utf8(value).ok() else {
            return ZStackAuth::WrongScheme;
        };
        match value.trim().split_once(' ') {
            Some((scheme, session)) if scheme.eq_ignore_ascii_case("oauth") => {
                if session.trim() == self.zstack_session {
                    ZStackAuth::Ok
                } else {
                    ZStackAuth::InvalidSession
                }
            }
            Some(("ZStack", _)) => ZStackAuth::AccessKey,
            _ => ZStackAuth::WrongScheme,
        }
    }
}

/// The lowercase hex SHA-512 digest of `text` (a ZStack password as its
/// clients send it).
pub(crate) fn sha512_hex(text: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, text.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// `base64(HMAC-SHA1(secret, to_sign))`: a ZStack AccessKey signature.
pub(crate) fn access_key_signature(secret: &str, to_sign: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        secret.as_bytes(),
    );
    base64::engine::general_purpose::STANDARD
        .encode(aws_lc_rs::hmac::sign(&key, to_sign.as_bytes()).as_ref())
}

/// What ZStack makes of a request's `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZStackAuth {
    /// A valid session.
    Ok,
    /// No header: `missing header 'Authorization'` (400, plain text).
    MissingHeader,
    /// Not `OAuth <session>`: `Authorization type must be 'OAuth'` (400).
    WrongScheme,
    /// An unknown or expired session: `ID.1001` (503).
    InvalidSession,
    /// `ZStack <key id>:<signature>`: an AccessKey, checked with the
    /// request's method, path and `Date`.
    AccessKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_surface_checks_its_own_scheme() {
        let c = Credentials::demo();
        let check = AuthCheck::new(&c);
        assert!(check.clanforge(Some(c.clanforge_basic_header().as_bytes())));
        assert!(check.clanforge(Some(b"basic ZGVtbzpkZW1v")));
        assert!(!check.clanforge(Some(b"Basic ZGVtbzp3cm9uZw==")));
        assert!(!check.clanforge(Some(b"Bearer demo")));
        assert!(!check.clanforge(None));
        assert!(check.task(Some(b"demo")));
        assert!(!check.task(Some(b"demo2")));
        assert_eq!(check.zstack(Some(b"OAuth demo")), ZStackAuth::Ok);
        assert_eq!(check.zstack(Some(b"Basic demo")), ZStackAuth::WrongScheme);
        assert_eq!(
            check.zstack(Some(b"OAuth other")),
            ZStackAuth::InvalidSession
        );
        assert_eq!(check.zstack(None), ZStackAuth::MissingHeader);
    }
}
