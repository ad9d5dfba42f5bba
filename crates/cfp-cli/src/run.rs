//! One run of `cfp`: resolve settings, build the client (or start the
//! simulator), run the command, print the result.

use std::sync::Arc;

use cfp_api::{Clock, TokioClock};

use crate::cli::{Cli, Command, ConfigCommand, OutputFormat};
use crate::config::Settings;
use crate::context::{Ctx, build_client, progress_bar_wanted, status_lines_wanted};
use crate::error::CliError;
use crate::sim::{LocalSim, SIM_SPEED};
use crate::{commands, output};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    use std::io::IsTerminal as _;
    let env = |k: &str| std::env::var(k).ok();
    let stdout_tty = std::io::stdout().is_terminal();
    let asid_flag = commands::asid_flag(&cli.command);
    let (mut settings, warnings) = Settings::resolve(&cli.global, asid_flag, &env, stdout_tty)?;
    // From here on, nothing this run prints can hold a credential.
    crate::shield::protect(&settings.redactor());
    for w in warnings {
        crate::warn(&w);
    }

    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "cfp", &mut std::io::stdout());
            return Ok(());
        }
        #[cfg(feature = "sim")]
        Command::Demo(args) => return crate::demo::run(&cli.global, args).await,
        // Says that this build has no simulator.
        #[cfg(not(feature = "sim"))]
        Command::Demo(args) => return LocalSim::start(args.speed).await.map(drop),
        _ => {}
    }

    let (sim, clock) = if cli.global.sim {
        let sim = LocalSim::start(SIM_SPEED).await?;
        let c = sim.credentials();
        settings.use_simulator(
            &sim.base_url(),
            &c.clanforge_key,
            &c.clanforge_secret,
            &c.task_token,
            &c.zstack_session,
        );
        let clock = sim.clock();
        (Some(sim), clock)
    } else {
        (None, Arc::new(TokioClock) as Arc<dyn Clock>)
    };

    if let Command::Config(ConfigCommand::Show) = cli.command {
        let format = settings.output.value.unwrap_or(OutputFormat::Json);
        return output::config_show::print(&settings, format);
    }

    let client = build_client(&settings, clock.clone())?;
    let ctx = Ctx {
        client,
        format: settings.output.value.unwrap_or(OutputFormat::Json),
        progress_bar: progress_bar_wanted(&cli.global),
        status_lines: status_lines_wanted(&cli.global),
        settings,
        clock,
        sim,
    };
    let result = commands::run(&ctx, cli.command).await;
    if let Some(sim) = ctx.sim {
        sim.shutdown().await;
    }
    result
}
