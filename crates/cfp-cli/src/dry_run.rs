//! `--dry-run`: every request a command would send is recorded instead of
//! sent, then printed — method, URL, auth scheme (never a credential), body
//! — and the run exits 0.
//!
//! One mechanism for every command: under `--dry-run` the client's
//! transport is a recorder that answers nothing, so nothing can reach the
//! network whatever the command does. A command sends the request that
//! changes something and stops there, because no answer comes back: what
//! is printed is the first request of each action. Commands whose first
//! request would be a read (pause and resume read the task, batch commands
//! read the batch) say what would follow in a note.

use std::sync::{Mutex, OnceLock, PoisonError};

use cfp_api::model::OperationId;
use cfp_api::{MockResponse, MockTransport, RecordedRequest, TransportError};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::error::CliError;
use crate::output::Table;

/// The error every recorded request gets: nothing was sent.
const MARKER: &str = "not sent: --dry-run";

struct State {
    transport: MockTransport,
    notes: Mutex<Vec<String>>,
}

fn state() -> &'static OnceLock<State> {
    static S: OnceLock<State> = OnceLock::new();
    &S
}

/// Turns dry-run on for this run: every client built afterwards records
/// its requests instead of sending them.
pub fn enable() {
    let transport = MockTransport::new();
    for op in OperationId::ALL {
        transport.respond_with(op, |_| {
            MockResponse::error(TransportError::invalid_request(MARKER))
        });
    }
    let _ = state().set(State {
        transport,
        notes: Mutex::new(Vec::new()),
    });
}

/// Whether this run is a dry run.
pub fn active() -> bool {
    state().get().is_some()
}

/// The recording transport, under `--dry-run`.
pub fn transport() -> Option<MockTransport> {
    state().get().map(|s| s.transport.clone())
}

/// Adds a line said after the requests (what would follow them).
pub fn note(text: impl Into<String>) {
    if let Some(s) = state().get() {
        s.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(text.into());
    }
}

/// `e` is only the dry run stopping a request.
pub fn is_stop(e: &CliError) -> bool {
    let api = match e {
        CliError::Api(e) => e,
        CliError::ApiWithHint { error, .. } | CliError::MayHaveBeenCarriedOut { error, .. } => {
            error
        }
        _ => return false,
    };
    is_api_stop(api)
}

/// `e` is the dry run stopping a request.
pub fn is_api_stop(e: &cfp_api::Error) -> bool {
    matches!(e, cfp_api::Error::Transport { source, .. } if source.message() == MARKER)
}

/// One request that was not sent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unsent {
    /// The operation id of the contract (`createTaskBatch`).
    pub operation: String,
    pub method: String,
    /// Secrets (an update URL's, a session in a path) redacted.
    pub url: String,
    /// How it would authenticate; never the credential.
    pub auth: String,
    /// The JSON body, with any password masked; null without one.
    pub body: Option<serde_json::Value>,
}

/// What `--dry-run` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    /// Always false: nothing was sent.
    pub sent: bool,
    pub requests: Vec<Unsent>,
    /// What would follow, when it depends on answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The requests recorded so far, and the notes.
pub fn report() -> DryRun {
    let Some(s) = state().get() else {
        return DryRun {
            sent: false,
            requests: Vec::new(),
            notes: Vec::new(),
        };
    };
    let requests = s
        .transport
        .requests()
        .iter()
        // One line per request, not per attempt (a stop is never retried).
        .filter(|r| r.attempt.is_none_or(|a| a <= 1))
        .map(unsent)
        .collect();
    let notes = s
        .notes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    DryRun {
        sent: false,
        requests,
        notes,
    }
}

/// Prints the report in `format`.
pub fn print(format: OutputFormat) -> Result<(), CliError> {
    use std::io::Write as _;
    let report = report();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    crate::output::print(&mut out, format, &report)?;
    out.flush()?;
    Ok(())
}

fn unsent(r: &RecordedRequest) -> Unsent {
    Unsent {
        operation: r
            .operation
            .map_or_else(|| "unknown".to_owned(), |op| op.name().to_owned()),
        method: r.method.to_string(),
        url: redacted_uri(r),
        auth: auth_scheme(r).to_owned(),
        body: body(r),
    }
}

/// The URI, an update URL in the query replaced by its redacted form, and
/// every protected secret removed.
fn redacted_uri(r: &RecordedRequest) -> String {
    let uri = r.uri.to_string();
    let shown = match (uri.split_once('?'), r.query()) {
        (Some((base, _)), Some(query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("url", v)) => {
                        format!("url={}", crate::shield::redacted_url(&form_decode(v)))
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", pairs.join("&"))
        }
        _ => uri,
    };
    crate::shield::redact(&shown).into_owned()
}

/// `application/x-www-form-urlencoded` decoding, lossy.
fn form_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which auth scheme the request carries, read from the header's name and
/// scheme word only.
fn auth_scheme(r: &RecordedRequest) -> &'static str {
    if r.headers.contains_key("private-token") {
        return "PRIVATE-TOKEN header (the task API token, not shown)";
    }
    match r.header("authorization").and_then(|v| v.split(' ').next()) {
        Some("Basic") => "Basic (the Clanforge key and secret, not shown)",
        Some("OAuth") => "OAuth (the ZStack session, not shown)",
        Some("ZStack") => "ZStack AccessKey signature (not shown)",
        Some(_) => "Authorization header (not shown)",
        None => "none",
    }
}

/// The body as JSON, any field named like a password masked and every
/// protected secret removed.
fn body(r: &RecordedRequest) -> Option<serde_json::Value> {
    if r.body.is_empty() {
        return None;
    }
    let text = crate::shield::redact(&r.body_text()).into_owned();
    let mut value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    mask_passwords(&mut value);
    Some(value)
}

fn mask_passwords(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k.to_ascii_lowercase().contains("password") {
                    *v = serde_json::Value::String("<redacted>".into());
                } else {
                    mask_passwords(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_passwords),
        _ => {}
    }
}

impl Table for DryRun {
    fn table(&self) -> String {
        let mut out = String::from("Nothing was sent (--dry-run). It would send:\n");
        if self.requests.is_empty() {
            out.push_str("  no request\n");
        }
        for r in &self.requests {
            out.push_str(&format!("  {} {}\n", r.method, r.url));
            out.push_str(&format!("    auth: {}\n", r.auth));
            if let Some(b) = &r.body {
                let text = serde_json::to_string_pretty(b).unwrap_or_default();
                for line in text.lines() {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
        for n in &self.notes {
            out.push_str(&format!("  {n}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_decoded() {
        assert_eq!(form_decode("s3%3A%2F%2Fa%3Ab%40x%2Fy+z"), "s3://a:b@x/y z");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz"), "%zz");
    }

    #[test]
    fn passwords_are_masked_at_any_depth() {
        let mut v =
            serde_json::json!({"logInByAccount": {"accountName": "admin", "password": "x"}});
        mask_passwords(&mut v);
        assert_eq!(v["logInByAccount"]["password"], "<redacted>");
        assert_eq!(v["logInByAccount"]["accountName"], "admin");
    }
}
