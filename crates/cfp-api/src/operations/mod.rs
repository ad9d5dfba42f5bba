//! One module per area; each operation is a pure request builder and a pure
//! response parser (kube style), tested without a transport. The
//! [`Client`](crate::Client) only runs them.

pub(crate) mod image_diff;
pub(crate) mod image_status;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod task_batches;
pub(crate) mod tasks;
pub(crate) mod upload_jobs;

use bytes::Bytes;
use cfp_model::OperationId;

use crate::base_url::BaseUrl;
use crate::error::Error;

/// A prepared operation: what to send, and how to read the answer.
pub(crate) trait Operation {
    /// What a successful answer decodes to.
    type Output;

    /// The operation in the contract.
    const ID: OperationId;

    /// Builds the request (no auth, no user agent: the client adds those).
    /// Invalid input is an error here, so nothing is sent.
    fn request(&self, base: &BaseUrl) -> Result<http::Request<Bytes>, Error>;

    /// Reads the answer, whatever its status.
    fn parse(response: &http::Response<Bytes>) -> Result<Self::Output, Error>;
}

/// Checks that a numeric id is positive (the wire refuses 0).
pub(crate) fn positive(op: OperationId, field: &str, id: u64) -> Result<(), Error> {
    if id == 0 {
        Err(Error::invalid(op, field, "must be a positive id"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers for the operation unit tests.

    use super::*;

    pub(crate) fn base() -> BaseUrl {
        BaseUrl::parse("test url", "https://example.test/prefix").unwrap()
    }

    pub(crate) fn response(status: u16, body: &str) -> http::Response<Bytes> {
        let mut r = http::Response::new(Bytes::copy_from_slice(body.as_bytes()));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
        r
    }

    pub(crate) const TASK: &str = r#"{"id": 42, "name": "Restart", "batchId": 7, "categoryId": 1,
        "entityId": 13, "currentActionIdx": 0, "executeAt": 1763900000,
        "lastActivityAt": 1763900042, "finishedAt": 0, "resultCode": 1,
        "resultText": "In progress"}"#;

    pub(crate) const BATCH: &str = r#"{"id": 7, "createdAt": 1763899990,
        "executeAt": 1763900000, "finishedAt": 0, "numTasks": 3, "numTasksOk": 1,
        "numTasksFailed": 0, "numTasksCancelled": 0, "taskIds": [41, 42, 43]}"#;

    pub(crate) const DIFF_JOB: &str = r#"{"diffid": 218595, "jobcreated": 1763900000,
        "joberror": null, "jobeta": 1763900700, "jobfailed": 0, "jobprogress": 5,
        "jobstart": "1763900100", "jobstateid": 4, "jobstatename": "Running",
        "jobupdated": 1763900130}"#;
}
