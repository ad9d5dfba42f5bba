//! Encode, decode, compare: every wire type survives a round trip through
//! its own JSON.

mod support;

use cfp_model::clanforge::ClanforgeError;
use cfp_model::task::{CreateTaskBatch, TaskApiError};
use cfp_model::zstack::UploadJobDetailsBody;
use cfp_model::*;
use proptest::collection::vec;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use support::*;

fn round_trip<T>(value: &T) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = serde_json::to_vec(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T = decode("round trip", &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, value);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn diff_job_round_trips(v in diff_job()) { round_trip(&v)?; }

    #[test]
    fn diff_status_round_trips(v in diff_status()) { round_trip(&v)?; }

    #[test]
    fn image_status_round_trips(v in image_status()) { round_trip(&v)?; }

    #[test]
    fn clanforge_error_round_trips(v in clanforge_error()) { round_trip::<ClanforgeError>(&v)?; }

    #[test]
    fn task_templates_round_trip(v in vec(task_template(), 0..4)) { round_trip(&v)?; }

    #[test]
    fn tasks_round_trip(v in vec(task(), 0..4)) { round_trip(&v)?; }

    #[test]
    fn single_task_round_trips(v in task()) { round_trip(&Single(v))?; }

    #[test]
    fn task_batches_round_trip(v in vec(task_batch(), 0..4)) { round_trip(&v)?; }

    #[test]
    fn single_task_batch_round_trips(v in task_batch()) { round_trip(&Single(v))?; }

    #[test]
    fn task_api_error_round_trips(v in task_api_error()) { round_trip::<TaskApiError>(&v)?; }

    #[test]
    fn create_task_batch_round_trips(v in create_task_batch()) {
        round_trip::<CreateTaskBatch>(&v)?;
    }

    #[test]
    fn upload_job_details_round_trips(v in upload_job_details()) { round_trip(&v)?; }

    #[test]
    fn upload_job_details_body_round_trips(v in upload_job_details_body()) {
        round_trip::<UploadJobDetailsBody>(&v)?;
    }

    #[test]
    fn unix_time_round_trips(v in support::unix_time()) { round_trip(&v)?; }

    /// An exact integer written in any exponent form decodes to itself.
    #[test]
    fn exponent_forms_decode_exactly(n in any::<u64>(), shift in 0u32..6) {
        let digits = n.to_string();
        let shift = (shift as usize).min(digits.len() - 1);
        let (int, frac) = digits.split_at(digits.len() - shift);
        let text = if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}E{shift}") };
        let v: ExactU64 = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(v.get(), n);
        let padded = format!("{n}00E-2");
        let v: ExactU64 = serde_json::from_str(&padded).unwrap();
        prop_assert_eq!(v.get(), n);
    }
}
