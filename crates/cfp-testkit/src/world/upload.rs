//! ZStack image upload jobs: suspended ones (offset fixed) and running ones
//! (offset growing with the clock until the upload is done).

use std::fmt::Write as _;

use super::rollout::write_json_str;

/// How a ZStack server writes an image's upload-job answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UploadJobsForm {
    /// `{"success": true, "error": null, "existingJobDetails": [...]}`
    /// (`null` when there is no job), as the doc's field table says.
    #[default]
    Array,
    /// Like the vendor's example: only `existingJobDetails`, and offsets
    /// that end in zeros written in exponent form (`452984832E8`).
    VendorExample,
    /// `existingJobDetails` as the doc types it: a string holding the JSON
    /// array.
    String,
    /// The call fails as ZStack's REST server fails every call: HTTP 503
    /// with the error in the body, here as the newest servers write it
    /// (`"success": "false"` as a string, an `id`, and the error's `cause`
    /// beside a `causes` list: a disconnected backup storage).
    ErrorChain,
}

/// How far an upload got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadProgress {
    /// Suspended at `offset` bytes.
    Suspended {
        /// Bytes uploaded.
        offset: u64,
    },
    /// Running: `bytes_per_sec` simulated, from `started_at` (Unix seconds;
    /// `None` is when the simulator starts) until `size` bytes, when the job
    /// is done and no longer listed.
    Running {
        /// The image's size in bytes.
        size: u64,
        /// Upload speed per simulated second.
        bytes_per_sec: u64,
        /// When the upload started.
        started_at: Option<i64>,
    },
}

/// One upload job of a ZStack image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadJobSpec {
    /// The long job's UUID.
    pub long_job_uuid: String,
    /// The image's UUID.
    pub image_uuid: String,
    /// Where to continue the upload.
    pub upload_url: String,
    /// How far it got.
    pub progress: UploadProgress,
}

impl UploadJobSpec {
    /// The vendor doc's example: suspended at 45298483200000000 bytes.
    pub fn suspended_vendor_example() -> Self {
        Self {
            long_job_uuid: "0792dd52aeb9329cb1e677fae6465f23".into(),
            image_uuid: "ccf943310d86335bb3d2511ca8e14137".into(),
            upload_url: "http://127.0.0.1:8001/imagestore/upload".into(),
            progress: UploadProgress::Suspended {
                offset: 45_298_483_200_000_000,
            },
        }
    }

    /// A running upload of `size` bytes at `bytes_per_sec`, from the
    /// simulator's start.
    pub fn running(job: &str, image: &str, size: u64, bytes_per_sec: u64) -> Self {
        Self {
            long_job_uuid: job.into(),
            image_uuid: image.into(),
            upload_url: "http://127.0.0.1:8001/imagestore/upload".into(),
            progress: UploadProgress::Running {
                size,
                bytes_per_sec,
                started_at: None,
            },
        }
    }

    /// State and offset at `now`, or `None` once a running upload is done.
    fn at(&self, start: i64, now: i64) -> Option<(&'static str, u64)> {
        match self.progress {
            UploadProgress::Suspended { offset } => Some(("Suspended", offset)),
            UploadProgress::Running {
                size,
                bytes_per_sec,
                started_at,
            } => {
                let elapsed = u64::try_from(now - started_at.unwrap_or(start)).unwrap_or(0);
                let offset = elapsed.saturating_mul(bytes_per_sec);
                (offset < size).then_some(("Running", offset))
            }
        }
    }
}

/// `n` in exponent form when it ends in zeros (`45298483200000000` →
/// `452984832E8`), else plainly.
pub(crate) fn exponent_form(n: u64) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut mantissa = n;
    let mut exp = 0;
    while mantissa.is_multiple_of(10) {
        mantissa /= 10;
        exp += 1;
    }
    if exp == 0 {
        n.to_string()
    } else {
        format!("{mantissa}E{exp}")
    }
}

fn jobs_array(
    jobs: &[UploadJobSpec],
    form: UploadJobsForm,
    start: i64,
    now: i64,
) -> Option<String> {
    let mut out = String::from("[");
    let mut any = false;
    for job in jobs {
        let Some((state, offset)) = job.at(start, now) else {
            continue;
        };
        if any {
            out.push(',');
        }
        any = true;
        out.push_str("{\"longJobUuid\":");
        write_json_str(&mut out, &job.long_job_uuid);
        out.push_str(",\"longJobState\":");
        write_json_str(&mut out, state);
        out.push_str(",\"imageUuid\":");
        write_json_str(&mut out, &job.image_uuid);
        out.push_str(",\"imageUploadUrl\":");
        write_json_str(&mut out, &job.upload_url);
        let offset = match form {
            UploadJobsForm::VendorExample => exponent_form(offset),
            _ => offset.to_string(),
        };
        let _ = write!(out, ",\"offset\":{offset}}}");
    }
    out.push(']');
    any.then_some(out)
}

