//! What went wrong, the exit code it maps to, and what to do next.

use std::fmt;

use cfp_api::model::{DiffId, ImageLock, OperationId, Surface, UpdateId};
use cfp_api::{Error as ApiError, ServiceError};

use crate::config::{Origin, Settings};

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
    /// An API call about a resource the command names (`task 12`), so the
    /// message can lead with it.
    ApiAbout {
        /// The resource and its id, e.g. `task 12`.
        subject: String,
        /// The call's error.
        error: Box<ApiError>,
        /// What to do next, if the command knows.
        hint: Option<String>,
    },
    /// An API error said for people ([`CliError::for_people`]): the
    /// resource first, the URL and its origin for a connection, the
    /// operation id only at `-v`.
    Said {
        message: String,
        hint: Option<String>,
        exit: Exit,
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

    /// `error` about `subject` (`task 12`), for `map_err`.
    pub fn about(subject: impl Into<String>) -> impl FnOnce(ApiError) -> CliError {
        let subject = subject.into();
        move |error| Self::ApiAbout {
            subject,
            error: Box::new(error),
            hint: None,
        }
    }

    /// This error about `subject` (`batch 9`), if it is a plain API error.
    pub fn with_subject(self, subject: impl Into<String>) -> Self {
        match self {
            Self::Api(error) => Self::ApiAbout {
                subject: subject.into(),
                error: Box::new(error),
                hint: None,
            },
            Self::ApiWithHint { error, hint } => Self::ApiAbout {
                subject: subject.into(),
                error,
                hint: Some(hint),
            },
            other => other,
        }
    }

    /// API errors said for people: the resource and its id first (`task 12
    /// not found`), a refused connection with its URL and where the URL
    /// came from, https against a plain-http server in words; the
    /// operation id and the raw error only when `verbose` (`-v`). Other
    /// errors are returned as they are.
    pub fn for_people(self, settings: &Settings, verbose: bool) -> Self {
        let (error, subject, hint) = match self {
            Self::Api(e) => (e, None, None),
            Self::ApiWithHint { error, hint } => (*error, None, Some(hint)),
            Self::ApiAbout {
                subject,
                error,
                hint,
            } => (*error, Some(subject), hint),
            // Already led by what was asked; the operation id only at -v.
            Self::MayHaveBeenCarriedOut { what, hint, error } if !verbose => {
                let full = error.to_string();
                let rest = error
                    .operation()
                    .and_then(|op| full.strip_prefix(&format!("{op}: ")))
                    .unwrap_or(&full);
                return Self::Said {
                    message: format!(
                        "{what} may have been carried out: no readable answer came back ({rest})"
                    ),
                    hint: Some(hint),
                    exit: Exit::Other,
                };
            }
            other => return other,
        };
        let (mut message, own_hint) = describe(&error, subject.as_deref(), settings);
        if verbose && error.operation().is_some() {
            message = format!("{message} [{error}]");
        }
        Self::Said {
            message,
            hint: hint.or(own_hint).or_else(|| api_hint(&error)),
            exit: people_exit(&error),
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
            Self::ApiAbout { error, .. } => people_exit(error),
            Self::Said { exit, .. } => *exit,
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
            Self::ApiAbout { error, hint, .. } => hint.clone().or_else(|| api_hint(error)),
            Self::Said { hint, .. } => hint.clone(),
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

/// [`api_exit`], and an unknown task template is not found (exit 4) as an
/// unknown task is, though the task API refuses it as invalid (422).
fn people_exit(e: &ApiError) -> Exit {
    if unknown_template(e).is_some() {
        Exit::NotFound
    } else {
        api_exit(e)
    }
}

/// The task API's refusal of a batch whose template does not exist: its
/// own words (`Task template 99 does not exist`).
fn unknown_template(e: &ApiError) -> Option<String> {
    if e.operation() != Some(OperationId::CreateTaskBatch) {
        return None;
    }
    let Some(ServiceError::Task(t)) = e.service_error() else {
        return None;
    };
    t.errors
        .iter()
        .find(|d| {
            d.property == "taskTemplateId"
                && (d.message.contains("does not exist") || d.message.contains("not found"))
        })
        .map(|d| d.message.clone())
}

/// The message of an API error for people, and a hint of its own.
fn describe(e: &ApiError, subject: Option<&str>, settings: &Settings) -> (String, Option<String>) {
    if let Some(said) = connection_problem(e, settings) {
        return said;
    }
    if let Some(m) = unknown_template(e) {
        return (
            lowercase_first(&m),
            Some("see the templates with `cfp task templates`".into()),
        );
    }
    if let Some(lock) = image_lock(e) {
        let what = match lock {
            ImageLock::Diff(d) => format!("diff {d}"),
            ImageLock::Update(u) => format!("update {u}"),
        };
        return (
            format!("{} is locked by {what}", subject.unwrap_or("the image")),
            None,
        );
    }
    let op = e.operation();
    if e.is_not_found() {
        if let Some(s) = subject {
            return (format!("{s} not found"), None);
        }
        // Clanforge says which: "diff 218596 not found".
        if let Some(ServiceError::Clanforge(c)) = e.service_error()
            && let Some(m) = c.error_message.as_deref().filter(|m| !m.trim().is_empty())
        {
            return (m.to_owned(), None);
        }
        if let Some(op) = op {
            return (format!("{} not found", resource_of(op)), None);
        }
    }
    let full = e.to_string();
    let Some(op) = op else {
        return (full, None);
    };
    // The error's own text without its operation prefix, led by the
    // resource, or by the operation in words.
    let rest = full
        .strip_prefix(&format!("{op}: "))
        .unwrap_or(&full)
        .to_owned();
    let lead = subject.map_or_else(|| words(op).join(" "), str::to_owned);
    (format!("{lead}: {rest}"), None)
}

/// `Task template 9 does not exist` → `task template 9 …`; `HTTP …` stays.
fn lowercase_first(m: &str) -> String {
    let mut chars = m.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => a
            .to_lowercase()
            .chain(std::iter::once(b))
            .chain(chars)
            .collect(),
        _ => m.to_owned(),
    }
}

/// `getTaskBatch` → `["get", "task", "batch"]`.
fn words(op: OperationId) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in op.to_string().chars() {
        if c.is_ascii_uppercase() || out.is_empty() {
            out.push(String::new());
        }
        if let Some(w) = out.last_mut() {
            w.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// `getTaskBatch` → `task batch`: the operation's words after its verb.
fn resource_of(op: OperationId) -> String {
    let w = words(op);
    if w.len() > 1 {
        w[1..].join(" ")
    } else {
        w.join(" ")
    }
}

/// A connection that could not be made, said with the URL and where it came
/// from; https against a plain-http server said in words.
fn connection_problem(e: &ApiError, settings: &Settings) -> Option<(String, Option<String>)> {
    let ApiError::Transport { operation, source } = e else {
        return None;
    };
    if source.kind() != cfp_api::TransportErrorKind::Connect {
        return None;
    }
    let surface = operation.spec().surface;
    let setting = match surface {
        Surface::Clanforge => &settings.clanforge_url,
        Surface::Task => &settings.task_url,
        Surface::ZStack => &settings.zstack_url,
    };
    let url = setting.value.as_deref().unwrap_or("(no URL)");
    let name = surface.name();
    let origin = match &setting.origin {
        Origin::Default => format!("the default {name} url"),
        o => format!("the {name} url, from {o}"),
    };
    let detail = source.message();
    let lower = detail.to_ascii_lowercase();
    let see = "`cfp config show` says where each URL comes from";
    if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
        return Some((
            format!("{url} answered in plain HTTP, not HTTPS ({origin})"),
            Some(format!(
                "use an http:// URL for a server without TLS (cfp-sim serves plain HTTP \
                 unless started with --tls); {see}"
            )),
        ));
    }
    let why = if lower.contains("connection refused") {
        "connection refused".to_owned()
    } else if lower.contains("dns error") || lower.contains("failed to lookup") {
        "host not found".to_owned()
    } else if lower.contains("certificate") || lower.contains("unknownissuer") {
        "its TLS certificate is not trusted".to_owned()
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "timed out".to_owned()
    } else {
        detail.to_owned()
    };
    let attempts = if source.attempts() > 1 {
        format!(", {} attempts", source.attempts())
    } else {
        String::new()
    };
    Some((
        format!("cannot connect to {url}: {why} ({origin}{attempts})"),
        Some(format!("is the server running and the URL right? {see}")),
    ))
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
            Self::ApiAbout { subject, error, .. } => write!(f, "{subject}: {error}"),
            Self::Said { message, .. } => f.write_str(message),
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

    /// Settings from `vars` and an empty config file (never the user's).
    fn settings(vars: &[(&str, &str)]) -> (tempfile::TempDir, Settings) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "").unwrap();
        let mut all: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        all.push(("CFP_CONFIG".into(), path.display().to_string()));
        let env = |k: &str| all.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let global = crate::cli::Global {
            output: None,
            profile: None,
            sim: false,
            timeout: None,
            wait_timeout: None,
            verbose: 0,
            no_progress: false,
            dry_run: false,
            jq: None,
        };
        let (s, _) = Settings::resolve(&global, None, &env, false).unwrap();
        (dir, s)
    }

    fn task_error(op: OperationId, status: u16, message: &str) -> ApiError {
        ApiError::Service {
            operation: op,
            status,
            error: ServiceError::Task(cfp_api::model::TaskApiError {
                error_code: 10001,
                error_message: message.into(),
                ..Default::default()
            }),
            retry_after: None,
        }
    }

    #[test]
    fn operations_read_as_words() {
        assert_eq!(words(OperationId::GetTaskBatch), ["get", "task", "batch"]);
        assert_eq!(resource_of(OperationId::GetTaskBatch), "task batch");
        assert_eq!(
            lowercase_first("Task template 9 does not exist"),
            "task template 9 does not exist"
        );
        assert_eq!(lowercase_first("HTTP said no"), "HTTP said no");
    }

    #[test]
    fn people_read_the_resource_first_and_the_operation_only_at_v() {
        let (_dir, s) = settings(&[]);
        let e = CliError::Api(task_error(
            OperationId::GetTaskBatch,
            404,
            "Entity not found",
        ));
        let said = e.for_people(&s, false);
        assert_eq!(said.to_string(), "task batch not found");
        assert_eq!(said.exit(), Exit::NotFound);
        let e = CliError::about("batch 9")(task_error(
            OperationId::GetTaskBatch,
            404,
            "Entity not found",
        ));
        let said = e.for_people(&s, true);
        assert_eq!(
            said.to_string(),
            "batch 9 not found [getTaskBatch: Entity not found (task api error 10001) (http 404)]"
        );
        let lost = || {
            CliError::outcome_unknown(
                task_error(OperationId::CreateTaskBatch, 502, "bad gateway"),
                "task create (template 1)".into(),
                CliError::check_with("cfp batch list"),
            )
        };
        let said = lost().for_people(&s, false);
        assert!(
            said.to_string()
                .starts_with("task create (template 1) may have been carried out"),
            "{said}"
        );
        assert!(!said.to_string().contains("createTaskBatch"), "{said}");
        assert_eq!(said.exit(), Exit::Other);
        assert!(said.hint().unwrap().contains("`cfp batch list`"));
        assert!(
            lost()
                .for_people(&s, true)
                .to_string()
                .contains("createTaskBatch")
        );
    }

    #[test]
    fn a_refused_connection_says_the_url_and_its_origin() {
        let (_dir, s) = settings(&[("CFP_TASK_URL", "http://127.0.0.1:9")]);
        let refused = |op| {
            CliError::Api(ApiError::Transport {
                operation: op,
                source: cfp_api::TransportError::connect(
                    "tcp connect error: Connection refused (os error 111)",
                ),
            })
        };
        let said = refused(OperationId::ListTasks).for_people(&s, false);
        assert_eq!(
            said.to_string(),
            "cannot connect to http://127.0.0.1:9: connection refused (the task url, from \
             environment CFP_TASK_URL)"
        );
        let said = refused(OperationId::GetImageStatus).for_people(&s, false);
        assert!(
            said.to_string()
                .ends_with("connection refused (the default clanforge url)"),
            "{said}"
        );
        let tls = CliError::Api(ApiError::Transport {
            operation: OperationId::ListTasks,
            source: cfp_api::TransportError::connect(
                "client error (Connect): received corrupt message of type InvalidContentType",
            ),
        });
        let said = tls.for_people(&s, false);
        assert!(
            said.to_string()
                .starts_with("http://127.0.0.1:9 answered in plain HTTP, not HTTPS"),
            "{said}"
        );
        assert!(said.hint().unwrap().contains("http://"));
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
