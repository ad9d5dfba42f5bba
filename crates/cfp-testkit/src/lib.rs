//! A faithful, stateful simulator of the three vendor API surfaces cfp
//! drives — Clanforge (image diffs, image rollout status), the
//! application-instance task API (templates, tasks, batches) and ZStack
//! (upload-job details) — for tests, demos and tools in other languages.
//!
//! It is not a canned-response mock: diff jobs move Created → Pending →
//! Queued → Running → Complete or Failed with progress and an accurate ETA;
//! rollouts move machines from pending to completed or failed; task batches
//! expand game servers into tasks that run, can be paused, resumed and
//! cancelled, and end done or done with error. Everything is a function of a
//! seed and a clock that runs in real time, faster, or only when a test
//! moves it. It checks each vendor's credentials and answers with each
//! vendor's error shapes and quirks, always within `docs/openapi.yaml`.
//!
//! On top: fault injection (latency, 5xx, 429 with `Retry-After`,
//! connection resets, truncated JSON, HTML error pages, slow bodies; by rate
//! or scripted per operation, resource and state), a journal of every
//! request (credentials redacted), and `/_sim/` admin routes for tools in
//! other languages (see [`admin`](crate#admin-routes)). The `cfp-sim` binary
//! serves it on its own.
//!
//! As a server for other teams' CI, sometimes on a shared address, it
//! bounds what a client can hold: a request whose head or body stalls is
//! closed after [`DEFAULT_REQUEST_TIMEOUT`]
//! ([`SimulatorBuilder::request_timeout`]); connections are capped below
//! the open-file limit, the longest-idle one closed to admit a new one
//! ([`SimulatorBuilder::max_connections`]); a body costs its length; and
//! the journal keeps to a byte budget ([`SimulatorBuilder::journal_budget`])
//! and streams out.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use cfp_model::{ImageId, OperationId};
//! use cfp_testkit::{ClockMode, Fault, FaultRule, RetryAfter, Simulator};
//!
//! let sim = Simulator::builder()
//!     .clock(ClockMode::Manual)
//!     .seed(42)
//!     .start()
//!     .await?;
//!
//! // Point a client at sim.base_url() with sim.credentials() …
//! let status = sim.world().image_status(ImageId(1), true).unwrap();
//! assert_eq!(status.pending_machines, 4);
//!
//! // … let simulated time pass …
//! sim.clock().advance(Duration::from_secs(3600));
//! assert!(sim.world().image_status(ImageId(1), false).unwrap().is_ready());
//!
//! // … script a fault …
//! sim.faults().add(
//!     FaultRule::new(Fault::TooManyRequests { retry_after: RetryAfter::Seconds(1) })
//!         .operation(OperationId::GetImageStatus)
//!         .times(1),
//! );
//!
//! // … and check what the client sent.
//! assert_eq!(sim.journal().count(OperationId::GetImageStatus), 0);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # The default world
//!
//! [`World::default`], used by `cfp-sim`, the CLI's `--sim` and `cfp demo`:
//! account service 1; images 1 and 2; machines 1–4; fleets 1 and 2 over
//! regions 1–3 with image 1 rolling out; diff 218595 complete; task
//! templates Restart, Stop, Start and Update; game servers 1–100 across
//! fleets 1 and 2, and 101, offline, in a lab fleet 3; ZStack image `ccf943310d86335bb3d2511ca8e14137` with a
//! suspended upload. Credentials: Clanforge key `demo` and secret `demo`,
//! task token `demo`, ZStack session `demo`. See the crate's README for the
//! timings.
//!
//! [`examples`] holds one example call per operation of the contract
//! against that world: the table the suites that go over every operation
//! iterate.
//!
//! # Admin routes
//!
//! Under `/_sim/` on the same base URL: the journal as NDJSON, reset,
//! advance the clock, inject faults, change the world. The full list is in
//! the README. Off loopback they require the token the simulator prints
//! ([`RunningSimulator::admin_token`]).

mod admin;
#[cfg(feature = "client-clock")]
mod client_clock;
mod clock;
mod connections;
mod credentials;
pub mod examples;
mod faults;
mod journal;
mod reply;
mod request_body;
mod rng;
mod routes;
mod server;
mod shared;
mod simulator;
mod tls;
pub mod world;

#[cfg(feature = "client-clock")]
pub use client_clock::SimTime;
pub use clock::{ClockMode, SimClock};
pub use credentials::Credentials;
pub use faults::{Fault, FaultPlan, FaultRule, Faults, RetryAfter, RuleId, RuleStatus};
pub use journal::{Journal, JournalEntry, RetryAfterViolation, body_digest};
pub use simulator::{
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_SEED, DEFAULT_START, RunningSimulator, Simulator,
    SimulatorBuilder, StartError, default_max_connections,
};
pub use world::{World, WorldHandle};
