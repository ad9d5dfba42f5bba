//! ZStack Cloud: details of an image's suspended or ongoing upload jobs,
//! and sessions ([`LogInByAccount`], [`SessionReply`], [`SessionValidity`],
//! [`LogOutReply`]).

mod session;
pub use session::*;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::decode::{DecodeError, decode};
use crate::number::ExactU64;

impl crate::params::RequestBody for UploadJobDetailsBody {}

/// The JSON body of the `PUT` form: `{"systemTags": [...], "userTags": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadJobDetailsBody {
    /// System tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_tags: Vec<String>,
    /// User tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_tags: Vec<String>,
}

/// The answer: the image's suspended or ongoing upload jobs.
///
/// `existingJobDetails` is documented as a String but is an array of
/// objects whose fields are all optional; an array, `null`, or a string
/// holding a JSON array are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadJobDetails {
    /// `false` when the call failed (see `error`). Newer servers write it
    /// as the string `"false"`; both forms are read.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "loose_bool")]
    pub success: Option<bool>,
    /// The failure, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ZStackError>,
    /// The upload jobs.
    #[serde(default, deserialize_with = "job_list")]
    pub existing_job_details: Vec<UploadJob>,
}

/// One upload job of an image. Every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadJob {
    /// The long job's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_job_uuid: Option<String>,
    /// The long job's state, e.g. `Suspended` or `Running`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_job_state: Option<String>,
    /// The image's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_uuid: Option<String>,
    /// Where to continue the upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_upload_url: Option<String>,
    /// Bytes uploaded so far (exact, even when written `452984832E8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<ExactU64>,
}

impl UploadJob {
    /// The job is suspended and can be resumed from `offset`.
    pub fn is_suspended(&self) -> bool {
        self.long_job_state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("suspended"))
    }
}

/// `true`/`false` as JSON booleans or as the strings newer ZStack servers
/// write (`"success": "false"`).
pub(crate) mod loose_bool {
    use super::*;

    pub(crate) fn serialize<S: serde::Serializer>(
        v: &Option<bool>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        struct Loose;

        impl Visitor<'_> for Loose {
            type Value = Option<bool>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean, or the string \"true\" or \"false\"")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Some(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v.trim() {
                    t if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
                    t if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
        }

        d.deserialize_any(Loose)
    }
}

/// `causes`: a list of errors, or `null`.
fn causes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ZStackError>, D::Error> {
    Ok(Option::<Vec<ZStackError>>::deserialize(d)?.unwrap_or_default())
}

fn job_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<UploadJob>, D::Error> {
    struct JobList;

    impl<'de> Visitor<'de> for JobList {
        type Value = Vec<UploadJob>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of upload jobs (or a string holding one)")
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut jobs = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(job) = seq.next_element()? {
                jobs.push(job);
            }
            Ok(jobs)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                return Ok(Vec::new());
            }
            serde_json::from_str(v).map_err(|e| E::custom(format_args!("in the string: {e}")))
        }
    }

    d.deserialize_any(JobList)
}

/// A ZStack error: code, description, details, and the error that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ZStackError {
    /// e.g. `SYS.1000`, `HOST.1001`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Reserved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elaboration: Option<String>,
    /// Reserved free-form map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque: Option<BTreeMap<String, Value>>,
    /// The root cause, itself an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Box<ZStackError>>,
    /// Further causes, as newer servers send beside `cause`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "causes"
    )]
    pub causes: Vec<ZStackError>,
}

/// ZStack's code for an invalid or expired session (and, on AccessKey
/// requests, a refused signature): a credentials failure.
pub const INVALID_SESSION: &str = "ID.1001";

