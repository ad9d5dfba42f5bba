//! A zero-downtime patch as one workflow: pre-flight, update, diff,
//! confirmation, version, rollout gate and an optional profile switch,
//! resumable and never sending an unsafe request twice.
//!
//! [`Patch`] drives the stages one after the other with the client's
//! waiters (polls scheduled by the jobs' ETAs), reports what happens through
//! a callback ([`PatchEvent`]), and keeps a [`PatchRecord`] in a
//! [`PatchStore`]: before each unsafe request it records that it is about to
//! send it, after it the id it got. A run that stops — a crash, Ctrl-C, a
//! wait that timed out — is continued by another run on the same store;
//! where a create's answer was lost, it adopts the job that now locks the
//! image (image options) instead of creating another.
//!
//! ```no_run
//! use std::time::Duration;
//! use cfp_api::patch::{Approval, MemoryStore, Patch, PatchSpec};
//! use cfp_api::model::{AccountServiceId, ImageId, MachineId};
//!
//! # async fn run(client: cfp_api::Client) -> Result<(), cfp_api::patch::PatchError> {
//! let spec = PatchSpec::new(AccountServiceId(1), ImageId(1), MachineId(1), "release 1.4.2")
//!     .restart(true);
//! let report = Patch::new(client, spec, MemoryStore::new())
//!     .approval(Approval::Yes)
//!     .wait_timeout(Duration::from_secs(3600))
//!     .on_event(|e| println!("{} {}", e.stage, e.message))
//!     .run()
//!     .await?;
//! println!("version {:?}", report.version);
//! # Ok(()) }
//! ```

mod record;
mod store;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cfp_model::{
    DiffRejection, DiffStatus, GameId, ImageLock, ImageStatus, OperationId, ProfileSwitch,
    SwitchProfile, SwitchState, UpdateUrl,
};
use serde::Serialize;

pub use record::{
    ChangeCounts, Disable, FullMode, MaxFailed, Outcome, PatchIds, PatchRecord, PatchSpec,
    RECORD_FORMAT, Sending, Stage, StageTime, SwitchSpec,
};
pub use store::{FileStore, MemoryStore, PatchStore};

use crate::client::Client;
use crate::error::Error;
use crate::waiters::{Progress, WaitError, Waiter, Watched};
use record::unix;

/// How the go-ahead for the version is given.
pub enum Approval {
    /// Given in advance (`--yes`).
    Yes,
    /// Asked: the function sees the diff and says yes or no.
    Ask(Box<dyn FnMut(&DiffStatus) -> bool + Send>),
    /// Nobody can give it now: the run stops before the version
    /// ([`Outcome::AwaitingConfirmation`]), to be resumed with a go-ahead.
    Stop,
}

impl fmt::Debug for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Yes => "Yes",
            Self::Ask(_) => "Ask",
            Self::Stop => "Stop",
        })
    }
}

/// What a patch reports as it runs.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct PatchEvent {
    /// When (Unix seconds, the client's clock).
    pub at: i64,
    /// The stage.
    pub stage: Stage,
    /// What happened.
    pub kind: EventKind,
    /// The event in words.
    pub message: String,
    /// Progress in percent, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    /// When the server expects the stage's job to end (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta: Option<i64>,
    /// The job ids known so far.
    pub ids: PatchIds,
    /// The rollout, per fleet and region, on rollout events.
    #[serde(skip)]
    pub rollout: Option<ImageStatus>,
    /// The diff, on the event that reports its changes.
    #[serde(skip)]
    pub diff: Option<DiffStatus>,
}

/// The kind of a [`PatchEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A stage started (or resumed).
    Started,
    /// An unsafe request is about to be sent.
    Sending,
    /// A job of an earlier run whose answer was lost was found and adopted.
    Adopted,
    /// A wait saw a change.
    Progress,
    /// The diff's changes are known.
    Changes,
    /// A stage passed.
    Passed,
    /// A stage was skipped (nothing to do).
    Skipped,
}

