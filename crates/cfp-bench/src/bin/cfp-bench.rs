//! `cfp-bench`: the in-process comparisons of `cargo xtask bench`, one per
//! subcommand, each printing its figures as one JSON document on stdout.
//!
//! ```text
//! cfp-bench calls --base-url http://127.0.0.1:PORT [--calls 20000] [--rounds 5] [--side cfp|raw]
//! cfp-bench polling --poller cfp|fixed [--speed 10] [--diffs 500] [--restart-tasks 250] [--stop-tasks 250]
//! ```

use std::io::Write as _;
use std::process::ExitCode;

use cfp_bench::{calls, patch, polling};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cfp-bench", about = "cfp against plain baselines")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sequential image-status calls: cfp-api against raw reqwest + serde_json.
    Calls {
        /// The simulator's base URL.
        #[arg(long)]
        base_url: String,
        /// Clanforge key.
        #[arg(long, default_value = "demo")]
        key: String,
        /// Clanforge secret.
        #[arg(long, default_value = "demo")]
        secret: String,
        /// Timed calls per side and round.
        #[arg(long, default_value_t = 20_000)]
        calls: u32,
        /// Untimed calls per side first.
        #[arg(long, default_value_t = 2_000)]
        warmup: u32,
        /// Rounds (alternating which side goes first).
        #[arg(long, default_value_t = 5)]
        rounds: u32,
        /// Blocks per round (the sides take turns block by block).
        #[arg(long, default_value_t = 20)]
        blocks: u32,
        /// Run only this side: the warm-up, then `--calls` calls in one
        /// function a profiler can count (`cfp_bench::calls::measured_calls`).
        #[arg(long, value_enum)]
        side: Option<calls::Side>,
    },
    /// Concurrent waits against a scaled-time simulator.
    Polling {
        /// cfp's waiters, or a fixed 1-second poller.
        #[arg(long, value_enum)]
        poller: polling::Poller,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 10.0)]
        speed: f64,
        /// Diff jobs to wait for.
        #[arg(long, default_value_t = 500)]
        diffs: u32,
        /// Restart tasks (two actions) to wait for.
        #[arg(long, default_value_t = 250)]
        restart_tasks: u32,
        /// Stop tasks (one action) to wait for.
        #[arg(long, default_value_t = 250)]
        stop_tasks: u32,
        /// The simulator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// A whole patch, by cfp's workflow or the public script's pattern.
    Patch {
        /// Which client patches.
        #[arg(long, value_enum)]
        side: patch::Side,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 20.0)]
        speed: f64,
        /// The simulator's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let json = match Cli::parse().command {
        Command::Calls {
            base_url,
            key,
            secret,
            calls,
            warmup,
            rounds,
            blocks,
            side,
        } => calls::run(&calls::CallsConfig {
            base_url,
            key,
            secret,
            calls,
            warmup,
            rounds,
            blocks,
            side,
        })
        .and_then(|r| serde_json::to_string(&r).map_err(|e| e.to_string())),
        Command::Polling {
            poller,
            speed,
            diffs,
            restart_tasks,
            stop_tasks,
            seed,
        } => polling::run(&polling::PollingConfig {
            speed,
            diffs,
            restart_tasks,
            stop_tasks,
            poller,
            seed,
        })
        .and_then(|r| serde_json::to_string(&r).map_err(|e| e.to_string())),
        Command::Patch { side, speed, seed } => patch::run(side, speed, seed)
            .and_then(|r| serde_json::to_string(&r).map_err(|e| e.to_string())),
    };
    match json {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "cfp-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
