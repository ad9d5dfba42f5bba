//! Effective settings: flags, then the environment, then the profile in
//! `cfp/config.toml`, then defaults — each value with where it came from.
//!
//! Every setting is one row of [`SETTINGS`]: its name, environment variable,
//! profile key, flag and default. The client's settings are the SDK's own
//! rows (`cfp_api::settings`), so a name or a default is written once, and
//! the SDK's checks (base URLs, the Clanforge key/secret pair) are the ones
//! applied.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cfp_api::model::AccountServiceId;
use cfp_api::settings::{self as sdk, Setting as SdkSetting};
use secrecy::{ExposeSecret, SecretString};

use crate::cli::{Global, OutputFormat};
use crate::parse::parse_duration;

/// Per-call timeout, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Bound of a whole wait.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How a setting's value is read and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A base URL, checked by the SDK.
    Url,
    /// A credential: never shown, only its length.
    Secret,
    /// An account service id.
    Asid,
    /// `json`, `table` or `ndjson`.
    Output,
    /// A duration such as `90s` or `1h30m`.
    Duration,
}

/// One setting of the CLI.
#[derive(Debug, Clone, Copy)]
pub struct Descriptor {
    /// Its name in messages and `config show`.
    pub name: &'static str,
    /// Its environment variable.
    pub env: &'static str,
    /// Its key in a profile.
    pub key: &'static str,
    /// Its flag, if one sets it.
    pub flag: Option<&'static str>,
    /// Its default, as text.
    pub default: Option<&'static str>,
    /// How it is read.
    pub kind: Kind,
}

impl Descriptor {
    const fn sdk(s: SdkSetting) -> Self {
        Self {
            name: s.name,
            env: s.env,
            key: s.key,
            flag: None,
            default: s.default,
            kind: if s.secret { Kind::Secret } else { Kind::Url },
        }
    }
}

/// Every setting, in the order `config show` lists them.
pub const SETTINGS: [Descriptor; 13] = [
    Descriptor::sdk(sdk::CLANFORGE_URL),
    Descriptor::sdk(sdk::CLANFORGE_KEY),
    Descriptor::sdk(sdk::CLANFORGE_SECRET),
    Descriptor::sdk(sdk::TASK_URL),
    Descriptor::sdk(sdk::TASK_TOKEN),
    Descriptor::sdk(sdk::ZSTACK_URL),
    Descriptor::sdk(sdk::ZSTACK_SESSION),
    Descriptor::sdk(sdk::ZSTACK_ACCESS_KEY_ID),
    Descriptor::sdk(sdk::ZSTACK_ACCESS_KEY_SECRET),
    Descriptor {
        name: "asid",
        env: "CFP_ASID",
        key: "asid",
        flag: Some("--asid"),
        default: None,
        kind: Kind::Asid,
    },
    Descriptor {
        name: "output",
        env: "CFP_OUTPUT",
        key: "output",
        flag: Some("--output"),
        default: None,
        kind: Kind::Output,
    },
    Descriptor {
        name: "timeout",
        env: "CFP_TIMEOUT",
        key: "timeout",
        flag: Some("--timeout"),
        default: Some("2m"),
        kind: Kind::Duration,
    },
    Descriptor {
        name: "wait timeout",
        env: "CFP_WAIT_TIMEOUT",
        key: "wait_timeout",
        flag: Some("--wait-timeout"),
        default: Some("30m"),
        kind: Kind::Duration,
    },
];

/// The environment variable that names the config file.
pub const CONFIG_ENV: &str = "CFP_CONFIG";
/// The environment variable that names the profile.
pub const PROFILE_ENV: &str = "CFP_PROFILE";

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A profile of the config file.
    Profile { name: String, path: PathBuf },
    /// The built-in simulator (`--sim`).
    Sim,
    /// cfp's default.
    Default,
    /// Not set anywhere.
    Unset,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Env(var) => write!(f, "environment {var}"),
            Origin::Profile { name, path } => {
                write!(f, "profile {name:?} in {}", path.display())
            }
            Origin::Sim => f.write_str("--sim (built-in simulator)"),
            Origin::Default => f.write_str("default"),
            Origin::Unset => f.write_str("not set"),
        }
    }
}