impl ZStackError {
    /// This error and every cause under it, outermost first: `cause` is
    /// followed down before the `causes` list of each level.
    pub fn chain(&self) -> impl Iterator<Item = &ZStackError> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let e = stack.pop()?;
            for c in e.causes.iter().rev() {
                stack.push(c);
            }
            if let Some(c) = e.cause.as_deref() {
                stack.push(c);
            }
            Some(e)
        })
    }

    /// This error or one of its causes says the session is invalid or has
    /// expired (`ID.1001`): the credentials were refused.
    pub fn is_invalid_session(&self) -> bool {
        self.chain().any(|e| {
            e.code
                .as_deref()
                .is_some_and(|c| c.trim() == INVALID_SESSION)
        })
    }

    /// Every text field of this error and its causes, for redaction.
    pub fn texts_mut(&mut self) -> Vec<&mut String> {
        let mut out = Vec::new();
        let mut stack: Vec<&mut ZStackError> = vec![self];
        while let Some(e) = stack.pop() {
            let ZStackError {
                code,
                description,
                details,
                elaboration,
                opaque: _,
                cause,
                causes,
            } = e;
            out.extend(
                [code, description, details, elaboration]
                    .into_iter()
                    .flatten(),
            );
            if let Some(c) = cause.as_deref_mut() {
                stack.push(c);
            }
            stack.extend(causes.iter_mut());
        }
        out
    }

    fn fmt_one(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.as_deref().unwrap_or("unknown code");
        write!(f, "{code}")?;
        if let Some(d) = self.description.as_deref().filter(|d| !d.is_empty()) {
            write!(f, ": {d}")?;
        }
        if let Some(d) = self.details.as_deref().filter(|d| !d.is_empty()) {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ZStackError {
    /// `SYS.1000: description (details); caused by HOST.1001: …`. A cause
    /// sent twice (newer servers repeat `cause` as the first of `causes`)
    /// is written once; the chain itself keeps both.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut written: Vec<(Option<&str>, Option<&str>, Option<&str>)> = Vec::new();
        for e in self.chain() {
            let key = (
                e.code.as_deref(),
                e.description.as_deref(),
                e.details.as_deref(),
            );
            if written.contains(&key) {
                continue;
            }
            if !written.is_empty() {
                f.write_str("; caused by ")?;
            }
            written.push(key);
            e.fmt_one(f)?;
        }
        Ok(())
    }
}

/// A ZStack answer that reports failure in its body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZStackReplyError {
    /// `success: false` and/or an `error` object (possibly with HTTP 200).
    #[error("{0}")]
    Service(Box<ZStackError>),
    /// The body is not the documented shape.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// A ZStack answer, as [`decode_as`] reads it.
pub trait ZStackReply: serde::de::DeserializeOwned {
    /// What the answer is called in messages.
    const WHAT: &'static str;

    /// Takes the failure the body reports (an `error` object, or
    /// `success: false`), if any.
    fn take_failure(&mut self) -> Option<ZStackError> {
        None
    }
}

impl ZStackReply for UploadJobDetails {
    const WHAT: &'static str = "upload job details";

    fn take_failure(&mut self) -> Option<ZStackError> {
        failure(self.error.take(), self.success)
    }
}

/// The failure of a body with `error` and `success` fields.
fn failure(error: Option<ZStackError>, success: Option<bool>) -> Option<ZStackError> {
    match error {
        Some(e) => Some(e),
        None if success == Some(false) => Some(ZStackError {
            description: Some("the call failed (success: false, no error object)".into()),
            ..ZStackError::default()
        }),
        None => None,
    }
}

/// Decodes a ZStack answer; a body reporting failure is a
/// [`ZStackReplyError::Service`], whatever the HTTP status.
///
/// ```
/// use cfp_model::zstack::{decode_as, ZStackReplyError};
/// use cfp_model::UploadJobDetails;
///
/// let body = br#"{"success": false, "error": {"code": "SYS.1001",
///     "description": "resource not found", "cause": {"code": "SYS.1000"}}}"#;
/// let Err(ZStackReplyError::Service(e)) = decode_as::<UploadJobDetails>(body) else { panic!() };
/// assert_eq!(e.to_string(), "SYS.1001: resource not found; caused by SYS.1000");
/// ```
pub fn decode_as<T: ZStackReply>(body: &[u8]) -> Result<T, ZStackReplyError> {
    let mut reply: T = match decode(T::WHAT, body) {
        Ok(r) => r,
        // An answer of another shape may be the error body.
        Err(e) => {
            return Err(match error_from_body(body) {
                Some(error) => ZStackReplyError::Service(Box::new(error)),
                None => ZStackReplyError::Decode(e),
            });
        }
    };
    match reply.take_failure() {
        Some(e) => Err(ZStackReplyError::Service(Box::new(e))),
        None => Ok(reply),
    }
}

/// Reads a ZStack error body (any status), if it is one.
pub fn error_from_body(body: &[u8]) -> Option<ZStackError> {
    #[derive(Deserialize)]
    struct Envelope {
        error: Option<ZStackError>,
    }
    serde_json::from_slice::<Envelope>(body).ok()?.error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_omits_empty_tag_lists() {
        assert_eq!(
            serde_json::to_string(&UploadJobDetailsBody::default()).unwrap(),
            "{}"
        );
    }

    #[test]
    fn existing_job_details_accepts_array_null_and_string() {
        for raw in [
            r#"{"existingJobDetails": [{"offset": 1}]}"#,
            r#"{"existingJobDetails": "[{\"offset\": 1}]"}"#,
        ] {
            let d: UploadJobDetails = serde_json::from_str(raw).unwrap();
            assert_eq!(d.existing_job_details[0].offset, Some(ExactU64(1)), "{raw}");
        }
        let d: UploadJobDetails = serde_json::from_str(r#"{"existingJobDetails": null}"#).unwrap();
        assert!(d.existing_job_details.is_empty());
        let d: UploadJobDetails = serde_json::from_str("{}").unwrap();
        assert!(d.existing_job_details.is_empty());
    }

    #[test]
    fn error_chain_displays_every_cause() {
        let e: ZStackError = serde_json::from_str(
            r#"{"code": "A.1", "description": "outer", "details": "d",
                "cause": {"code": "B.2", "cause": {"description": "root"}}}"#,
        )
        .unwrap();
        assert_eq!(e.chain().count(), 3);
        assert_eq!(
            e.to_string(),
            "A.1: outer (d); caused by B.2; caused by unknown code: root"
        );
    }

    #[test]
    fn a_cause_sent_as_cause_and_in_causes_is_written_once() {
        let e: ZStackError = serde_json::from_str(
            r#"{"code": "A.1", "cause": {"code": "B.2", "details": "x"},
                "causes": [{"code": "B.2", "details": "x"}, {"code": "C.3"}]}"#,
        )
        .unwrap();
        assert_eq!(e.chain().count(), 4, "the chain keeps both");
        assert_eq!(e.to_string(), "A.1; caused by B.2 (x); caused by C.3");
    }
}
