//! The client: one async method per operation, and the waiters.

mod clanforge;
mod pause;
mod tasks;
mod waiters;
mod zstack;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use cfp_model::{OperationId, Surface};
use cfp_transport::{Clock, Credentials, Dispatcher};
use http::HeaderValue;
use http::header::USER_AGENT;

use crate::base_url::BaseUrl;
use crate::builder::{ClientBuilder, env};
use crate::error::{Error, ServiceError};
use crate::operations::Operation;

/// A client of the three API surfaces: one async method per operation of
/// the contract, plus waiters.
///
/// Cheap to clone (an `Arc` inside); clones share the transport, its
/// connection pool, and what the client has learned about the server (the
/// ZStack `GET` fallback, see [`upload_job_details`](Client::upload_job_details)).
///
/// Each method sends one operation through the
/// [`Dispatcher`](cfp_transport::Dispatcher): the surface's auth header,
/// timeouts, retries for operations safe to repeat, a `tracing` span. Input
/// that would be refused is an [`Error::InvalidInput`] and nothing is sent.
///
/// ```
/// use std::sync::Arc;
/// use cfp_api::Client;
/// use cfp_model::{OperationId, TaskId, TaskResultCode};
/// use cfp_transport::{MockResponse, MockTransport};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let mock = MockTransport::new();
/// mock.respond(OperationId::GetTask, MockResponse::json(200, r#"[{"id": 42,
///     "name": "Restart", "batchId": 7, "categoryId": 1, "entityId": 13,
///     "currentActionIdx": 0, "executeAt": 1763900000, "lastActivityAt": 1763900042,
///     "finishedAt": 0, "resultCode": 1, "resultText": "In progress"}]"#));
///
/// let client = Client::builder()
///     .task_token("test-token-DO-NOT-USE")
///     .transport(Arc::new(mock.clone()))
///     .build()
///     .unwrap();
/// let task = client.get_task(TaskId(42)).await.unwrap();
///
/// assert_eq!(task.result_code, TaskResultCode::InProgress);
/// let sent = mock.last_request().unwrap();
/// assert_eq!(sent.uri, "https://api.i3d.net/v3/applicationInstance/task/42");
/// assert!(sent.headers["private-token"].is_sensitive());
/// # });
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    clanforge: SurfaceConfig,
    task: SurfaceConfig,
    zstack: SurfaceConfig,
    dispatcher: Dispatcher,
    user_agent: HeaderValue,
    /// The ZStack server refused the documented `PUT` with 405: use the
    /// `GET` form from now on.
    upload_jobs_by_query: AtomicBool,
}

/// The base URL and credentials of one surface.
pub(crate) struct SurfaceConfig {
    pub(crate) base: Option<BaseUrl>,
    pub(crate) credentials: Option<Credentials>,
}

