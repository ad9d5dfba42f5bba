//! Building a [`Client`]: base URLs, credentials, policies, and the `CFP_*`
//! environment.

use std::fmt;
use std::sync::Arc;

use cfp_model::Surface;
use cfp_transport::{
    Clock, CredentialError, Credentials, Dispatcher, RandomSource, ReqwestTransport, RetryPolicy,
    ThreadRandom, Timeouts, TokioClock, Transport,
};

use crate::base_url::BaseUrl;
use crate::client::{Client, SurfaceConfig};
use crate::error::Error;
use crate::settings::{self, Setting};

impl Client {
    /// A builder with every default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client from the `CFP_*` environment variables (see
    /// [`settings`](crate::settings)).
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }
}

/// Settings of a [`Client`].
///
/// Every setting is optional: Clanforge and the task API default to the
/// vendors' public URLs, ZStack has no default URL, and a surface without
/// credentials fails its calls with an [`Error::Config`] before sending.
/// Credentials are checked and sealed when given; `Debug` never shows them.
///
/// ```
/// use std::time::Duration;
/// use cfp_api::{Client, RetryPolicy, Timeouts};
///
/// let client = Client::builder()
///     .clanforge_credentials("test-key-DO-NOT-USE", "test-secret-DO-NOT-USE")
///     .task_url("http://127.0.0.1:8080")
///     .task_token("test-token-DO-NOT-USE")
///     .retry_policy(RetryPolicy::default().with_max_attempts(2))
///     .timeouts(Timeouts::default().with_total(Duration::from_secs(30)))
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("DO-NOT-USE"));
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    clanforge_url: Option<String>,
    task_url: Option<String>,
    zstack_url: Option<String>,
    clanforge: Option<Result<Credentials, CredentialError>>,
    task: Option<Result<Credentials, CredentialError>>,
    zstack: Option<Result<Credentials, CredentialError>>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    transport: Option<Arc<dyn Transport>>,
    clock: Option<Arc<dyn Clock>>,
    random: Option<Arc<dyn RandomSource>>,
    root_pems: Vec<Vec<u8>>,
    user_agent_suffix: Option<String>,
    env_error: Option<Error>,
}