/// Why a patch run did not end patched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// Refused before sending anything (a lock the patch may not clear,
    /// another patch of the image in progress, a record for another patch,
    /// a missing update URL on resume).
    #[error("{message}")]
    Refused {
        /// Why.
        message: String,
        /// A command or action that helps, if there is one.
        hint: Option<String>,
    },
    /// A stage ended without success, or the rollout gate failed.
    #[error("the {stage} stage failed: {reason}")]
    StageFailed {
        /// The stage.
        stage: Stage,
        /// Why (the job's `joberror` where it gave one).
        reason: String,
    },
    /// The service refused a request of the stage (a version while fleets
    /// have active allocations, say); nothing was carried out, and the
    /// patch resumes, with other options if they help.
    #[error("the {stage} stage was refused: {reason}")]
    StageRefused {
        /// The stage.
        stage: Stage,
        /// The service's answer.
        reason: String,
    },
    /// A wait ran out of time; the work goes on and the patch resumes.
    #[error("the {stage} stage is still going: {message}")]
    TimedOut {
        /// The stage.
        stage: Stage,
        /// The wait's message.
        message: String,
    },
    /// The go-ahead is needed and nobody could give it.
    #[error("stopped before the version: it needs a go-ahead")]
    AwaitingConfirmation,
    /// The go-ahead was refused.
    #[error("stopped before the version: the go-ahead was refused")]
    Declined,
    /// A call failed (the record says what was sent; the patch resumes).
    #[error("the {stage} stage: {source}")]
    Api {
        /// The stage.
        stage: Stage,
        /// The call's error.
        #[source]
        source: Box<Error>,
    },
    /// The record could not be read or written.
    #[error("the patch state: {0}")]
    Store(#[from] std::io::Error),
}

impl PatchError {
    /// The stage it happened in, if any.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            Self::StageFailed { stage, .. }
            | Self::StageRefused { stage, .. }
            | Self::TimedOut { stage, .. }
            | Self::Api { stage, .. } => Some(*stage),
            Self::AwaitingConfirmation | Self::Declined => Some(Stage::Confirm),
            Self::Refused { .. } | Self::Store(_) => None,
        }
    }
}

/// The client clock's wall time as Unix seconds, as records and events
/// write it.
pub fn unix_now(clock: &dyn crate::Clock) -> i64 {
    unix(clock.wall_now())
}

/// How a patch ended well: its record.
pub type PatchReport = PatchRecord;

type EventSink = Arc<Mutex<Box<dyn FnMut(&PatchEvent) + Send>>>;

/// A zero-downtime patch: see the [module](self).
pub struct Patch<S: PatchStore> {
    client: Client,
    spec: PatchSpec,
    store: S,
    url: Option<UpdateUrl>,
    approval: Approval,
    wait_timeout: Duration,
    events: EventSink,
}

impl<S: PatchStore> fmt::Debug for Patch<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Patch")
            .field("spec", &self.spec)
            .field("url", &self.url)
            .field("approval", &self.approval)
            .field("wait_timeout", &self.wait_timeout)
            .finish_non_exhaustive()
    }
}

impl<S: PatchStore> Patch<S> {
    /// A patch of `spec` keeping its record in `store`. If the store holds
    /// an unfinished record of the same patch, [`run`](Self::run) resumes
    /// it; one of another patch is refused. The go-ahead is asked for
    /// ([`Approval::Stop`] until [`approval`](Self::approval) says
    /// otherwise); each wait may take 30 minutes.
    pub fn new(client: Client, spec: PatchSpec, store: S) -> Self {
        Self {
            client,
            spec,
            store,
            url: None,
            approval: Approval::Stop,
            wait_timeout: Duration::from_secs(30 * 60),
            events: Arc::new(Mutex::new(Box::new(|_| {}))),
        }
    }

    /// The update URL (else the image's default). A secret: never stored.
    #[must_use]
    pub fn update_url(mut self, url: UpdateUrl) -> Self {
        self.url = Some(url);
        self
    }

    /// How the go-ahead for the version is given.
    #[must_use]
    pub fn approval(mut self, approval: Approval) -> Self {
        self.approval = approval;
        self
    }

