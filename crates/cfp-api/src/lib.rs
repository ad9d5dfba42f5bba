//! A typed async client for the game-server fleet control plane: a method
//! per operation of the contract (`docs/openapi.yaml`), errors that say what
//! failed, waiters for long-running work — and, re-exported, everything an
//! SDK user needs: the wire types ([`model`]), a scripted transport and test
//! clocks ([`MockTransport`], [`ManualClock`]), the retry policy.
//!
//! # Shape
//!
//! One rule names every method: the operation's `operationId` in snake case
//! (`getTaskBatch` → [`get_task_batch`](Client::get_task_batch)). Clanforge
//! operations act in an account service, given once:
//! [`client.clanforge(asid)`](Client::clanforge). A method takes the
//! operation's required parameters and returns a [`Call`]; optional
//! parameters are set on it (`.detail(true)`, `.diff_id(d)`), and
//! [`send`](Call::send) sends it and answers an [`Answer`]: the typed value
//! (through `Deref`) and the vendor's body, with every field it sent.
//!
//! Every operation of [`OperationId::ALL`](model::OperationId::ALL) has its
//! method: Clanforge's on [`Clanforge`], the task API's and ZStack's on
//! [`Client`] (their pages list them all). Beside them: the idempotent
//! [`pause_task`](Client::pause_task) and [`resume_task`](Client::resume_task)
//! over the one toggle, [`zstack_login`](Client::zstack_login) (the password
//! sent as ZStack's clients send it), and
//! [`get_upload_job_details`](Client::get_upload_job_details) falling back to
//! the `GET` form on `405`.
//!
//! Waiters: [`Clanforge::wait_for_diff`], [`Client::wait_for_task`],
//! [`Client::wait_for_batch`], [`Clanforge::wait_for_rollout`] (see
//! [`waiters`]).
//!
//! What a call sends is generated from the contract
//! ([`params`](cfp_model::params): one struct per operation, pure, no I/O),
//! and how its answer is read is each operation's [`Operation::parse`]: a
//! user with their own HTTP stack can use both without a client. The client
//! runs them through one ordered pipeline (headers, auth, timeouts, retries
//! by retry class, tracing, redaction). No reqwest or hyper type appears in
//! this crate's API.
//!
//! # Example
//!
//! Creating a task batch and waiting for it, against a scripted transport
//! and a test clock (a real client comes from [`Client::from_env`] or
//! [`Client::builder`]):
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use cfp_api::{Client, Error, ManualClock, MockResponse, MockTransport};
//! use cfp_api::model::{CreateTaskBatch, FleetId, OperationId, TaskTemplateId};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let batch = |ok: u32| format!(r#"[{{"id": 7, "createdAt": 1763899990,
//!     "executeAt": 1763900000, "finishedAt": 0, "numTasks": 2, "numTasksOk": {ok},
//!     "numTasksFailed": 0, "numTasksCancelled": 0, "taskIds": [41, 42]}}]"#);
//! let mock = MockTransport::new();
//! mock.respond(OperationId::CreateTaskBatch, MockResponse::json(200, batch(0)))
//!     .respond_sequence(OperationId::GetTaskBatch, [
//!         MockResponse::json(200, batch(1)),
//!         MockResponse::json(200, batch(2)),
//!     ]);
//!
//! let client = Client::builder()
//!     .task_token("test-token-DO-NOT-USE")
//!     .transport(Arc::new(mock.clone()))
//!     .clock(Arc::new(ManualClock::new().auto_advance()))
//!     .build()?;
//!
//! let request = CreateTaskBatch::for_fleet(TaskTemplateId(1), FleetId(2));
//! let batch = client.create_task_batch(request).send().await?;
//! let done = client
//!     .wait_for_batch(batch.id)
//!     .wait(Duration::from_secs(600))
//!     .await
//!     .map_err(|e| e.to_string())
//!     .unwrap();
//! assert_eq!(done.num_tasks_ok, 2);
//!
//! // Invalid input is refused before anything is sent.
//! let no_target = CreateTaskBatch::for_instances(TaskTemplateId(1), []);
//! let e = client.create_task_batch(no_target).send().await.unwrap_err();
//! assert!(e.is_invalid_input());
//! assert_eq!(mock.calls(OperationId::CreateTaskBatch), 1);
//! # Ok::<(), Error>(())
//! # }).unwrap();
//! ```

mod answer;
mod base_url;
pub mod builder;
mod call;
mod client;
pub mod error;
mod generated;
mod ops;
pub mod patch;
mod pipeline;
mod redact;
mod response;
pub mod settings;
mod tasks;
pub mod waiters;

pub use answer::Answer;
pub use builder::ClientBuilder;
pub use call::{Call, Operation};
pub use client::{Clanforge, Client};
pub use error::{Error, ServiceError, TaskAction};
pub use waiters::{
    Counts, FINAL_POLL_GRACE, PollPolicy, Progress, WaitError, WaitEvent, Waiter, Watched,
};

/// The wire types (ids, requests, responses, states), from `cfp-model`: one
/// dependency is enough for SDK users.
pub use cfp_model as model;
pub use cfp_model::params;

/// What tests and tools plug in: a scripted transport, clocks, randomness,
/// retry policy and timeouts, from `cfp-transport`.
pub use cfp_transport::{
    Clock, Credentials, FixedRandom, ManualClock, MockResponse, MockTransport, RandomSource,
    RecordedRequest, Redactor, ReqwestTransport, RetryPolicy, SeededRandom, ThreadRandom, Timeouts,
    TokioClock, Transport, TransportError, TransportErrorKind, human_duration,
};

/// `n noun`, the noun in the plural unless `n` is one: `1 machine`,
/// `2 machines`, `0 machines`.
pub(crate) fn count<N: core::fmt::Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    if n == N::from(1) {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn one_is_singular() {
        assert_eq!(super::count(1u32, "machine"), "1 machine");
        assert_eq!(super::count(0u64, "task"), "0 tasks");
        assert_eq!(super::count(2usize, "server"), "2 servers");
    }
}
