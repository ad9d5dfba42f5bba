//! The one error type of cfp-api.

use std::fmt;
use std::time::Duration;

use cfp_model::clanforge::ClanforgeError;
use cfp_model::{
    DecodeError, OperationId, Task, TaskApiError, TaskId, TaskResultCode, ZStackError,
};
use cfp_transport::{TransportError, TransportErrorKind};

/// Everything a call can fail with.
///
/// | variant | meaning | CLI exit |
/// |---|---|---|
/// | [`Config`](Error::Config) | a client setting is missing or wrong; nothing sent | 2 |
/// | [`InvalidInput`](Error::InvalidInput) | the request would be refused; nothing sent | 2 |
/// | [`Transport`](Error::Transport) | no HTTP answer; says whether the request may have been delivered | 1 |
/// | [`Http`](Error::Http) | a non-2xx answer that is not the surface's error shape (an HTML 502 page, say), with a short excerpt | by status |
/// | [`Service`](Error::Service) | the service said no in its own error shape (Clanforge envelope, task API `errorCode`, ZStack error chain), possibly with a 2xx status | by status |
/// | [`Credentials`](Error::Credentials) | the server refused the credentials in plain text (ZStack's 400 about the `Authorization` header) | 3 |
/// | [`Decode`](Error::Decode) | a 2xx body that is not what the contract describes, with the field path | 1 |
/// | [`TaskState`](Error::TaskState) | a task cannot be paused or resumed in its current state | 1 (conflict) |
///
/// Use the helpers rather than matching on statuses: [`is_invalid_input`](Error::is_invalid_input),
/// [`is_auth`](Error::is_auth) (401/403), [`is_not_found`](Error::is_not_found) (404),
/// [`is_conflict`](Error::is_conflict) (409 or a task state conflict),
/// [`is_retryable`](Error::is_retryable),
/// [`may_have_been_carried_out`](Error::may_have_been_carried_out).
///
/// Messages are short and lowercase, start with the operation, and never
/// contain credentials.
///
/// ```
/// use cfp_api::Error;
/// use cfp_api::model::OperationId;
///
/// let e = Error::Http {
///     operation: OperationId::GetTask,
///     status: 404,
///     excerpt: "not here".into(),
///     retry_after: None,
///     attempts: 1,
/// };
/// assert!(e.is_not_found());
/// assert_eq!(e.to_string(), "getTask: http 404 not found: not here");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client setting is missing or wrong. Nothing was sent.
    #[error("{}{setting}: {reason}", prefix(.operation))]
    Config {
        /// The call that needed it, if the error came from a call.
        operation: Option<OperationId>,
        /// The setting, e.g. `"zstack url"`.
        setting: &'static str,
        /// What is wrong (never the value of a secret).
        reason: String,
    },

    /// The request would be refused; caught before anything was sent.
    #[error("{operation}: invalid {field}: {reason}")]
    InvalidInput {
        /// The call.
        operation: OperationId,
        /// The offending field, by its wire name.
        field: String,
        /// What is wrong.
        reason: String,
    },

    /// No HTTP answer.
    #[error("{operation}: {source}")]
    Transport {
        /// The call.
        operation: OperationId,
        /// What went wrong, and whether the request may have been delivered.
        source: TransportError,
    },

    /// A non-2xx answer that is not the surface's error shape.
    #[error("{operation}: http {status}{}{}{}", reason_phrase(*.status), excerpt_suffix(.excerpt), attempts_suffix(*.attempts))]
    Http {
        /// The call.
        operation: OperationId,
        /// The HTTP status.
        status: u16,
        /// The start of the body, whitespace collapsed.
        excerpt: String,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// How many attempts were made.
        attempts: u32,
    },

    /// The service refused in its own error shape.
    #[error("{operation}: {error} (http {status})")]
    Service {
        /// The call.
        operation: OperationId,
        /// The HTTP status (a 2xx where the surface reports failure in the body).
        status: u16,
        /// The service's error.
        error: ServiceError,
        /// The server's `Retry-After`, if it sent one (a 429 or 503 in the
        /// surface's error shape, say).
        retry_after: Option<Duration>,
    },

    /// The server refused the request's credentials before looking at it,
    /// in plain text rather than its error shape (ZStack's `400 missing
    /// header 'Authorization'` or `Authorization type must be 'OAuth'`).
    #[error("{operation}: the server refused the credentials (http {status}): {reason}")]
    Credentials {
        /// The call.
        operation: OperationId,
        /// The HTTP status.
        status: u16,
        /// What the server said, cut short.
        reason: String,
    },

    /// A 2xx body that is not what the contract describes.
    #[error("{operation}: {source}")]
    Decode {
        /// The call.
        operation: OperationId,
        /// The HTTP status.
        status: u16,
        /// The field path, serde's message and an excerpt.
        source: Box<DecodeError>,
    },

    /// A task cannot be paused or resumed in its current state.
    #[error("{operation}: cannot {action} task {task_id}: {reason}")]
    TaskState {
        /// The call that found out.
        operation: OperationId,
        /// What was asked.
        action: TaskAction,
        /// The task.
        task_id: TaskId,
        /// Its state as last read.
        state: TaskResultCode,
        /// The task as last read, if it could be read.
        task: Option<Box<Task>>,
        /// Why, in words.
        reason: String,
    },
}

