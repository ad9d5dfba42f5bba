//! `docs/cli.md` is current: generated from `doc/cli-intro.md` and the clap
//! definitions. `CFP_BLESS=1 cargo test -p cfp-cli --test cli_doc` rewrites
//! it (`cargo xtask codegen` runs that).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;

#[test]
fn docs_cli_md_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    let want = cfp_cli::doc::cli_markdown();
    if std::env::var_os("CFP_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/cli.md is stale: run `cargo xtask codegen` (or CFP_BLESS=1 cargo test -p cfp-cli --test cli_doc)"
    );
}
