//! No body, however wrong, panics a decoder; and a decode error names the
//! field at fault.

mod support;

use cfp_model::clanforge::{self, ClanforgeReplyError};
use cfp_model::task::CreateTaskBatch;
use cfp_model::zstack::{self, UploadJobDetailsBody};
use cfp_model::*;
use proptest::collection::vec;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use support::*;

/// Runs every decoder of the crate over `body`; none may panic.
fn decode_everything(body: &[u8]) {
    let _ = clanforge::decode_reply::<DiffJob>(body);
    let _ = clanforge::decode_reply::<DiffStatus>(body);
    let _ = clanforge::decode_reply::<ImageStatus>(body);
    let _ = decode::<Vec<TaskTemplate>>("t", body);
    let _ = decode::<Vec<Task>>("t", body);
    let _ = decode::<Single<Task>>("t", body);
    let _ = decode::<Vec<TaskBatch>>("t", body);
    let _ = decode::<Single<TaskBatch>>("t", body);
    let _ = decode::<CreateTaskBatch>("t", body);
    let _ = TaskApiError::from_body(body);
    let _ = ClanforgeError::from_body(body);
    let _ = zstack::decode_as::<cfp_model::UploadJobDetails>(body);
    let _ = zstack::error_from_body(body);
    let _ = decode::<UploadJobDetailsBody>("t", body);
}

/// Every path to a scalar leaf of `v`, in serde_path_to_error's notation,
/// skipping free-form maps whose values may be anything.
fn leaf_paths(
    v: &Value,
    path: String,
    out: &mut Vec<(String, Vec<PathStep>)>,
    steps: Vec<PathStep>,
) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k == "opaque" || k.starts_with("x_") || k == "messages" {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let mut s = steps.clone();
                s.push(PathStep::Key(k.clone()));
                leaf_paths(child, p, out, s);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let mut s = steps.clone();
                s.push(PathStep::Index(i));
                leaf_paths(child, format!("{path}[{i}]"), out, s);
            }
        }
        _ => out.push((path, steps)),
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn replace_at(v: &mut Value, steps: &[PathStep], with: Value) {
    let mut cur = v;
    for s in steps {
        cur = match s {
            PathStep::Key(k) => &mut cur[k.as_str()],
            PathStep::Index(i) => &mut cur[*i],
        };
    }
    *cur = with;
}

/// Breaks one leaf of a valid encoding (an object where a scalar belongs)
/// and checks the error names exactly that leaf.
fn error_names_the_broken_leaf<T>(value: &T, pick: prop::sample::Index) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned,
{
    let json = serde_json::to_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut leaves = Vec::new();
    leaf_paths(&json, String::new(), &mut leaves, Vec::new());
    if leaves.is_empty() {
        return Ok(());
    }
    let (path, steps) = leaves[pick.index(leaves.len())].clone();
    let mut broken = json;
    replace_at(&mut broken, &steps, serde_json::json!({"broken": {}}));
    let bytes = serde_json::to_vec(&broken).map_err(|e| TestCaseError::fail(e.to_string()))?;
    match decode::<T>("probe", &bytes) {
        Ok(_) => Err(TestCaseError::fail(format!(
            "{path}: an object was accepted"
        ))),
        Err(e) => {
            prop_assert_eq!(&e.path, &path, "{}", e);
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics_a_decoder(v in json()) {
        decode_everything(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder(bytes in vec(any::<u8>(), 0..256)) {
        decode_everything(&bytes);
    }

    #[test]
    fn truncated_valid_bodies_never_panic(v in image_status(), cut in any::<prop::sample::Index>()) {
        let bytes = serde_json::to_vec(&v).unwrap();
        let cut = cut.index(bytes.len().max(1));
        decode_everything(&bytes[..cut]);
        prop_assert!(clanforge::decode_reply::<ImageStatus>(&bytes[..cut]).is_err() || cut == bytes.len());
    }

    #[test]
    fn diff_job_errors_name_the_field(v in diff_job(), pick in any::<prop::sample::Index>()) {
        error_names_the_broken_leaf(&v, pick)?;
    }

    #[test]
    fn diff_status_errors_name_the_field(v in diff_status(), pick in any::<prop::sample::Index>()) {
        error_names_the_broken_leaf(&v, pick)?;
    }

    #[test]
    fn image_status_errors_name_the_field(v in image_status(), pick in any::<prop::sample::Index>()) {
        error_names_the_broken_leaf(&v, pick)?;
    }

    #[test]
    fn task_errors_name_the_field(v in vec(task(), 1..3), pick in any::<prop::sample::Index>()) {
        error_names_the_broken_leaf(&v, pick)?;
    }

    #[test]
    fn task_batch_errors_name_the_field(v in vec(task_batch(), 1..3), pick in any::<prop::sample::Index>()) {
        error_names_the_broken_leaf(&v, pick)?;
    }

    #[test]
    fn task_template_errors_name_the_field(v in vec(task_template(), 1..3), pick in any::<prop::sample::Index>()) {
        error_names_the_broken_leaf(&v, pick)?;
    }

    #[test]
    fn upload_job_details_errors_name_the_field(v in upload_job_details(), pick in any::<prop::sample::Index>()) {
        error_names_the_broken_leaf(&v, pick)?;
    }

    #[test]
    fn create_task_batch_errors_name_the_field(v in create_task_batch(), pick in any::<prop::sample::Index>()) {
        error_names_the_broken_leaf(&v, pick)?;
    }
}

#[test]
fn clanforge_envelope_on_a_broken_resource_is_still_a_service_error() {
    let body = br#"{"success": false, "error": true, "error_code": 7, "error_message": "nope"}"#;
    assert!(matches!(
        clanforge::decode_reply::<ImageStatus>(body),
        Err(ClanforgeReplyError::Service(_))
    ));
}
