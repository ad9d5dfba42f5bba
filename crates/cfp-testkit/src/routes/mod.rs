//! The API routes: each operation of the contract, found with the generated
//! table (`OperationId::route`), checked for its surface's credentials and
//! answered from the world.

mod clanforge;
mod generated;
mod patch;
mod task;
mod zstack;

/// Every route, by its operation's name in snake case (the generated
/// dispatch calls them).
mod handlers {
    pub(super) use super::clanforge::*;
    pub(super) use super::patch::*;
    pub(super) use super::task::*;
    pub(super) use super::zstack::*;
}

use bytes::Bytes;
use cfp_model::{OperationId, Surface};
use http::header::HeaderValue;
use http::{HeaderMap, StatusCode};

use crate::credentials::ZStackAuth;
use crate::reply::Reply;
use crate::shared::Shared;

/// One API call, parsed.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) op: OperationId,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: &'a Bytes,
    /// The path's `{…}` values, percent-decoded, in template order.
    pub(crate) params: Vec<String>,
    /// Simulated Unix seconds.
    pub(crate) now: i64,
}

impl Call<'_> {
    /// The first value of a query parameter.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A path value by position.
    pub(crate) fn param(&self, i: usize) -> &str {
        self.params.get(i).map_or("", String::as_str)
    }
}

/// Parses a positive decimal id (`None` for anything else).
pub(crate) fn parse_id(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| *n > 0)
}

/// The resource a call is about, for fault rules: the last path value, or
/// diff create's `diffid`.
pub(crate) fn resource(
    op: OperationId,
    params: &[String],
    query: &[(String, String)],
) -> Option<String> {
    match op {
        OperationId::CreateImageDiff => query
            .iter()
            .find(|(k, _)| k == "diffid")
            .map(|(_, v)| v.clone()),
        _ => params.last().cloned(),
    }
}

/// The resource's state, for fault rules that match on it.
pub(crate) fn resource_state(
    shared: &Shared,
    op: OperationId,
    resource: &str,
    now: i64,
) -> Option<i64> {
    let id = parse_id(resource)?;
    let world = shared.world.read();
    match op {
        OperationId::CreateImageDiff
        | OperationId::RetryImageDiff
        | OperationId::GetImageDiffStatus
        | OperationId::RejectImageDiff => world.diff_state(cfp_model::DiffId(id), now),
        OperationId::GetTask | OperationId::ToggleTaskPause | OperationId::CancelTask => {
            world.task_state(cfp_model::TaskId(id), now)
        }
        _ => None,
    }
}

/// Whether `headers` carry the credentials of `op`'s surface.
pub(crate) fn authenticated(shared: &Shared, op: OperationId, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).map(HeaderValue::as_bytes);
    match op.spec().surface {
        Surface::Clanforge => shared.auth.clanforge(header("authorization")),
        Surface::Task => shared.auth.task(header("private-token")),
        Surface::ZStack => match shared.auth.zstack(header("authorization")) {
            ZStackAuth::Ok => true,
            _ => op.spec().auth == cfp_model::AuthScheme::None,
        },
    }
}

/// Answers one call: the surface's credentials first, then the operation;
/// with the world's extra field on, a successful answer gets it.
pub(crate) fn dispatch(shared: &Shared, call: &Call<'_>) -> Reply {
    let mut reply = answer(shared, call);
    let (extra, hostile) = {
        let w = shared.world.read();
        (w.world.extra_field, w.world.hostile)
    };
    if reply.status.is_success() && extra {
        reply = with_extra_field(reply);
    }
    if hostile {
        reply = hostile_reply(reply, &shared.auth.echo_forms());
    }
    reply
}

/// What a hostile server adds to every text it sends: terminal escape
/// sequences (a hyperlink, a window title, clear screen, carriage return,
/// backspace, bell, a right-to-left override), then the credentials it was
/// sent, in every form a server may echo them.
fn hostile_text(echo: &[String]) -> String {
    format!(
        " \u{1b}]8;;https://evil.example/\u{7}click\u{1b}]8;;\u{7}\u{1b}]0;pwned\u{7}\u{1b}[2J\r\u{8}\u{202e}gnp.exe echo: {}",
        echo.join(" ")
    )
}

