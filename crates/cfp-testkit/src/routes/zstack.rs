//! ZStack: upload-job details of an image, in the documented `PUT` form and
//! the `GET` form of ZStack's source.

use http::StatusCode;
use http::header::ALLOW;
use serde_json::{Value, json};

use super::{Call, Reply};
use crate::server::Shared;

/// ZStack's error envelope with `status`.
pub(crate) fn error(status: StatusCode, code: &str, description: &str, details: &str) -> Reply {
    Reply::value(
        status,
        &json!({
            "error": {
                "code": code,
                "description": description,
                "details": details,
                "elaboration": null,
                "opaque": null,
                "cause": null,
            }
        }),
    )
}

/// 401: an unknown or expired session.
pub(crate) fn unauthorized() -> Reply {
    error(
        StatusCode::UNAUTHORIZED,
        "ID.1001",
        "Invalid session",
        "the session is expired or does not exist; log in again",
    )
}

/// 405: this build declares the call a `GET`.
pub(crate) fn method_not_allowed() -> Reply {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "SYS.1005",
        "Method not allowed",
        "use GET /zstack/v1/images/upload-job/details/{imageId}",
    )
    .header(ALLOW, "GET")
}

/// An invalid argument: reported in the body with HTTP 200, as ZStack
/// reports failures (the contract declares no 400).
fn bad_request(details: &str) -> Reply {
    Reply::ok(crate::world::zstack_failure_body(
        "SYS.1007",
        "One or more API argument is invalid",
        details,
    ))
}

fn details(shared: &Shared, call: &Call<'_>) -> Reply {
    let image = call.param(0);
    match shared.world.read().upload_details(image, call.now) {
        Some(body) => Reply::ok(body),
        None => error(
            StatusCode::NOT_FOUND,
            "SYS.1001",
            "A resource is not found",
            &format!("image[{image}] is not found"),
        ),
    }
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
