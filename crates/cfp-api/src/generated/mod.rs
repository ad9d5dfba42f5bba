//! Code generated from `docs/openapi.yaml` by `cargo xtask codegen`.

mod calls;
