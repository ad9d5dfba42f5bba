//! What every command runs with: the client, the settings, how to print.

use std::io::Write;
use std::sync::Arc;

use cfp_api::model::AccountServiceId;
use cfp_api::{Client, Clock, Timeouts, settings as sdk};
use clap::ValueEnum as _;
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::cli::{Global, OutputFormat};
use crate::config::{Origin, Settings};
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
    /// `-v` or more: errors also show the operation id and the raw error.
    pub verbose: bool,
    /// The client's clock (the simulator's time under `--sim`).
    pub clock: Arc<dyn Clock>,
    /// The in-process simulator, kept alive for the run.
    pub sim: Option<LocalSim>,
}

impl Ctx {
    /// Prints a result on stdout in the chosen format.
    pub fn print<T: Serialize + Table>(&self, value: &T) -> Result<(), CliError> {
        self.print_list(value, None)
    }

    /// Prints a list result: with `-o ndjson`, one item per line (the
    /// answer's array, or its field `items`); else as [`Ctx::print`].
    /// Under `--jq`, either prints what the filter yields.
    pub fn print_list<T: Serialize + Table>(
        &self,
        value: &T,
        items: Option<&str>,
    ) -> Result<(), CliError> {
        // Rust's stdout flushes at every newline: buffer the document so a
        // pretty-printed answer is one write, not one per line.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if let Some(code) = output::jq::active() {
            let text = serde_json::to_string(value).map_err(std::io::Error::other)?;
            output::jq::write(&mut out, code, &crate::shield::redact(&text)).map_err(
                |e| match e {
                    output::jq::JqError::Filter(e) => CliError::Other(format!("--jq: {e}")),
                    output::jq::JqError::Io(e) => CliError::Io(e),
                },
            )?;
        } else {
            output::print_list(&mut out, self.format, value, items)?;
        }
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

    /// The global flags a command that cfp prints for the user to run
    /// next must repeat, each followed by a space: `--sim`, and
    /// `--profile NAME` and `-o FORMAT` when they were given as flags (an
    /// environment variable is still set in the same shell; a profile's
    /// value comes back with the profile).
    pub fn sim_flag(&self) -> String {
        let mut flags = String::new();
        if self.sim.is_some() {
            flags.push_str("--sim ");
        }
        if let (Origin::Flag(_), Some(p)) =
            (&self.settings.profile.origin, &self.settings.profile.value)
        {
            flags.push_str(&format!("--profile {} ", shell_word(p)));
        }
        if let (Origin::Flag(_), Some(o)) =
            (&self.settings.output.origin, self.settings.output.value)
        {
            let name = o
                .to_possible_value()
                .map(|v| v.get_name().to_owned())
                .unwrap_or_default();
            flags.push_str(&format!("-o {name} "));
        }
        flags
    }

    /// `cfp ` and the flags of [`sim_flag`](Self::sim_flag): the start of
    /// a command printed for the user to run next.
    pub fn cfp(&self) -> String {
        format!("cfp {}", self.sim_flag())
    }
}

/// `s` as one shell word: as it is when it is plain, else single-quoted.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:=@".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
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
    if let Some(recorder) = crate::dry_run::transport() {
        b = b.transport(Arc::new(recorder));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_name_is_one_shell_word() {
        assert_eq!(shell_word("ops"), "ops");
        assert_eq!(shell_word("eu-west.2"), "eu-west.2");
        assert_eq!(shell_word("my prod"), "'my prod'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$(rm -rf)"), "'$(rm -rf)'");
        assert_eq!(shell_word(""), "''");
    }
}