/// A value and its origin.
#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: Option<T>,
    pub origin: Origin,
}

impl<T> Setting<T> {
    fn unset() -> Self {
        Self {
            value: None,
            origin: Origin::Unset,
        }
    }
}

/// Everything the commands need to know, resolved.
#[derive(Debug)]
pub struct Settings {
    pub config_path: Option<PathBuf>,
    pub profile: Setting<String>,
    pub clanforge_url: Setting<String>,
    pub clanforge_key: Setting<SecretString>,
    pub clanforge_secret: Setting<SecretString>,
    pub task_url: Setting<String>,
    pub task_token: Setting<SecretString>,
    pub zstack_url: Setting<String>,
    pub zstack_session: Setting<SecretString>,
    /// A ZStack AccessKey's id: with its secret, instead of a session.
    pub zstack_access_key_id: Setting<SecretString>,
    /// A ZStack AccessKey's secret.
    pub zstack_access_key_secret: Setting<SecretString>,
    pub asid: Setting<AccountServiceId>,
    pub output: Setting<OutputFormat>,
    pub timeout: Setting<Duration>,
    pub wait_timeout: Setting<Duration>,
}

/// A setting that cannot be used; the message says which and what to do,
/// and never repeats a secret.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Where the config file lives: `$CFP_CONFIG`, else `cfp/config.toml` under
/// the platform config directory (`$XDG_CONFIG_HOME` or `~/.config` on Linux).
pub fn config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = env(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "cfp").map(|d| d.config_dir().join("config.toml"))
}

/// Warnings met while resolving (printed on stderr by the caller).
pub type Warnings = Vec<String>;

/// The values flags gave, by descriptor name.
#[derive(Debug, Default)]
pub struct Flags {
    pub asid: Option<AccountServiceId>,
    pub output: Option<OutputFormat>,
    pub timeout: Option<Duration>,
    pub wait_timeout: Option<Duration>,
}

impl Flags {
    /// The global flags and the command's `--asid`.
    pub fn from_global(global: &Global, asid: Option<AccountServiceId>) -> Self {
        Self {
            asid,
            output: global.output,
            timeout: global.timeout,
            wait_timeout: global.wait_timeout,
        }
    }
}

/// The config file, read: each profile a map of key to text.
#[derive(Debug, Default)]
struct ConfigFile {
    default_profile: Option<String>,
    profiles: BTreeMap<String, BTreeMap<String, String>>,
}

impl Settings {
    /// Resolves every setting. `env` reads an environment variable (injected
    /// for tests); `stdout_is_terminal` picks the default output format.
    pub fn resolve(
        global: &Global,
        asid_flag: Option<AccountServiceId>,
        env: &dyn Fn(&str) -> Option<String>,
        stdout_is_terminal: bool,
    ) -> Result<(Self, Warnings), ConfigError> {
        Self::resolve_with(global, asid_flag, env, stdout_is_terminal, true)
    }

    /// For `cfp config show`, which works on a broken configuration: the
    /// settings, or when they cannot be resolved, the error and the
    /// settings resolved without the config file (flags, environment,
    /// defaults), if those can be.
    pub fn resolve_for_show(
        global: &Global,
        env: &dyn Fn(&str) -> Option<String>,
        stdout_is_terminal: bool,
    ) -> (Option<Self>, Option<ConfigError>, Warnings) {
        match Self::resolve_with(global, None, env, stdout_is_terminal, true) {
            Ok((s, w)) => (Some(s), None, w),
            Err(e) => match Self::resolve_with(global, None, env, stdout_is_terminal, false) {
                Ok((s, w)) => (Some(s), Some(e), w),
                Err(_) => (None, Some(e), Vec::new()),
            },
        }
    }

