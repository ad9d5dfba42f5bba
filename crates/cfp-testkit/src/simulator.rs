//! Building, starting and stopping a simulator.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use rand::RngExt as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::clock::{ClockMode, SimClock};
use crate::connections::{self, Connections};
use crate::credentials::{AuthCheck, Credentials};
use crate::faults::{FaultPlan, Faults};
use crate::journal::Journal;
use crate::server;
use crate::shared::Shared;
use crate::tls;
use crate::world::{World, WorldHandle};

/// The simulated time a manual clock starts at by default:
/// 2025-11-23T12:13:20Z (Unix 1763900000), the instant of the contract's
/// examples.
pub const DEFAULT_START: i64 = 1_763_900_000;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 1;

/// How long a request's head, or its body, may take to arrive by default
/// (see [`SimulatorBuilder::request_timeout`]).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection cap by default (see
/// [`SimulatorBuilder::max_connections`]): the soft open-file limit
/// (`RLIMIT_NOFILE`, read from `/proc/self/limits`; taken as 256 where it
/// cannot be read) less an eighth of it (at least 64) for the process's
/// other files, and at most 4,096. With the common soft limit of 1,024:
/// 896.
pub fn default_max_connections() -> usize {
    connections::max_connections_for(connections::soft_open_file_limit())
}

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TLS certificate or configuration could not be made.
    #[error("cannot set up HTTPS: {0}")]
    Tls(String),
    /// `start` was not called inside a tokio runtime.
    #[error("the simulator must be started inside a tokio runtime")]
    NoRuntime,
}

#[derive(Debug, Clone)]
enum AdminToken {
    /// A random token when the address is not loopback.
    Auto,
    /// This token, whatever the address.
    Fixed(String),
}

/// The simulator: a faithful, stateful stand-in for the three vendor APIs
/// (Clanforge, the task API and ZStack) on one base URL.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cfp_testkit::{ClockMode, Simulator};
///
/// let sim = Simulator::builder()
///     .seed(7)
///     .clock(ClockMode::Manual)
///     .start()
///     .await?;
/// let url = sim.base_url(); // http://127.0.0.1:PORT, serving all three surfaces
/// assert!(url.starts_with("http://127.0.0.1:"));
/// assert_eq!(sim.credentials().task_token, "demo");
/// sim.clock().advance(Duration::from_secs(60));
/// sim.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// A builder with the defaults: seed 1, real clock, the default world,
    /// no faults, plain HTTP on `127.0.0.1` with a free port, the demo
    /// credentials.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Starts a simulator with the defaults (see [`Simulator::builder`]).
    pub async fn start() -> Result<RunningSimulator, StartError> {
        Self::builder().start().await
    }
}

/// Configures a simulator; [`SimulatorBuilder::start`] runs it.
#[derive(Debug, Clone)]
pub struct SimulatorBuilder {
    seed: u64,
    clock: ClockMode,
    start_time: Option<Timestamp>,
    world: World,
    faults: FaultPlan,
    tls: bool,
    bind: SocketAddr,
    credentials: Credentials,
    journal_capacity: usize,
    journal_budget: usize,
    admin_token: AdminToken,
    request_timeout: Duration,
    max_connections: Option<usize>,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            clock: ClockMode::Real,
            start_time: None,
            world: World::default(),
            faults: FaultPlan::none(),
            tls: false,
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            credentials: Credentials::demo(),
            journal_capacity: Journal::DEFAULT_CAPACITY,
            journal_budget: Journal::DEFAULT_BUDGET,
            admin_token: AdminToken::Auto,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: None,
        }
    }
}

impl SimulatorBuilder {
    /// The seed for every random decision (job durations, failures, faults).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How simulated time passes.
    pub fn clock(mut self, mode: ClockMode) -> Self {
        self.clock = mode;
        self
    }

    /// The simulated time at start. Default: [`DEFAULT_START`] with a manual
    /// clock (so runs are deterministic), the wall clock otherwise (so that
    /// times a client computes from its own clock make sense).
    pub fn start_time(mut self, t: Timestamp) -> Self {
        self.start_time = Some(t);
        self
    }

    /// The world to simulate (default: [`World::default`]).
    pub fn world(mut self, world: World) -> Self {
        self.world = world;
        self
    }

    /// The faults to inject from the start.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }

    /// Serve HTTPS with a generated self-signed certificate (see
    /// [`RunningSimulator::ca_certificate_pem`]).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port). On an
    /// address other than loopback, the `/_sim/` admin routes require a
    /// random token (see [`RunningSimulator::admin_token`]).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// The credentials to accept (default [`Credentials::demo`]).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// How many journal entries to keep (default
    /// [`Journal::DEFAULT_CAPACITY`]); older ones are dropped.
    pub fn journal_capacity(mut self, n: usize) -> Self {
        self.journal_capacity = n.max(1);
        self
    }

    /// About how many bytes the journal may hold (default
    /// [`Journal::DEFAULT_BUDGET`], 64 MiB). Past it, the oldest request
    /// bodies give way to their length and digest
    /// ([`JournalEntry::body_digest`](crate::JournalEntry::body_digest)).
    pub fn journal_budget(mut self, bytes: usize) -> Self {
        self.journal_budget = bytes;
        self
    }

