//! `-v`, `-vv`, `-vvv` (or `RUST_LOG`): traces to stderr. The transport never
//! records headers or bodies, so credentials cannot reach this output (the
//! end-to-end tests check it at `-vvv`).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the stderr subscriber for this verbosity.
pub fn init(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => {
            let level = match verbose {
                0 => return,
                1 => "info",
                2 => "debug",
                _ => "trace",
            };
            EnvFilter::new(format!(
                "warn,cfp_cli={level},cfp_api={level},cfp_transport={level},cfp_testkit={}",
                if verbose >= 3 { "debug" } else { "warn" }
            ))
        }
    };
    // Colours only for people: not into a file or a pipe, nor with NO_COLOR.
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // Each call's span closes with its operation, status and latency.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        // Every line through the shield: no secret, no escape sequence.
        .with_writer(|| crate::shield::ShieldedWriter::new(std::io::stderr()))
        .with_span_events(FmtSpan::CLOSE)
        .with_target(verbose >= 2)
        .try_init();
}
