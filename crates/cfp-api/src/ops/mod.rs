//! One module per operation of the contract: how cfp-api reads its answer
//! (the [`Operation`](crate::Operation) implementation), what it does beyond
//! one request where the vendor needs it, and its unit tests. What it sends
//! is generated from `docs/openapi.yaml` (`cfp_model::params`), and so is
//! the method that starts a call (`crate::generated`).

// `mod <operation>;` for every operation of the contract.
include!("../generated/op_modules.rs");

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers for the operation unit tests.

    use bytes::Bytes;
    use cfp_model::params::Params;

    use crate::client::Client;

    /// A client on `https://example.test/prefix` for every surface.
    pub(crate) fn client() -> Client {
        Client::builder()
            .clanforge_url("https://example.test/prefix")
            .task_url("https://example.test/prefix")
            .zstack_url("https://example.test/prefix")
            .clanforge_credentials("test-key-DO-NOT-USE", "test-secret-DO-NOT-USE")
            .task_token("test-token-DO-NOT-USE")
            .zstack_session("test-session-DO-NOT-USE")
            .build()
            .unwrap()
    }

    /// The request `params` makes, on [`client`].
    pub(crate) fn request<P: Params>(params: &P) -> Result<http::Request<Bytes>, crate::Error> {
        client().build_request(params)
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