impl ClientBuilder {
    /// A builder with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder from the `CFP_*` environment variables (see
    /// [`settings`](crate::settings)); empty values count as unset. Settings
    /// made afterwards override them.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with another source of variables (for
    /// tests, or a profile file read by the caller).
    ///
    /// ```
    /// use cfp_api::ClientBuilder;
    ///
    /// let vars = [("CFP_TASK_URL", "http://127.0.0.1:9"), ("CFP_TASK_TOKEN", "test-token")];
    /// let lookup = |name: &str| {
    ///     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    /// };
    /// let client = ClientBuilder::from_lookup(lookup).build().unwrap();
    /// assert_eq!(
    ///     client.base_url(cfp_api::model::Surface::Task).as_deref(),
    ///     Some("http://127.0.0.1:9")
    /// );
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |s: &Setting| lookup(s.env).filter(|v| !v.trim().is_empty());
        let mut b = Self::new();
        b.clanforge_url = get(&settings::CLANFORGE_URL);
        b.task_url = get(&settings::TASK_URL);
        b.zstack_url = get(&settings::ZSTACK_URL);
        match settings::clanforge_pair(
            get(&settings::CLANFORGE_KEY),
            get(&settings::CLANFORGE_SECRET),
        ) {
            Ok(Some((k, s))) => b = b.clanforge_credentials(k, s),
            Ok(None) => {}
            Err(e) => b.env_error = Some(e),
        }
        if let Some(t) = get(&settings::TASK_TOKEN) {
            b = b.task_token(t);
        }
        match settings::zstack_credentials(
            get(&settings::ZSTACK_SESSION),
            get(&settings::ZSTACK_ACCESS_KEY_ID),
            get(&settings::ZSTACK_ACCESS_KEY_SECRET),
        ) {
            Ok(Some(settings::ZStackCredentials::Session(s))) => b = b.zstack_session(s),
            Ok(Some(settings::ZStackCredentials::AccessKey { id, secret })) => {
                b = b.zstack_access_key(id, secret);
            }
            Ok(None) => {}
            Err(e) => b.env_error = b.env_error.or(Some(e)),
        }
        b
    }

    /// Clanforge's base URL (default [`settings::CLANFORGE_URL`]).
    pub fn clanforge_url(mut self, url: impl Into<String>) -> Self {
        self.clanforge_url = Some(url.into());
        self
    }

    /// Clanforge's API key and secret (HTTP Basic).
    pub fn clanforge_credentials(mut self, key: impl AsRef<str>, secret: impl AsRef<str>) -> Self {
        self.clanforge = Some(Credentials::basic(key, secret));
        // Given explicitly, so a half-set environment no longer matters.
        self.env_error = None;
        self
    }

    /// The task API's base URL (default [`settings::TASK_URL`]).
    pub fn task_url(mut self, url: impl Into<String>) -> Self {
        self.task_url = Some(url.into());
        self
    }

    /// The task API's token, sent as `PRIVATE-TOKEN`.
    pub fn task_token(mut self, token: impl AsRef<str>) -> Self {
        self.task = Some(Credentials::private_token(token));
        self
    }

    /// ZStack's base URL (required for ZStack calls: there is no default).
    pub fn zstack_url(mut self, url: impl Into<String>) -> Self {
        self.zstack_url = Some(url.into());
        self
    }

    /// ZStack's session UUID, sent as `Authorization: OAuth <session>`.
    pub fn zstack_session(mut self, session: impl AsRef<str>) -> Self {
        self.zstack = Some(Credentials::oauth_session(session));
        self
    }

    /// A ZStack AccessKey (id and secret): each request is signed with it
    /// instead of carrying a session. Needs ZStack's AccessKey-era REST
    /// server, and a clock within 15 minutes of the server's.
    pub fn zstack_access_key(mut self, id: impl AsRef<str>, secret: impl AsRef<str>) -> Self {
        self.zstack = Some(Credentials::access_key(id, secret));
        self
    }

    /// Prepared credentials for a surface (their scheme must be the
    /// surface's).
    pub fn credentials(mut self, surface: Surface, credentials: Credentials) -> Self {
        let slot = match surface {
            Surface::Clanforge => &mut self.clanforge,
            Surface::Task => &mut self.task,
            Surface::ZStack => &mut self.zstack,
        };
        *slot = Some(Ok(credentials));
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The timeouts (default [`Timeouts::default`]: connect 10 s, attempt
    /// 30 s, total 120 s).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The transport (default: a [`ReqwestTransport`] with the connect
    /// timeout of [`timeouts`](Self::timeouts)). Tests pass a
    /// [`MockTransport`](crate::MockTransport).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The clock for timeouts, retry waits and waiters (default tokio's).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The random source for retry jitter (default `rand`'s thread-local one).
    pub fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = Some(random);
        self
    }

    /// Trusts one more root CA certificate (PEM) in the default transport:
    /// for a simulator with a self-signed certificate. Ignored when a
    /// transport is given.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_pems.push(pem.into());
        self
    }

    /// Appended to the `User-Agent` (`cfp/<version> <suffix>`), e.g. the
    /// CLI's own name and version.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(e) = self.env_error {
            return Err(e);
        }
        if self.timeouts.attempt.is_zero() || self.timeouts.total.is_zero() {
            return Err(Error::config("timeouts", "must be longer than zero"));
        }
        let url = |setting: Setting, given: Option<String>| {
            given
                .or_else(|| setting.default.map(str::to_owned))
                .map(|u| BaseUrl::parse(setting.name, &u))
                .transpose()
        };
        let creds =
            |setting, surface: Surface, given: Option<Result<Credentials, CredentialError>>| {
                match given.transpose() {
                    Ok(Some(c))
                        if c.scheme() != surface.auth()
                            && !(surface == Surface::ZStack
                                && c.scheme() == cfp_model::AuthScheme::AccessKey) =>
                    {
                        Err(Error::config(
                            setting,
                            format!("{surface} needs {:?} credentials", surface.auth()),
                        ))
                    }
                    Ok(c) => Ok(c),
                    Err(e) => Err(Error::config(setting, e.to_string())),
                }
            };
        let clanforge = SurfaceConfig {
            base: url(settings::CLANFORGE_URL, self.clanforge_url)?,
            credentials: creds("clanforge credentials", Surface::Clanforge, self.clanforge)?,
        };
        let task = SurfaceConfig {
            base: url(settings::TASK_URL, self.task_url)?,
            credentials: creds(settings::TASK_TOKEN.name, Surface::Task, self.task)?,
        };
        let zstack = SurfaceConfig {
            base: url(settings::ZSTACK_URL, self.zstack_url)?,
            credentials: creds(settings::ZSTACK_SESSION.name, Surface::ZStack, self.zstack)?,
        };
        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => t,
            None => {
                let mut b = ReqwestTransport::builder().connect_timeout(self.timeouts.connect);
                for pem in self.root_pems {
                    b = b.add_root_certificate_pem(pem);
                }
                Arc::new(
                    b.build()
                        .map_err(|e| Error::config("http client", e.to_string()))?,
                )
            }
        };
        let dispatcher = Dispatcher::new(transport)
            .with_retry_policy(self.retry)
            .with_timeouts(self.timeouts)
            .with_clock(self.clock.unwrap_or_else(|| Arc::new(TokioClock)))
            .with_random(self.random.unwrap_or_else(|| Arc::new(ThreadRandom)));
        let mut user_agent = format!("cfp/{}", env!("CARGO_PKG_VERSION"));
        if let Some(s) = self.user_agent_suffix.filter(|s| !s.trim().is_empty()) {
            user_agent.push(' ');
            user_agent.push_str(s.trim());
        }
        let user_agent = http::HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::config("user agent suffix", "must be printable ASCII"))?;
        Ok(Client::from_parts(
            clanforge, task, zstack, dispatcher, user_agent,
        ))
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |c: &Option<Result<Credentials, CredentialError>>| match c {
            None => "unset",
            Some(Ok(_)) => "set (redacted)",
            Some(Err(_)) => "invalid",
        };
        f.debug_struct("ClientBuilder")
            .field("clanforge_url", &shown_url(&self.clanforge_url))
            .field("clanforge_credentials", &set(&self.clanforge))
            .field("task_url", &shown_url(&self.task_url))
            .field("task_token", &set(&self.task))
            .field("zstack_url", &shown_url(&self.zstack_url))
            .field("zstack_session", &set(&self.zstack))
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// A configured URL for `Debug`: one with user info (credentials) is not
/// shown; `build` refuses it anyway.
fn shown_url(url: &Option<String>) -> Option<&str> {
    url.as_deref().map(|u| {
        if u.contains('@') {
            "(redacted: has user info)"
        } else {
            u
        }
    })
}
