//! What went wrong, the exit code it maps to, and what to do next.

use std::fmt;

use cfp_api::Error as ApiError;

/// Exit codes of the CLI contract (the README and `docs/cli.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Ok = 0,
    /// 1: any other error.
    Other = 1,
    /// 2: usage or invalid input; no request was sent.
    Usage = 2,
    /// 3: authentication or permission refused (401/403).
    Auth = 3,
    /// 4: not found (404).
    NotFound = 4,
    /// 5: the awaited job, task, batch or rollout ended failed, cancelled or
    /// with errors.
    Failed = 5,
    /// 6: waiting timed out.
    WaitTimeout = 6,
    /// 130: interrupted (Ctrl-C).
    Interrupted = 130,
}

/// A failure of one `cfp` run.
#[derive(Debug)]
pub enum CliError {
    /// Bad input or configuration, found before anything was sent.
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// An API call failed.
    Api(ApiError),
    /// A call that changes something got no answer that could be read (a
    /// reset, a timeout, a cut or undecodable body, a 502 or 504): it may
    /// have been carried out, and cfp did not send it again.
    MayHaveBeenCarriedOut {
        /// What was asked, e.g. `task create (template 1)`.
        what: String,
        /// How to see what happened (see [`CliError::check_with`]).
        hint: String,
        /// The call's error.
        error: Box<ApiError>,
    },
    /// The awaited work ended without success.
    WaitFailed {
        message: String,
        details: Vec<String>,
    },
    /// The wait ran out of time; the work goes on.
    WaitTimeout { message: String, reattach: String },
    /// Ctrl-C while waiting; the work goes on.
    Interrupted { reattach: Option<String> },
    /// Writing the output failed (other than a closed pipe).
    Io(std::io::Error),
    /// The in-process simulator could not start.
    Sim(String),
}

impl CliError {
    /// A usage error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// `error` as [`CliError::MayHaveBeenCarriedOut`] when the call may
    /// have been carried out, else as [`CliError::Api`]. `what` names the
    /// request (`task create (template 1)`), `hint` says how to see what
    /// happened.
    pub fn outcome_unknown(error: ApiError, what: String, hint: String) -> Self {
        if error.may_have_been_carried_out() {
            Self::MayHaveBeenCarriedOut {
                what,
                hint,
                error: Box::new(error),
            }
        } else {
            Self::Api(error)
        }
    }

    /// The hint of an unknown outcome that `command` shows.
    pub fn check_with(command: &str) -> String {
        format!(
            "cfp did not send it again. Check what happened with `{command}` before running it again"
        )
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        match self {
            Self::Usage { .. } => Exit::Usage,
            Self::Api(e) => api_exit(e),
            // Whatever the status: it is not a refusal, a missing resource
            // or bad input, but an unknown outcome.
            Self::MayHaveBeenCarriedOut { .. } => Exit::Other,
            Self::WaitFailed { .. } => Exit::Failed,
            Self::WaitTimeout { .. } => Exit::WaitTimeout,
            Self::Interrupted { .. } => Exit::Interrupted,
            Self::Io(_) | Self::Sim(_) => Exit::Other,
        }
    }

    /// What to do next, if there is something useful to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Usage { hint, .. } => hint.clone(),
            Self::Api(e) => api_hint(e),
            Self::MayHaveBeenCarriedOut { hint, .. } => Some(hint.clone()),
            Self::WaitTimeout { reattach, .. } => Some(format!(
                "the work goes on; wait longer with --wait-timeout, or re-attach with: {reattach}"
            )),
            Self::Interrupted { reattach: Some(r) } => Some(format!(
                "stopped waiting; the work goes on. Re-attach with: {r}"
            )),
            Self::Interrupted { reattach: None } => None,
            _ => None,
        }
    }
}

fn api_exit(e: &ApiError) -> Exit {
    if e.is_invalid_input() || matches!(e, ApiError::Config { .. }) {
        Exit::Usage
    } else if e.is_auth() {
        Exit::Auth
    } else if e.is_not_found() {
        Exit::NotFound
    } else {
        Exit::Other
    }
}

fn api_hint(e: &ApiError) -> Option<String> {
    if let ApiError::Config { setting, .. } = e {
        return Some(format!(
            "set the {setting} in the environment or in your profile (see `cfp config show`), \
             or add --sim to try against the built-in simulator"
        ));
    }
    if e.is_auth() {
        return Some(
            "the credentials were refused; check them with `cfp config show` (values are redacted)"
                .into(),
        );
    }
    if e.is_conflict() {
        return Some("the task's current state does not allow this; see `cfp task get`".into());
    }
    if e.may_have_been_carried_out() {
        return Some(
            "it may have been carried out, and cfp did not send it again; check its effect \
             before sending it again"
                .into(),
        );
    }
    None
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage { message, .. } => f.write_str(message),
            Self::Api(e) => write!(f, "{e}"),
            Self::MayHaveBeenCarriedOut { what, error, .. } => write!(
                f,
                "{what} may have been carried out: no readable answer came back ({error})"
            ),
            Self::WaitFailed { message, details } => {
                f.write_str(message)?;
                for d in details {
                    write!(f, "\n  {d}")?;
                }
                Ok(())
            }
            Self::WaitTimeout { message, .. } => f.write_str(message),
            Self::Interrupted { .. } => f.write_str("interrupted"),
            Self::Io(e) => write!(f, "cannot write the output: {e}"),
            Self::Sim(e) => write!(f, "cannot start the built-in simulator: {e}"),
        }
    }
}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        Self::Usage {
            message: e.0,
            hint: Some("see `cfp config show` and the configuration section of the README".into()),
        }
    }
}