impl From<(OperationId, cfp_model::params::ParamError)> for Error {
    fn from((operation, e): (OperationId, cfp_model::params::ParamError)) -> Self {
        Self::InvalidInput {
            operation,
            field: e.field,
            reason: e.reason,
        }
    }
}

/// What [`Client::pause_task`](crate::Client::pause_task) and
/// [`Client::resume_task`](crate::Client::resume_task) were asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskAction {
    /// Pause.
    Pause,
    /// Resume.
    Resume,
}

impl fmt::Display for TaskAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
        })
    }
}

/// A service's own error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceError {
    /// Clanforge's envelope (`success: false`, `error_code`, `error_message`).
    Clanforge(ClanforgeError),
    /// The task API's `errorCode`, `errorMessage` and `errors`.
    Task(TaskApiError),
    /// ZStack's error with its chain of causes.
    ZStack(Box<ZStackError>),
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Clanforge(e) => fmt::Display::fmt(e, f),
            Self::Task(e) => fmt::Display::fmt(e, f),
            Self::ZStack(e) => write!(f, "zstack error {e}"),
        }
    }
}

fn prefix(operation: &Option<OperationId>) -> String {
    operation.map(|o| format!("{o}: ")).unwrap_or_default()
}

fn reason_phrase(status: u16) -> String {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {}", r.to_ascii_lowercase()))
        .unwrap_or_default()
}

fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

