//! Benchmark harnesses for `cargo xtask bench`: each measures cfp against a
//! plain baseline doing the same work, so the figures say what cfp adds.
//!
//! | module | comparison |
//! |---|---|
//! | [`payloads`], [`plain`] (and `benches/decode.rs`, criterion) | decoding with cfp-model against plain `#[derive(Deserialize)]` structs, on the same bytes |
//! | [`calls`] | sequential image-status calls through cfp-api against raw reqwest + serde_json, same simulator |
//! | [`polling`] | cfp's waiters against a fixed 1-second poller, many concurrent waits, scaled simulated time |
//! | [`patch`] | a whole patch with `cfp_api::patch` against the public script's 1-second polling, same world |
//!
//! The `cfp-bench` binary runs [`calls`], [`polling`] and [`patch`] and prints their
//! figures as one JSON document on stdout; `cargo xtask bench` builds it in
//! release, runs it, and writes `docs/benchmarks.md`. Nothing here asserts a
//! timing: tests check only that both sides of a comparison do the same
//! work.

pub mod calls;
pub mod patch;
pub mod payloads;
pub mod plain;
pub mod polling;
