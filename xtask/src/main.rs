//! `cargo xtask`: project automation.
//!
//! - `cargo xtask codegen [--check]`: regenerate (or check) what is derived
//!   from `docs/openapi.yaml`, and check that every operation is covered by
//!   cfp-api, the simulator and the CLI.
//! - `cargo xtask ci`: everything CI runs (`.ci/run`).
//! - `cargo xtask bench [--quick]`: cfp against plain baselines, written to
//!   `docs/benchmarks.md`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod codegen;
mod coverage;
mod fuzz;
mod spec;

#[derive(Parser)]
#[command(about = "cfp project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the files derived from docs/openapi.yaml.
    Codegen {
        /// Do not write: fail if a generated file is stale or an operation
        /// is not covered.
        #[arg(long)]
        check: bool,
    },
    /// Run what CI runs (.ci/run): tests, fmt, clippy, codegen --check.
    Ci,
    /// Fuzz the decoders and the CLI's value parsers (installs cargo-fuzz if
    /// missing).
    Fuzz {
        /// Total time for all targets, shared equally.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Only this target.
        #[arg(long)]
        target: Option<String>,
    },
    /// Benchmark cfp against plain baselines (decode, call overhead,
    /// polling, a whole patch, CLI, simulator) and write docs/benchmarks.md. Builds in
    /// release; installs curl, time, wrk, nginx and valgrind with apt-get if
    /// missing.
    Bench {
        /// Fewer rounds and shorter measurements (for development).
        #[arg(long)]
        quick: bool,
    },
}

/// The repository root (xtask's parent directory).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check } => codegen::run(check),
        Command::Ci => run_ci(),
        Command::Fuzz { seconds, target } => fuzz::run(seconds, target.as_deref()),
        Command::Bench { quick } => bench::run(bench::Options { quick }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("xtask: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Progress on stdout (xtask is a developer tool; printing is its job).
#[allow(clippy::print_stdout)]
pub(crate) fn say(line: &str) {
    println!("{line}");
}

fn run_ci() -> Result<(), String> {
    let status = std::process::Command::new("bash")
        .arg(root().join(".ci/run"))
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run .ci/run: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(".ci/run failed ({status})"))
    }
}
