//! The settings a client is built from, each defined once: its environment
//! variable, its profile key, its default, whether it is a secret, and the
//! checks on its value. [`ClientBuilder::from_env`](crate::ClientBuilder::from_env)
//! and the CLI's configuration (profiles, `cfp config show`) both read this
//! table, so a name or a default is never written twice.

use crate::base_url::BaseUrl;
use crate::error::Error;

/// One setting of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// Its name in messages, e.g. `"clanforge url"`.
    pub name: &'static str,
    /// Its environment variable, e.g. `CFP_CLANFORGE_URL`.
    pub env: &'static str,
    /// Its key in a configuration profile, e.g. `clanforge_url`.
    pub key: &'static str,
    /// Its default, if it has one.
    pub default: Option<&'static str>,
    /// A secret: never shown, never logged.
    pub secret: bool,
    /// What it is, for help and `config show`.
    pub about: &'static str,
}

/// Clanforge's base URL.
pub const CLANFORGE_URL: Setting = Setting {
    name: "clanforge url",
    env: "CFP_CLANFORGE_URL",
    key: "clanforge_url",
    default: Some("https://api.multiplay.co.uk"),
    secret: false,
    about: "Clanforge base URL",
};

/// Clanforge's API key (the Basic user name).
pub const CLANFORGE_KEY: Setting = Setting {
    name: "clanforge key",
    env: "CFP_CLANFORGE_KEY",
    key: "clanforge_key",
    default: None,
    secret: true,
    about: "Clanforge access key (HTTP Basic user)",
};

/// Clanforge's API secret (the Basic password).
pub const CLANFORGE_SECRET: Setting = Setting {
    name: "clanforge secret",
    env: "CFP_CLANFORGE_SECRET",
    key: "clanforge_secret",
    default: None,
    secret: true,
    about: "Clanforge secret key (HTTP Basic password)",
};

/// The task API's base URL.
pub const TASK_URL: Setting = Setting {
    name: "task url",
    env: "CFP_TASK_URL",
    key: "task_url",
    default: Some("https://api.i3d.net"),
    secret: false,
    about: "task API base URL",
};

/// The task API's token (`PRIVATE-TOKEN`).
pub const TASK_TOKEN: Setting = Setting {
    name: "task token",
    env: "CFP_TASK_TOKEN",
    key: "task_token",
    default: None,
    secret: true,
    about: "task API token (PRIVATE-TOKEN header)",
};

/// ZStack's base URL (no default: ZStack is self-hosted).
pub const ZSTACK_URL: Setting = Setting {
    name: "zstack url",
    env: "CFP_ZSTACK_URL",
    key: "zstack_url",
    default: None,
    secret: false,
    about: "ZStack base URL (self-hosted: no default)",
};

/// ZStack's session UUID (`Authorization: OAuth <session>`).
pub const ZSTACK_SESSION: Setting = Setting {
    name: "zstack session",
    env: "CFP_ZSTACK_SESSION",
    key: "zstack_session",
    default: None,
    secret: true,
    about: "ZStack session (Authorization: OAuth <session>)",
};

/// A ZStack AccessKey's id (`Authorization: ZStack <id>:<signature>`).
pub const ZSTACK_ACCESS_KEY_ID: Setting = Setting {
    name: "zstack access key id",
    env: "CFP_ZSTACK_ACCESS_KEY_ID",
    key: "zstack_access_key_id",
    default: None,
    secret: true,
    about: "ZStack AccessKey id (instead of a session; with its secret)",
};

/// A ZStack AccessKey's secret (signs each request).
pub const ZSTACK_ACCESS_KEY_SECRET: Setting = Setting {
    name: "zstack access key secret",
    env: "CFP_ZSTACK_ACCESS_KEY_SECRET",
    key: "zstack_access_key_secret",
    default: None,
    secret: true,
    about: "ZStack AccessKey secret (signs each request)",
};

/// Every client setting, in the order they are shown.
pub const ALL: [Setting; 9] = [
    CLANFORGE_URL,
    CLANFORGE_KEY,
    CLANFORGE_SECRET,
    TASK_URL,
    TASK_TOKEN,
    ZSTACK_URL,
    ZSTACK_SESSION,
    ZSTACK_ACCESS_KEY_ID,
    ZSTACK_ACCESS_KEY_SECRET,
];