impl Client {
    /// A builder with every default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client from the `CFP_*` environment variables (see
    /// [`builder::env`](crate::builder::env)).
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }

    pub(crate) fn from_parts(
        clanforge: SurfaceConfig,
        task: SurfaceConfig,
        zstack: SurfaceConfig,
        dispatcher: Dispatcher,
        user_agent: HeaderValue,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                clanforge,
                task,
                zstack,
                dispatcher,
                user_agent,
                upload_jobs_by_query: AtomicBool::new(false),
            }),
        }
    }

    /// The base URL configured for a surface, if any.
    pub fn base_url(&self, surface: Surface) -> Option<String> {
        self.surface(surface).base.as_ref().map(BaseUrl::as_string)
    }

    /// Whether credentials are configured for a surface.
    pub fn has_credentials(&self, surface: Surface) -> bool {
        self.surface(surface).credentials.is_some()
    }

    /// The clock the client waits with.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.dispatcher.clock()
    }

    fn surface(&self, surface: Surface) -> &SurfaceConfig {
        match surface {
            Surface::Clanforge => &self.inner.clanforge,
            Surface::Task => &self.inner.task,
            Surface::ZStack => &self.inner.zstack,
        }
    }

    /// Builds, sends and parses one operation.
    pub(crate) async fn execute<O: Operation>(&self, op: &O) -> Result<O::Output, Error> {
        let response = self.send(op).await?;
        O::parse(&response).map_err(|e| self.redact(O::ID, e))
    }

    /// Removes this surface's credentials from the server text an error
    /// carries (an error page may echo the request's headers back).
    pub(crate) fn redact(&self, id: OperationId, mut e: Error) -> Error {
        let Some(credentials) = self.surface(id.spec().surface).credentials.as_ref() else {
            return e;
        };
        match &mut e {
            Error::Http { excerpt, .. } => *excerpt = credentials.redact(excerpt),
            Error::Decode { source, .. } => source.excerpt = credentials.redact(&source.excerpt),
            Error::Service { error, .. } => match error {
                ServiceError::Clanforge(c) => {
                    if let Some(m) = &mut c.error_message {
                        *m = credentials.redact(m);
                    }
                }
                ServiceError::Task(t) => {
                    t.error_message = credentials.redact(&t.error_message);
                    for d in &mut t.errors {
                        d.message = credentials.redact(&d.message);
                    }
                }
                ServiceError::ZStack(z) => {
                    for text in z.texts_mut() {
                        *text = credentials.redact(text);
                    }
                }
            },
            Error::Credentials { reason, .. } => *reason = credentials.redact(reason),
            _ => {}
        }
        e
    }

    /// Builds and sends one operation; the response whatever its status.
    pub(crate) async fn send<O: Operation>(&self, op: &O) -> Result<http::Response<Bytes>, Error> {
        let id = O::ID;
        let surface = id.spec().surface;
        let config = self.surface(surface);
        let missing = |setting, var: &str| Error::Config {
            operation: Some(id),
            setting,
            reason: format!("not set ({var})"),
        };
        let (base, credentials) = match surface {
            Surface::Clanforge => (
                config
                    .base
                    .as_ref()
                    .ok_or_else(|| missing("clanforge url", env::CLANFORGE_URL))?,
                config.credentials.as_ref().ok_or_else(|| {
                    missing(
                        "clanforge credentials",
                        "CFP_CLANFORGE_KEY and CFP_CLANFORGE_SECRET",
                    )
                })?,
            ),
            Surface::Task => (
                config
                    .base
                    .as_ref()
                    .ok_or_else(|| missing("task url", env::TASK_URL))?,
                config
                    .credentials
                    .as_ref()
                    .ok_or_else(|| missing("task token", env::TASK_TOKEN))?,
            ),
            Surface::ZStack => (
                config
                    .base
                    .as_ref()
                    .ok_or_else(|| missing("zstack url", env::ZSTACK_URL))?,
                config
                    .credentials
                    .as_ref()
                    .ok_or_else(|| missing("zstack session", env::ZSTACK_SESSION))?,
            ),
        };
        let mut request = op.request(base)?;
        request
            .headers_mut()
            .insert(USER_AGENT, self.inner.user_agent.clone());
        self.inner
            .dispatcher
            .send(id, request, Some(credentials))
            .await
            .map_err(|source| Error::Transport {
                operation: id,
                source,
            })
    }

    pub(crate) fn upload_jobs_by_query(&self) -> bool {
        self.inner.upload_jobs_by_query.load(Ordering::Relaxed)
    }

    pub(crate) fn remember_upload_jobs_by_query(&self) {
        self.inner
            .upload_jobs_by_query
            .store(true, Ordering::Relaxed);
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let surface = |s: &SurfaceConfig| {
            format!(
                "{} (credentials {})",
                s.base
                    .as_ref()
                    .map_or_else(|| "no url".to_owned(), BaseUrl::as_string),
                if s.credentials.is_some() {
                    "set"
                } else {
                    "unset"
                }
            )
        };
        f.debug_struct("Client")
            .field("clanforge", &surface(&self.inner.clanforge))
            .field("task", &surface(&self.inner.task))
            .field("zstack", &surface(&self.inner.zstack))
            .field("dispatcher", &self.inner.dispatcher)
            .field("upload_jobs_by_query", &self.upload_jobs_by_query())
            .finish()
    }
}
