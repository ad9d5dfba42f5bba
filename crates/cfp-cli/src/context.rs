//! What every command runs with: the client, the settings, how to print.

use std::io::Write;
use std::sync::Arc;

use cfp_api::model::AccountServiceId;
use cfp_api::{Client, Clock, Timeouts, settings as sdk};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::cli::{Global, OutputFormat};
use crate::config::Settings;
use crate::error::CliError;
use crate::output::{self, Table};
use crate::sim::LocalSim;

/// Everything a command needs.
pub struct Ctx {
    pub client: Client,
    pub settings: Settings,
    pub format: OutputFormat,
    /// Show a progress bar while waiting.
    pub progress_bar: bool,
    /// Write plain status lines to stderr while waiting (it is not a
    /// terminal, and progress was not turned off).
    pub status_lines: bool,
    /// The client's clock (the simulator's time under `--sim`).
    pub clock: Arc<dyn Clock>,
    /// The in-process simulator, kept alive for the run.
    pub sim: Option<LocalSim>,
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

/// A bar only for people: stderr is a terminal and nobody said no.
pub fn progress_bar_wanted(global: &Global) -> bool {
    use std::io::IsTerminal as _;
    !global.no_progress && std::io::stderr().is_terminal()
}

/// Status lines instead of a bar: stderr is not a terminal (a CI log) and
/// nobody said no.
pub fn status_lines_wanted(global: &Global) -> bool {
    use std::io::IsTerminal as _;
    !global.no_progress && !std::io::stderr().is_terminal()
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
    let pair = sdk::clanforge_pair(
        settings.clanforge_key.value.as_ref(),
        settings.clanforge_secret.value.as_ref(),
    )?;
    if let Some((k, s)) = pair {
        b = b.clanforge_credentials(k.expose_secret(), s.expose_secret());
    }
    if let Some(t) = &settings.task_token.value {
        b = b.task_token(t.expose_secret());
    }
    // A session or an AccessKey, never both: which one signs a request is
    // never a guess (the SDK's rule, with its message).
    match sdk::zstack_credentials(
        settings.zstack_session.value.as_ref(),
        settings.zstack_access_key_id.value.as_ref(),
        settings.zstack_access_key_secret.value.as_ref(),
    )
    .map_err(|e| {
        CliError::usage(
            e.to_string(),
            "`cfp config show` says where each ZStack credential comes from",
        )
    })? {
        Some(sdk::ZStackCredentials::Session(s)) => b = b.zstack_session(s.expose_secret()),
        Some(sdk::ZStackCredentials::AccessKey { id, secret }) => {
            b = b.zstack_access_key(id.expose_secret(), secret.expose_secret());
        }
        None => {}
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
