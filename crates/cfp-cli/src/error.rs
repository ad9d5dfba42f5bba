//! What went wrong, the exit code it maps to, and what to do next.

use std::fmt;

use cfp_api::model::{DiffId, ImageLock, OperationId, UpdateId};
use cfp_api::{Error as ApiError, ServiceError};

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
    /// An API call failed, and the command knows what to do next (an image
    /// locked by a diff: reject it or make a version of it).
    ApiWithHint {
        /// The call's error.
        error: Box<ApiError>,
        /// What to do next.
        hint: String,
    },
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
    /// Anything else that stops a run (exit 1), said in full.
    Other(String),
    /// Some of several tasks failed, each reported on its own: the worst
    /// exit code of them.
    Several { message: String, exit: Exit },
    /// Under `--sim` or in `cfp demo`: an error whose hint names a command
    /// to run later against the same world, which ended with the run.
    SimEnded(Box<CliError>),
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

    /// `error` with a hint of the command's own.
    pub fn api_with_hint(error: ApiError, hint: String) -> Self {
        Self::ApiWithHint {
            error: Box::new(error),
            hint,
        }
    }

    /// The hint of an unknown outcome that `command` shows.
    pub fn check_with(command: &str) -> String {
        format!(
            "cfp did not send it again. Check what happened with `{command}` before running it again"
        )
    }

    /// The error of a run against the built-in simulator, which ends with
    /// the run: a hint to re-attach, or to check later, says so and what
    /// to run against `cfp-sim` instead.
    pub fn in_local_sim(self) -> Self {
        match self {
            Self::Interrupted { reattach: Some(_) }
            | Self::WaitTimeout { .. }
            | Self::MayHaveBeenCarriedOut { .. } => Self::SimEnded(Box::new(self)),
            // `cfp patch` stopped for a go-ahead: its resume would need
            // this run's world.
            Self::Usage {
                hint: Some(ref h), ..
            } if h.contains("cfp --sim ") && h.contains("patch resume") => {
                Self::SimEnded(Box::new(self))
            }
            // `cfp patch` stopped at a stage: its "continue with" needs
            // this run's world.
            Self::WaitFailed { message, details } => Self::WaitFailed {
                message,
                details: details
                    .into_iter()
                    .map(|d| {
                        if d.contains("cfp --sim ") && d.contains("patch resume") {
                            format!(
                                "the built-in simulator stopped with this run, so this patch \
                                 cannot be resumed: run it again, or against `cfp-sim` to resume \
                                 it across runs ({ACROSS_RUNS})"
                            )
                        } else {
                            d
                        }
                    })
                    .collect(),
            },
            other => other,
        }
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        match self {
            Self::SimEnded(inner) => inner.exit(),
            Self::Usage { .. } => Exit::Usage,
            Self::Api(e) => api_exit(e),
            Self::ApiWithHint { error, .. } => api_exit(error),
            // Whatever the status: it is not a refusal, a missing resource
            // or bad input, but an unknown outcome.
            Self::MayHaveBeenCarriedOut { .. } => Exit::Other,
            Self::WaitFailed { .. } => Exit::Failed,
            Self::WaitTimeout { .. } => Exit::WaitTimeout,
            Self::Interrupted { .. } => Exit::Interrupted,
            Self::Io(_) | Self::Sim(_) | Self::Other(_) => Exit::Other,
            Self::Several { exit, .. } => *exit,
        }
    }

    /// What to do next, if there is something useful to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::SimEnded(inner) => Some(sim_ended_hint(inner)),
            Self::Usage { hint, .. } => hint.clone(),
            Self::Api(e) => api_hint(e),
            Self::ApiWithHint { hint, .. } => Some(hint.clone()),
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

/// Where docs/cli.md says how to run cfp against `cfp-sim`.
const ACROSS_RUNS: &str = "docs/cli.md, \"The simulator across runs\"";

/// The hint of an error under `--sim`: the world ended with the run.
fn sim_ended_hint(inner: &CliError) -> String {
    let gone = "the built-in simulator stopped with this run (each --sim run starts a fresh \
                world), so this work is gone and `cfp --sim …` cannot find it";
    let there = |cmd: &str| {
        format!(
            "{gone}. To follow work across runs, start `cfp-sim` and point cfp at it \
             ({ACROSS_RUNS}); there, {cmd}"
        )
    };
    match inner {
        CliError::Interrupted {
            reattach: Some(r), ..
        } => format!(
            "stopped waiting; {}",
            there(&format!("this re-attaches: {}", without_sim(r)))
        ),
        CliError::WaitTimeout { reattach, .. } => there(&format!(
            "wait longer with --wait-timeout, or re-attach with: {}",
            without_sim(reattach)
        )),
        // A patch's resume: its record names jobs of the world that ended.
        CliError::Usage { .. } => format!(
            "{gone}, and this patch cannot be resumed: run it again with --yes to give the \
             go-ahead, or run it against `cfp-sim` to resume it across runs ({ACROSS_RUNS})"
        ),
        _ => format!(
            "{gone}: nothing can be checked. Run the command again, or run it against \
             `cfp-sim` ({ACROSS_RUNS}) to follow what happens"
        ),
    }
}

/// A command printed under `--sim`, for `cfp-sim`: the same without `--sim`.
fn without_sim(command: &str) -> String {
    command.replacen("cfp --sim ", "cfp ", 1)
}

fn api_exit(e: &ApiError) -> Exit {
    if e.is_invalid_input() || matches!(e, ApiError::Config { .. }) {
        Exit::Usage
    } else if e.is_auth() || is_login_refused(e) {
        Exit::Auth
    } else if e.is_not_found() {
        Exit::NotFound
    } else {
        Exit::Other
    }
}

