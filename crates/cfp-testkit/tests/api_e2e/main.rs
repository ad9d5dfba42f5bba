//! cfp-api over the real reqwest transport against the simulator on
//! loopback: every operation, every waiter, idempotent pause and resume,
//! each fault class, HTTPS with a test CA, and redirects to another host.
//!
//! The simulator runs in-process with obviously fake credentials; the
//! client is built exactly as a user builds it (`Client::builder()` with
//! base URLs and credentials, its default `ReqwestTransport`). Simulated
//! time is manual (moved by the test) or scaled (with a client clock that
//! follows it), so nothing sleeps for long.

// Test helpers fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../api_support/mod.rs"]
mod api_support;

mod faults;
mod operations;
mod patch;
mod patch_waiters;
mod pause_resume;
mod redirects;
mod server_clock;
mod tls;
mod waiters;