/// The answer for an image's jobs at `now`: the HTTP status (200, or 503
/// for a failing call) and the body.
pub(crate) fn details_body(
    image: &str,
    jobs: &[UploadJobSpec],
    form: UploadJobsForm,
    start: i64,
    now: i64,
) -> (u16, String) {
    if form == UploadJobsForm::ErrorChain {
        return (503, error_chain_body(image));
    }
    let list = jobs_array(jobs, form, start, now);
    let body = match (form, list) {
        (UploadJobsForm::VendorExample, Some(list)) => {
            format!("{{\"existingJobDetails\":{list}}}")
        }
        (UploadJobsForm::String, Some(list)) => {
            let mut out = String::from("{\"success\":true,\"existingJobDetails\":");
            write_json_str(&mut out, &list);
            out.push('}');
            out
        }
        // ErrorChain answered above.
        (UploadJobsForm::Array | UploadJobsForm::ErrorChain, Some(list)) => {
            format!("{{\"success\":true,\"error\":null,\"existingJobDetails\":{list}}}")
        }
        (UploadJobsForm::Array, None) => {
            r#"{"success":true,"error":null,"existingJobDetails":null}"#.to_owned()
        }
        (_, None) => no_jobs_body(),
    };
    (200, body)
}

/// An upload id that matches no unfinished upload job: ZStack's handler
/// replies at once with nothing set, so the answer is a success with no
/// `existingJobDetails` at all (`ImageManagerImpl`, zstackio/zstack).
pub(crate) fn no_jobs_body() -> String {
    "{}".to_owned()
}

/// ZStack's error body, as its REST server sends it with HTTP 503:
/// `{"error": {code, description, details, elaboration, opaque, cause}}`.
pub(crate) fn error_body(code: &str, description: &str, details: &str) -> String {
    serde_json::json!({
        "error": {
            "code": code,
            "description": description,
            "details": details,
            "elaboration": null,
            "opaque": null,
            "cause": null,
        }
    })
    .to_string()
}

/// The newest servers' failure: `success` as the string `"false"`, an
/// `id`, and the error's `cause` beside a `causes` list.
fn error_chain_body(image: &str) -> String {
    let disconnected = serde_json::json!({
        "code": "SYS.1000",
        "description": "An internal error happened in system",
        "details": "image store backup storage[5b0c8d1a2e7f4f3f9d6a3e9b1c2d4e5f] is disconnected",
        "causes": [],
    });
    serde_json::json!({
        "id": "7c1e4a9d2b6f4e8a9c3d5b7f1e2a4c6d",
        "success": "false",
        "error": {
            "code": "SYS.1001",
            "description": "A resource is not found",
            "details": format!("no upload job details for image[{image}]"),
            "elaboration": null,
            "opaque": {"imageId": image},
            "cause": disconnected,
            "causes": [
                disconnected,
                {"code": "HOST.1001", "description": "the host of the backup storage did not answer", "causes": []}
            ],
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_ending_in_zeros_use_the_exponent_form() {
        assert_eq!(exponent_form(45_298_483_200_000_000), "452984832E8");
        assert_eq!(exponent_form(1_048_577), "1048577");
        assert_eq!(exponent_form(0), "0");
    }

    #[test]
    fn the_vendor_example_is_reproduced_exactly() {
        let (_, body) = details_body(
            "i",
            &[UploadJobSpec::suspended_vendor_example()],
            UploadJobsForm::VendorExample,
            0,
            0,
        );
        assert_eq!(
            body,
            r#"{"existingJobDetails":[{"longJobUuid":"0792dd52aeb9329cb1e677fae6465f23","longJobState":"Suspended","imageUuid":"ccf943310d86335bb3d2511ca8e14137","imageUploadUrl":"http://127.0.0.1:8001/imagestore/upload","offset":452984832E8}]}"#
        );
    }

    #[test]
    fn a_running_upload_grows_then_disappears() {
        let jobs = [UploadJobSpec::running("j", "i", 1000, 10)];
        let at = |now| details_body("i", &jobs, UploadJobsForm::Array, 0, now);
        assert!(at(5).1.contains("\"offset\":50"));
        assert!(at(5).1.contains("Running"));
        assert!(
            at(100).1.contains("\"existingJobDetails\":null"),
            "done: no upload jobs"
        );
        let (_, s) = details_body("i", &jobs, UploadJobsForm::String, 0, 5);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert!(v["existingJobDetails"].as_str().unwrap().starts_with("[{"));
    }

    #[test]
    fn an_error_chain_is_a_503_with_the_error_body() {
        let (status, body) = details_body("img", &[], UploadJobsForm::ErrorChain, 0, 0);
        assert_eq!(status, 503);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["success"], "false");
        assert_eq!(v["error"]["code"], "SYS.1001");
        assert_eq!(v["error"]["cause"]["code"], "SYS.1000");
        assert_eq!(v["error"]["causes"][1]["code"], "HOST.1001");
    }
}