    fn resolve_with(
        global: &Global,
        asid_flag: Option<AccountServiceId>,
        env: &dyn Fn(&str) -> Option<String>,
        stdout_is_terminal: bool,
        use_file: bool,
    ) -> Result<(Self, Warnings), ConfigError> {
        let mut warnings = Vec::new();
        let env = |var: &str| env(var).filter(|v| !v.is_empty());
        let flags = Flags::from_global(global, asid_flag);
        let config_path = config_path(&env);
        let named_by_env = env(CONFIG_ENV).is_some();
        let file = match &config_path {
            Some(p) if use_file => load_file(p, named_by_env, &mut warnings)?,
            _ => None,
        };

        // The profile name: flag, env, the file's default_profile, "default".
        let mut profile = if let Some(p) = &global.profile {
            Setting {
                value: Some(p.clone()),
                origin: Origin::Flag("--profile"),
            }
        } else if let Some(p) = env(PROFILE_ENV) {
            Setting {
                value: Some(p),
                origin: Origin::Env(PROFILE_ENV),
            }
        } else if let Some(p) = file.as_ref().and_then(|f| f.default_profile.clone()) {
            Setting {
                value: Some(p),
                origin: Origin::Profile {
                    name: "default_profile".into(),
                    path: config_path.clone().unwrap_or_default(),
                },
            }
        } else {
            Setting {
                value: Some("default".into()),
                origin: Origin::Default,
            }
        };
        let profile_name = profile.value.clone().unwrap_or_default();
        let chosen = file.as_ref().and_then(|f| f.profiles.get(&profile_name));
        if chosen.is_none() && !matches!(profile.origin, Origin::Default) && use_file {
            let known: Vec<&str> = file
                .as_ref()
                .map(|f| f.profiles.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(ConfigError(format!(
                "profile {profile_name:?} ({}) is not in {}; profiles there: {}",
                profile.origin,
                config_path
                    .as_deref()
                    .map_or_else(|| "the config file".into(), |p| p.display().to_string()),
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )));
        }
        if chosen.is_none() {
            profile.origin = Origin::Default;
        }

        // Each setting's text and origin, from the table.
        let raw = |d: &Descriptor| -> Setting<String> {
            if let Some(v) = env(d.env) {
                Setting {
                    value: Some(v),
                    origin: Origin::Env(d.env),
                }
            } else if let Some(v) = chosen.and_then(|p| p.get(d.key)) {
                Setting {
                    value: Some(v.clone()),
                    origin: Origin::Profile {
                        name: profile_name.clone(),
                        path: config_path.clone().unwrap_or_default(),
                    },
                }
            } else if let Some(v) = d.default {
                Setting {
                    value: Some(v.to_owned()),
                    origin: Origin::Default,
                }
            } else {
                Setting::unset()
            }
        };
        let by = |name: &str| -> &Descriptor {
            // The names below are the table's own; a miss is a bug caught by
            // the tests, so fall back to the first row rather than panic.
            SETTINGS
                .iter()
                .find(|d| d.name == name)
                .unwrap_or(&SETTINGS[0])
        };
        let url = |name: &str| -> Result<Setting<String>, ConfigError> {
            let d = by(name);
            let s = raw(d);
            match s.value {
                None => Ok(s),
                Some(v) => match sdk::check_url(&sdk_setting(d), &v) {
                    Ok(checked) => Ok(Setting {
                        value: Some(checked),
                        origin: s.origin,
                    }),
                    // The SDK's message never repeats a password.
                    Err(e) => Err(ConfigError(format!("{e} (from {})", s.origin))),
                },
            }
        };
        let secret = |name: &str| -> Setting<SecretString> {
            let s = raw(by(name));
            Setting {
                value: s.value.map(SecretString::from),
                origin: s.origin,
            }
        };
        let asid = match flags.asid {
            Some(a) => Setting {
                value: Some(a),
                origin: Origin::Flag("--asid"),
            },
            None => parse_setting(raw(by("asid")), |v| {
                v.parse::<AccountServiceId>().map_err(|e| e.to_string())
            })?,
        };
        let output = match flags.output {
            Some(o) => Setting {
                value: Some(o),
                origin: Origin::Flag("--output"),
            },
            None => {
                let s = raw(by("output"));
                if s.value.is_some() {
                    parse_setting(s, |v| {
                        <OutputFormat as clap::ValueEnum>::from_str(v, true)
                            .map_err(|_| "expected json, table or ndjson".to_owned())
                    })?
                } else {
                    Setting {
                        value: Some(if stdout_is_terminal {
                            OutputFormat::Table
                        } else {
                            OutputFormat::Json
                        }),
                        origin: Origin::Default,
                    }
                }
            }
        };
        let duration = |flag: Option<Duration>, name: &str| {
            let d = by(name);
            match flag {
                Some(v) => Ok(Setting {
                    value: Some(v),
                    origin: Origin::Flag(d.flag.unwrap_or("")),
                }),
                None => parse_setting(raw(d), parse_duration),
            }
        };
        let settings = Settings {
            clanforge_url: url(sdk::CLANFORGE_URL.name)?,
            clanforge_key: secret(sdk::CLANFORGE_KEY.name),
            clanforge_secret: secret(sdk::CLANFORGE_SECRET.name),
            task_url: url(sdk::TASK_URL.name)?,
            task_token: secret(sdk::TASK_TOKEN.name),
            zstack_url: url(sdk::ZSTACK_URL.name)?,
            zstack_session: secret(sdk::ZSTACK_SESSION.name),
            zstack_access_key_id: secret(sdk::ZSTACK_ACCESS_KEY_ID.name),
            zstack_access_key_secret: secret(sdk::ZSTACK_ACCESS_KEY_SECRET.name),
            timeout: duration(flags.timeout, "timeout")?,
            wait_timeout: duration(flags.wait_timeout, "wait timeout")?,
            config_path,
            profile,
            asid,
            output,
        };
        Ok((settings, warnings))
    }

    /// A redactor of every secret these settings hold (the Clanforge pair
    /// also as the `Basic` header's base64).
    pub fn redactor(&self) -> cfp_api::Redactor {
        let mut r = cfp_api::Redactor::default();
        for s in [
            &self.clanforge_key,
            &self.clanforge_secret,
            &self.task_token,
            &self.zstack_session,
            &self.zstack_access_key_id,
            &self.zstack_access_key_secret,
        ] {
            if let Some(v) = &s.value {
                r.add(v.expose_secret());
            }
        }
        if let (Some(k), Some(s)) = (&self.clanforge_key.value, &self.clanforge_secret.value) {
            r.add_basic(k.expose_secret(), s.expose_secret());
        }
        r
    }

    /// Points every surface at the in-process simulator.
    pub fn use_simulator(
        &mut self,
        base_url: &str,
        key: &str,
        secret: &str,
        token: &str,
        session: &str,
    ) {
        let url = || Setting {
            value: Some(base_url.to_owned()),
            origin: Origin::Sim,
        };
        let sec = |v: &str| Setting {
            value: Some(SecretString::from(v.to_owned())),
            origin: Origin::Sim,
        };
        self.clanforge_url = url();
        self.task_url = url();
        self.zstack_url = url();
        self.clanforge_key = sec(key);
        self.clanforge_secret = sec(secret);
        self.task_token = sec(token);
        self.zstack_session = sec(session);
        // The simulator takes the session; an AccessKey beside it would be
        // refused as two kinds of ZStack credentials.
        let none = || Setting {
            value: None,
            origin: Origin::Sim,
        };
        self.zstack_access_key_id = none();
        self.zstack_access_key_secret = none();
        if self.asid.value.is_none() {
            self.asid = Setting {
                value: Some(AccountServiceId(1)),
                origin: Origin::Sim,
            };
        }
    }

    /// `(name, shown value, origin)` for every setting, secrets redacted.
    pub fn rows(&self) -> Vec<(&'static str, String, String)> {
        fn plain<T: fmt::Display>(s: &Setting<T>) -> String {
            s.value
                .as_ref()
                .map_or_else(|| "-".into(), ToString::to_string)
        }
        fn secret(s: &Setting<SecretString>) -> String {
            match &s.value {
                // Only the length is shown, never a character of the secret.
                Some(v) => format!("<redacted, {} chars>", v.expose_secret().chars().count()),
                None => "-".into(),
            }
        }
        let dur =
            |s: &Setting<Duration>| s.value.map_or_else(|| "-".into(), cfp_api::human_duration);
        let out = |s: &Setting<OutputFormat>| {
            s.value
                .and_then(|o| clap::ValueEnum::to_possible_value(&o))
                .map_or_else(|| "-".into(), |v| v.get_name().to_owned())
        };
        let mut rows = vec![
            (
                "config file",
                self.config_path
                    .as_deref()
                    .map_or_else(|| "-".into(), |p| p.display().to_string()),
                match &self.config_path {
                    Some(p) if p.exists() => "read".into(),
                    Some(_) => "absent".into(),
                    None => "no config directory".into(),
                },
            ),
            (
                "profile",
                plain(&self.profile),
                self.profile.origin.to_string(),
            ),
        ];
        for d in &SETTINGS {
            let (value, origin) = match d.name {
                n if n == sdk::CLANFORGE_URL.name => {
                    (plain(&self.clanforge_url), &self.clanforge_url.origin)
                }
                n if n == sdk::CLANFORGE_KEY.name => {
                    (secret(&self.clanforge_key), &self.clanforge_key.origin)
                }
                n if n == sdk::CLANFORGE_SECRET.name => (
                    secret(&self.clanforge_secret),
                    &self.clanforge_secret.origin,
                ),
                n if n == sdk::TASK_URL.name => (plain(&self.task_url), &self.task_url.origin),
                n if n == sdk::TASK_TOKEN.name => {
                    (secret(&self.task_token), &self.task_token.origin)
                }
                n if n == sdk::ZSTACK_URL.name => {
                    (plain(&self.zstack_url), &self.zstack_url.origin)
                }
                n if n == sdk::ZSTACK_SESSION.name => {
                    (secret(&self.zstack_session), &self.zstack_session.origin)
                }
                n if n == sdk::ZSTACK_ACCESS_KEY_ID.name => (
                    secret(&self.zstack_access_key_id),
                    &self.zstack_access_key_id.origin,
                ),
                n if n == sdk::ZSTACK_ACCESS_KEY_SECRET.name => (
                    secret(&self.zstack_access_key_secret),
                    &self.zstack_access_key_secret.origin,
                ),
                "asid" => (plain(&self.asid), &self.asid.origin),
                "output" => (out(&self.output), &self.output.origin),
                "timeout" => (dur(&self.timeout), &self.timeout.origin),
                _ => (dur(&self.wait_timeout), &self.wait_timeout.origin),
            };
            rows.push((d.name, value, origin.to_string()));
        }
        rows
    }
}

/// The SDK's row for one of its own settings.
fn sdk_setting(d: &Descriptor) -> SdkSetting {
    sdk::ALL
        .into_iter()
        .find(|s| s.name == d.name)
        .unwrap_or(sdk::CLANFORGE_URL)
}

fn parse_setting<T>(
    s: Setting<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Setting<T>, ConfigError> {
    match s.value {
        None => Ok(Setting {
            value: None,
            origin: s.origin,
        }),
        Some(v) => parse(&v)
            .map(|value| Setting {
                value: Some(value),
                origin: s.origin.clone(),
            })
            .map_err(|e| ConfigError(format!("{} ({}): {e}", v, s.origin))),
    }
}

/// Reads the config file. A file named by `CFP_CONFIG` must exist; the
/// default one may be absent. Errors name the file, the line and the key,
/// never the value: a line may hold a secret.
fn load_file(
    path: &Path,
    named_by_env: bool,
    warnings: &mut Warnings,
) -> Result<Option<ConfigFile>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named_by_env => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError(format!(
                "config file {} (named by {CONFIG_ENV}) does not exist",
                path.display()
            )));
        }
        Err(e) => {
            return Err(ConfigError(format!(
                "cannot read config file {}{}: {}",
                path.display(),
                if named_by_env {
                    format!(" (named by {CONFIG_ENV})")
                } else {
                    String::new()
                },
                e.kind()
            )));
        }
    };
    let file = parse_file(&text)
        .map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))?;
    let has_secrets = file.profiles.values().any(|p| {
        SETTINGS
            .iter()
            .any(|d| d.kind == Kind::Secret && p.contains_key(d.key))
    });
    if has_secrets && readable_by_others(path) {
        warnings.push(format!(
            "{} holds credentials and is readable by other users; run: chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    Ok(Some(file))
}

/// Parses the file's text. A syntax error says where (line and column) and
/// what, but not the text of the line; an unknown key is named with the
/// closest known one.
fn parse_file(text: &str) -> Result<ConfigFile, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!("line {line}, column {col}: ")
            })
            .unwrap_or_default();
        format!(
            "{at}{} (the line is not shown: it may hold a secret)",
            e.message()
        )
    })?;
    let mut file = ConfigFile::default();
    for (key, value) in doc {
        match (key.as_str(), value) {
            ("default_profile", toml::Value::String(s)) => file.default_profile = Some(s),
            ("default_profile", _) => return Err("default_profile must be a string".into()),
            ("profiles", toml::Value::Table(profiles)) => {
                for (name, p) in profiles {
                    let toml::Value::Table(p) = p else {
                        return Err(format!("profiles.{name} must be a table of settings"));
                    };
                    let mut settings = BTreeMap::new();
                    for (k, v) in p {
                        let Some(d) = SETTINGS.iter().find(|d| d.key == k) else {
                            return Err(format!(
                                "profile {name:?}: unknown key {k:?}{}; known keys: {}",
                                closest(&k)
                                    .map(|c| format!(" (did you mean {c:?}?)"))
                                    .unwrap_or_default(),
                                SETTINGS
                                    .iter()
                                    .map(|d| d.key)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        };
                        let text = match (&v, d.kind) {
                            (toml::Value::String(s), _) => s.clone(),
                            (toml::Value::Integer(i), Kind::Asid) => i.to_string(),
                            _ => {
                                return Err(format!(
                                    "profile {name:?}: {k} must be {}",
                                    if d.kind == Kind::Asid {
                                        "a number"
                                    } else {
                                        "a string"
                                    }
                                ));
                            }
                        };
                        settings.insert(k, text);
                    }
                    file.profiles.insert(name, settings);
                }
            }
            ("profiles", _) => return Err("profiles must be a table".into()),
            (other, _) => {
                return Err(format!(
                    "unknown top-level key {other:?}; the file holds default_profile and [profiles.NAME] tables"
                ));
            }
        }
    }
    Ok(file)
}

/// The known key closest to a misspelt one (at most two edits away).
fn closest(key: &str) -> Option<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                let cost = usize::from(ca != *cb);
                cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }
    SETTINGS
        .iter()
        .map(|d| (distance(key, d.key), d.key))
        .filter(|(n, _)| *n <= 2)
        .min()
        .map(|(_, k)| k)
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn global() -> Global {
        Global {
            output: None,
            profile: None,
            sim: false,
            timeout: None,
            wait_timeout: None,
            verbose: 0,
            no_progress: false,
            dry_run: false,
            jq: None,
        }
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        vars: HashMap<String, String>,
    }

    impl Fixture {
        fn new(config: Option<&str>) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("config.toml");
            // No configuration is an empty file: the user's own file is
            // never read by tests.
            std::fs::write(&path, config.unwrap_or("")).unwrap();
            let mut vars = HashMap::new();
            vars.insert(CONFIG_ENV.to_owned(), path.display().to_string());
            Self { _dir: dir, vars }
        }

        fn set(mut self, k: &str, v: &str) -> Self {
            self.vars.insert(k.into(), v.into());
            self
        }

        fn resolve(&self, g: &Global) -> Result<Settings, ConfigError> {
            let env = |k: &str| self.vars.get(k).cloned();
            Settings::resolve(g, None, &env, false).map(|(s, _)| s)
        }
    }

    const FILE: &str = r#"
