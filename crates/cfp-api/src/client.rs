//! The client: the surfaces it talks to, and what its clones share.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use cfp_model::{AccountServiceId, Surface};
use cfp_transport::{Clock, Credentials, Dispatcher, Redactor};
use http::HeaderValue;

use crate::base_url::BaseUrl;
use crate::waiters::ServerClock;

/// A client of the three API surfaces: a method per operation of the
/// contract (named after its `operationId` in snake case), plus waiters and
/// the idempotent task actions.
///
/// Task API and ZStack operations are methods of `Client`; Clanforge ones
/// are scoped by the account service they act in:
/// [`client.clanforge(asid)`](Client::clanforge). Every method returns a
/// [`Call`](crate::Call): set optional parameters on it, then
/// [`send`](crate::Call::send) it, which answers an
/// [`Answer`](crate::Answer) (the typed value, and the vendor's body).
///
/// Cheap to clone (an `Arc` inside); clones share the transport, its
/// connection pool, and what the client has learned about the server (the
/// ZStack `GET` fallback, see [`get_upload_job_details`](Client::get_upload_job_details)).
///
/// ```
/// use std::sync::Arc;
/// use cfp_api::{Client, MockResponse, MockTransport};
/// use cfp_api::model::{OperationId, TaskId, TaskResultCode};
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
/// let task = client.get_task(TaskId(42)).send().await.unwrap();
///
/// assert_eq!(task.result_code, TaskResultCode::InProgress);
/// let sent = mock.last_request().unwrap();
/// assert_eq!(sent.uri, "https://api.i3d.net/v3/applicationInstance/task/42");
/// assert!(sent.headers["private-token"].is_sensitive());
/// # });
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) clanforge: SurfaceConfig,
    pub(crate) task: SurfaceConfig,
    pub(crate) zstack: SurfaceConfig,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) user_agent: HeaderValue,
    /// Every credential of every surface, in every form a server may echo.
    pub(crate) redactor: Redactor,
    /// The ZStack server refused the documented `PUT` with 405: use the
    /// `GET` form from now on.
    upload_jobs_by_query: AtomicBool,
    /// Each surface's server clock, from the `Date` of its answers (the
    /// three APIs are different servers, with clocks of their own).
    server_clocks: [Mutex<ServerClock>; 3],
}

/// The base URL and credentials of one surface.
pub(crate) struct SurfaceConfig {
    pub(crate) base: Option<BaseUrl>,
    pub(crate) credentials: Option<Credentials>,
}

/// Clanforge's operations, in one account service (project).
///
/// ```
/// use cfp_api::Client;
/// use cfp_api::model::{AccountServiceId, ImageId};
///
/// let client = Client::builder().clanforge_credentials("k", "s").build().unwrap();
/// let cf = client.clanforge(AccountServiceId(1234));
/// let call = cf.get_image_status(ImageId(1)).detail(true);
/// assert_eq!(call.request().unwrap().uri().path(), "/cfp/v2/project/1234/image/1/status");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Clanforge<'c> {
    pub(crate) client: &'c Client,
    pub(crate) asid: AccountServiceId,
}

impl<'c> Clanforge<'c> {
    /// The account service the calls act in.
    pub fn account_service_id(&self) -> AccountServiceId {
        self.asid
    }

    /// The client.
    pub fn client(&self) -> &'c Client {
        self.client
    }
}

impl Client {
    pub(crate) fn from_parts(
        clanforge: SurfaceConfig,
        task: SurfaceConfig,
        zstack: SurfaceConfig,
        dispatcher: Dispatcher,
        user_agent: HeaderValue,
    ) -> Self {
        let mut redactor = Redactor::default();
        for s in [&clanforge, &task, &zstack] {
            if let Some(c) = &s.credentials {
                redactor.extend(&c.redactor());
            }
        }
        Self {
            inner: Arc::new(Inner {
                clanforge,
                task,
                zstack,
                dispatcher,
                user_agent,
                redactor,
                upload_jobs_by_query: AtomicBool::new(false),
                server_clocks: Default::default(),
            }),
        }
    }

    /// Clanforge's operations in account service `asid`.
    pub fn clanforge(&self, asid: AccountServiceId) -> Clanforge<'_> {
        Clanforge { client: self, asid }
    }

    /// The base URL configured for a surface, if any.
    pub fn base_url(&self, surface: Surface) -> Option<String> {
        self.surface(surface).base.as_ref().map(BaseUrl::as_string)
    }

    /// Whether credentials are configured for a surface.
    pub fn has_credentials(&self, surface: Surface) -> bool {
        self.surface(surface).credentials.is_some()
    }

    /// A redactor of every credential this client holds, for text shown to
    /// people (the CLI runs all its output through it).
    pub fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }

    /// The clock the client waits with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.dispatcher.clock()
    }

    /// A surface's server clock as estimated from the `Date` header of
    /// every answer this client (or a clone) has read from it so far: what
    /// waiters compare server ETAs with.
    pub fn server_clock(&self, surface: Surface) -> ServerClock {
        *self.inner.server_clocks[surface_index(surface)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records an answer's `Date` from `surface`, read now.
    pub(crate) fn observe_date(&self, surface: Surface, date: SystemTime) {
        let local = self.clock().wall_now();
        self.inner.server_clocks[surface_index(surface)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .observe(local, date);
    }

    pub(crate) fn surface(&self, surface: Surface) -> &SurfaceConfig {
        match surface {
            Surface::Clanforge => &self.inner.clanforge,
            Surface::Task => &self.inner.task,
            Surface::ZStack => &self.inner.zstack,
        }
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

fn surface_index(surface: Surface) -> usize {
    match surface {
        Surface::Clanforge => 0,
        Surface::Task => 1,
        Surface::ZStack => 2,
    }
}
