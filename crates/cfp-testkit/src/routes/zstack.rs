//! ZStack: upload-job details of an image, in the documented `PUT` form and
//! the `GET` form of ZStack's source.

use http::StatusCode;
use serde_json::Value;

use super::Call;
use crate::reply::Reply;
use crate::shared::Shared;

/// A failed ZStack call: HTTP 503 with ZStack's error body. ZStack's REST
/// server (`RestServer`) answers every failed API call this way; it is the
/// service's final answer, not an overloaded proxy.
pub(crate) fn error(code: &str, description: &str, details: &str) -> Reply {
    Reply::json(
        StatusCode::SERVICE_UNAVAILABLE,
        crate::world::zstack_error_body(code, description, details),
    )
}

/// A plain-text answer, as ZStack's REST server writes the problems it
/// finds before the API runs (a missing or malformed `Authorization`
/// header: HTTP 400).
pub(crate) fn plain(status: StatusCode, text: &str) -> Reply {
    let mut reply = Reply::json(status, text.to_owned());
    reply.content_type = "text/plain";
    reply
}

/// The session is unknown or expired: ZStack finds out when the API runs,
/// so it is a failed call (503) with `ID.1001`.
pub(crate) fn invalid_session() -> Reply {
    error(
        "ID.1001",
        "Invalid session",
        "Session expired or does not exist; log in again",
    )
}

/// 405: this build declares the call a `GET` (newer servers check the
/// method; see `rest.checkHttpMethod`).
pub(crate) fn method_not_allowed() -> Reply {
    Reply::json(
        StatusCode::METHOD_NOT_ALLOWED,
        crate::world::zstack_error_body(
            "SYS.1005",
            "Method not allowed",
            "use GET /zstack/v1/images/upload-job/details/{imageId}",
        ),
    )
    .header(http::header::ALLOW, "GET")
}

/// An invalid argument: a failed call.
fn bad_request(details: &str) -> Reply {
    error("SYS.1007", "One or more API argument is invalid", details)
}

fn details(shared: &Shared, call: &Call<'_>) -> Reply {
    let image = call.param(0);
    let (status, body) = shared.world.read().upload_details(image, call.now);
    Reply::json(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body)
}

/// Is the body `{}`-like with only string-array `systemTags`/`userTags`?
fn body_ok(body: &[u8]) -> Result<(), String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let Some(map) = v.as_object() else {
        return Err("the body must be a JSON object".into());
    };
    for (k, v) in map {
        if k != "systemTags" && k != "userTags" {
            return Err(format!("unknown field {k}"));
        }
        let strings = v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        if !strings {
            return Err(format!("{k} must be a list of strings"));
        }
    }
    Ok(())
}

/// `PUT /zstack/v1/images/upload-job/details/{imageId}` (the documented
/// form, with a JSON body).
#[doc(alias = "getUploadJobDetails")]
pub(super) fn get_upload_job_details(shared: &Shared, call: &Call<'_>) -> Reply {
    if let Err(e) = body_ok(call.body) {
        return bad_request(&e);
    }
    details(shared, call)
}

/// `GET /zstack/v1/images/upload-job/details/{imageId}` (the form in
/// ZStack's source, tags as repeated query parameters).
#[doc(alias = "getUploadJobDetailsByQuery")]
pub(super) fn get_upload_job_details_by_query(shared: &Shared, call: &Call<'_>) -> Reply {
    if let Some((k, _)) = call
        .query
        .iter()
        .find(|(k, _)| k != "systemTags" && k != "userTags")
    {
        return bad_request(&format!("unknown parameter {k}"));
    }
    details(shared, call)
}
