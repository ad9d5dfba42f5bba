//! The `/_sim/` admin routes, for tools in other languages: read the
//! journal, reset, move the clock, inject faults, change the world.
//!
//! | route | what it does |
//! |---|---|
//! | `GET /_sim/health` | `{"ok": true}` |
//! | `GET /_sim/journal[?operation=ID&since=SEQ]` | the journal as NDJSON, one request per line, credentials redacted, streamed in chunks |
//! | `GET /_sim/connections` | `{"open", "max", "accepted", "evicted", "refused"}`: the connections held and the cap |
//! | `DELETE /_sim/journal` | forget the journal |
//! | `POST /_sim/reset` | forget the journal, remove every fault, reset the world |
//! | `GET /_sim/clock` | `{"now": SECS, "rfc3339": "…", "speed": N}` |
//! | `POST /_sim/clock/advance` `{"seconds": N}` | move simulated time forward |
//! | `POST /_sim/clock/speed` `{"speed": N}` | simulated seconds per real second (0 stops the clock) |
//! | `GET /_sim/faults` | the rules with their counters, and the rate |
//! | `POST /_sim/faults` a [`crate::FaultRule`] as JSON | add a rule; answers `{"id": N}` |
//! | `DELETE /_sim/faults[/ID]` | remove every rule (and the rate), or one |
//! | `POST /_sim/faults/rate` `{"rate": P}` | the global fault rate |
//! | `POST /_sim/world/diffs/ID/fail` `{"message": "…"}` | make a diff fail now |
//! | `POST /_sim/world/diffs/fail-next` `{"count": N, "message": "…"}` | make the next N diffs fail |
//! | `POST /_sim/world/instances/ID/offline` `{"offline": true}` | take a game server offline (or back) |
//! | `POST /_sim/world/task-failures` `{"fleet"\|"region"\|"instance": ID, "fraction": F, "message": "…"}` | add a partial-failure rule |
//! | `DELETE /_sim/world/task-failures` | remove them |
//! | `POST /_sim/world/zstack/put-allowed` `{"allowed": false}` | make ZStack's PUT form answer 405 |
//!
//! When the simulator listens on an address other than loopback, every
//! admin route needs the token it printed, in `X-Sim-Token` (or
//! `Authorization: Bearer …`).

use std::time::Duration;

use bytes::Bytes;
use cfp_model::{ApplicationInstanceId, DiffId, FleetId, OperationId, RegionId};
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use crate::faults::{FaultRule, RuleId};
use crate::journal::NdjsonChunks;
use crate::reply::Reply;
use crate::shared::Shared;
use crate::world::{TaskFailureRule, TaskScope};

/// An admin answer: a reply, or the journal streamed as NDJSON.
pub(crate) enum AdminReply {
    Reply(Reply),
    Journal(NdjsonChunks),
}

fn ok(v: Value) -> Reply {
    Reply::value(StatusCode::OK, &v)
}

fn fail(status: StatusCode, message: impl Into<String>) -> Reply {
    Reply::value(status, &json!({ "error": message.into() }))
}

fn bad(message: impl Into<String>) -> Reply {
    fail(StatusCode::BAD_REQUEST, message)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Reply> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|e| bad(format!("invalid body: {e}")))
}

/// Whether the request may use the admin routes: always on loopback,
/// else with the token.
pub(crate) fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(token) = &shared.admin_token else {
        return true;
    };
    let given = headers
        .get("x-sim-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .or_else(|| {
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().strip_prefix("Bearer "))
                .map(str::trim)
        });
    given.is_some_and(|given| token_matches(given, token))
}