default_profile = "staging"
[profiles.staging]
task_url = "https://staging.example.test"
task_token = "profile-token-FAKE"
asid = 7
output = "table"
[profiles.prod]
asid = 9
"#;

    #[test]
    fn the_client_settings_are_the_sdks_rows() {
        for s in sdk::ALL {
            let d = SETTINGS.iter().find(|d| d.name == s.name).unwrap();
            assert_eq!((d.env, d.key, d.default), (s.env, s.key, s.default));
            assert_eq!(d.kind == Kind::Secret, s.secret);
        }
    }

    #[test]
    fn defaults_apply_with_no_configuration() {
        let s = Fixture::new(None).resolve(&global()).unwrap();
        assert_eq!(s.clanforge_url.value.as_deref(), sdk::CLANFORGE_URL.default);
        assert_eq!(s.clanforge_url.origin, Origin::Default);
        assert_eq!(s.zstack_url.value, None, "ZStack has no public default");
        assert_eq!(s.output.value, Some(OutputFormat::Json), "not a terminal");
        assert_eq!(s.timeout.value, Some(DEFAULT_TIMEOUT));
        assert_eq!(s.wait_timeout.value, Some(DEFAULT_WAIT_TIMEOUT));
        assert_eq!(s.profile.value.as_deref(), Some("default"));
    }

    #[test]
    fn flags_beat_environment_beats_profile_beats_defaults() {
        let f = Fixture::new(Some(FILE));
        let s = f.resolve(&global()).unwrap();
        assert_eq!(s.asid.value, Some(AccountServiceId(7)));
        assert!(matches!(s.asid.origin, Origin::Profile { ref name, .. } if name == "staging"));
        assert_eq!(s.output.value, Some(OutputFormat::Table));

        let f = f.set("CFP_ASID", "8").set("CFP_OUTPUT", "ndjson");
        let s = f.resolve(&global()).unwrap();
        assert_eq!(s.asid.value, Some(AccountServiceId(8)));
        assert_eq!(s.asid.origin, Origin::Env("CFP_ASID"));
        assert_eq!(s.output.value, Some(OutputFormat::Ndjson));

        let mut g = global();
        g.output = Some(OutputFormat::Json);
        let env = |k: &str| f.vars.get(k).cloned();
        let (s, _) = Settings::resolve(&g, Some(AccountServiceId(3)), &env, false).unwrap();
        assert_eq!(s.asid.value, Some(AccountServiceId(3)));
        assert_eq!(s.asid.origin, Origin::Flag("--asid"));
        assert_eq!(s.output.origin, Origin::Flag("--output"));
    }

    #[test]
    fn profile_is_chosen_by_flag_env_or_file_default() {
        let f = Fixture::new(Some(FILE)).set("CFP_PROFILE", "prod");
        let s = f.resolve(&global()).unwrap();
        assert_eq!(s.asid.value, Some(AccountServiceId(9)));
        assert_eq!(s.profile.origin, Origin::Env("CFP_PROFILE"));
        let mut g = global();
        g.profile = Some("staging".into());
        let s = f.resolve(&g).unwrap();
        assert_eq!(s.asid.value, Some(AccountServiceId(7)));
    }

    #[test]
    fn an_unknown_profile_is_an_error_that_lists_the_known_ones() {
        let mut g = global();
        g.profile = Some("prdo".into());
        let e = Fixture::new(Some(FILE)).resolve(&g).unwrap_err();
        assert!(e.0.contains("\"prdo\""), "{e}");
        assert!(e.0.contains("prod, staging"), "{e}");
    }

    #[test]
    fn typos_in_the_file_are_reported_with_their_key_and_never_their_value() {
        let e = Fixture::new(Some("[profiles.x]\nclanforg_key = \"k-FAKE-VALUE\"\n"))
            .resolve(&global())
            .unwrap_err();
        assert!(e.0.contains("clanforg_key"), "{e}");
        assert!(e.0.contains("did you mean \"clanforge_key\""), "{e}");
        assert!(!e.0.contains("FAKE-VALUE"), "{e}");
        let e = Fixture::new(Some("[profiles.x]\ntask_tokn = \"t-FAKE-VALUE\"\n"))
            .resolve(&global())
            .unwrap_err();
        assert!(e.0.contains("task_token"), "{e}");
        assert!(!e.0.contains("FAKE-VALUE"), "{e}");
    }

    #[test]
    fn a_syntax_error_names_the_line_but_never_shows_it() {
        let e = Fixture::new(Some("[profiles.x]\ntask_token = \"t-FAKE-VALUE\n"))
            .resolve(&global())
            .unwrap_err();
        assert!(e.0.contains("line 2"), "{e}");
        assert!(!e.0.contains("FAKE"), "{e}");
    }

    #[test]
    fn a_config_file_named_by_the_environment_must_exist() {
        let f = Fixture::new(None).set(CONFIG_ENV, "/nonexistent/cfp/config.toml");
        let e = f.resolve(&global()).unwrap_err();
        assert!(e.0.contains("named by CFP_CONFIG"), "{e}");
    }

    #[test]
    fn bad_values_name_their_origin() {
        let e = Fixture::new(None)
            .set("CFP_TASK_URL", "ftp://x")
            .resolve(&global())
            .unwrap_err();
        assert!(e.0.contains("CFP_TASK_URL") && e.0.contains("http"), "{e}");
        let e = Fixture::new(None)
            .set("CFP_ASID", "0")
            .resolve(&global())
            .unwrap_err();
        assert!(
            e.0.contains("CFP_ASID") && e.0.contains("greater than zero"),
            "{e}"
        );
        let e = Fixture::new(None)
            .set("CFP_CLANFORGE_URL", "https://user:pw-FAKE@example.test")
            .resolve(&global())
            .unwrap_err();
        assert!(e.0.contains("must not carry credentials"), "{e}");
        assert!(!e.0.contains("pw-FAKE"), "{e}");
    }

    #[test]
    fn config_show_never_prints_a_secret() {
        let s = Fixture::new(Some(FILE))
            .set("CFP_CLANFORGE_SECRET", "env-secret-FAKE")
            .resolve(&global())
            .unwrap();
        let shown = format!("{:?}", s.rows());
        assert!(!shown.contains("profile-token-FAKE"), "{shown}");
        assert!(!shown.contains("env-secret-FAKE"), "{shown}");
        assert!(shown.contains("<redacted, 18 chars>"), "{shown}");
        let debug = format!("{s:?}");
        assert!(!debug.contains("profile-token-FAKE") && !debug.contains("env-secret-FAKE"));
    }

    #[test]
    fn a_zstack_access_key_is_read_shown_redacted_and_redacted_from_output() {
        let file = "[profiles.ops]\nzstack_access_key_id = \"akid-FAKE-VALUE\"\n";
        let f = Fixture::new(Some(file))
            .set("CFP_PROFILE", "ops")
            .set("CFP_ZSTACK_ACCESS_KEY_SECRET", "aksecret-FAKE-VALUE");
        let s = f.resolve(&global()).unwrap();
        assert!(matches!(
            s.zstack_access_key_id.origin,
            Origin::Profile { .. }
        ));
        assert_eq!(
            s.zstack_access_key_secret.origin,
            Origin::Env("CFP_ZSTACK_ACCESS_KEY_SECRET")
        );
        let shown = format!("{:?}", s.rows());
        assert!(!shown.contains("FAKE-VALUE"), "{shown}");
        assert!(shown.contains("zstack access key id"), "{shown}");
        let r = s.redactor();
        assert_eq!(
            r.redact("id akid-FAKE-VALUE secret aksecret-FAKE-VALUE"),
            "id <redacted> secret <redacted>"
        );
    }

    #[test]
    fn the_simulator_replaces_an_access_key_with_its_session() {
        let mut s = Fixture::new(None)
            .set("CFP_ZSTACK_ACCESS_KEY_ID", "akid-FAKE-VALUE")
            .set("CFP_ZSTACK_ACCESS_KEY_SECRET", "aksecret-FAKE-VALUE")
            .resolve(&global())
            .unwrap();
        s.use_simulator("http://127.0.0.1:1", "k", "s", "t", "session");
        assert!(s.zstack_access_key_id.value.is_none());
        assert!(s.zstack_access_key_secret.value.is_none());
        assert_eq!(s.zstack_access_key_id.origin, Origin::Sim);
    }

    #[cfg(unix)]
    #[test]
    fn a_world_readable_file_with_credentials_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let f = Fixture::new(Some(FILE));
        let path = PathBuf::from(&f.vars[CONFIG_ENV]);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let env = |k: &str| f.vars.get(k).cloned();
        let (_, warnings) = Settings::resolve(&global(), None, &env, false).unwrap();
        assert!(warnings[0].contains("chmod 600"), "{warnings:?}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let (_, warnings) = Settings::resolve(&global(), None, &env, false).unwrap();
        assert!(warnings.is_empty());
    }
}
