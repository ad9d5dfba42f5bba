//! The `cfp` command-line tool. See `cfp --help` and `docs/cli.md`.

use std::process::ExitCode;

use clap::Parser;

use cfp_cli::cli::Cli;
use cfp_cli::error::Exit;

fn main() -> ExitCode {
    // clap exits 2 on usage errors and 0 for --help/--version, as the
    // contract wants.
    let cli = Cli::parse();
    cfp_cli::logging::init(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            cfp_cli::report(&format!("cannot start the async runtime: {e}"), None);
            return ExitCode::from(Exit::Other as u8);
        }
    };
    match runtime.block_on(cfp_cli::run::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`cfp … | head`): the reader has what it wanted.
        Err(cfp_cli::error::CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            if !matches!(e, cfp_cli::error::CliError::Interrupted { .. }) {
                cfp_cli::report(&e.to_string(), e.hint().as_deref());
            } else if let Some(h) = e.hint() {
                cfp_cli::report("interrupted", Some(&h));
            }
            ExitCode::from(e.exit() as u8)
        }
    }
}
