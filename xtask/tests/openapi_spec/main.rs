//! Conformance tests for the wire contract, `docs/openapi.yaml`.
//!
//! - The spec parses as OpenAPI 3.1 (with `oas3`) and holds exactly the
//!   contract's operations, each with the extensions the code generator reads
//!   and one security requirement.
//! - Every example of every request body and response is valid against its
//!   schema (JSON Schema 2020-12, with `jsonschema`), and deliberately wrong
//!   bodies are not.
//! - The task API agrees with the vendor's own OpenAPI subset, and Clanforge
//!   and ZStack with the vendor docs and source, as the project records them
//!   in `xtask/tests/fixtures/vendor-facts.yaml` (no file outside the repository).

// Helpers fail loudly with a message: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod schemas;
mod structure;
mod support;
mod vendor;
