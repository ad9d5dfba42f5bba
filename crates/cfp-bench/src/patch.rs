//! A whole zero-downtime patch, two ways, against the same simulated world:
//! `cfp_api::patch::Patch`, and the request pattern of the public deploy
//! script users run today (`api-docs`: update create, then its status every
//! second while the state is 1–4; diff create, its status every second;
//! version create, its status every second; then install status every
//! second until `installs` is empty; then a reservation fleet's profile
//! switch, its status every second until complete).
//!
//! Both run in scaled simulated time with a client clock that follows the
//! simulator ([`SimTime`]), on the default world (image 1 rolling out to
//! four machines over two fleets) with the same seed, so their jobs take
//! the same simulated time.
//!
//! - **Requests**: the simulator's journal, every request of the run.
//! - **Lateness** (cfp only): per stage, the simulated time at which the
//!   workflow reported the stage passed minus the instant its work ended —
//!   a job's `jobupdated`; for the rollout, the last install's ETA (the
//!   simulator's ETAs are exact).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cfp_api::model::{
    AccountServiceId, DiffId, FleetId, ImageId, ImageVersionId, JobState, MachineId, OperationId,
    ProfileId, SwitchProfile, SwitchState, UpdateId, UpdateUrl,
};
use cfp_api::patch::{
    Approval, EventKind, MaxFailed, MemoryStore, Patch, PatchSpec, Stage, SwitchSpec,
};
use cfp_api::{Client, Timeouts};
use cfp_testkit::{ClockMode, RunningSimulator, SimTime, Simulator, World};
use serde::Serialize;

/// Which client patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// `cfp_api::patch::Patch`.
    Cfp,
    /// The public script's pattern: every status polled once a second.
    Script,
}

/// One run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PatchResult {
    /// Which client.
    pub side: Side,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Requests the simulator received.
    pub requests: u64,
    /// Per operation.
    pub by_operation: Vec<(String, u64)>,
    /// Per stage: simulated milliseconds between its end and the client
    /// noticing it (cfp only).
    pub lateness_ms: Vec<(String, i64)>,
    /// Simulated seconds the whole patch took.
    pub simulated_seconds: f64,
    /// Real seconds.
    pub real_seconds: f64,
}

const ASID: AccountServiceId = AccountServiceId(1);
const IMAGE: ImageId = ImageId(1);
const MACHINE: MachineId = MachineId(1);
const URL: &str = "s3://builds/demo-server/1.4.2/";
/// The reservation fleet switched after the rollout, ten servers at a time.
const SWITCH_FLEET: FleetId = FleetId(2);
const SWITCH_PROFILE: ProfileId = ProfileId(12);
const SWITCH_WITHIN: Duration = Duration::from_secs(3600);
const SWITCH_MAX: u32 = 10;