fn attempts_suffix(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl Error {
    /// The operation that failed, if the error came from a call.
    pub fn operation(&self) -> Option<OperationId> {
        match self {
            Self::Config { operation, .. } => *operation,
            Self::InvalidInput { operation, .. }
            | Self::Transport { operation, .. }
            | Self::Http { operation, .. }
            | Self::Service { operation, .. }
            | Self::Decode { operation, .. }
            | Self::Credentials { operation, .. }
            | Self::TaskState { operation, .. } => Some(*operation),
        }
    }

    /// The HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. }
            | Self::Service { status, .. }
            | Self::Credentials { status, .. }
            | Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Nothing was sent because a setting or the input is wrong (CLI exit 2).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Self::Config { .. } | Self::InvalidInput { .. })
    }

    /// The credentials were refused: 401 or 403 (the task API refuses a bad
    /// token with 403), ZStack's `ID.1001` (an invalid or expired session,
    /// which ZStack reports as a failed call with 503), or a plain-text
    /// refusal of the `Authorization` header ([`Error::Credentials`]).
    pub fn is_auth(&self) -> bool {
        match self {
            Self::Credentials { .. } => true,
            Self::Service {
                error: ServiceError::ZStack(z),
                ..
            } if z.is_invalid_session() => true,
            _ => matches!(self.status(), Some(401 | 403)),
        }
    }

    /// The resource does not exist: 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The resource is not in a state that allows the request: 409, or a
    /// task that cannot be paused or resumed now.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409) || matches!(self, Self::TaskState { .. })
    }

    /// No answer arrived in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport { source, .. } if source.is_timeout())
    }

    /// Trying the same call again later may succeed and is safe: a failure
    /// that proves the request never left, or a transient failure (429,
    /// 502, 503, 504, a timeout, a broken connection) of an operation that
    /// is safe to repeat.
    pub fn is_retryable(&self) -> bool {
        let safe = self
            .operation()
            .is_some_and(|op| op.spec().retry.may_repeat());
        match self {
            Self::Transport { source, .. } => match source.kind() {
                TransportErrorKind::Connect => true,
                TransportErrorKind::Timeout
                | TransportErrorKind::Io
                | TransportErrorKind::Body
                | TransportErrorKind::Other => safe,
                _ => false,
            },
            // ZStack answers every failed call with 503 and its error:
            // the same call gets the same answer.
            Self::Service {
                error: ServiceError::ZStack(_),
                ..
            } => false,
            Self::Http { status, .. } | Self::Service { status, .. } => {
                safe && matches!(status, 429 | 502 | 503 | 504)
            }
            _ => false,
        }
    }

    /// The call changes something (a job started, a batch created, a task
    /// toggled: its retry class is not `safe`) and its answer could not be
    /// read — a connection lost after sending, a timeout, a truncated,
    /// undecodable or oversized body, a 502 or 504 (whatever its body: a
    /// gateway that gave up on the service says nothing about whether the
    /// service went on) — so it **may have been carried out**. cfp never
    /// repeats such a call by itself: look at what happened first (the CLI
    /// names the command that shows it).
    ///
    /// `false` for an answer that says what happened (a success, a refusal
    /// such as 409 or 503, the service's own error in a 2xx body), for a
    /// failure that proves the request never left (a refused connection),
    /// and for every call that is safe to repeat.
    ///
    /// ```
    /// use cfp_api::Error;
    /// use cfp_api::model::OperationId;
    ///
    /// let gateway = |operation| Error::Http {
    ///     operation,
    ///     status: 504,
    ///     excerpt: String::new(),
    ///     retry_after: None,
    ///     attempts: 1,
    /// };
    /// assert!(gateway(OperationId::CreateTaskBatch).may_have_been_carried_out());
    /// assert!(!gateway(OperationId::GetTask).may_have_been_carried_out());
    /// ```
    pub fn may_have_been_carried_out(&self) -> bool {
        let changes_state = self
            .operation()
            .is_some_and(|op| !op.spec().retry.may_repeat());
        changes_state
            && match self {
                Self::Transport { source, .. } => source.may_have_been_delivered(),
                Self::Decode { .. } => true,
                Self::Http { status, .. } | Self::Service { status, .. } => {
                    matches!(status, 502 | 504)
                }
                _ => false,
            }
    }

    /// Whether the request may have reached the server, for a transport
    /// error; `None` when there was an answer or nothing was sent.
    pub fn may_have_been_delivered(&self) -> Option<bool> {
        match self {
            Self::Transport { source, .. } => Some(source.may_have_been_delivered()),
            _ => None,
        }
    }

    /// The server's `Retry-After`, if it sent one with an error status
    /// (whether the body was the surface's error shape or not).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Http { retry_after, .. } | Self::Service { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The service's own error, if the service refused in its error shape.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Self::Service { error, .. } => Some(error),
            _ => None,
        }
    }

    pub(crate) fn invalid(
        operation: OperationId,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::InvalidInput {
            operation,
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn config(setting: &'static str, reason: impl Into<String>) -> Self {
        Self::Config {
            operation: None,
            setting,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, op: OperationId) -> Error {
        Error::Http {
            operation: op,
            status,
            excerpt: String::new(),
            retry_after: None,
            attempts: 1,
        }
    }

    #[test]
    fn helpers_tell_the_cli_exit_classes_apart() {
        let op = OperationId::GetTask;
        assert!(http(401, op).is_auth() && http(403, op).is_auth());
        assert!(http(404, op).is_not_found() && !http(404, op).is_auth());
        assert!(http(409, op).is_conflict());
        assert!(Error::invalid(op, "taskId", "x").is_invalid_input());
        assert!(Error::config("zstack url", "not set").is_invalid_input());
        assert!(!http(500, op).is_invalid_input());
    }

    #[test]
    fn retryable_depends_on_the_operation_and_the_failure() {
        assert!(http(503, OperationId::GetTask).is_retryable());
        assert!(!http(503, OperationId::CreateTaskBatch).is_retryable());
        assert!(!http(500, OperationId::GetTask).is_retryable());
        let refused = |op| Error::Transport {
            operation: op,
            source: TransportError::connect("refused"),
        };
        assert!(refused(OperationId::CreateTaskBatch).is_retryable());
        let timeout = Error::Transport {
            operation: OperationId::CreateTaskBatch,
            source: TransportError::timeout(Duration::from_secs(30)),
        };
        assert!(!timeout.is_retryable());
        assert!(timeout.is_timeout());
        assert_eq!(timeout.may_have_been_delivered(), Some(true));
    }

    #[test]
    fn every_unreadable_answer_of_a_state_changing_call_may_have_been_carried_out() {
        fn task_error(operation: OperationId, status: u16) -> Error {
            Error::Service {
                operation,
                status,
                error: ServiceError::Task(cfp_model::TaskApiError {
                    error_code: i64::from(status),
                    error_message: "gateway".into(),
                    ..Default::default()
                }),
                retry_after: None,
            }
        }
        fn transport(operation: OperationId, source: TransportError) -> Error {
            Error::Transport { operation, source }
        }
        fn decode(operation: OperationId) -> Error {
            let cut = cfp_model::decode::<cfp_model::TaskBatch>("task batch", br#"[{"id""#);
            Error::Decode {
                operation,
                status: 200,
                source: Box::new(cut.unwrap_err()),
            }
        }
        let unreadable: [fn(OperationId) -> Error; 11] = [
            |op| transport(op, TransportError::timeout(Duration::from_secs(30))),
            |op| transport(op, TransportError::io("connection reset by peer")),
            |op| transport(op, TransportError::body("unexpected end of body")),
            |op| transport(op, TransportError::body_too_large(32 << 20)),
            |op| transport(op, TransportError::other("h2 protocol error")),
            |op| transport(op, TransportError::redirect("to another host")),
            decode,
            |op| http(502, op),
            |op| http(504, op),
            |op| task_error(op, 502),
            |op| task_error(op, 504),
        ];
        let told: [fn(OperationId) -> Error; 8] = [
            |op| transport(op, TransportError::connect("connection refused")),
            |op| http(503, op),
            |op| http(429, op),
            |op| http(500, op),
            |op| http(409, op),
            |op| task_error(op, 503),
            |op| task_error(op, 200),
            |op| Error::invalid(op, "fleetId", "must be positive"),
        ];
        for op in OperationId::ALL {
            let changes_state = !op.spec().retry.may_repeat();
            for e in unreadable.map(|f| f(op)) {
                assert_eq!(e.may_have_been_carried_out(), changes_state, "{op}: {e}");
            }
            for e in told.map(|f| f(op)) {
                assert!(!e.may_have_been_carried_out(), "{op}: {e}");
            }
        }
    }

    #[test]
    fn messages_are_short_and_name_the_operation() {
        let e = Error::Http {
            operation: OperationId::ListTasks,
            status: 503,
            excerpt: "down".into(),
            retry_after: Some(Duration::from_secs(2)),
            attempts: 4,
        };
        assert_eq!(
            e.to_string(),
            "listTasks: http 503 service unavailable: down (after 4 attempts)"
        );
        let e = Error::Config {
            operation: Some(OperationId::GetUploadJobDetails),
            setting: "zstack url",
            reason: "not set (CFP_ZSTACK_URL)".into(),
        };
        assert_eq!(
            e.to_string(),
            "getUploadJobDetails: zstack url: not set (CFP_ZSTACK_URL)"
        );
    }
}