/// `reply` as a hostile server sends it: every string of a JSON body that
/// does not hold a number (those are ids and times the client parses)
/// carries [`hostile_text`], and every `/` is written `\/` as PHP does; a
/// text body gets it appended.
fn hostile_reply(mut reply: Reply, echo: &[String]) -> Reply {
    let payload = hostile_text(echo);
    fn spike(v: &mut serde_json::Value, payload: &str) {
        match v {
            serde_json::Value::String(s) if s.trim().parse::<f64>().is_err() => s.push_str(payload),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| spike(i, payload)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|i| spike(i, payload)),
            _ => {}
        }
    }
    reply.body = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
        Ok(mut v) => {
            spike(&mut v, &payload);
            serde_json::to_string(&v)
                .unwrap_or_default()
                .replace('/', "\\/")
                .into_bytes()
                .into()
        }
        Err(_) => {
            let mut text = reply.body.to_vec();
            text.extend_from_slice(payload.as_bytes());
            text.into()
        }
    };
    reply
}

/// `reply` with [`crate::world::EXTRA_FIELD`] in its top-level object, or in
/// each object of its top-level array.
fn with_extra_field(mut reply: Reply) -> Reply {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&reply.body) else {
        return reply;
    };
    let extra = serde_json::json!({"kept": true, "by": "every client"});
    let add = |o: &mut serde_json::Value| {
        if let Some(map) = o.as_object_mut() {
            map.insert(crate::world::EXTRA_FIELD.to_owned(), extra.clone());
        }
    };
    match &mut v {
        serde_json::Value::Array(items) => items.iter_mut().for_each(add),
        other => add(other),
    }
    reply.body = serde_json::to_vec(&v).unwrap_or_default().into();
    reply
}

fn answer(shared: &Shared, call: &Call<'_>) -> Reply {
    // A ZStack build that declares the call a GET has no PUT route at all.
    if call.op == OperationId::GetUploadJobDetails && !shared.world.read().world.zstack_put_allowed
    {
        return zstack::method_not_allowed();
    }
    let header = |name: &str| call.headers.get(name).map(HeaderValue::as_bytes);
    let needs_auth = call.op.spec().auth != cfp_model::AuthScheme::None;
    match call.op.spec().surface {
        // ZStack's session calls carry their own credentials.
        _ if !needs_auth => {}
        Surface::Clanforge if !shared.auth.clanforge(header("authorization")) => {
            return clanforge::unauthorized("invalid credentials");
        }
        Surface::Task if !shared.auth.task(header("private-token")) => {
            return task::forbidden();
        }
        Surface::ZStack => match shared.auth.zstack(header("authorization")) {
            // The configured session, unless logout ended it.
            ZStackAuth::Ok => {
                if shared
                    .world
                    .read()
                    .session_ended(oauth_session(header("authorization")))
                {
                    return zstack::invalid_session();
                }
            }
            ZStackAuth::MissingHeader => {
                return zstack::plain(StatusCode::BAD_REQUEST, "missing header 'Authorization'");
            }
            ZStackAuth::WrongScheme => {
                return zstack::plain(
                    StatusCode::BAD_REQUEST,
                    "Authorization type must be 'OAuth'",
                );
            }
            ZStackAuth::InvalidSession => {
                // A session opened by login is as good as the configured one.
                if !shared
                    .world
                    .read()
                    .has_session(oauth_session(header("authorization")))
                {
                    return zstack::invalid_session();
                }
            }
            ZStackAuth::AccessKey => {
                if let Err(refusal) = zstack::check_access_key(shared, call) {
                    return refusal;
                }
            }
        },
        _ => {}
    }
    generated::route(shared, call)
}

/// The session of an `Authorization: OAuth <session>` header ("" for
/// anything else).
fn oauth_session(authorization: Option<&[u8]>) -> &str {
    authorization
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().split_once(' '))
        .map_or("", |(_, s)| s.trim())
}

/// The body of an injected error status, in the surface's error shape.
pub(crate) fn fault_reply(surface: Option<Surface>, status: StatusCode) -> Reply {
    let reason = status.canonical_reason().unwrap_or("Error");
    match surface {
        Some(Surface::Clanforge) => clanforge::envelope(status, i64::from(status.as_u16()), reason),
        Some(Surface::Task) => task::error(status, i64::from(status.as_u16()), reason),
        // A ZStack 5xx carrying ZStack's error body is the service's final
        // word; an injected fault stands for a proxy in between, which
        // answers in plain text.
        Some(Surface::ZStack) => zstack::plain(status, &format!("{} {reason}", status.as_u16())),
        None => Reply::value(status, &serde_json::json!({ "error": reason })),
    }
}
