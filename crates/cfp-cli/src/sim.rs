//! `--sim` and `cfp demo`: an in-process simulator (cargo feature `sim`,
//! on by default; a lean build without it refuses `--sim`).

use crate::error::CliError;

/// Simulated seconds per real second under `--sim`.
pub const SIM_SPEED: f64 = 60.0;

#[cfg(feature = "sim")]
mod imp {
    use std::sync::Arc;

    use cfp_api::Clock;
    use cfp_testkit::{ClockMode, Credentials, RunningSimulator, SimTime, Simulator};

    use super::CliError;

    /// A running in-process simulator with the default world.
    pub struct LocalSim {
        pub(crate) inner: RunningSimulator,
    }

    impl LocalSim {
        /// Starts one, its clock running `speed` times real time.
        pub async fn start(speed: f64) -> Result<Self, CliError> {
            Simulator::builder()
                .clock(ClockMode::from_speed(speed))
                .start()
                .await
                .map(|inner| Self { inner })
                .map_err(|e| CliError::Sim(e.to_string()))
        }

        /// Its base URL (one for all three surfaces).
        pub fn base_url(&self) -> String {
            self.inner.base_url()
        }

        /// The credentials it accepts.
        pub fn credentials(&self) -> Credentials {
            self.inner.credentials().clone()
        }

        /// A client clock that follows the simulator's.
        pub fn clock(&self) -> Arc<dyn Clock> {
            Arc::new(SimTime::new(self.inner.clock().clone()))
        }

        /// The running simulator (journal, world, clock).
        pub fn simulator(&self) -> &RunningSimulator {
            &self.inner
        }

        /// Stops it.
        pub async fn shutdown(self) {
            self.inner.shutdown().await;
        }
    }
}

#[cfg(not(feature = "sim"))]
mod imp {
    use std::sync::Arc;

    use cfp_api::Clock;

    use super::CliError;

    /// No simulator in this build.
    pub enum LocalSim {}

    /// The credentials it would accept.
    pub struct Credentials {
        pub clanforge_key: String,
        pub clanforge_secret: String,
        pub task_token: String,
        pub zstack_session: String,
    }

    impl LocalSim {
        /// Always refuses: this `cfp` was built without the simulator.
        pub async fn start(_speed: f64) -> Result<Self, CliError> {
            Err(CliError::usage(
                "this cfp was built without the built-in simulator",
                "rebuild with the default features (cargo install --path crates/cfp-cli), \
                 or run cfp-sim and point CFP_*_URL at it",
            ))
        }

        /// Never called.
        pub fn base_url(&self) -> String {
            match *self {}
        }

        /// Never called.
        pub fn credentials(&self) -> Credentials {
            match *self {}
        }

        /// Never called.
        pub fn clock(&self) -> Arc<dyn Clock> {
            match *self {}
        }

        /// Never called.
        pub async fn shutdown(self) {
            match self {}
        }
    }
}

pub use imp::LocalSim;
