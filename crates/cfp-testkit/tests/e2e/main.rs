//! End-to-end tests of the simulator over real loopback HTTP, one module per
//! concern. Every answer that goes through `support::Sim::send` is checked
//! against `docs/openapi.yaml`.

// Test helpers fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod bounds;
mod clanforge;
mod conformance;
mod faults;
mod journal_admin;
mod patch;
mod process;
mod task;
mod tls;
mod world;
mod zstack;
