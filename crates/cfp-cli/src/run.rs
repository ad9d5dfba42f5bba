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
    if let Command::Config(ConfigCommand::Show) = cli.command
        && !cli.global.sim
    {
        // Works on a broken configuration: the error is shown in place,
        // and the run exits 2 after printing.
        let (settings, error, warnings) = Settings::resolve_for_show(&cli.global, &env, stdout_tty);
        if let Some(s) = &settings {
            crate::shield::protect(&s.redactor());
        }
        for w in warnings {
            crate::warn(&w);
        }
        let format = cli
            .global
            .output
            .or_else(|| settings.as_ref().and_then(|s| s.output.value))
            .unwrap_or(OutputFormat::Json);
        output::config_show::print(
            settings.as_ref(),
            error.as_ref().map(|e| e.0.as_str()),
            format,
        )?;
        return match error {
            Some(e) => Err(CliError::Usage {
                message: e.0,
                hint: Some(
                    "fix the config file or the setting named; the table above shows the rest"
                        .into(),
                ),
            }),
            None => Ok(()),
        };
    }
    let (mut settings, warnings) = Settings::resolve(&cli.global, asid_flag, &env, stdout_tty)?;
    // From here on, nothing this run prints can hold a credential.
    crate::shield::protect(&settings.redactor());
    for w in warnings {
        crate::warn(&w);
    }
    if let Some(code) = &cli.global.jq {
        output::jq::activate(code).map_err(|e| {
            CliError::usage(
                format!("invalid --jq expression: {e}"),
                "for example --jq '.[] | select(.resultCode == 126) | .id'",
            )
        })?;
    }

    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Into a buffer: clap_complete panics on a failed write (a
            // closed pipe), cfp returns the error.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "cfp", &mut script);
            std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
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
        return output::config_show::print(Some(&settings), None, format);
    }

    if cli.global.dry_run {
        crate::dry_run::enable();
    }
    let client = build_client(&settings, clock.clone())?;
    // Tables fit stdout's width; times are relative to this run's clock.
    let view = output::layout::View::for_stdout(
        settings.output.value == Some(OutputFormat::Wide),
        clock.clone(),
    );
    output::layout::set(match sim {
        Some(_) => view.scaled(SIM_SPEED),
        None => view,
    });
    let ctx = Ctx {
        client,
        // `--jq` filters the JSON document: no table, no progress events.
        format: if cli.global.jq.is_some() {
            OutputFormat::Json
        } else {
            settings.output.value.unwrap_or(OutputFormat::Json)
        },
        progress_bar: progress_bar_wanted(&cli.global),
        status_lines: status_lines_wanted(&cli.global),
        verbose: cli.global.verbose > 0,
        settings,
        clock,
        sim,
    };
    let mut result = commands::run(&ctx, cli.command).await;
    if crate::dry_run::active() {
        // The recorder stopped the first request of each action: print
        // what would have been sent. Any other error (bad input) stands.
        // A command that sent nothing on its own (`patch --plan`) has
        // printed what it does already.
        result = match result {
            Err(e) if !crate::dry_run::is_stop(&e) => Err(e),
            Ok(()) if crate::dry_run::report().requests.is_empty() => Ok(()),
            _ => crate::dry_run::print(ctx.format),
        };
    }
    let result = result.map_err(|e| e.for_people(&ctx.settings, ctx.verbose));
    if let Some(sim) = ctx.sim {
        sim.shutdown().await;
        return result.map_err(CliError::in_local_sim);
    }
    result
}
