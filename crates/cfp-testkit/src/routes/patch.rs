//! Clanforge: the operations around a diff that a zero-downtime patch
//! needs — image updates, diff reject, image versions, installs, image
//! options and reservation fleet profile switches.

use cfp_model::{DiffId, FleetId, ImageId, ImageVersionId, MachineId, UpdateId};
use http::StatusCode;

use super::clanforge::{asid, bad_parameter, envelope, id_query, not_found, refusal};
use super::{Call, parse_id};
use crate::reply::Reply;
use crate::shared::Shared;
use crate::world::{SwitchRefusal, VersionOptions};

/// A `0`/`1` flag; `required` ones must be present.
fn flag(call: &Call<'_>, name: &str, required: bool) -> Result<bool, Reply> {
    match call.query(name) {
        None if !required => Ok(false),
        Some("1") => Ok(true),
        Some("0") => Ok(false),
        _ => Err(bad_parameter(name)),
    }
}

fn path_id<T: From<u64>>(call: &Call<'_>, what: &str) -> Result<T, Reply> {
    parse_id(call.param(0))
        .map(T::from)
        .ok_or_else(|| not_found(&format!("{what} {} not found", call.param(0))))
}

/// `GET /cfp/v1/imageupdate/create`.
#[doc(alias = "createImageUpdate")]
pub(super) fn create_image_update(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let image: ImageId = id_query(call, "imageid")?;
        let machine: MachineId = id_query(call, "machineid")?;
        if call.query("desc").is_none_or(|d| d.trim().is_empty()) {
            return Err(bad_parameter("desc"));
        }
        let url = match call.query("url") {
            None => None,
            Some(u) if u.parse::<cfp_model::UpdateUrl>().is_ok() => Some(u),
            // Never echoed: it may carry credentials.
            Some(_) => return Err(bad_parameter("url")),
        };
        let job = shared
            .world
            .write()
            .create_update(asid, image, machine, url, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &job))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v1/imageupdate/{updateid}/status`.
#[doc(alias = "getImageUpdateStatus")]
pub(super) fn get_image_update_status(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let id: UpdateId = path_id(call, "update")?;
        let job = shared
            .world
            .read()
            .update_status(asid, id, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &job))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v1/imageupdate/{updateid}/retry`.
#[doc(alias = "retryImageUpdate")]
pub(super) fn retry_image_update(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let id: UpdateId = path_id(call, "update")?;
        let job = shared
            .world
            .write()
            .retry_update(asid, id, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &job))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v1/imagediff/{diffid}/reject`.
#[doc(alias = "rejectImageDiff")]
pub(super) fn reject_image_diff(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let id: DiffId = path_id(call, "diff")?;
        let reinstall = flag(call, "reinstall", true)?;
        let answer = shared
            .world
            .write()
            .reject_diff(asid, id, reinstall, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &answer))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v1/imageversion/create`.
#[doc(alias = "createImageVersion")]
pub(super) fn create_image_version(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let diff: DiffId = id_query(call, "diffid")?;
        let restart = flag(call, "restart", true)?;
        let full = flag(call, "full", false)?;
        let force = flag(call, "force", false)?;
        let install_at = match call.query("install_at") {
            None => None,
            Some(t) if t.eq_ignore_ascii_case("NOW()") => Some(call.now),
            Some(t) => Some(
                parse_id(t)
                    .and_then(|s| i64::try_from(s).ok())
                    .ok_or_else(|| bad_parameter("install_at"))?,
            ),
        };
        let percentage = match call.query("disable_percentage") {
            None => None,
            Some(p) => Some(
                p.parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or_else(|| bad_parameter("disable_percentage"))?,
            ),
        };
        let timeout_min = match call.query("disable_timeout") {
            None => 240,
            Some(t) => parse_id(t)
                .filter(|m| *m <= 10_080)
                .ok_or_else(|| bad_parameter("disable_timeout"))?,
        };
        let options = VersionOptions {
            restart,
            full,
            force,
            install_at,
            disable: percentage.map(|p| (p, i64::try_from(timeout_min).unwrap_or(240) * 60)),
        };
        let job = shared
            .world
            .write()
            .create_version(asid, diff, &options, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &job))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v1/imageversion/{imageversionid}/status`.
#[doc(alias = "getImageVersionStatus")]
pub(super) fn get_image_version_status(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let asid = asid(shared, call.query("accountserviceid"))?;
        let id: ImageVersionId = path_id(call, "image version")?;
        let job = shared
            .world
            .read()
            .version_status(asid, id, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &job))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v1/imageinstall/status`.
#[doc(alias = "getImageInstallStatus")]
pub(super) fn get_image_install_status(shared: &Shared, call: &Call<'_>) -> Reply {
    match asid(shared, call.query("accountserviceid")) {
        Ok(asid) => Reply::value(
            StatusCode::OK,
            &shared.world.read().install_status(asid, call.now),
        ),
        Err(r) => r,
    }
}

/// `GET /cfp/v1/image/options`.
#[doc(alias = "getImageOptions")]
pub(super) fn get_image_options(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        asid(shared, call.query("accountserviceid"))?;
        let pair = match (call.query("gameid"), call.query("imageid")) {
            (None, None) => None,
            (Some(_), None) => return Err(bad_parameter("imageid")),
            (None, Some(_)) => return Err(bad_parameter("gameid")),
            (Some(_), Some(_)) => Some((
                id_query::<u64>(call, "gameid")?,
                id_query::<ImageId>(call, "imageid")?,
            )),
        };
        let options = shared
            .world
            .read()
            .image_options(pair, call.now)
            .map_err(refusal)?;
        Ok(Reply::value(StatusCode::OK, &options))
    };
    run().unwrap_or_else(|r| r)
}

fn switch_refusal(r: SwitchRefusal) -> Reply {
    match r {
        SwitchRefusal::NotFound(m) => not_found(&m),
        SwitchRefusal::BadRequest(m) => envelope(StatusCode::BAD_REQUEST, 400, &m),
    }
}

/// `PATCH /cfp/v2/fleet/{fleetid}/switchprofile`.
#[doc(alias = "switchFleetProfile")]
pub(super) fn switch_fleet_profile(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let fleet: FleetId = path_id(call, "fleet")?;
        let body: cfp_model::SwitchProfile = serde_json::from_slice(call.body).map_err(|e| {
            envelope(
                StatusCode::BAD_REQUEST,
                400,
                &format!("invalid request body: {e}"),
            )
        })?;
        cfp_model::params::RequestBody::check(&body)
            .map_err(|e| envelope(StatusCode::BAD_REQUEST, 400, &e.to_string()))?;
        let answer = shared
            .world
            .write()
            .switch_profile(fleet, &body, call.now)
            .map_err(switch_refusal)?;
        Ok(Reply::value(StatusCode::OK, &answer))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /cfp/v2/fleet/{fleetid}/switchprofile`.
#[doc(alias = "getFleetProfileSwitch")]
pub(super) fn get_fleet_profile_switch(shared: &Shared, call: &Call<'_>) -> Reply {
    let run = || -> Result<Reply, Reply> {
        let fleet: FleetId = path_id(call, "fleet")?;
        let answer = shared
            .world
            .read()
            .switch_status(fleet, call.now)
            .map_err(switch_refusal)?;
        Ok(Reply::value(StatusCode::OK, &answer))
    };
    run().unwrap_or_else(|r| r)
}
