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

/// `PUT /zstack/v1/accounts/login`: `{"logInByAccount": {"accountName",
/// "password"}}` (the password as the hex of its SHA-512 digest) →
/// `{"inventory": {SessionInventory}}`. A wrong account or password is a
/// failed call (503).
#[doc(alias = "logInByAccount")]
pub(super) fn log_in_by_account(shared: &Shared, call: &Call<'_>) -> Reply {
    let Ok(body) = serde_json::from_slice::<cfp_model::LogInByAccount>(call.body) else {
        return bad_request(
            "the body must be {\"logInByAccount\": {\"accountName\", \"password\"}}",
        );
    };
    let login = &body.log_in_by_account;
    let session = shared
        .world
        .write()
        .log_in(&login.account_name, &login.password);
    let Some(session) = session else {
        return error(
            "ID.1000",
            "Authentication failed",
            "wrong account name or password",
        );
    };
    let (created, expires) = (java_date(call.now), java_date(call.now + 7200));
    Reply::value(
        StatusCode::OK,
        &serde_json::json!({
            "inventory": {
                "uuid": session,
                "accountUuid": "36c27e8ff05c4780bf6d2fa65700f22e",
                "userUuid": "36c27e8ff05c4780bf6d2fa65700f22e",
                "expiredDate": expires,
                "createDate": created,
            }
        }),
    )
}

/// `DELETE /zstack/v1/accounts/sessions/{uuid}`: `{}`, even for a session
/// that is already over.
#[doc(alias = "logOut")]
pub(super) fn log_out(shared: &Shared, call: &Call<'_>) -> Reply {
    let session = call.param(0);
    let configured = is_configured(shared, session);
    shared.world.write().log_out(session, configured);
    Reply::ok("{}")
}

/// Is `session` the simulator's configured session?
fn is_configured(shared: &Shared, session: &str) -> bool {
    shared
        .auth
        .zstack(Some(format!("OAuth {session}").as_bytes()))
        == crate::credentials::ZStackAuth::Ok
}

/// `GET /zstack/v1/accounts/sessions/{uuid}/valid`, answered without
/// credentials (`@SuppressCredentialCheck`): valid while the session is
/// the configured one or one opened by login, until logout ends it.
/// Sessions here do not expire.
#[doc(alias = "validateSession")]
pub(super) fn validate_session(shared: &Shared, call: &Call<'_>) -> Reply {
    let session = call.param(0);
    let world = shared.world.read();
    let valid = (is_configured(shared, session) && !world.session_ended(session))
        || world.has_session(session);
    drop(world);
    Reply::value(StatusCode::OK, &serde_json::json!({ "valid": valid }))
}

/// A date as ZStack's JSON writes it (Java's default form, in UTC here):
/// `Nov 23, 2025 2:13:20 PM`.
fn java_date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%b %-d, %Y %-I:%M:%S %p").to_string())
        .unwrap_or_default()
}

/// Checks `Authorization: ZStack <id>:<signature>` as ZStack's AccessKey-era
/// REST server does: the `Date` header within 15 minutes of its clock, the
/// key known, and the signature over `METHOD\nDATE\nPATH` (the path decoded,
/// without `/zstack`, without the query). Each refusal is its plain text.
pub(super) fn check_access_key(shared: &Shared, call: &Call<'_>) -> Result<(), Reply> {
    let header = |name: &str| {
        call.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let Some((id, signature)) = header("authorization")
        .trim()
        .strip_prefix("ZStack ")
        .and_then(|v| v.split_once(':'))
    else {
        return Err(plain(
            StatusCode::BAD_REQUEST,
            "accessKey format is 'ZStack AccessKeyId:Signature'",
        ));
    };
    let date = header("date");
    if date.is_empty() {
        return Err(plain(
            StatusCode::BAD_REQUEST,
            "'Date' must be incuded in request header",
        ));
    }
    let Ok(at) = httpdate::parse_http_date(date) else {
        return Err(plain(
            StatusCode::BAD_REQUEST,
            "'Date' format error, correct format is 'EEE, dd MMM yyyy HH:mm:ss z'",
        ));
    };
    let at = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    if (at - call.now).abs() > 15 * 60 {
        return Err(plain(StatusCode::FORBIDDEN, "requestTimeTooSkewed"));
    }
    let secret = shared
        .world
        .read()
        .world
        .zstack_access_keys
        .get(id)
        .cloned();
    let Some(secret) = secret else {
        return Err(plain(
            StatusCode::FORBIDDEN,
            &format!("access key id: {id} does not existed or disabled"),
        ));
    };
    let spec = call.op.spec();
    let mut path = String::new();
    let mut values = call.params.iter();
    for segment in spec.path.split('/').skip(1) {
        path.push('/');
        match segment.starts_with('{') {
            true => path.push_str(values.next().map_or("", String::as_str)),
            false => path.push_str(segment),
        }
    }
    let path = path.strip_prefix("/zstack").unwrap_or(&path);
    let to_sign = format!("{}\n{date}\n{path}", spec.method.as_str());
    let expected = crate::credentials::access_key_signature(&secret, &to_sign);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        expected.as_bytes(),
        signature.as_bytes(),
    )) {
        return Err(plain(StatusCode::FORBIDDEN, "wrong accessKey signature"));
    }
    Ok(())
}
