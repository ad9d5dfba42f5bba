//! The task API's error body.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The task API's error body:
/// `{"errorCode": 10001, "errorMessage": "Entity not found", "errors": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskApiError {
    /// The vendor's code.
    #[serde(default)]
    pub error_code: i64,
    /// The vendor's message.
    #[serde(default)]
    pub error_message: String,
    /// Per-property details (on a 422, which field is wrong).
    #[serde(default)]
    pub errors: Vec<TaskApiErrorDetail>,
}

/// One detail of a [`TaskApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskApiErrorDetail {
    /// The property at fault.
    #[serde(default)]
    pub property: String,
    /// What is wrong with it.
    #[serde(default)]
    pub message: String,
}

impl TaskApiError {
    /// Reads the error body, if the body is one.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        let e: Self = serde_json::from_slice(body).ok()?;
        (e.error_code != 0 || !e.error_message.is_empty() || !e.errors.is_empty()).then_some(e)
    }
}

impl fmt::Display for TaskApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = if self.error_message.is_empty() {
            "request refused"
        } else {
            &self.error_message
        };
        write!(f, "{msg} (task api error {})", self.error_code)?;
        for d in &self.errors {
            write!(f, "; {}: {}", d.property, d.message)?;
        }
        Ok(())
    }
}
