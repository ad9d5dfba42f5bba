//! `docs/cli.md` is current: generated from `doc/cli-intro.md` and the clap
//! definitions. `CFP_BLESS=1 cargo test -p cfp-cli --test cli_doc` rewrites
//! it (`cargo xtask codegen` runs that).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;

use clap::Parser as _;

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

mod support;

/// Every command's help shows an example that runs on its own: the suites
/// that go over every command (the hostile server's, the secrets') run
/// them, so a new command is covered there by its help.
#[test]
fn every_command_shows_an_example_the_suites_run() {
    let examples = support::help_examples();
    let missing: Vec<String> = support::leaf_commands()
        .into_iter()
        .filter(|cmd| !examples.iter().any(|(of, _)| of == cmd))
        .map(|cmd| cmd.join(" "))
        .collect();
    assert!(
        missing.is_empty(),
        "no runnable `cfp …` line under Example(s) in the help of: {missing:?}"
    );
    for (of, args) in &examples {
        let cfp = cfp_cli::cli::Cli::try_parse_from(
            std::iter::once("cfp".to_owned()).chain(args.iter().cloned()),
        );
        assert!(
            cfp.is_ok(),
            "{of:?}: `cfp {}` does not parse: {:?}",
            args.join(" "),
            cfp.err()
        );
    }
}
