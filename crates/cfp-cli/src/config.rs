//! Effective settings: flags, then the environment, then the profile in
//! `cfp/config.toml`, then defaults — each value with where it came from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cfp_model::AccountServiceId;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::cli::{Global, OutputFormat};
use crate::parse::parse_duration;

/// Public base URL of Clanforge.
pub const DEFAULT_CLANFORGE_URL: &str = "https://api.multiplay.co.uk";
/// Public base URL of the task API.
pub const DEFAULT_TASK_URL: &str = "https://api.i3d.net";
/// Per-call timeout, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Bound of a whole wait.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

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
    pub asid: Setting<AccountServiceId>,
    pub output: Setting<OutputFormat>,
    pub timeout: Setting<Duration>,
    pub wait_timeout: Setting<Duration>,
}

/// A profile in the config file. Unknown keys are refused, so a typo is
/// reported instead of silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    clanforge_url: Option<String>,
    clanforge_key: Option<String>,
    clanforge_secret: Option<String>,
    task_url: Option<String>,
    task_token: Option<String>,
    zstack_url: Option<String>,
    zstack_session: Option<String>,
    asid: Option<u64>,
    output: Option<String>,
    timeout: Option<String>,
    wait_timeout: Option<String>,
}

impl Profile {
    fn has_secrets(&self) -> bool {
        self.clanforge_key.is_some()
            || self.clanforge_secret.is_some()
            || self.task_token.is_some()
            || self.zstack_session.is_some()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// A setting that cannot be used; the message says which and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Where the config file lives: `$CFP_CONFIG`, else `cfp/config.toml` under
/// the platform config directory (`$XDG_CONFIG_HOME` or `~/.config` on Linux).
pub fn config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = env("CFP_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "cfp").map(|d| d.config_dir().join("config.toml"))
}

/// Warnings met while resolving (printed on stderr by the caller).
pub type Warnings = Vec<String>;

impl Settings {
    /// Resolves every setting. `env` reads an environment variable (injected
    /// for tests); `stdout_is_terminal` picks the default output format.
    pub fn resolve(
        global: &Global,
        asid_flag: Option<AccountServiceId>,
        env: &dyn Fn(&str) -> Option<String>,
        stdout_is_terminal: bool,
    ) -> Result<(Self, Warnings), ConfigError> {
        let mut warnings = Vec::new();
        let env = |var: &str| env(var).filter(|v| !v.is_empty());
        let config_path = config_path(&env);

        // The profile name: flag, env, the file's default_profile, "default".
        let file = match &config_path {
            Some(p) => load_file(p, &mut warnings)?,
            None => None,
        };
        let mut profile = if let Some(p) = &global.profile {
            Setting {
                value: Some(p.clone()),
                origin: Origin::Flag("--profile"),
            }
        } else if let Some(p) = env("CFP_PROFILE") {
            Setting {
                value: Some(p),
                origin: Origin::Env("CFP_PROFILE"),
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
        let explicitly_chosen = !matches!(profile.origin, Origin::Default);
        if chosen.is_none() && explicitly_chosen {
            let known: Vec<&str> = file
                .as_ref()
                .map(|f| f.profiles.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(ConfigError(format!(
                "profile {profile_name:?} ({}) is not in {}; profiles there: {}",
                profile.origin,
                config_path
                    .as_deref()
                    .map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "the config file".into()),
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
        let from_profile = |name: &str| Origin::Profile {
            name: name.to_owned(),
            path: config_path.clone().unwrap_or_default(),
        };
        let pick = |var: &'static str,
                    field: fn(&Profile) -> Option<String>,
                    default: Option<&str>|
         -> Setting<String> {
            if let Some(v) = env(var) {
                Setting {
                    value: Some(v),
                    origin: Origin::Env(var),
                }
            } else if let Some(v) = chosen.and_then(field) {
                Setting {
                    value: Some(v),
                    origin: from_profile(&profile_name),
                }
            } else if let Some(d) = default {
                Setting {
                    value: Some(d.to_owned()),
                    origin: Origin::Default,
                }
            } else {
                Setting::unset()
            }
        };
        let secret = |s: Setting<String>| Setting {
            value: s.value.map(SecretString::from),
            origin: s.origin,
        };

        let clanforge_url = check_url(pick(
            "CFP_CLANFORGE_URL",
            |p| p.clanforge_url.clone(),
            Some(DEFAULT_CLANFORGE_URL),
        ))?;
        let task_url = check_url(pick(
            "CFP_TASK_URL",
            |p| p.task_url.clone(),
            Some(DEFAULT_TASK_URL),
        ))?;
        let zstack_url = check_url(pick("CFP_ZSTACK_URL", |p| p.zstack_url.clone(), None))?;

        let asid = match asid_flag {
            Some(a) => Setting {
                value: Some(a),
                origin: Origin::Flag("--asid"),
            },
            None => parse_setting(
                pick("CFP_ASID", |p| p.asid.map(|a| a.to_string()), None),
                |v| v.parse::<AccountServiceId>().map_err(|e| e.to_string()),
            )?,
        };
        let output = match global.output {
            Some(o) => Setting {
                value: Some(o),
                origin: Origin::Flag("--output"),
            },
            None => {
                let s = pick("CFP_OUTPUT", |p| p.output.clone(), None);
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
        let duration = |flag: Option<Duration>,
                        flag_name: &'static str,
                        var: &'static str,
                        field: fn(&Profile) -> Option<String>,
                        default: Duration|
         -> Result<Setting<Duration>, ConfigError> {
            if let Some(d) = flag {
                return Ok(Setting {
                    value: Some(d),
                    origin: Origin::Flag(flag_name),
                });
            }
            let s = pick(var, field, None);
            if s.value.is_none() {
                return Ok(Setting {
                    value: Some(default),
                    origin: Origin::Default,
                });
            }
            parse_setting(s, parse_duration)
        };
        let timeout = duration(
            global.timeout,
            "--timeout",
            "CFP_TIMEOUT",
            |p| p.timeout.clone(),
            DEFAULT_TIMEOUT,
        )?;
        let wait_timeout = duration(
            global.wait_timeout,
            "--wait-timeout",
            "CFP_WAIT_TIMEOUT",
            |p| p.wait_timeout.clone(),
            DEFAULT_WAIT_TIMEOUT,
        )?;

        let settings = Settings {
            clanforge_key: secret(pick("CFP_CLANFORGE_KEY", |p| p.clanforge_key.clone(), None)),
            clanforge_secret: secret(pick(
                "CFP_CLANFORGE_SECRET",
                |p| p.clanforge_secret.clone(),
                None,
            )),
            task_token: secret(pick("CFP_TASK_TOKEN", |p| p.task_token.clone(), None)),
            zstack_session: secret(pick(
                "CFP_ZSTACK_SESSION",
                |p| p.zstack_session.clone(),
                None,
            )),
            config_path,
            profile,
            clanforge_url,
            task_url,
            zstack_url,
            asid,
            output,
            timeout,
            wait_timeout,
        };
        Ok((settings, warnings))
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
                .map(ToString::to_string)
                .unwrap_or_else(|| "-".into())
        }
        fn secret(s: &Setting<SecretString>) -> String {
            match &s.value {
                // Only the length is shown, never a character of the secret.
                Some(v) => format!("<redacted, {} chars>", v.expose_secret().chars().count()),
                None => "-".into(),
            }
        }
        let dur = |s: &Setting<Duration>| {
            s.value
                .map(|d| {
                    jiff::SignedDuration::try_from(d)
                        .map(|d| format!("{d:#}"))
                        .unwrap_or_default()
                })
                .unwrap_or_else(|| "-".into())
        };
        let out = |s: &Setting<OutputFormat>| {
            s.value
                .and_then(|o| clap::ValueEnum::to_possible_value(&o))
                .map(|v| v.get_name().to_owned())
                .unwrap_or_else(|| "-".into())
        };
        vec![
            (
                "config file",
                self.config_path
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "-".into()),
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
            (
                "clanforge url",
                plain(&self.clanforge_url),
                self.clanforge_url.origin.to_string(),
            ),
            (
                "clanforge key",
                secret(&self.clanforge_key),
                self.clanforge_key.origin.to_string(),
            ),
            (
                "clanforge secret",
                secret(&self.clanforge_secret),
                self.clanforge_secret.origin.to_string(),
            ),
            (
                "task url",
                plain(&self.task_url),
                self.task_url.origin.to_string(),
            ),
            (
                "task token",
                secret(&self.task_token),
                self.task_token.origin.to_string(),
            ),
            (
                "zstack url",
                plain(&self.zstack_url),
                self.zstack_url.origin.to_string(),
            ),
            (
                "zstack session",
                secret(&self.zstack_session),
                self.zstack_session.origin.to_string(),
            ),
            ("asid", plain(&self.asid), self.asid.origin.to_string()),
            ("output", out(&self.output), self.output.origin.to_string()),
            (
                "timeout",
                dur(&self.timeout),
                self.timeout.origin.to_string(),
            ),
            (
                "wait timeout",
                dur(&self.wait_timeout),
                self.wait_timeout.origin.to_string(),
            ),
        ]
    }
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

/// A base URL is `http(s)://host[:port]` with an optional path prefix.
fn check_url(s: Setting<String>) -> Result<Setting<String>, ConfigError> {
    let Some(v) = &s.value else { return Ok(s) };
    let bad = |why: &str| {
        Err(ConfigError(format!(
            "base URL {v:?} ({}) {why}; expected http(s)://host[:port][/prefix]",
            s.origin
        )))
    };
    let Ok(url) = url::Url::parse(v) else {
        return bad("is not a URL");
    };
    if !matches!(url.scheme(), "http" | "https") {
        return bad("must use http or https");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return bad("has no host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad("must not have a query or fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return bad("must not carry credentials (use the key/token settings)");
    }
    Ok(Setting {
        value: Some(v.trim_end_matches('/').to_owned()),
        origin: s.origin,
    })
}

fn load_file(path: &Path, warnings: &mut Warnings) -> Result<Option<ConfigFile>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConfigError(format!(
                "cannot read config file {}: {e}",
                path.display()
            )));
        }
    };
    let file: ConfigFile = toml::from_str(&text)
        .map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))?;
    if file.profiles.values().any(Profile::has_secrets) && readable_by_others(path) {
        warnings.push(format!(
            "{} holds credentials and is readable by other users; run: chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    Ok(Some(file))
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
            if let Some(text) = config {
                std::fs::write(&path, text).unwrap();
            }
            let mut vars = HashMap::new();
            vars.insert("CFP_CONFIG".to_owned(), path.display().to_string());
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
    fn defaults_apply_with_no_configuration() {
        let s = Fixture::new(None).resolve(&global()).unwrap();
        assert_eq!(
            s.clanforge_url.value.as_deref(),
            Some(DEFAULT_CLANFORGE_URL)
        );
        assert_eq!(s.clanforge_url.origin, Origin::Default);
        assert_eq!(s.zstack_url.value, None, "ZStack has no public default");
        assert_eq!(s.output.value, Some(OutputFormat::Json), "not a terminal");
        assert_eq!(s.timeout.value, Some(DEFAULT_TIMEOUT));
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
    fn typos_in_the_file_are_reported_with_their_key() {
        let e = Fixture::new(Some("[profiles.x]\nclanforg_key = \"k\"\n"))
            .resolve(&global())
            .unwrap_err();
        assert!(e.0.contains("clanforg_key"), "{e}");
    }

    #[test]
    fn bad_values_name_their_origin() {
        let e = Fixture::new(None)
            .set("CFP_TASK_URL", "ftp://x")
            .resolve(&global())
            .unwrap_err();
        assert!(
            e.0.contains("CFP_TASK_URL") && e.0.contains("http or https"),
            "{e}"
        );
        let e = Fixture::new(None)
            .set("CFP_ASID", "0")
            .resolve(&global())
            .unwrap_err();
        assert!(
            e.0.contains("CFP_ASID") && e.0.contains("greater than zero"),
            "{e}"
        );
        let e = Fixture::new(None)
            .set("CFP_CLANFORGE_URL", "https://user:pw@example.test")
            .resolve(&global())
            .unwrap_err();
        assert!(e.0.contains("must not carry credentials"), "{e}");
        assert!(!e.0.contains("pw@") || e.0.contains("CFP_CLANFORGE_URL"));
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

    #[cfg(unix)]
    #[test]
    fn a_world_readable_file_with_credentials_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let f = Fixture::new(Some(FILE));
        let path = PathBuf::from(&f.vars["CFP_CONFIG"]);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let env = |k: &str| f.vars.get(k).cloned();
        let (_, warnings) = Settings::resolve(&global(), None, &env, false).unwrap();
        assert!(warnings[0].contains("chmod 600"), "{warnings:?}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let (_, warnings) = Settings::resolve(&global(), None, &env, false).unwrap();
        assert!(warnings.is_empty());
    }
}
