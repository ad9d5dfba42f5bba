//! `cfp zstack login | status | logout`: a ZStack session for the next
//! commands.
//!
//! `login` keeps the session in the active profile of the config file
//! (written with mode 0600; the rest of the file kept as it was), as
//! `gh auth login` keeps its token. With `--print` it prints one line on
//! stdout instead, `export CFP_ZSTACK_SESSION=<session>`, so that
//! `eval "$(cfp zstack login --print …)"` sets it for one shell: that line
//! is the secret, on purpose, and nothing else ever shows it (the session
//! joins the redactor as soon as it arrives). The password is never an
//! argument: it is read from stdin (`--password-stdin`) or asked for on the
//! terminal without echo.

use std::io::{IsTerminal as _, Write as _};

use cfp_api::Redactor;
use cfp_api::model::{SessionValidity, ZStackSession};
use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Origin;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::key_values;

/// The variable `login` sets and `logout` reads.
const SESSION_ENV: &str = cfp_api::settings::ZSTACK_SESSION.env;

#[derive(Debug, Subcommand)]
pub enum ZstackCommand {
    /// Log in to ZStack with an account and password; keep the session in
    /// the profile
    ///
    /// The session is stored as zstack_session in the active profile of the
    /// config file (created if needed, written with mode 0600, everything
    /// else in it kept), where the next commands find it. With --print,
    /// nothing is stored: stdout gets exactly one line, `export
    /// CFP_ZSTACK_SESSION=<session>`, whatever -o says, for `eval "$(…)"`
    /// (under --sim the session is always printed, never stored). cfp
    /// prints the session nowhere else; a confirmation goes to stderr. The
    /// password is read from stdin with --password-stdin, else asked for on
    /// the terminal without echo; it is sent as its SHA-512 digest, as
    /// ZStack's own clients do.
    #[command(
        after_help = "Examples:\n  cfp zstack login --account admin                 # asks for the password; stored in the profile\n  \
                            cfp --profile prod zstack login --account admin --password-stdin < ~/.zstack-pw\n  \
                            eval \"$(cfp zstack login --account admin --print)\"   # this shell only"
    )]
    #[doc(alias = "logInByAccount")]
    Login {
        /// The account name
        #[arg(long, value_name = "NAME")]
        account: String,
        /// Read the password from the first line of stdin
        #[arg(long)]
        password_stdin: bool,
        /// Print `export CFP_ZSTACK_SESSION=…` for eval instead of storing
        /// the session in the profile
        #[arg(long)]
        print: bool,
    },

    /// Whether the configured ZStack session (CFP_ZSTACK_SESSION or the
    /// profile's zstack_session) is still valid
    ///
    /// Exits 0 when it is, 3 when it expired or was ended (log in again).
    /// ZStack answers it without credentials; the session itself is never
    /// printed.
    #[command(
        after_help = "Examples:\n  cfp zstack status\n  cfp zstack status || cfp zstack login --account admin"
    )]
    #[doc(alias = "validateSession")]
    Status,

    /// End the configured ZStack session (CFP_ZSTACK_SESSION or the
    /// profile's zstack_session)
    ///
    /// Exits 0 when the session was already over. A session kept in the
    /// profile is removed from it; stdout gets one line, `unset
    /// CFP_ZSTACK_SESSION`, for `eval "$(cfp zstack logout)"`.
    #[command(
        after_help = "Examples:\n  cfp zstack logout   # ends it; prints `unset CFP_ZSTACK_SESSION`\n  \
                      eval \"$(cfp zstack logout)\"   # and unsets it in this shell"
    )]
    #[doc(alias = "logOut")]
    Logout,
}

pub(super) async fn run(ctx: &Ctx, c: ZstackCommand) -> Result<(), CliError> {
    match c {
        ZstackCommand::Login {
            account,
            password_stdin,
            print,
        } => login(ctx, &account, password_stdin, print).await,
        ZstackCommand::Logout => logout(ctx).await,
        ZstackCommand::Status => status(ctx).await,
    }
}

/// The password: one line of stdin, or asked for on the terminal.
fn password(account: &str, from_stdin: bool) -> Result<SecretString, CliError> {
    let text = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.truncate(line.trim_end_matches(['\n', '\r']).len());
        line
    } else if std::io::stdin().is_terminal() {
        // rpassword reads the terminal itself with echo off (and puts echo
        // back), on Unix and Windows alike.
        rpassword::prompt_password(format!(
            "ZStack password for {}: ",
            crate::shield::for_terminal(account)
        ))?
    } else {
        return Err(CliError::usage(
            "no password: stdin is not a terminal, so cfp cannot ask for one",
            "pipe it in with --password-stdin, e.g. `cfp zstack login --account NAME --password-stdin < FILE`",
        ));
    };
    if text.is_empty() {
        return Err(CliError::usage(
            "the password is empty",
            if from_stdin {
                "--password-stdin reads the first line of stdin"
            } else {
                "type the account's password at the prompt"
            },
        ));
    }
    Ok(SecretString::from(text))
}

