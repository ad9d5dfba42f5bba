//! Wire types for the control plane of a game-server hosting fleet.
//!
//! `cfp-model` is the bottom layer of cfp: the requests and responses of every
//! operation in `docs/openapi.yaml`, typed ids, state enums, timestamps, and
//! decoders that accept what the vendors really send. It does no I/O and
//! depends on nothing async, so a crate that only needs the types compiles
//! serde and little else.
//!
//! | surface | module | about |
//! |---|---|---|
//! | Clanforge (Multiplay) | [`clanforge`] | image updates, diffs, versions and installs; image options and rollout; reservation fleet profile switches |
//! | application-instance task API | [`task`] | task templates, tasks and task batches |
//! | ZStack Cloud | [`zstack`] | upload jobs and sessions |
//!
//! The generated [`OperationId`] table lists every operation with its method,
//! path, surface, auth scheme and retry class ([`OperationId::ALL`]).
//!
//! # Decoding
//!
//! Unknown fields are ignored; a missing required field or a wrong type is a
//! [`DecodeError`] naming the field path. The vendors' quirks are accepted:
//! timestamps as integers or strings ([`UnixTime`]), maps keyed by numeric ids
//! that arrive as `[]` when empty ([`IdMap`]), single resources wrapped in
//! one-element arrays ([`Single`]), integers in exponent notation
//! ([`ExactU64`]), and failures reported inside a 2xx body
//! ([`clanforge::decode_reply`], [`zstack::decode_as`]).
//!
//! ```
//! use cfp_model::{clanforge, Job, JobState};
//!
//! let body = br#"{"diffid": 218595, "jobcreated": 1763900000, "jobeta": null,
//!     "jobfailed": 0, "jobprogress": 40, "jobstart": "1763900100",
//!     "jobstateid": 4, "jobstatename": "Running", "jobupdated": 1763900160}"#;
//! let job: cfp_model::DiffJob = clanforge::decode_reply(body).unwrap();
//! assert_eq!(job.state(), JobState::Running);
//! assert!(!job.state().is_terminal());
//! assert_eq!(job.started.unwrap().as_secs(), 1_763_900_100);
//! ```

pub mod clanforge;
pub mod collections;
pub mod decode;
mod generated;
pub mod ids;
pub mod job;
pub mod number;
pub mod operation;
pub mod params;
pub mod task;
pub mod time;
pub mod zstack;

// Every public item of these modules is also at the crate root, so a new
// type needs no line here.
pub use clanforge::*;
pub use collections::*;
pub use decode::{DecodeError, decode};
pub use ids::*;
pub use job::{Job, JobFields, JobState};
pub use number::ExactU64;
pub use operation::{AuthScheme, Method, OperationId, OperationSpec, RetryClass, Surface};
pub use task::*;
pub use time::{TimeForm, UnixTime};
pub use zstack::*;