    /// How long a request's head may take to arrive, and then its body
    /// (default [`DEFAULT_REQUEST_TIMEOUT`], 30 s): a request that stalls
    /// longer is closed (a stalled body with `408 Request Timeout`). An
    /// idle keep-alive connection is closed after the same time, and so is
    /// a TLS handshake that does not finish, and a client that stops
    /// reading its answer for that long.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The most connections held at once (default
    /// [`default_max_connections`], below the process's open-file limit).
    /// At the cap, the connection idle the longest is closed to admit a new
    /// one; when none is idle, the new one is closed at once.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = Some(n.max(1));
        self
    }

    /// Require this token on the `/_sim/` admin routes, whatever the
    /// address.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = AdminToken::Fixed(token.into());
        self
    }

    /// Binds, and serves in the background on the current tokio runtime.
    pub async fn start(self) -> Result<RunningSimulator, StartError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StartError::NoRuntime);
        }
        let listener = TcpListener::bind(self.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: self.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.bind,
            source,
        })?;
        let tls = if self.tls {
            let extra = if addr.ip().is_unspecified() || addr.ip().is_loopback() {
                Vec::new()
            } else {
                vec![addr.ip().to_string()]
            };
            Some(tls::generate(&extra).map_err(StartError::Tls)?)
        } else {
            None
        };
        let start = self.start_time.unwrap_or_else(|| match self.clock {
            ClockMode::Manual => {
                Timestamp::from_second(DEFAULT_START).unwrap_or(Timestamp::UNIX_EPOCH)
            }
            ClockMode::Real | ClockMode::Scaled(_) => {
                Timestamp::from_second(Timestamp::now().as_second())
                    .unwrap_or(Timestamp::UNIX_EPOCH)
            }
        });
        let clock = SimClock::new(self.clock, start);
        let admin_token = match self.admin_token {
            AdminToken::Fixed(t) => Some(t),
            AdminToken::Auto if addr.ip().is_loopback() => None,
            AdminToken::Auto => Some(random_token()),
        };
        let shared = Arc::new(Shared {
            world: WorldHandle::new(self.world, self.seed, clock.clone()),
            journal: Journal::new(self.journal_capacity, self.journal_budget),
            faults: Faults::new(self.seed, self.faults),
            auth: AuthCheck::new(&self.credentials),
            admin_token,
            clock,
            connections: Arc::new(Connections::new(
                self.max_connections.unwrap_or_else(default_max_connections),
            )),
            request_timeout: self.request_timeout,
        });
        let (stop, stopped) = watch::channel(false);
        let acceptor = tls.as_ref().map(|t| TlsAcceptor::from(t.config.clone()));
        let task = tokio::spawn(server::serve(listener, acceptor, shared.clone(), stopped));
        Ok(RunningSimulator {
            shared,
            addr,
            scheme: if tls.is_some() { "https" } else { "http" },
            ca_pem: tls.map(|t| t.ca_pem),
            credentials: self.credentials,
            seed: self.seed,
            stop,
            task: Some(task),
        })
    }
}

fn random_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running simulator. Shuts down on [`RunningSimulator::shutdown`] or
/// when dropped.
pub struct RunningSimulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    scheme: &'static str,
    ca_pem: Option<String>,
    credentials: Credentials,
    seed: u64,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("base_url", &self.base_url())
            .field("seed", &self.seed)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// The one base URL serving all three surfaces, e.g.
    /// `http://127.0.0.1:40123` (an unspecified bind address is written as
    /// loopback).
    pub fn base_url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!(
            "{}://{}",
            self.scheme,
            SocketAddr::new(ip, self.addr.port())
        )
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials it accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The simulated clock.
    pub fn clock(&self) -> &SimClock {
        &self.shared.clock
    }

    /// The journal of requests.
    pub fn journal(&self) -> &Journal {
        &self.shared.journal
    }

    /// The world.
    pub fn world(&self) -> &WorldHandle {
        &self.shared.world
    }

    /// The faults.
    pub fn faults(&self) -> &crate::faults::Faults {
        &self.shared.faults
    }

    /// The generated certificate (PEM) when serving HTTPS: trust it as a
    /// root in the client.
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The token the `/_sim/` admin routes require, if any.
    pub fn admin_token(&self) -> Option<&str> {
        self.shared.admin_token.as_deref()
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// How many client connections the simulator holds open now (a
    /// connection counts until the server has closed it). With a client
    /// that pools connections this stays bounded; once every client is
    /// dropped it returns to 0.
    pub fn open_connections(&self) -> usize {
        self.shared.connections.open()
    }

    /// How many connections the simulator has accepted since it started
    /// (admitted or not).
    pub fn accepted_connections(&self) -> u64 {
        self.shared.connections.accepted()
    }

    /// The most connections it holds at once (see
    /// [`SimulatorBuilder::max_connections`]).
    pub fn max_connections(&self) -> usize {
        self.shared.connections.max()
    }

    /// How many idle connections it closed, at the cap, to admit new ones.
    pub fn evicted_connections(&self) -> u64 {
        self.shared.connections.evicted()
    }

    /// How many new connections it closed at once, at the cap with every
    /// connection busy.
    pub fn refused_connections(&self) -> u64 {
        self.shared.connections.refused()
    }

    /// How long a request's head, or its body, may take to arrive.
    pub fn request_timeout(&self) -> Duration {
        self.shared.request_timeout
    }

    /// Stops accepting, lets in-flight requests finish (up to two seconds)
    /// and closes every connection.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
