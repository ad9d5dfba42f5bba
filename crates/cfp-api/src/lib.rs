//! A typed async client for the game-server fleet control plane: one
//! method per operation of the contract (`docs/openapi.yaml`), errors that
//! say what failed, and waiters for long-running work.
//!
//! | surface | methods |
//! |---|---|
//! | Clanforge | [`create_image_diff`](Client::create_image_diff), [`retry_image_diff`](Client::retry_image_diff), [`image_diff_status`](Client::image_diff_status), [`image_status`](Client::image_status) |
//! | task API | [`task_templates`](Client::task_templates), [`list_tasks`](Client::list_tasks), [`create_task_batch`](Client::create_task_batch), [`get_task`](Client::get_task), [`toggle_task_pause`](Client::toggle_task_pause), [`pause_task`](Client::pause_task), [`resume_task`](Client::resume_task), [`cancel_task`](Client::cancel_task), [`list_task_batches`](Client::list_task_batches), [`get_task_batch`](Client::get_task_batch) |
//! | ZStack | [`upload_job_details`](Client::upload_job_details) (with the `405` fallback to the `GET` form) |
//!
//! Waiters: [`wait_for_diff`](Client::wait_for_diff),
//! [`wait_for_task`](Client::wait_for_task),
//! [`wait_for_batch`](Client::wait_for_batch),
//! [`wait_for_rollout`](Client::wait_for_rollout) (see [`waiters`]).
//!
//! Every method finds its method, path, auth scheme and retry class in the
//! generated operation table of `cfp-model`, and carries a
//! `#[doc(alias = "<operationId>")]`, so rustdoc's search finds it by the
//! contract's name. Each operation is a pure request builder and a pure
//! response parser; the client runs them through
//! [`cfp_transport::Dispatcher`] (auth, timeouts, retries, tracing). No
//! reqwest or hyper type appears in this crate's API.
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
//! use cfp_api::{Client, Error};
//! use cfp_model::{CreateTaskBatch, FleetId, OperationId, TaskTemplateId};
//! use cfp_transport::{ManualClock, MockResponse, MockTransport};
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
//! let batch = client.create_task_batch(&request).await?;
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
//! let e = client.create_task_batch(&no_target).await.unwrap_err();
//! assert!(e.is_invalid_input());
//! assert_eq!(mock.calls(OperationId::CreateTaskBatch), 1);
//! # Ok::<(), Error>(())
//! # }).unwrap();
//! ```

mod base_url;
pub mod builder;
mod client;
pub mod error;
mod operations;
pub mod waiters;

pub use builder::{ClientBuilder, DEFAULT_CLANFORGE_URL, DEFAULT_TASK_URL};
pub use client::Client;
pub use error::{Error, ServiceError, TaskAction};
pub use waiters::{
    Counts, FINAL_POLL_GRACE, PollPolicy, Progress, WaitError, WaitEvent, Waiter, Watched,
};