/// Checks a base URL: `http` or `https`, a host, an optional path prefix;
/// no user info (credentials belong in their own settings, and a URL is
/// shown in messages), no query or fragment. Returns the URL as cfp uses it.
///
/// A refused URL's message never repeats a password it carried.
///
/// ```
/// use cfp_api::settings::{check_url, TASK_URL};
///
/// assert_eq!(check_url(&TASK_URL, "https://api.i3d.net/").unwrap(), "https://api.i3d.net");
/// let e = check_url(&TASK_URL, "https://me:test-secret-DO-NOT-USE@h").unwrap_err();
/// assert!(!e.to_string().contains("DO-NOT-USE"));
/// ```
pub fn check_url(setting: &Setting, raw: &str) -> Result<String, Error> {
    BaseUrl::parse(setting.name, raw).map(|b| b.as_string())
}

/// Clanforge's key and secret go together: both or neither. `Err` names the
/// one that is missing, never the value of the other.
pub fn clanforge_pair<K, S>(key: Option<K>, secret: Option<S>) -> Result<Option<(K, S)>, Error> {
    match (key, secret) {
        (Some(k), Some(s)) => Ok(Some((k, s))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(half_set(&CLANFORGE_KEY, &CLANFORGE_SECRET)),
        (None, Some(_)) => Err(half_set(&CLANFORGE_SECRET, &CLANFORGE_KEY)),
    }
}

/// ZStack's credentials: a session, or an AccessKey (id and secret, both
/// or neither) — not both, so that which one is used is never a guess.
/// `Err` names the settings, never a value.
pub fn zstack_credentials<T>(
    session: Option<T>,
    key_id: Option<T>,
    key_secret: Option<T>,
) -> Result<Option<ZStackCredentials<T>>, Error> {
    let key = match (key_id, key_secret) {
        (Some(i), Some(s)) => Some((i, s)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(half_set_in(
                "zstack credentials",
                "ZStack",
                &ZSTACK_ACCESS_KEY_ID,
                &ZSTACK_ACCESS_KEY_SECRET,
            ));
        }
        (None, Some(_)) => {
            return Err(half_set_in(
                "zstack credentials",
                "ZStack",
                &ZSTACK_ACCESS_KEY_SECRET,
                &ZSTACK_ACCESS_KEY_ID,
            ));
        }
    };
    match (session, key) {
        (Some(_), Some(_)) => Err(Error::config(
            "zstack credentials",
            format!(
                "both {} ({}) and an AccessKey ({} and {}) are set: set one of them",
                ZSTACK_SESSION.name,
                ZSTACK_SESSION.env,
                ZSTACK_ACCESS_KEY_ID.env,
                ZSTACK_ACCESS_KEY_SECRET.env
            ),
        )),
        (Some(s), None) => Ok(Some(ZStackCredentials::Session(s))),
        (None, Some((id, secret))) => Ok(Some(ZStackCredentials::AccessKey { id, secret })),
        (None, None) => Ok(None),
    }
}

/// Which ZStack credentials are set (see [`zstack_credentials`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZStackCredentials<T> {
    /// A session (`Authorization: OAuth <session>`).
    Session(T),
    /// An AccessKey, signing each request.
    AccessKey {
        /// The key's id.
        id: T,
        /// The key's secret.
        secret: T,
    },
}

fn half_set(set: &Setting, missing: &Setting) -> Error {
    half_set_in("clanforge credentials", "Clanforge", set, missing)
}

fn half_set_in(what: &'static str, vendor: &str, set: &Setting, missing: &Setting) -> Error {
    Error::config(
        what,
        format!(
            "{} ({}) is set but {} ({}) is not: {vendor} needs both",
            set.name, set.env, missing.name, missing.env
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_secrets_marked() {
        let mut envs: Vec<_> = ALL.iter().map(|s| s.env).collect();
        envs.sort_unstable();
        envs.dedup();
        assert_eq!(envs.len(), ALL.len());
        for s in ALL {
            assert!(s.env.starts_with("CFP_"), "{}", s.env);
            assert_eq!(s.secret, s.default.is_none() && !s.key.ends_with("url"));
        }
    }

    #[test]
    fn a_half_set_clanforge_pair_names_the_missing_one() {
        let e = clanforge_pair(Some("k"), None::<&str>).unwrap_err();
        assert!(e.to_string().contains("clanforge secret"), "{e}");
        assert!(
            clanforge_pair(None::<&str>, None::<&str>)
                .unwrap()
                .is_none()
        );
    }
}
