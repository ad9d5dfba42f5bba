//! `cfp fleet switch-profile | switch-status`: moving a reservation fleet's
//! empty game servers to the profile of a new image version.

use std::time::Duration;

use cfp_api::model::{AccountServiceId, FleetId, ProfileId, ProfileSwitch, SwitchProfile};
use clap::Subcommand;

use crate::cli::Asid;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::key_values;
use crate::parse::parse_duration;
use crate::wait::wait_for;

/// The Clanforge scope the fleet calls go through when no account service
/// id is configured. The fleet endpoints are not per project and never
/// send it; the SDK scopes every Clanforge call (and its waiter) by one.
const NO_ASID: AccountServiceId = AccountServiceId(0);

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Switch a reservation fleet's empty game servers to another profile
    ///
    /// The profile references the new image version. Servers switch when
    /// they are empty, at most --max-machines at a time (all at once
    /// without it), within --within. Allocation fleets need no switch: they
    /// pick the new profile up on their next allocation. The fleet calls
    /// are not per project: --asid is only used if given.
    #[command(
        after_help = "Examples:\n  cfp fleet switch-profile 2 --profile-id 12 --within 2h --max-machines 10 --wait\n  \
                            cfp fleet switch-status 2 --wait"
    )]
    #[doc(alias = "switchFleetProfile")]
    SwitchProfile {
        #[command(flatten)]
        asid: Asid,
        /// The reservation fleet
        #[arg(value_name = "FLEETID", allow_negative_numbers = true)]
        fleet: FleetId,
        /// The game server profile to switch to (`--profile` is the global
        /// option that picks a configuration profile)
        #[arg(long, value_name = "ID")]
        profile_id: ProfileId,
        /// How long the switch may take (e.g. 90m, 2h; at most a week)
        #[arg(long, value_name = "DUR", value_parser = parse_duration)]
        within: Duration,
        /// Switch at most this many servers at a time [default: all at once]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        max_machines: Option<u32>,
        /// Wait until the switch is complete, showing progress
        #[arg(long)]
        wait: bool,
    },

    /// Show where a reservation fleet's profile switch stands
    ///
    /// The state is pending, processing, complete, or "not requested" when
    /// no switch was asked for (with --wait: exit 5).
    #[command(after_help = "Example:\n  cfp fleet switch-status 2 --wait")]
    #[doc(alias = "getFleetProfileSwitch")]
    SwitchStatus {
        #[command(flatten)]
        asid: Asid,
        /// The reservation fleet
        #[arg(value_name = "FLEETID", allow_negative_numbers = true)]
        fleet: FleetId,
        /// Wait until the switch is complete, showing progress
        #[arg(long)]
        wait: bool,
    },
}

impl FleetCommand {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Self::SwitchProfile { asid, .. } | Self::SwitchStatus { asid, .. } => asid.asid,
        }
    }
}

pub(super) async fn run(ctx: &Ctx, c: FleetCommand) -> Result<(), CliError> {
    let configured = ctx.settings.asid.value;
    let cf = ctx.client.clanforge(configured.unwrap_or(NO_ASID));
    let status = |fleet: FleetId| {
        format!(
            "cfp {}fleet switch-status{} {fleet}",
            ctx.sim_flag(),
            configured
                .map(|a| format!(" --asid {a}"))
                .unwrap_or_default()
        )
    };
    // The fleet to wait for; without --wait, the answer is printed.
    let fleet = match c {
        FleetCommand::SwitchProfile {
            fleet,
            profile_id: profile,
            within,
            max_machines,
            wait,
            ..
        } => {
            let mut body = SwitchProfile::new(profile, within);
            if let Some(n) = max_machines {
                body = body.max_machines(n);
            }
            let started = cf
                .switch_fleet_profile(fleet, body)
                .send()
                .await
                .map_err(|e| {
                    CliError::outcome_unknown(
                        e,
                        format!("fleet {fleet} switch to profile {profile}"),
                        CliError::check_with(&status(fleet)),
                    )
                })?;
            if !wait {
                return ctx.print(&started);
            }
            fleet
        }
        FleetCommand::SwitchStatus { fleet, wait, .. } => {
            if !wait {
                return ctx.print(&cf.get_fleet_profile_switch(fleet).send().await?);
            }
            fleet
        }
    };
    let reattach = format!("{} --wait", status(fleet));
    let done = wait_for(
        ctx,
        cf.wait_for_profile_switch(fleet),
        reattach,
        async |_| Vec::new(),
    )
    .await?;
    ctx.print(&done)
}

// -- How people see it --------------------------------------------------------

impl Table for ProfileSwitch {
    fn table(&self) -> String {
        let total = self.servers_pending.saturating_add(self.servers_processed);
        key_values(&[
            ("state", self.state.to_string()),
            ("profile", self.profile_id.to_string()),
            (
                "switched",
                format!(
                    "{} of {total} {} ({}%)",
                    self.servers_processed,
                    if total == 1 { "server" } else { "servers" },
                    self.percent()
                ),
            ),
            ("pending", self.servers_pending.to_string()),
            (
                "deadline",
                self.deadline.clone().unwrap_or_else(|| "-".into()),
            ),
        ])
    }
}
