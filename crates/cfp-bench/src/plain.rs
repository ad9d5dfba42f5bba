//! The baseline: plain `#[derive(Deserialize)]` structs, decoded with
//! `serde_json::from_slice`, for the same bodies cfp-model decodes.
//!
//! They hold the same data as cfp-model's types wherever plain serde can
//! read the bytes as they are:
//!
//! - ids are bare `u64`; fleet and region maps are `BTreeMap<u64, _>`
//!   (serde_json reads the numeric string keys as integers, ordered by id,
//!   as `IdMap` does). Plain serde cannot take the PHP-style `[]` for an
//!   empty map; the benchmark's bodies have none.
//! - timestamps are `i64`, except `jobstart`, which the vendor sends as a
//!   string: the baseline keeps the `String` (cfp parses it into a time).
//! - `jobstateid`, `resultCode`, `categoryId` are bare integers (cfp maps
//!   them to enums with an `Unknown` variant); `jobfailed` is a `u8`.
//! - optional fields are `Option` with `#[serde(default)]`, as in cfp.
//!
//! What the baseline does not do: check that a Clanforge answer is not the
//! `success: false` envelope, accept an object or a one-element array, keep
//! timestamps' wire forms, or name the field path of an error.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// Image status (`GET /cfp/v2/project/{asid}/image/{id}/status`).
#[derive(Debug, Deserialize)]
pub struct ImageStatus {
    /// Per fleet, keyed by fleet id.
    #[serde(default)]
    pub fleets: Option<BTreeMap<u64, FleetStatus>>,
    /// Pending machines.
    pub pending_machines: u64,
    /// Failed machines.
    #[serde(default)]
    pub failed_machines: Option<u64>,
    /// Completed machines.
    pub completed_machines: u64,
}

/// One fleet of an image status.
#[derive(Debug, Deserialize)]
pub struct FleetStatus {
    /// Per region, keyed by region id.
    pub regions: BTreeMap<u64, RegionStatus>,
    /// Pending machines.
    pub pending_machines: u64,
    /// Failed machines.
    #[serde(default)]
    pub failed_machines: Option<u64>,
    /// Completed machines.
    pub completed_machines: u64,
}

/// One region of a fleet.
#[derive(Debug, Deserialize)]
pub struct RegionStatus {
    /// The region's name.
    pub name: String,
    /// Pending machines.
    pub pending_machines: u64,
    /// Failed machines.
    #[serde(default)]
    pub failed_machines: Option<u64>,
    /// Completed machines.
    pub completed_machines: u64,
}

/// A task (task API v3).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Task id.
    pub id: u64,
    /// The template's name.
    pub name: String,
    /// Batch id.
    pub batch_id: u64,
    /// Category id.
    pub category_id: i64,
    /// Entity (game server) id.
    pub entity_id: u64,
    /// The running action.
    pub current_action_idx: i64,
    /// Unix time it starts.
    pub execute_at: i64,
    /// Unix time of its latest activity.
    pub last_activity_at: i64,
    /// Unix time it finished, 0 while not.
    pub finished_at: i64,
    /// Result code.
    pub result_code: i64,
    /// Result text.
    pub result_text: String,
}

/// The image diff status answer.
#[derive(Debug, Deserialize)]
pub struct DiffStatus {
    /// Diff id.
    pub diffid: u64,
    /// Unix time created.
    pub jobcreated: i64,
    /// Error message.
    #[serde(default)]
    pub joberror: Option<String>,
    /// Unix time expected to complete.
    #[serde(default)]
    pub jobeta: Option<i64>,
    /// 0/1 failure flag.
    pub jobfailed: u8,
    /// Percent.
    pub jobprogress: u32,
    /// Unix time started, as the string the vendor sends.
    #[serde(default)]
    pub jobstart: Option<String>,
    /// State id.
    #[serde(default)]
    pub jobstateid: Option<i64>,
    /// State name.
    pub jobstatename: String,
    /// Unix time of the last change.
    pub jobupdated: i64,
    /// The request flag.
    #[serde(default)]
    pub success: Option<bool>,
    /// The game, with `diff_info=1`.
    #[serde(default)]
    pub game: Option<BTreeMap<String, Value>>,
    /// The image, with `diff_info=1`.
    #[serde(default)]
    pub image: Option<BTreeMap<String, Value>>,
    /// The machine, with `diff_info=1`.
    #[serde(default)]
    pub machine: Option<BTreeMap<String, Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payloads;
    use cfp_model::{DiffStatus as CfpDiff, ImageStatus as CfpStatus, Task as CfpTask, clanforge};

    #[test]
    fn image_status_decodes_to_the_same_counts_and_keys() {
        let body = payloads::image_status(30, 7);
        let cfp: CfpStatus = clanforge::decode_reply(&body).unwrap();
        let plain: ImageStatus = serde_json::from_slice(&body).unwrap();
        assert_eq!(cfp.pending_machines, plain.pending_machines);
        assert_eq!(cfp.failed_machines, plain.failed_machines);
        let (cf, pf) = (cfp.fleets.unwrap(), plain.fleets.unwrap());
        assert_eq!(cf.len(), pf.len());
        for ((cid, c), (pid, p)) in cf.iter().zip(&pf) {
            assert_eq!(cid.get(), *pid);
            assert_eq!(c.failed_machines, p.failed_machines);
            for ((rid, r), (prid, pr)) in c.regions.iter().zip(&p.regions) {
                assert_eq!(rid.get(), *prid);
                assert_eq!(r.name, pr.name);
                assert_eq!(r.counts().completed, pr.completed_machines);
                assert_eq!(r.failed_machines, pr.failed_machines);
            }
        }
    }

    #[test]
    fn tasks_decode_to_the_same_fields() {
        let body = payloads::task_list(40);
        let cfp: Vec<CfpTask> = cfp_model::decode("tasks", &body).unwrap();
        let plain: Vec<Task> = serde_json::from_slice(&body).unwrap();
        assert_eq!(cfp.len(), plain.len());
        for (c, p) in cfp.iter().zip(&plain) {
            assert_eq!(c.id.get(), p.id);
            assert_eq!(c.batch_id.get(), p.batch_id);
            assert_eq!(c.result_code.code(), p.result_code);
            assert_eq!(c.finished_at.as_secs(), p.finished_at);
            assert_eq!(c.result_text, p.result_text);
        }
    }

    #[test]
    fn the_diff_decodes_to_the_same_fields() {
        let body = payloads::diff_status();
        let cfp: CfpDiff = clanforge::decode_reply(&body).unwrap();
        let plain: DiffStatus = serde_json::from_slice(&body).unwrap();
        assert_eq!(cfp.job.diff_id.get(), plain.diffid);
        assert_eq!(cfp.job.eta.map(|t| t.as_secs()), plain.jobeta);
        assert_eq!(
            cfp.job.started.map(|t| t.as_secs().to_string()),
            plain.jobstart
        );
        assert_eq!(cfp.job.state_id, plain.jobstateid);
        assert_eq!(cfp.job.progress, plain.jobprogress);
    }
}