/// ZStack refused a login: a wrong account name or password
/// (`ID.1000`, "Authentication failed"). Credentials refused: exit 3.
pub fn is_login_refused(e: &ApiError) -> bool {
    e.operation() == Some(OperationId::LogInByAccount)
        && matches!(
            e.service_error(),
            Some(ServiceError::ZStack(z)) if z.chain().any(|c| c.code.as_deref().map(str::trim) == Some("ID.1000"))
        )
}

/// What locks the image, when `e` is Clanforge's refusal "image locked by
/// diffid: N" (or "… by updateid: N"): an update or a diff of an image
/// is refused until the image's last diff is accepted or rejected, and
/// while an update of it runs.
pub fn image_lock(e: &ApiError) -> Option<ImageLock> {
    let Some(ServiceError::Clanforge(c)) = e.service_error() else {
        return None;
    };
    let message = c.error_message.as_deref()?;
    let id_after = |marker: &str| -> Option<u64> {
        let (_, rest) = message.split_once(marker)?;
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    if let Some(d) = id_after("locked by diffid:") {
        return Some(ImageLock::Diff(DiffId(d)));
    }
    id_after("locked by updateid:").map(|u| ImageLock::Update(UpdateId(u)))
}

/// ZStack's 403 `requestTimeTooSkewed`: an AccessKey request whose `Date`
/// is more than 15 minutes off the server's clock (ZStack's RestServer).
pub fn is_clock_skew_refusal(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Http { status: 403, excerpt, .. } if excerpt.contains("requestTimeTooSkewed")
    )
}

fn api_hint(e: &ApiError) -> Option<String> {
    if is_login_refused(e) {
        return Some("check the account name and the password".into());
    }
    if let ApiError::Config { setting, .. } = e {
        return Some(format!(
            "set the {setting} in the environment or in your profile (see `cfp config show`), \
             or add --sim to try against the built-in simulator"
        ));
    }
    if is_clock_skew_refusal(e) {
        return Some(
            "ZStack refused the request's time: an AccessKey signature carries this machine's \
             clock (the Date header), and ZStack accepts it only within 15 minutes of its own. \
             Set this machine's clock right (e.g. enable NTP), or use a session (`cfp zstack login`)"
                .into(),
        );
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
            Self::ApiWithHint { error, .. } => write!(f, "{error}"),
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
            Self::Other(e) => f.write_str(e),
            Self::Several { message, .. } => f.write_str(message),
            Self::SimEnded(inner) => write!(f, "{inner}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use cfp_api::model::ClanforgeError;

    fn envelope(op: OperationId, message: &str) -> ApiError {
        ApiError::Service {
            operation: op,
            status: 200,
            error: ServiceError::Clanforge(ClanforgeError {
                success: Some(false),
                error: Some(true),
                error_code: Some(1),
                error_message: Some(message.into()),
                messages: Vec::new(),
            }),
            retry_after: None,
        }
    }

    #[test]
    fn an_image_lock_is_read_from_the_envelope() {
        let e = envelope(
            OperationId::CreateImageUpdate,
            "image locked by diffid: 218590",
        );
        assert_eq!(image_lock(&e), Some(ImageLock::Diff(DiffId(218_590))));
        let e = envelope(
            OperationId::CreateImageDiff,
            "image locked by updateid: 7001",
        );
        assert_eq!(image_lock(&e), Some(ImageLock::Update(UpdateId(7001))));
        let e = envelope(OperationId::CreateImageDiff, "image 9 not found");
        assert_eq!(image_lock(&e), None);
        let e = envelope(OperationId::CreateImageDiff, "image locked by diffid: soon");
        assert_eq!(image_lock(&e), None);
    }

    #[test]
    fn under_sim_a_reattach_hint_points_at_cfp_sim_and_keeps_the_exit_code() {
        let e = CliError::WaitTimeout {
            message: "gave up".into(),
            reattach: "cfp --sim --profile ops batch get 1 --wait".into(),
        }
        .in_local_sim();
        assert_eq!(e.exit(), Exit::WaitTimeout);
        assert_eq!(e.to_string(), "gave up");
        let hint = e.hint().unwrap();
        assert!(hint.contains("cfp-sim"), "{hint}");
        assert!(
            hint.ends_with("re-attach with: cfp --profile ops batch get 1 --wait"),
            "{hint}"
        );
        let e = CliError::Interrupted {
            reattach: Some("cfp --sim imagediff status --asid 1 5 --wait".into()),
        }
        .in_local_sim();
        assert_eq!(e.exit(), Exit::Interrupted);
        assert!(
            e.hint()
                .unwrap()
                .ends_with("this re-attaches: cfp imagediff status --asid 1 5 --wait")
        );
        // Errors whose hint needs no later run are left as they are.
        let e = CliError::usage("bad", "fix it").in_local_sim();
        assert_eq!(e.hint().as_deref(), Some("fix it"));
    }

    #[test]
    fn a_refused_login_is_exit_3() {
        let z = cfp_api::model::ZStackError {
            code: Some("ID.1000".into()),
            description: Some("Authentication failed".into()),
            ..Default::default()
        };
        let e = ApiError::Service {
            operation: OperationId::LogInByAccount,
            status: 503,
            error: ServiceError::ZStack(Box::new(z)),
            retry_after: None,
        };
        let cli = CliError::Api(e);
        assert_eq!(cli.exit(), Exit::Auth);
        assert!(cli.hint().unwrap().contains("password"));
    }
}