/// Runs one side over a fresh simulator.
pub fn run(side: Side, speed: f64, seed: u64) -> Result<PatchResult, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    rt.block_on(async {
        let sim = Simulator::builder()
            .clock(ClockMode::Scaled(speed))
            .seed(seed)
            .world(World::default())
            .start()
            .await
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        let c = sim.credentials();
        let client = Client::builder()
            .clanforge_url(sim.base_url())
            .clanforge_credentials(&c.clanforge_key, &c.clanforge_secret)
            .clock(Arc::new(SimTime::new(sim.clock().clone())))
            .timeouts(
                Timeouts::default()
                    .with_attempt(Duration::from_secs(600))
                    .with_total(Duration::from_secs(2400)),
            )
            .build()
            .map_err(|e| e.to_string())?;
        let real = Instant::now();
        let sim_start = sim.clock().now_ms();
        let (requests, lateness) = match side {
            Side::Cfp => cfp(&sim, &client).await?,
            Side::Script => {
                script(&client).await?;
                (sim.journal().total(), Vec::new())
            }
        };
        let result = PatchResult {
            side,
            speed,
            requests,
            by_operation: OperationId::ALL
                .into_iter()
                .map(|op| (op.name().to_owned(), sim.journal().count(op)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            lateness_ms: lateness,
            simulated_seconds: (sim.clock().now_ms() - sim_start) as f64 / 1000.0,
            real_seconds: real.elapsed().as_secs_f64(),
        };
        sim.shutdown().await;
        Ok(result)
    })
}

fn url() -> Result<UpdateUrl, String> {
    URL.parse().map_err(|e: &str| e.to_owned())
}

/// The workflow; returns each stage's lateness.
async fn cfp(sim: &RunningSimulator, client: &Client) -> Result<(u64, Vec<(String, i64)>), String> {
    let clock = sim.clock().clone();
    let passed: Arc<Mutex<Vec<(Stage, i64)>>> = Arc::default();
    let rollout_end = Arc::new(Mutex::new(None::<i64>));
    let (sink, end) = (passed.clone(), rollout_end.clone());
    let spec = PatchSpec::new(ASID, IMAGE, MACHINE, "release 1.4.2")
        .restart(true)
        .max_failed(MaxFailed::Percent(100.0))
        .switch(SwitchSpec {
            fleet: SWITCH_FLEET,
            profile: SWITCH_PROFILE,
            within: SWITCH_WITHIN,
            max_machines: Some(SWITCH_MAX),
        });
    let report = Patch::new(client.clone(), spec, MemoryStore::new())
        .update_url(url()?)
        .approval(Approval::Yes)
        .wait_timeout(Duration::from_secs(3600))
        .on_event(move |e| {
            if e.kind == EventKind::Passed {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((e.stage, clock.now_ms()));
            }
            if e.stage == Stage::Rollout
                && let Some(eta) = e.eta
            {
                let mut end = end.lock().unwrap_or_else(PoisonError::into_inner);
                *end = Some(end.map_or(eta, |x| x.max(eta)));
            }
        })
        .run()
        .await
        .map_err(|e| e.to_string())?;
    // The jobs' ends, read after the run: these reads are the
    // measurement's, not the workflow's, so the journal is counted first.
    let requests = sim.journal().total();
    let cf = client.clanforge(ASID);
    let mut ends = Vec::new();
    if let Some(u) = report.update {
        let job = cf
            .get_image_update_status(u)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        ends.push((Stage::Update, job.updated.as_secs()));
    }
    if let Some(d) = report.diff {
        let job = cf
            .get_image_diff_status(d)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        ends.push((Stage::Diff, job.job.updated.as_secs()));
    }
    if let Some(v) = report.version {
        let job = cf
            .get_image_version_status(v)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        ends.push((Stage::Version, job.updated.as_secs()));
    }
    if let Some(at) = *rollout_end.lock().unwrap_or_else(PoisonError::into_inner) {
        ends.push((Stage::Rollout, at));
    }
    let passed = passed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let lateness = ends
        .into_iter()
        .filter_map(|(stage, end)| {
            let noticed = passed.iter().find(|(s, _)| *s == stage)?.1;
            Some((stage.name().to_owned(), noticed - end * 1000))
        })
        .collect();
    Ok((requests, lateness))
}

/// The public script: each status once a (simulated) second.
async fn script(client: &Client) -> Result<(), String> {
    let cf = client.clanforge(ASID);
    let clock = client.clock().clone();
    let second = || clock.sleep(Duration::from_secs(1));
    let running = |s: JobState| (1..=4).contains(&s.id().unwrap_or(0));
    let update: UpdateId = cf
        .create_image_update(IMAGE, MACHINE, "release 1.4.2".into())
        .url(url()?)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .update_id;
    loop {
        second().await;
        let job = cf
            .get_image_update_status(update)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !running(job.state()) {
            break;
        }
    }
    let diff: DiffId = cf
        .create_image_diff(IMAGE, MACHINE)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .diff_id;
    let changes = loop {
        second().await;
        let status = cf
            .get_image_diff_status(diff)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !running(status.state()) {
            break status.added.len() + status.modified.len() + status.removed.len();
        }
    };
    let version: ImageVersionId = cf
        .create_image_version(diff, true)
        .full(changes == 0)
        .force(true)
        .game_build("1.4.2".into())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .version_id;
    loop {
        second().await;
        let job = cf
            .get_image_version_status(version)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !running(job.state()) {
            break;
        }
    }
    loop {
        second().await;
        let installs = cf
            .get_image_install_status()
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if installs.installs.is_empty() {
            break;
        }
    }
    let body = SwitchProfile::new(SWITCH_PROFILE, SWITCH_WITHIN).max_machines(SWITCH_MAX);
    cf.switch_fleet_profile(SWITCH_FLEET, body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    loop {
        second().await;
        let switch = cf
            .get_fleet_profile_switch(SWITCH_FLEET)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if switch.state == SwitchState::Complete {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_patch_and_cfp_sends_fewer_requests() {
        let cfp = run(Side::Cfp, 200.0, 1).unwrap();
        let script = run(Side::Script, 200.0, 1).unwrap();
        assert!(
            cfp.requests > 0 && script.requests > cfp.requests,
            "{cfp:?} {script:?}"
        );
        assert_eq!(cfp.lateness_ms.len(), 4, "{cfp:?}");
    }
}
