//! One run of `cfp`: resolve settings, build the client (or start the
//! simulator), run the command, print the result.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use cfp_api::Client;
use cfp_model::AccountServiceId;
use cfp_testkit::RunningSimulator;
use cfp_transport::{Clock, Timeouts, TokioClock};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::cli::{Cli, Command, ConfigCommand, Global, OutputFormat};
use crate::commands;
use crate::config::Settings;
use crate::error::CliError;
use crate::output::{self, Table};
use crate::simtime::SimTime;

/// Everything a command needs.
pub struct Ctx {
    pub client: Client,
    pub settings: Settings,
    pub format: OutputFormat,
    /// Show a progress bar while waiting.
    pub progress_bar: bool,
    /// The client's clock (the simulator's time under `--sim`).
    pub clock: Arc<dyn Clock>,
    /// The in-process simulator, kept alive for the run.
    pub sim: Option<RunningSimulator>,
}

impl Ctx {
    /// Prints a result on stdout in the chosen format.
    pub fn print<T: Serialize + Table>(&self, value: &T) -> Result<(), CliError> {
        // Rust's stdout flushes at every newline: buffer the document so a
        // pretty-printed answer is one write, not one per line.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        output::print(&mut out, self.format, value)?;
        out.flush()?;
        Ok(())
    }

    /// The account service id, or a usage error saying how to give one.
    pub fn asid(&self) -> Result<AccountServiceId, CliError> {
        self.settings.asid.value.ok_or_else(|| {
            CliError::usage(
                "no account service id",
                "pass --asid ID, set CFP_ASID, or add asid to your profile",
            )
        })
    }

    /// `--sim ` when the run uses the simulator, for re-attach hints.
    pub fn sim_flag(&self) -> &'static str {
        if self.sim.is_some() { "--sim " } else { "" }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let env = |k: &str| std::env::var(k).ok();
    let stdout_tty = std::io::stdout().is_terminal();
    let asid_flag = commands::asid_flag(&cli.command);
    let (mut settings, warnings) = Settings::resolve(&cli.global, asid_flag, &env, stdout_tty)?;
    for w in warnings {
        crate::warn(&w);
    }

    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "cfp", &mut std::io::stdout());
            return Ok(());
        }
        Command::Demo(args) => return crate::demo::run(&cli.global, args).await,
        _ => {}
    }

    let (sim, clock) = if cli.global.sim {
        let sim = crate::demo::start_simulator(crate::demo::SIM_SPEED).await?;
        let c = sim.credentials().clone();
        settings.use_simulator(
            &sim.base_url(),
            &c.clanforge_key,
            &c.clanforge_secret,
            &c.task_token,
            &c.zstack_session,
        );
        let clock: Arc<dyn Clock> = Arc::new(SimTime::new(sim.clock().clone()));
        (Some(sim), clock)
    } else {
        (None, Arc::new(TokioClock) as Arc<dyn Clock>)
    };

    if let Command::Config(ConfigCommand::Show) = cli.command {
        let format = settings.output.value.unwrap_or(OutputFormat::Json);
        return commands::config_show(&settings, format);
    }

    let client = build_client(&settings, clock.clone())?;
    let ctx = Ctx {
        client,
        format: settings.output.value.unwrap_or(OutputFormat::Json),
        progress_bar: progress_bar_wanted(&cli.global),
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

/// A bar only for people: stderr is a terminal and nobody said no.
pub fn progress_bar_wanted(global: &Global) -> bool {
    !global.no_progress && std::io::stderr().is_terminal()
}

/// The client for these settings.
pub fn build_client(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Client, CliError> {
    let mut b = Client::builder().clock(clock).user_agent_suffix("cli");
    if let Some(u) = &settings.clanforge_url.value {
        b = b.clanforge_url(u.clone());
    }
    if let Some(u) = &settings.task_url.value {
        b = b.task_url(u.clone());
    }
    if let Some(u) = &settings.zstack_url.value {
        b = b.zstack_url(u.clone());
    }
    match (
        &settings.clanforge_key.value,
        &settings.clanforge_secret.value,
    ) {
        (Some(k), Some(s)) => b = b.clanforge_credentials(k.expose_secret(), s.expose_secret()),
        (Some(_), None) | (None, Some(_)) => {
            return Err(CliError::usage(
                "Clanforge needs both a key and a secret, and only one is set",
                "set both CFP_CLANFORGE_KEY and CFP_CLANFORGE_SECRET (see `cfp config show`)",
            ));
        }
        (None, None) => {}
    }
    if let Some(t) = &settings.task_token.value {
        b = b.task_token(t.expose_secret());
    }
    if let Some(s) = &settings.zstack_session.value {
        b = b.zstack_session(s.expose_secret());
    }
    if let Some(total) = settings.timeout.value {
        let t = Timeouts::default();
        b = b.timeouts(
            t.with_total(total)
                .with_attempt(t.attempt.min(total))
                .with_connect(t.connect.min(total)),
        );
    }
    Ok(b.build()?)
}
