//! The state every request handler reads: the server, the admin routes and
//! the API routes all take it, so it lives apart from each of them.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::SimClock;
use crate::connections::Connections;
use crate::credentials::AuthCheck;
use crate::faults::Faults;
use crate::journal::Journal;
use crate::world::WorldHandle;

/// Everything a request handler needs.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) clock: SimClock,
    pub(crate) journal: Journal,
    pub(crate) world: WorldHandle,
    pub(crate) faults: Faults,
    pub(crate) auth: AuthCheck,
    pub(crate) admin_token: Option<String>,
    pub(crate) connections: Arc<Connections>,
    /// How long a request's head, or its body, may take to arrive.
    pub(crate) request_timeout: Duration,
}
