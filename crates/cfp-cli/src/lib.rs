//! The `cfp` command-line tool, as a library so that `cargo xtask codegen`
//! can generate `docs/cli.md` from the same clap definitions. It is not a
//! library for other crates: the interface is the command line, documented by
//! `cfp --help` and `docs/cli.md` (clap turns the doc comments into help).
#![allow(missing_docs)]

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod error;
pub mod logging;
pub mod output;
pub mod parse;
pub mod progress;
pub mod simtime;

use std::io::Write;

/// Writes `cfp: error: …` (and a hint) on stderr.
pub fn report(message: &str, hint: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "cfp: error: {message}");
    if let Some(h) = hint {
        let _ = writeln!(err, "cfp: hint: {h}");
    }
}

/// Writes `cfp: warning: …` on stderr.
pub fn warn(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "cfp: warning: {message}");
}