    /// How long each wait (update, diff, version, rollout, switch) may take
    /// before the run stops, resumable.
    #[must_use]
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// Called on every event.
    #[must_use]
    pub fn on_event(self, f: impl FnMut(&PatchEvent) + Send + 'static) -> Self {
        *self.events.lock().unwrap_or_else(PoisonError::into_inner) = Box::new(f);
        self
    }

    /// Runs (or resumes) the patch to its end.
    pub async fn run(mut self) -> Result<PatchReport, PatchError> {
        let _claim = self.store.claim().map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => PatchError::Refused {
                message: format!(
                    "another patch of image {} is running{}",
                    self.spec.image,
                    self.where_()
                ),
                hint: Some("wait for it to end, or stop it (Ctrl-C) and resume".into()),
            },
            _ => PatchError::Store(e),
        })?;
        let now = self.now();
        let mut rec = match self.store.load()? {
            Some(mut r) if !r.is_finished() => {
                let same = (r.spec.asid, r.spec.image, r.spec.machine)
                    == (self.spec.asid, self.spec.image, self.spec.machine);
                if !same {
                    return Err(PatchError::Refused {
                        message: format!(
                            "a patch of image {} (asid {}, machine {}) is in progress{}, at its {} stage",
                            r.spec.image,
                            r.spec.asid,
                            r.spec.machine,
                            self.where_(),
                            r.stage
                        ),
                        hint: Some(
                            "resume it with `cfp patch resume`, or give another state file".into(),
                        ),
                    });
                }
                // Resumed: what is done stays done; what is left follows
                // the options given now (`--force` after a refusal, say).
                if self.spec.game.is_none() {
                    self.spec.game = r.spec.game;
                }
                r.spec = self.spec.clone();
                r
            }
            _ => PatchRecord::new(self.spec.clone(), now),
        };
        rec.outcome = None;
        let result = self.drive(&mut rec).await;
        let now = self.now();
        match &result {
            Ok(()) => rec.outcome = Some(Outcome::Patched),
            Err(PatchError::StageFailed { stage, reason }) => {
                rec.outcome = Some(Outcome::Failed {
                    stage: *stage,
                    reason: reason.clone(),
                });
            }
            Err(PatchError::AwaitingConfirmation) => {
                rec.outcome = Some(Outcome::AwaitingConfirmation);
            }
            Err(PatchError::Declined) => rec.outcome = Some(Outcome::Declined),
            Err(_) => {}
        }
        if rec
            .outcome
            .as_ref()
            .is_some_and(|o| *o != Outcome::AwaitingConfirmation)
        {
            rec.stage_ended(rec.stage, now);
        }
        self.store.save(&rec)?;
        result.map(|()| rec)
    }

    fn where_(&self) -> String {
        self.store
            .location()
            .map(|p| format!(" ({})", p.display()))
            .unwrap_or_default()
    }

    fn now(&self) -> i64 {
        unix(self.client.clock().wall_now())
    }

    fn emit(&self, rec: &PatchRecord, kind: EventKind, message: impl Into<String>) {
        self.emit_full(rec, kind, message.into(), None, None, None, None);
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_full(
        &self,
        rec: &PatchRecord,
        kind: EventKind,
        message: String,
        percent: Option<u8>,
        eta: Option<i64>,
        rollout: Option<ImageStatus>,
        diff: Option<DiffStatus>,
    ) {
        let event = PatchEvent {
            at: self.now(),
            stage: rec.stage,
            kind,
            message,
            percent,
            eta,
            ids: rec.ids(),
            rollout,
            diff,
        };
        (self.events.lock().unwrap_or_else(PoisonError::into_inner))(&event);
    }

    fn enter(&self, rec: &mut PatchRecord, stage: Stage) -> Result<(), PatchError> {
        rec.stage = stage;
        rec.stage_started(stage, self.now());
        self.store.save(rec)?;
        self.emit(rec, EventKind::Started, format!("{stage} started"));
        Ok(())
    }

    fn pass(&self, rec: &mut PatchRecord, message: impl Into<String>) -> Result<(), PatchError> {
        let stage = rec.stage;
        rec.stage_ended(stage, self.now());
        self.emit(rec, EventKind::Passed, message);
        rec.stage = next_stage(&self.spec, stage);
        self.store.save(rec)?;
        Ok(())
    }

    /// Records that `op` is about to be sent.
    fn sending(
        &self,
        rec: &mut PatchRecord,
        op: OperationId,
        what: &str,
    ) -> Result<(), PatchError> {
        rec.sending = Some(Sending {
            operation: op.name().to_owned(),
            at: self.now(),
        });
        rec.calls += 1;
        self.store.save(rec)?;
        self.emit(rec, EventKind::Sending, format!("sending {what}"));
        Ok(())
    }

    /// Records the answer of the request recorded by [`Self::sending`].
    fn sent(&self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        rec.sending = None;
        self.store.save(rec)?;
        Ok(())
    }

    fn api(&self, rec: &PatchRecord, e: Error) -> PatchError {
        PatchError::Api {
            stage: rec.stage,
            source: Box::new(e),
        }
    }

    /// The error of the unsafe request recorded by [`Self::sending`]. When
    /// it was certainly not carried out, the record forgets it (the next run
    /// sends it); a refusal by the service fails the stage.
    fn send_failed(&self, rec: &mut PatchRecord, e: Error) -> PatchError {
        if e.may_have_been_carried_out() {
            return self.api(rec, e);
        }
        rec.sending = None;
        if let Err(io) = self.store.save(rec) {
            return PatchError::Store(io);
        }
        if e.service_error().is_some() && !e.is_auth() && !e.is_not_found() {
            return PatchError::StageRefused {
                stage: rec.stage,
                reason: e.to_string(),
            };
        }
        self.api(rec, e)
    }

    /// The game of the image: the spec's, or the account service's only
    /// one.
    async fn game(&mut self, rec: &mut PatchRecord) -> Result<GameId, PatchError> {
        if let Some(g) = self.spec.game {
            return Ok(g);
        }
        rec.calls += 1;
        let options = self
            .client
            .clanforge(self.spec.asid)
            .get_image_options()
            .send()
            .await
            .map_err(|e| self.api(rec, e))?;
        let games: Vec<GameId> = options.games.iter().filter_map(|g| g.game_id).collect();
        match games.as_slice() {
            [one] => {
                self.spec.game = Some(*one);
                rec.spec.game = Some(*one);
                Ok(*one)
            }
            _ => Err(PatchError::Refused {
                message: format!(
                    "account service {} has {} games: say which one image {} belongs to",
                    self.spec.asid,
                    games.len(),
                    self.spec.image
                ),
                hint: Some("give --game ID (`cfp image options` lists them)".into()),
            }),
        }
    }

    /// What locks the image now.
    async fn lock(&mut self, rec: &mut PatchRecord) -> Result<Option<ImageLock>, PatchError> {
        let game = self.game(rec).await?;
        rec.calls += 1;
        let options = self
            .client
            .clanforge(self.spec.asid)
            .get_image_options()
            .game_id(game)
            .image_id(self.spec.image)
            .send()
            .await
            .map_err(|e| self.api(rec, e))?;
        Ok(options.lock())
    }

    async fn drive(&mut self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        loop {
            match rec.stage {
                Stage::Preflight => self.preflight(rec).await?,
                Stage::Update => self.update(rec).await?,
                Stage::Diff => self.diff(rec).await?,
                Stage::Confirm => self.confirm(rec).await?,
                Stage::Version => self.version(rec).await?,
                Stage::Rollout => self.rollout(rec).await?,
                Stage::Switch => self.switch(rec).await?,
                Stage::Done => return Ok(()),
            }
        }
    }

    async fn preflight(&mut self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        self.enter(rec, Stage::Preflight)?;
        let lock = self.lock(rec).await?;
        let asid = self.spec.asid;
        match lock {
            None => {}
            Some(ImageLock::Diff(d))
                if rec
                    .sending
                    .as_ref()
                    .is_some_and(|s| s.is(OperationId::RejectImageDiff))
                    && rec.rejected_diff != Some(d) =>
            {
                // An earlier run's reject was lost and did not happen.
                rec.sending = None;
                return self.reject(rec, d).await;
            }
            Some(ImageLock::Diff(d)) if self.spec.reject_locking_diff => {
                return self.reject(rec, d).await;
            }
            Some(ImageLock::Diff(d)) => {
                return Err(PatchError::Refused {
                    message: format!(
                        "image {} is locked by diff {d}, which was neither accepted nor rejected",
                        self.spec.image
                    ),
                    hint: Some(format!(
                        "look at it with `cfp imagediff status --asid {asid} {d}`; to reject it and patch anyway, add --reject-locking-diff"
                    )),
                });
            }
            Some(ImageLock::Update(u)) => {
                return Err(PatchError::Refused {
                    message: format!("image {} is locked by update {u}", self.spec.image),
                    hint: Some(format!(
                        "watch it with `cfp imageupdate status --asid {asid} {u} --wait`; it unlocks when it fails or its diff is made"
                    )),
                });
            }
        }
        if rec
            .sending
            .as_ref()
            .is_some_and(|s| s.is(OperationId::RejectImageDiff))
        {
            // The lost reject was carried out: nothing locks the image.
            rec.sending = None;
            self.emit(
                rec,
                EventKind::Adopted,
                "the reject of an earlier run was carried out",
            );
        }
        self.pass(rec, "nothing locks the image")
    }

    async fn reject(
        &mut self,
        rec: &mut PatchRecord,
        diff: cfp_model::DiffId,
    ) -> Result<(), PatchError> {
        self.sending(
            rec,
            OperationId::RejectImageDiff,
            &format!("the reject of diff {diff} (reinstall=0)"),
        )?;
        let answer = self
            .client
            .clanforge(self.spec.asid)
            .reject_image_diff(diff, false)
            .send()
            .await;
        let answer = answer.map_err(|e| self.send_failed(rec, e))?;
        rec.rejected_diff = Some(diff);
        if let DiffRejection::Reinstalling(job) = &*answer {
            rec.uninstall = Some(job.uninstall_job_id);
        }
        self.sent(rec)?;
        self.pass(rec, format!("rejected diff {diff}, which locked the image"))
    }

    async fn update(&mut self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        self.enter(rec, Stage::Update)?;
        let asid = self.spec.asid;
        if rec.update.is_none()
            && rec
                .sending
                .as_ref()
                .is_some_and(|s| s.is(OperationId::CreateImageUpdate))
        {
            match self.lock(rec).await? {
                Some(ImageLock::Update(u)) => {
                    rec.update = Some(u);
                    rec.sending = None;
                    self.store.save(rec)?;
                    self.emit(
                        rec,
                        EventKind::Adopted,
                        format!("update {u} of an earlier run, whose answer was lost"),
                    );
                }
                _ => rec.sending = None,
            }
        }
        if rec.update.is_none() {
            self.sending(rec, OperationId::CreateImageUpdate, "the update")?;
            let mut call = self.client.clanforge(asid).create_image_update(
                self.spec.image,
                self.spec.machine,
                self.spec.description.clone(),
            );
            if let Some(url) = &self.url {
                call = call.url(url.clone());
            }
            let job = call.send().await;
            let job = job.map_err(|e| self.send_failed(rec, e))?;
            rec.update = Some(job.update_id);
            self.sent(rec)?;
        }
        let Some(id) = rec.update else {
            return Ok(());
        };
        let waiter = self.client.clanforge(asid).wait_for_update(id);
        self.wait(rec, waiter).await?;
        self.pass(rec, format!("update {id} complete"))
    }

    async fn diff(&mut self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        self.enter(rec, Stage::Diff)?;
        let asid = self.spec.asid;
        if rec.diff.is_none()
            && rec
                .sending
                .as_ref()
                .is_some_and(|s| s.is(OperationId::CreateImageDiff))
        {
            match self.lock(rec).await? {
                Some(ImageLock::Diff(d)) => {
                    rec.diff = Some(d);
                    rec.sending = None;
                    self.store.save(rec)?;
                    self.emit(
                        rec,
                        EventKind::Adopted,
                        format!("diff {d} of an earlier run, whose answer was lost"),
                    );
                }
                _ => rec.sending = None,
            }
        }
        if rec.diff.is_none() {
            self.sending(rec, OperationId::CreateImageDiff, "the diff")?;
            let job = self
                .client
                .clanforge(asid)
                .create_image_diff(self.spec.image, self.spec.machine)
                .send()
                .await;
            let job = job.map_err(|e| self.send_failed(rec, e))?;
            rec.diff = Some(job.diff_id);
            self.sent(rec)?;
        }
        let Some(id) = rec.diff else {
            return Ok(());
        };
        let waiter = self.client.clanforge(asid).wait_for_diff(id).info(true);
        let status = self.wait(rec, waiter).await?;
        let changes = ChangeCounts {
            added: status.added.len(),
            modified: status.modified.len(),
            removed: status.removed.len(),
        };
        rec.changes = Some(changes);
        self.emit_full(
            rec,
            EventKind::Changes,
            format!(
                "{} added, {} modified, {} removed",
                changes.added, changes.modified, changes.removed
            ),
            None,
            None,
            None,
            Some(status.into_inner()),
        );
        self.pass(rec, format!("diff {id} complete"))
    }

    async fn confirm(&mut self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        self.enter(rec, Stage::Confirm)?;
        let approved = match &mut self.approval {
            Approval::Yes => true,
            Approval::Stop => return Err(PatchError::AwaitingConfirmation),
            Approval::Ask(_) => {
                let Some(diff) = rec.diff else {
                    return Ok(());
                };
                rec.calls += 1;
                let status = self
                    .client
                    .clanforge(self.spec.asid)
                    .get_image_diff_status(diff)
                    .info(true)
                    .send()
                    .await
                    .map_err(|e| self.api(rec, e))?;
                match &mut self.approval {
                    Approval::Ask(f) => f(&status),
                    _ => true,
                }
            }
        };
        if !approved {
            return Err(PatchError::Declined);
        }
        self.pass(rec, "go-ahead given")
    }

    async fn version(&mut self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        self.enter(rec, Stage::Version)?;
        let asid = self.spec.asid;
        let Some(diff) = rec.diff else {
            return Ok(());
        };
        if rec.version.is_none()
            && !rec.version_id_lost
            && rec
                .sending
                .as_ref()
                .is_some_and(|s| s.is(OperationId::CreateImageVersion))
        {
            // The diff no longer locks the image: it was accepted, so the
            // version exists (its id went with the answer).
            if self.lock(rec).await? != Some(ImageLock::Diff(diff)) {
                rec.version_id_lost = true;
                rec.sending = None;
                self.store.save(rec)?;
                self.emit(rec, EventKind::Adopted, "the version of an earlier run was created (its id was lost): the rollout gate follows it");
            } else {
                rec.sending = None;
            }
        }
        if rec.version.is_none() && !rec.version_id_lost {
            let no_changes = rec.changes.is_some_and(|c| c.is_empty());
            let full = match self.spec.full {
                FullMode::Always => true,
                FullMode::Auto => no_changes,
                FullMode::Never if no_changes => {
                    return Err(PatchError::StageFailed {
                        stage: Stage::Version,
                        reason: format!(
                            "diff {diff} found no changes, so the version must be full, and --full is never"
                        ),
                    });
                }
                FullMode::Never => false,
            };
            let mut call = self
                .client
                .clanforge(asid)
                .create_image_version(diff, self.spec.restart)
                .full(full)
                .force(self.spec.force);
            if let Some(b) = &self.spec.game_build {
                call = call.game_build(b.clone());
            }
            if let Some(at) = self.spec.install_at {
                call = call.install_at(at);
            }
            if let Some(d) = self.spec.disable {
                call = call
                    .disable_percentage(d.percentage)
                    .disable_timeout(d.timeout_minutes);
            }
            self.sending(
                rec,
                OperationId::CreateImageVersion,
                &format!(
                    "the version of diff {diff}{}",
                    if full { " (full)" } else { "" }
                ),
            )?;
            let job = call.send().await;
            let job = job.map_err(|e| self.send_failed(rec, e))?;
            rec.version = Some(job.version_id);
            self.sent(rec)?;
        }
        if let Some(id) = rec.version {
            let waiter = self.client.clanforge(asid).wait_for_version(id);
            self.wait(rec, waiter).await?;
            return self.pass(rec, format!("version {id} built"));
        }
        self.pass(rec, "version built")
    }

    async fn rollout(&mut self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        self.enter(rec, Stage::Rollout)?;
        let asid = self.spec.asid;
        let image = self.spec.image;
        let clock = self.client.clock().clone();
        let started = clock.now();
        let mut backoff = Duration::from_secs(1);
        loop {
            // While the version's installs run, their ETAs say when to look
            // again (image status gives none).
            if let Some(version) = rec.version {
                rec.calls += 1;
                let installs = self
                    .client
                    .clanforge(asid)
                    .get_image_install_status()
                    .send()
                    .await
                    .map_err(|e| self.api(rec, e))?;
                let ours: Vec<_> = installs.of_version(version).collect();
                if !ours.is_empty() {
                    let eta = ours.iter().filter_map(|j| j.eta).map(|t| t.as_secs()).max();
                    let done = ours.iter().map(|j| u64::from(j.percent())).sum::<u64>()
                        / ours.len() as u64;
                    self.emit_full(
                        rec,
                        EventKind::Progress,
                        format!(
                            "{} installing version {version}",
                            crate::count(ours.len(), "machine")
                        ),
                        u8::try_from(done).ok(),
                        eta,
                        None,
                        None,
                    );
                    // ETAs are on the server's clock (as the waiters
                    // read them): ahead of its "now", in local time.
                    let server = self.client.server_clock(cfp_model::Surface::Clanforge);
                    let ahead = eta
                        .and_then(|e| u64::try_from(e).ok())
                        .map(|e| std::time::UNIX_EPOCH + Duration::from_secs(e))
                        .and_then(|at| at.duration_since(server.now_at(clock.wall_now())).ok())
                        .filter(|d| !d.is_zero())
                        .map(|d| server.local_span(d));
                    let delay = match ahead {
                        // Half a second after the ETA (ETAs are whole
                        // seconds), checked at least every 30 s.
                        Some(d) => d + Duration::from_millis(500),
                        None => backoff,
                    };
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    self.pause(rec, started, delay.min(Duration::from_secs(30)))
                        .await?;
                    continue;
                }
            }
            // No install of the version left: the counters are the
            // version's (or, its id lost, the image's as they settle).
            let waiter = self
                .client
                .clanforge(asid)
                .wait_for_rollout(image)
                .detail(true);
            let status = self.wait(rec, waiter).await?;
            self.emit_full(
                rec,
                EventKind::Progress,
                "no machine pending".into(),
                Some(100),
                None,
                Some((*status).clone()),
                None,
            );
            let c = status.counts();
            if !self.spec.max_failed.allows(c.failed, c.total()) {
                return Err(PatchError::StageFailed {
                    stage: Stage::Rollout,
                    reason: format!(
                        "{} of {} failed to install the image (at most {} allowed)",
                        c.failed,
                        crate::count(c.total(), "machine"),
                        self.spec.max_failed
                    ),
                });
            }
            return self.pass(
                rec,
                format!(
                    "{} completed, {} failed",
                    crate::count(c.completed, "machine"),
                    c.failed
                ),
            );
        }
    }

    /// Sleeps `delay`, unless the stage's wait would outlive its timeout.
    async fn pause(
        &self,
        rec: &PatchRecord,
        started: std::time::Instant,
        delay: Duration,
    ) -> Result<(), PatchError> {
        let clock = self.client.clock();
        let spent = clock.now().saturating_duration_since(started);
        if spent + delay > self.wait_timeout {
            return Err(PatchError::TimedOut {
                stage: rec.stage,
                message: format!(
                    "the installs were still running after {}",
                    crate::human_duration(self.wait_timeout)
                ),
            });
        }
        clock.sleep(delay).await;
        Ok(())
    }

    async fn switch(&mut self, rec: &mut PatchRecord) -> Result<(), PatchError> {
        self.enter(rec, Stage::Switch)?;
        let Some(spec) = self.spec.switch else {
            return self.pass(rec, "no profile switch");
        };
        let cf = self.client.clanforge(self.spec.asid);
        let mut send = true;
        if rec
            .sending
            .as_ref()
            .is_some_and(|s| s.is(OperationId::SwitchFleetProfile))
        {
            rec.calls += 1;
            let now: ProfileSwitch = cf
                .get_fleet_profile_switch(spec.fleet)
                .send()
                .await
                .map_err(|e| self.api(rec, e))?
                .into_inner();
            if now.profile_id == spec.profile && now.state != SwitchState::NotRequested {
                send = false;
                self.emit(
                    rec,
                    EventKind::Adopted,
                    format!("the switch of fleet {} of an earlier run", spec.fleet),
                );
            }
            rec.sending = None;
        }
        if send {
            let mut body = SwitchProfile::new(spec.profile, spec.within);
            if let Some(n) = spec.max_machines {
                body = body.max_machines(n);
            }
            self.sending(
                rec,
                OperationId::SwitchFleetProfile,
                &format!(
                    "the switch of fleet {} to profile {}",
                    spec.fleet, spec.profile
                ),
            )?;
            let sent = cf.switch_fleet_profile(spec.fleet, body).send().await;
            sent.map_err(|e| self.send_failed(rec, e))?;
            self.sent(rec)?;
        }
        let waiter = self
            .client
            .clanforge(self.spec.asid)
            .wait_for_profile_switch(spec.fleet);
        let done = self.wait(rec, waiter).await?;
        if done.servers_pending > 0 {
            return Err(PatchError::StageFailed {
                stage: Stage::Switch,
                reason: format!(
                    "the switch ended with {} not switched (its deadline passed)",
                    crate::count(done.servers_pending, "server")
                ),
            });
        }
        self.pass(
            rec,
            format!("fleet {} switched to profile {}", spec.fleet, spec.profile),
        )
    }

    /// Waits with progress events; the stage fails when the work does.
    async fn wait<T>(
        &self,
        rec: &mut PatchRecord,
        waiter: Waiter<T>,
    ) -> Result<crate::Answer<T>, PatchError>
    where
        T: Watched + RolloutDetail,
    {
        let events = self.events.clone();
        let clock = self.client.clock().clone();
        let (stage, ids) = (rec.stage, rec.ids());
        let polls = Arc::new(Mutex::new(0u32));
        let counted = polls.clone();
        let result = waiter
            .on_progress(move |p: &Progress<T>| {
                *counted.lock().unwrap_or_else(PoisonError::into_inner) = p.polls;
                let rollout = p.object.rollout();
                let event = PatchEvent {
                    at: unix(clock.wall_now()),
                    stage,
                    kind: EventKind::Progress,
                    message: p.to_string(),
                    percent: p.percent,
                    eta: p.eta.map(|t| t.as_secs()),
                    ids,
                    rollout,
                    diff: None,
                };
                (events.lock().unwrap_or_else(PoisonError::into_inner))(&event);
            })
            .wait(self.wait_timeout)
            .await;
        rec.calls += u64::from(*polls.lock().unwrap_or_else(PoisonError::into_inner));
        self.store.save(rec)?;
        result.map_err(|e| match e {
            WaitError::Unsuccessful { reason, .. } => PatchError::StageFailed {
                stage: rec.stage,
                reason,
            },
            WaitError::DeadlineExceeded { .. } => PatchError::TimedOut {
                stage: rec.stage,
                message: e.to_string(),
            },
            WaitError::Api(e) => self.api(rec, e),
        })
    }
}

/// The rollout a waited object shows, for the rollout's progress events.
pub(crate) trait RolloutDetail {
    fn rollout(&self) -> Option<ImageStatus> {
        None
    }
}

impl RolloutDetail for ImageStatus {
    fn rollout(&self) -> Option<ImageStatus> {
        Some(self.clone())
    }
}
impl RolloutDetail for DiffStatus {}
impl RolloutDetail for cfp_model::UpdateJob {}
impl RolloutDetail for cfp_model::VersionJob {}
impl RolloutDetail for ProfileSwitch {}

/// The stage after `stage` for `spec`.
fn next_stage(spec: &PatchSpec, stage: Stage) -> Stage {
    let stages = spec.stages();
    stages
        .iter()
        .position(|s| *s == stage)
        .and_then(|i| stages.get(i + 1).copied())
        .unwrap_or(Stage::Done)
}