async fn login(ctx: &Ctx, account: &str, from_stdin: bool, print: bool) -> Result<(), CliError> {
    if account.trim().is_empty() {
        return Err(CliError::usage(
            "--account is empty",
            "give the ZStack account name, e.g. --account admin",
        ));
    }
    // A dry run asks for nothing: the password is masked in what it shows.
    let password = if crate::dry_run::active() {
        SecretString::from("<password>")
    } else {
        password(account, from_stdin)?
    };
    // From here on nothing printed can hold it (a server that echoes it,
    // a trace at -vvv).
    crate::shield::protect(&Redactor::new([password.expose_secret()]));
    let reply = ctx
        .client
        .zstack_login(account, password.expose_secret())
        .await
        .map_err(|e| {
            CliError::outcome_unknown(
                e,
                format!("zstack login as {account}"),
                "cfp did not send it again. A session may have been opened: log in again (a \
                 session nobody uses expires by itself)"
                    .into(),
            )
        })?;
    let inventory = &reply.inventory;
    // Checked again before it goes into a shell line: an answer's session
    // is the server's text, and `eval` would run anything in it.
    let session = ZStackSession::new(inventory.uuid.expose()).map_err(|reason| {
        CliError::Other(format!(
            "the server's session is not usable ({reason}); it is not printed"
        ))
    })?;
    crate::shield::protect(&Redactor::new([session.expose()]));
    let expires = inventory
        .expired_date
        .as_deref()
        .map(|d| format!(" (the session expires {d})"))
        .unwrap_or_default();
    if print || ctx.sim.is_some() {
        let line = format!("export {SESSION_ENV}={}\n", shell_word(session.expose()));
        {
            // Written as it is, past the shield: this line is meant to carry
            // the session.
            let mut out = std::io::stdout().lock();
            out.write_all(line.as_bytes())?;
            out.flush()?;
        }
        say(&format!("logged in to ZStack as {account}{expires}"));
        if std::io::stdout().is_terminal() {
            say(&format!(
                "to use it in this shell, run: eval \"$(cfp zstack login --account {account} --print)\""
            ));
        }
        return Ok(());
    }
    let (path, profile) = profile_file(ctx)?;
    crate::config_write::set_profile_key(&path, &profile, SESSION_KEY, Some(session.expose()))?;
    say(&format!(
        "logged in to ZStack as {account}{expires}; the session is kept in profile {profile:?} of {} (readable by you only)",
        path.display()
    ));
    if let Origin::Env(var) = ctx.settings.zstack_session.origin {
        say(&format!(
            "{var} is set in this environment and comes before the profile: unset it to use the new session"
        ));
    }
    if ctx.settings.zstack_access_key_id.value.is_some() {
        say(
            "an AccessKey is configured too, and cfp uses one or the other: remove the AccessKey settings to use the session",
        );
    }
    Ok(())
}

/// The key `login` writes and `logout` removes.
const SESSION_KEY: &str = cfp_api::settings::ZSTACK_SESSION.key;

/// The config file and the profile a session is kept in.
fn profile_file(ctx: &Ctx) -> Result<(std::path::PathBuf, String), CliError> {
    let Some(path) = ctx.settings.config_path.clone() else {
        return Err(CliError::usage(
            "there is no config file to keep the session in (no home directory, and CFP_CONFIG is not set)",
            "set CFP_CONFIG to a file, or add --print and eval the line",
        ));
    };
    let profile = ctx
        .settings
        .profile
        .value
        .clone()
        .unwrap_or_else(|| "default".into());
    Ok((path, profile))
}

/// The configured session, for `what` ("end", "check").
fn configured_session(ctx: &Ctx, what: &str) -> Result<ZStackSession, CliError> {
    let settings = &ctx.settings;
    let Some(configured) = &settings.zstack_session.value else {
        return Err(if settings.zstack_access_key_id.value.is_some() {
            CliError::usage(
                format!("there is no ZStack session to {what}: cfp signs with an AccessKey"),
                "an AccessKey is managed on the ZStack side, not by logging in or out",
            )
        } else {
            CliError::usage(
                format!("there is no ZStack session to {what}"),
                format!(
                    "log in with `cfp zstack login --account NAME`, or set {SESSION_ENV} (or zstack_session in your profile) to the session"
                ),
            )
        });
    };
    ZStackSession::new(configured.expose_secret()).map_err(|reason| {
        CliError::usage(
            format!(
                "the ZStack session ({}) is not a session: {reason}",
                settings.zstack_session.origin
            ),
            "see `cfp config show` (values are redacted)",
        )
    })
}

async fn status(ctx: &Ctx) -> Result<(), CliError> {
    let session = configured_session(ctx, "check")?;
    let answer = ctx.client.validate_session(session).send().await?;
    let valid = answer.valid;
    ctx.print(&answer)?;
    if valid {
        return Ok(());
    }
    Err(CliError::Said {
        message: format!(
            "the ZStack session ({}) is over: it expired or was ended",
            ctx.settings.zstack_session.origin
        ),
        hint: Some("log in again: cfp zstack login --account NAME".into()),
        exit: crate::error::Exit::Auth,
    })
}

