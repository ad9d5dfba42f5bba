//! The `cfp` command-line tool, as a library so that its tests, the fuzz
//! targets (the value parsers in [`parse`]) and the `docs/cli.md` check use
//! the same definitions. It is not a library for other crates: the
//! interface is the command line, documented by `cfp --help` and
//! `docs/cli.md` (clap turns the doc comments into help).
#![allow(missing_docs)]

pub mod cli;
pub mod commands;
pub mod config;
pub mod config_write;
pub mod context;
#[cfg(feature = "sim")]
pub mod demo;
pub mod doc;
pub mod dry_run;
pub mod error;
pub mod logging;
pub mod output;
/// The value parsers (durations, `--at`, `KEY=VALUE`), from `cfp-values`.
pub use cfp_values as parse;
pub mod progress;
pub mod prompt;
pub mod run;
pub mod shield;
pub mod sim;
pub mod wait;

use std::io::Write;

/// Writes `cfp: error: …` (and a hint) on stderr, shielded.
pub fn report(message: &str, hint: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "cfp: error: {}", shield::for_terminal(message));
    if let Some(h) = hint {
        let _ = writeln!(err, "cfp: hint: {}", shield::for_terminal(h));
    }
}

/// Writes `cfp: note: …` on stderr, shielded: something the user should
/// know that is not wrong.
pub fn note(message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "cfp: note: {}",
        shield::for_terminal(message)
    );
}

/// Writes `cfp: warning: …` on stderr, shielded.
pub fn warn(message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "cfp: warning: {}",
        shield::for_terminal(message)
    );
}