/// Compares in time that does not depend on where the two differ, so that
/// a client on a shared address cannot find the token a byte at a time
/// (its length, always 32 for a generated one, is no secret).
fn token_matches(given: &str, token: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

#[derive(Deserialize)]
struct Speed {
    speed: f64,
}

#[derive(Deserialize)]
struct Rate {
    rate: f64,
}

#[derive(Deserialize, Default)]
struct FailDiff {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    count: Option<usize>,
}

#[derive(Deserialize)]
struct Offline {
    #[serde(default = "yes")]
    offline: bool,
}

#[derive(Deserialize)]
struct PutAllowed {
    allowed: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct TaskFailures {
    #[serde(default)]
    fleet: Option<u64>,
    #[serde(default)]
    region: Option<u64>,
    #[serde(default)]
    instance: Option<u64>,
    fraction: f64,
    #[serde(default)]
    message: Option<String>,
}

/// Serves one `/_sim/…` request.
pub(crate) fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> AdminReply {
    if !authorized(shared, headers) {
        return AdminReply::Reply(fail(
            StatusCode::UNAUTHORIZED,
            "the /_sim/ admin routes need the token cfp-sim printed, in the X-Sim-Token header",
        ));
    }
    let segments: Vec<&str> = path
        .trim_start_matches("/_sim")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if let (&Method::GET, ["journal"]) = (method, segments.as_slice()) {
        return match journal(shared, query) {
            Ok(chunks) => AdminReply::Journal(chunks),
            Err(reply) => AdminReply::Reply(reply),
        };
    }
    let result = match (method, segments.as_slice()) {
        (&Method::GET, ["health"]) => Ok(ok(json!({"ok": true}))),
        (&Method::GET, ["connections"]) => {
            let c = &shared.connections;
            Ok(ok(json!({
                "open": c.open(),
                "max": c.max(),
                "accepted": c.accepted(),
                "evicted": c.evicted(),
                "refused": c.refused(),
            })))
        }
        (&Method::DELETE, ["journal"]) => {
            shared.journal.clear();
            Ok(ok(json!({"ok": true})))
        }
        (&Method::POST, ["reset"]) => {
            shared.journal.clear();
            shared.faults.clear();
            shared.world.reset();
            Ok(ok(json!({"ok": true})))
        }
        (&Method::GET, ["clock"]) => Ok(clock(shared)),
        (&Method::POST, ["clock", "advance"]) => parse::<Advance>(body).and_then(|a| {
            if !a.seconds.is_finite() || a.seconds < 0.0 {
                return Err(bad("seconds must be a non-negative number"));
            }
            shared.clock.advance(Duration::from_secs_f64(a.seconds));
            Ok(clock(shared))
        }),
        (&Method::POST, ["clock", "speed"]) => parse::<Speed>(body).map(|s| {
            shared.clock.set_speed(s.speed);
            clock(shared)
        }),
        (&Method::GET, ["faults"]) => Ok(ok(json!({
            "rate": shared.faults.rate(),
            "rules": shared.faults.list(),
        }))),
        (&Method::POST, ["faults"]) => parse::<FaultRule>(body).map(|rule| {
            let id = shared.faults.add(rule);
            ok(json!({"id": id.0}))
        }),
        (&Method::DELETE, ["faults"]) => {
            shared.faults.clear();
            Ok(ok(json!({"ok": true})))
        }
        (&Method::DELETE, ["faults", id]) => match id.parse::<u64>() {
            Ok(id) if shared.faults.remove(RuleId(id)) => Ok(ok(json!({"ok": true}))),
            _ => Err(fail(StatusCode::NOT_FOUND, format!("no fault rule {id}"))),
        },
        (&Method::POST, ["faults", "rate"]) => parse::<Rate>(body).map(|r| {
            shared.faults.set_rate(r.rate);
            ok(json!({"rate": shared.faults.rate()}))
        }),
        (&Method::POST, ["world", "diffs", "fail-next"]) => parse::<FailDiff>(body).map(|f| {
            let message = f.message.unwrap_or_else(|| "simulated failure".into());
            shared.world.fail_next_diffs(f.count.unwrap_or(1), message);
            ok(json!({"ok": true}))
        }),
        (&Method::POST, ["world", "diffs", id, "fail"]) => {
            parse::<FailDiff>(body).and_then(|f| match id.parse::<u64>() {
                Ok(id) => {
                    let message = f.message.unwrap_or_else(|| "simulated failure".into());
                    if shared.world.fail_diff(DiffId(id), message) {
                        Ok(ok(json!({"ok": true})))
                    } else {
                        Err(fail(
                            StatusCode::CONFLICT,
                            format!("diff {id} does not exist or has already ended"),
                        ))
                    }
                }
                Err(_) => Err(bad(format!("invalid diff id {id}"))),
            })
        }
        (&Method::POST, ["world", "instances", id, "offline"]) => {
            parse::<Offline>(body).and_then(|o| match id.parse::<u64>() {
                Ok(id)
                    if shared
                        .world
                        .set_instance_offline(ApplicationInstanceId(id), o.offline) =>
                {
                    Ok(ok(json!({"ok": true})))
                }
                _ => Err(fail(StatusCode::NOT_FOUND, format!("no game server {id}"))),
            })
        }
        (&Method::POST, ["world", "task-failures"]) => parse::<TaskFailures>(body).map(|t| {
            let scope = match (t.fleet, t.region, t.instance) {
                (Some(f), _, _) => TaskScope::Fleet(FleetId(f)),
                (_, Some(r), _) => TaskScope::Region(RegionId(r)),
                (_, _, Some(i)) => TaskScope::Instance(ApplicationInstanceId(i)),
                _ => TaskScope::All,
            };
            let mut rule = TaskFailureRule::new(scope, t.fraction);
            if let Some(m) = t.message {
                rule = rule.message(m);
            }
            shared.world.add_task_failure(rule);
            ok(json!({"ok": true}))
        }),
        (&Method::DELETE, ["world", "task-failures"]) => {
            shared.world.clear_task_failures();
            Ok(ok(json!({"ok": true})))
        }
        (&Method::POST, ["world", "zstack", "put-allowed"]) => parse::<PutAllowed>(body).map(|p| {
            shared.world.set_zstack_put_allowed(p.allowed);
            ok(json!({"ok": true}))
        }),
        _ => Err(fail(
            StatusCode::NOT_FOUND,
            format!("no admin route {method} {path}"),
        )),
    };
    AdminReply::Reply(result.unwrap_or_else(|r| r))
}

fn clock(shared: &Shared) -> Reply {
    let now = shared.clock.now();
    ok(json!({
        "now": now.as_second(),
        "rfc3339": now.to_string(),
        "speed": shared.clock.speed(),
    }))
}

fn journal(shared: &Shared, query: Option<&str>) -> Result<NdjsonChunks, Reply> {
    let pairs: Vec<(String, String)> = query
        .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let mut op = None;
    let mut since = 0;
    for (k, v) in pairs {
        match k.as_str() {
            "operation" => {
                op = Some(
                    OperationId::from_name(&v)
                        .ok_or_else(|| bad(format!("unknown operation {v:?}")))?,
                );
            }
            "since" => since = v.parse().map_err(|_| bad("since must be a number"))?,
            other => return Err(bad(format!("unknown parameter {other}"))),
        }
    }
    Ok(shared.journal.ndjson_chunks(op, since))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_must_match_exactly() {
        let token = "0123456789abcdef0123456789abcdef";
        assert!(token_matches(token, token));
        assert!(!token_matches("0123456789abcdef0123456789abcdee", token));
        assert!(!token_matches("0123456789abcdef", token));
        assert!(!token_matches("", token));
        assert!(!token_matches(&format!("{token}0"), token));
    }
}
