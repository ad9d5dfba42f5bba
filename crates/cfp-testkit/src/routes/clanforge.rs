//! Clanforge: image diff create, retry and status; image rollout status.

use cfp_model::{AccountServiceId, DiffId, ImageId, MachineId};
use http::StatusCode;
use http::header::WWW_AUTHENTICATE;
use serde_json::json;

use super::{Call, parse_id};
use crate::reply::Reply;
use crate::shared::Shared;
use crate::world::DiffRefusal;

/// Clanforge's error envelope with `status`.
pub(crate) fn envelope(status: StatusCode, code: i64, message: &str) -> Reply {
    Reply::value(
        status,
        &json!({
            "success": false,
            "error": true,
            "error_code": code,
            "error_message": message,
            "messages": [],
            "_debug": [],
        }),
    )
}

/// 401 with the envelope.
pub(crate) fn unauthorized(message: &str) -> Reply {
    envelope(StatusCode::UNAUTHORIZED, 401, message)
        .header(WWW_AUTHENTICATE, "Basic realm=\"Clanforge\"")
}

pub(super) fn not_found(message: &str) -> Reply {
    envelope(StatusCode::NOT_FOUND, 404, message)
}

/// A missing or malformed parameter: the envelope with a 2xx status, as
/// Clanforge reports request errors.
pub(super) fn bad_parameter(name: &str) -> Reply {
    envelope(
        StatusCode::OK,
        3,
        &format!("missing or invalid parameter {name}"),
    )
}

pub(super) fn refusal(r: DiffRefusal) -> Reply {
    match r {
        DiffRefusal::NotFound(m) => not_found(&m),
        DiffRefusal::Envelope(code, m) => envelope(StatusCode::OK, code, &m),
    }
}

/// The `accountserviceid` (query or path), checked against the world.
pub(super) fn asid(shared: &Shared, raw: Option<&str>) -> Result<AccountServiceId, Reply> {
    let Some(id) = raw.and_then(parse_id).map(AccountServiceId) else {
        return Err(bad_parameter("accountserviceid"));
    };
    if !shared.world.read().knows_asid(id) {
        return Err(unauthorized(&format!(
            "the credentials have no access to account service {id}"
        )));
    }
    Ok(id)
}

pub(super) fn id_query<T: From<u64>>(call: &Call<'_>, name: &str) -> Result<T, Reply> {
    call.query(name)
        .and_then(parse_id)
        .map(T::from)
        .ok_or_else(|| bad_parameter(name))
}

/// `GET /cfp/v1/imagediff/create`.
#[doc(alias = "createImageDiff")]
pub(super) fn create_image_diff(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let image: ImageId = id_query(call, "imageid")?;
        let machine: MachineId = id_query(call, "machineid")?;
        let retry = match call.query("diffid") {
            None | Some("") => None,
            Some(_) => Some(id_query::<DiffId>(call, "diffid")?),
        };
        let job = shared
            .world
            .write()
            .create_diff(asid, image, machine, retry, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &job))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v1/imagediff/{diffid}/retry`.
#[doc(alias = "retryImageDiff")]
pub(super) fn retry_image_diff(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let id = parse_id(call.param(0))
            .map(DiffId)
            .ok_or_else(|| not_found(&format!("diff {} not found", call.param(0))))?;
        let job = shared
            .world
            .write()
            .retry_diff(asid, id, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &job))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v1/imagediff/{diffid}/status`.
#[doc(alias = "getImageDiffStatus")]
pub(super) fn get_image_diff_status(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let id = parse_id(call.param(0))
            .map(DiffId)
            .ok_or_else(|| not_found(&format!("diff {} not found", call.param(0))))?;
        let info = match call.query("diff_info") {
            None | Some("0") => false,
            Some("1") => true,
            Some(_) => return Err(bad_parameter("diff_info")),
        };
        let job = shared
            .world
            .read()
            .diff_status(asid, id, info, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &job))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v2/project/{accountserviceid}/image/{imageid}/status`.
#[doc(alias = "getImageStatus")]
pub(super) fn get_image_status(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let _asid = asid(shared, Some(call.param(0)))?;
        let Some(image) = parse_id(call.param(1)).map(ImageId) else {
            return Err(not_found(&format!("image {} not found", call.param(1))));
        };
        let detail = match call.query("detail") {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err(bad_parameter("detail")),
        };
        let body = shared
            .world
            .read()
            .image_status_body(image, detail, call.now)
            .ok_or_else(|| not_found(&format!("image {image} not found")))?;
        Ok(Reply::ok(body))
    };
    run().unwrap_or_else(|r| r)
}
