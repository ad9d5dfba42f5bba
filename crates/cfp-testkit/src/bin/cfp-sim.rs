//! `cfp-sim`: the simulator of the three control-plane APIs, on its own.
//!
//! ```text
//! cfp-sim [--addr 127.0.0.1:8080] [--speed N] [--seed N] [--fault-rate P] [--tls [--ca-out FILE]]
//!         [--journal-capacity N] [--journal-budget BYTES]
//!         [--request-timeout SECS] [--max-connections N]
//! ```
//!
//! The first line on stdout is `listening on http://ADDR` (or `https://`).
//! It serves the default world with the demo credentials until Ctrl-C (or
//! SIGTERM), then exits cleanly. On an address other than loopback it warns
//! on stderr, and the `/_sim/` admin routes require the token it prints on
//! stdout (`admin token: …`, in the `X-Sim-Token` header).
//!
//! Logs go to stderr (`RUST_LOG`, default `warn`), coloured only on a
//! terminal and never with `NO_COLOR` set.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use cfp_testkit::{ClockMode, FaultPlan, Journal, Simulator};
use clap::Parser;

/// Serve a stateful simulator of the Clanforge, task and ZStack APIs.
#[derive(Debug, Parser)]
#[command(name = "cfp-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Simulated seconds per real second (1 real time, 0 a stopped clock
    /// moved with POST /_sim/clock/advance).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Seed for every random decision (durations, failures, faults).
    #[arg(long, default_value_t = cfp_testkit::DEFAULT_SEED)]
    seed: u64,
    /// Fraction of requests (0 to 1) that get a random fault.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    fault_rate: f64,
    /// Serve HTTPS with a generated self-signed certificate.
    #[arg(long)]
    tls: bool,
    /// With --tls, write the certificate (PEM) here, for clients to trust.
    #[arg(long, requires = "tls")]
    ca_out: Option<PathBuf>,
    /// Journal entries kept (oldest dropped).
    #[arg(long, default_value_t = Journal::DEFAULT_CAPACITY)]
    journal_capacity: usize,
    /// Bytes the journal may hold (a number, or with KiB, MiB or GiB);
    /// past it the oldest request bodies are kept only as their length and
    /// an FNV-1a digest.
    #[arg(long, default_value = "64MiB", value_parser = parse_bytes, value_name = "BYTES")]
    journal_budget: usize,
    /// Seconds a request's head, then its body, may take to arrive; a
    /// request that stalls longer is closed (its body with 408), and so is
    /// a keep-alive connection idle that long, or a client that stops
    /// reading its answer that long.
    #[arg(long, default_value = "30", value_parser = parse_seconds, value_name = "SECS")]
    request_timeout: Duration,
    /// Connections held at once; at the cap the one idle the longest is
    /// closed to admit a new one, and a new one is refused when none is
    /// idle. The default is the soft open-file limit less an eighth (at
    /// least 64), at most 4096.
    #[arg(long, value_name = "N", default_value_t = cfp_testkit::default_max_connections(), value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_connections: usize,
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(format!("{s} is not between 0 (excluded) and 86400 seconds"))
    }
}

fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a number of bytes"))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        other => return Err(format!("unknown unit {other:?} (use KiB, MiB or GiB)")),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not between 0 and 1"))
    }
}

/// Colour only for a person at a terminal: escape codes in a CI log are
/// noise, and `NO_COLOR` (any non-empty value) turns it off.
fn log_in_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(log_in_colour())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "cfp-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let mut stderr = std::io::stderr();
    if !args.speed.is_finite() || args.speed < 0.0 {
        let _ = writeln!(stderr, "cfp-sim: --speed must be a number >= 0");
        return ExitCode::from(2);
    }
    let sim = Simulator::builder()
        .bind(args.addr)
        .seed(args.seed)
        .clock(ClockMode::from_speed(args.speed))
        .faults(FaultPlan::none().rate(args.fault_rate))
        .tls(args.tls)
        .journal_capacity(args.journal_capacity)
        .journal_budget(args.journal_budget)
        .request_timeout(args.request_timeout)
        .max_connections(args.max_connections)
        .start()
        .await;
    let sim = match sim {
        Ok(sim) => sim,
        Err(e) => {
            let _ = writeln!(stderr, "cfp-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The certificate is on disk before the first line says where to go.
    if let (Some(path), Some(pem)) = (&args.ca_out, sim.ca_certificate_pem())
        && let Err(e) = std::fs::write(path, pem)
    {
        let _ = writeln!(stderr, "cfp-sim: cannot write {}: {e}", path.display());
        sim.shutdown().await;
        return ExitCode::FAILURE;
    }
    let scheme = if args.tls { "https" } else { "http" };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {scheme}://{}", sim.addr());
        if let Some(token) = sim.admin_token() {
            let _ = writeln!(out, "admin token: {token}");
        }
        let _ = out.flush();
    }
    if !sim.addr().ip().is_loopback() {
        let _ = writeln!(
            stderr,
            "cfp-sim: warning: listening on {}, not loopback: anyone who can reach it can call \
             the simulated APIs with the demo credentials; the /_sim/ admin routes need the \
             admin token (X-Sim-Token header)",
            sim.addr()
        );
    }
    let _ = writeln!(
        stderr,
        "cfp-sim: default world, seed {}, speed {}, at most {} connections; Ctrl-C to stop",
        args.seed,
        args.speed,
        sim.max_connections()
    );
    wait_for_signal().await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C (SIGINT), or SIGTERM on Unix.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_budgets_take_binary_units() {
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("12XB").is_err());
        assert!(parse_bytes("MiB").is_err());
        assert!(parse_bytes("-1").is_err());
    }

    #[test]
    fn request_timeouts_are_positive_seconds() {
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("soon").is_err());
    }
}
