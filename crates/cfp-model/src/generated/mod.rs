//! Code generated from `docs/openapi.yaml` by `cargo xtask codegen`.

pub(crate) mod operations;
pub(crate) mod params;