async fn logout(ctx: &Ctx) -> Result<(), CliError> {
    let settings = &ctx.settings;
    let session = configured_session(ctx, "end")?;
    match ctx.client.log_out(session).send().await {
        Ok(_) => say("the ZStack session is over"),
        // Ending a session that is already over is what was asked. Only
        // ZStack's own "invalid session" says so: a 403 from a proxy
        // does not.
        Err(e) if is_invalid_session(&e) => say("the ZStack session was already over"),
        Err(e) => return Err(e.into()),
    }
    if let Origin::Profile { name, path } = &settings.zstack_session.origin
        && crate::config_write::set_profile_key(path, name, SESSION_KEY, None)?
    {
        say(&format!(
            "removed the session from profile {name:?} of {}",
            path.display()
        ));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "unset {SESSION_ENV}")?;
    out.flush()?;
    Ok(())
}

/// ZStack's `ID.1001`: the session is unknown or expired.
fn is_invalid_session(e: &cfp_api::Error) -> bool {
    matches!(
        e.service_error(),
        Some(cfp_api::ServiceError::ZStack(z)) if z.is_invalid_session()
    )
}

// -- How people see it --------------------------------------------------------

impl Table for SessionValidity {
    fn table(&self) -> String {
        let said = if self.valid {
            "yes"
        } else {
            "no (expired or ended)"
        };
        key_values(&[("session valid", said.to_owned())])
    }
}

/// `cfp: …` on stderr, shielded: what happened, for people.
fn say(text: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "cfp: {}",
        crate::shield::for_terminal(text)
    );
}

/// `text` as one shell word: as it is when it holds only characters no
/// shell treats specially, else single-quoted (a `'` written `'\''`).
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/@%+=,".contains(&b));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_one_shell_word_whatever_it_holds() {
        assert_eq!(
            shell_word("3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d"),
            "3e1f5ae7c4b14a6b9c2d8e0f1a2b3c4d"
        );
        assert_eq!(shell_word("a;rm-FAKE"), "'a;rm-FAKE'");
        assert_eq!(shell_word("$(x)`y`"), "'$(x)`y`'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    /// Against the simulator over loopback: the configured session is
    /// valid (exit 0) until `logout` ends it; one that was never opened is
    /// over (exit 3, with where the session came from and never the session
    /// itself).
    #[tokio::test]
    async fn status_is_0_for_a_live_session_and_3_for_one_that_is_over() {
        use std::sync::Arc;

        use cfp_api::model::OperationId;
        use cfp_testkit::{ClockMode, Simulator};
        use clap::Parser as _;

        use crate::cli::{Cli, OutputFormat};
        use crate::config::Settings;
        use crate::context::build_client;
        use crate::error::Exit;

        let sim = Simulator::builder()
            .clock(ClockMode::Manual)
            .start()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "").unwrap();
        let cli = Cli::try_parse_from(["cfp", "zstack", "status"]).unwrap();
        let ctx_with = |session: &str| {
            let (url, session) = (sim.base_url(), session.to_owned());
            let config = config.display().to_string();
            let env = move |name: &str| match name {
                "CFP_ZSTACK_URL" => Some(url.clone()),
                "CFP_ZSTACK_SESSION" => Some(session.clone()),
                "CFP_CONFIG" => Some(config.clone()),
                _ => None,
            };
            let (settings, _) = Settings::resolve(&cli.global, None, &env, false).unwrap();
            let clock: Arc<dyn cfp_api::Clock> = Arc::new(cfp_api::TokioClock);
            Ctx {
                client: build_client(&settings, clock.clone()).unwrap(),
                settings,
                format: OutputFormat::Json,
                progress_bar: false,
                status_lines: false,
                verbose: false,
                clock,
                sim: None,
            }
        };
        let live = sim.credentials().zstack_session.clone();
        status(&ctx_with(&live)).await.unwrap();

        let never_opened = "0123456789abcdef0123456789abcdef";
        let e = status(&ctx_with(never_opened)).await.unwrap_err();
        assert_eq!(e.exit(), Exit::Auth);
        let said = format!("{e:?}");
        assert!(
            said.contains("is over") && said.contains("CFP_ZSTACK_SESSION"),
            "{said}"
        );
        assert!(!said.contains(never_opened), "{said}");
        assert!(e.hint().unwrap().contains("cfp zstack login"));

        logout(&ctx_with(&live)).await.unwrap();
        let e = status(&ctx_with(&live)).await.unwrap_err();
        assert_eq!(e.exit(), Exit::Auth, "logged out: {e:?}");
        assert_eq!(sim.journal().count(OperationId::ValidateSession), 3);
        sim.shutdown().await;
    }
}
