//! Acting on several tasks: `cfp task get|cancel|pause|resume ID…`,
//! `cfp batch cancel|pause|resume ID` (a batch's tasks) and the filters of
//! `cfp task list`.
//!
//! Each task is done in turn, past any failure; there is one result per
//! task, and the exit code is the worst one (the highest). JSON output is an
//! array with each task as the service wrote it, or `{"id", "error",
//! "exitCode"}` for a task that failed; a single id prints the task alone,
//! as before.

use cfp_api::model::{Task, TaskBatch, TaskBatchId, TaskId, TaskResultCode};
use cfp_api::{Answer, Client};
use clap::ValueEnum;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;

/// What to do to each task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Get,
    Cancel,
    Pause,
    Resume,
}

impl Act {
    fn past(self) -> &'static str {
        match self {
            Self::Get => "read",
            Self::Cancel => "cancelled",
            Self::Pause => "paused",
            Self::Resume => "resumed",
        }
    }
}

/// A task state for `cfp task list --state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateFilter {
    /// Waiting to run (0)
    #[value(alias = "0")]
    Pending,
    /// Running (1)
    #[value(alias = "running", alias = "1")]
    InProgress,
    /// Paused (2)
    #[value(alias = "2")]
    Paused,
    /// Cancelled (125)
    #[value(alias = "canceled", alias = "125")]
    Cancelled,
    /// Ended with an error (126)
    #[value(alias = "failed", alias = "126")]
    DoneWithError,
    /// Ended successfully (127)
    #[value(alias = "127")]
    Done,
    /// Not ended: pending, in progress or paused
    Active,
    /// Ended: cancelled, done with error or done
    Ended,
}

impl StateFilter {
    fn matches(self, code: TaskResultCode) -> bool {
        match self {
            Self::Pending => code == TaskResultCode::Pending,
            Self::InProgress => code == TaskResultCode::InProgress,
            Self::Paused => code == TaskResultCode::Paused,
            Self::Cancelled => code == TaskResultCode::Cancelled,
            Self::DoneWithError => code == TaskResultCode::DoneWithError,
            Self::Done => code == TaskResultCode::Done,
            Self::Active => !code.is_terminal() && !matches!(code, TaskResultCode::Unknown(_)),
            Self::Ended => code.is_terminal(),
        }
    }
}

/// A task and, when the service's JSON for it is known, that text.
pub struct Item {
    pub task: Task,
    raw: Option<Box<RawValue>>,
}

impl From<Answer<Task>> for Item {
    fn from(a: Answer<Task>) -> Self {
        let raw = a.json_text().map(ToOwned::to_owned);
        Self {
            task: a.into_inner(),
            raw,
        }
    }
}

/// The result for one task.
pub enum Outcome {
    Done(Item),
    Failed { id: TaskId, error: CliError },
}

/// The results, in order.
pub struct Results(pub Vec<Outcome>);

impl Serialize for Results {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq as _;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Failure {
            id: TaskId,
            error: String,
            exit_code: u8,
            #[serde(skip_serializing_if = "Option::is_none")]
            hint: Option<String>,
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for o in &self.0 {
            match o {
                Outcome::Done(Item { raw: Some(raw), .. }) => seq.serialize_element(raw)?,
                Outcome::Done(Item { task, raw: None }) => seq.serialize_element(task)?,
                Outcome::Failed { id, error } => seq.serialize_element(&Failure {
                    id: *id,
                    error: error.to_string(),
                    exit_code: error.exit() as u8,
                    hint: error.hint(),
                })?,
            }
        }
        seq.end()
    }
}

impl Table for Results {
    fn table(&self) -> String {
        let tasks: Vec<Task> = self
            .0
            .iter()
            .filter_map(|o| match o {
                Outcome::Done(i) => Some(i.task.clone()),
                Outcome::Failed { .. } => None,
            })
            .collect();
        if tasks.is_empty() {
            return "no task\n".into();
        }
        tasks.table()
    }
}

impl Results {
    /// Ok, or the worst failure's exit code with how many failed.
    fn verdict(&self, act: Act) -> Result<(), CliError> {
        let failed: Vec<&CliError> = self
            .0
            .iter()
            .filter_map(|o| match o {
                Outcome::Failed { error, .. } => Some(error),
                Outcome::Done(_) => None,
            })
            .collect();
        let Some(worst) = failed.iter().map(|e| e.exit()).max_by_key(|e| *e as u8) else {
            return Ok(());
        };
        Err(CliError::Several {
            message: format!(
                "{} of {} tasks could not be {}",
                failed.len(),
                self.0.len(),
                act.past()
            ),
            exit: worst,
        })
    }
}

/// One action on one task.
async fn act_on(ctx: &Ctx, act: Act, id: TaskId) -> Result<Answer<Task>, CliError> {
    let client = &ctx.client;
    let check = || CliError::check_with(&format!("{}task get {id}", ctx.cfp()));
    match act {
        Act::Get => Ok(client.get_task(id).send().await?),
        Act::Cancel => client
            .cancel_task(id)
            .send()
            .await
            .map_err(|e| CliError::outcome_unknown(e, format!("task cancel {id}"), check())),
        Act::Pause | Act::Resume if crate::dry_run::active() => {
            // The toggle is what changes something; cfp reads the task
            // before and after it.
            client.toggle_task_pause(id).send().await?;
            // The recorder answers nothing: the line above returned.
            Err(CliError::Other(
                "--dry-run: the toggle got an answer".into(),
            ))
        }
        Act::Pause => client
            .pause_task(id)
            .await
            .map_err(|e| CliError::outcome_unknown(e, format!("task pause {id}"), check())),
        Act::Resume => client
            .resume_task(id)
            .await
            .map_err(|e| CliError::outcome_unknown(e, format!("task resume {id}"), check())),
    }
}

/// An error about one task, said for people (`task 12 not found`; the
/// operation id only at `-v`).
fn about(ctx: &Ctx, id: TaskId, error: CliError) -> CliError {
    error
        .with_subject(format!("task {id}"))
        .for_people(&ctx.settings, ctx.verbose)
}

/// The line that reports it: led by the task, once.
fn said(id: TaskId, error: &CliError) -> String {
    let message = error.to_string();
    if message.starts_with(&format!("task {id}")) {
        message
    } else {
        format!("task {id}: {message}")
    }
}

/// `cfp task get|cancel|pause|resume ID…`.
pub async fn run_ids(ctx: &Ctx, act: Act, ids: Vec<TaskId>) -> Result<(), CliError> {
    if matches!(act, Act::Pause | Act::Resume) && crate::dry_run::active() {
        crate::dry_run::note(format!(
            "cfp reads each task first and sends the toggle only if it is not {} already",
            act.past()
        ));
    }
    if let [id] = ids.as_slice() {
        let answer = act_on(ctx, act, *id).await.map_err(|e| {
            if crate::dry_run::is_stop(&e) {
                e
            } else {
                e.with_subject(format!("task {id}"))
            }
        })?;
        return ctx.print(&answer);
    }
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        match act_on(ctx, act, id).await {
            Ok(a) => results.push(Outcome::Done(a.into())),
            Err(e) if crate::dry_run::is_stop(&e) => {}
            Err(error) => {
                let error = about(ctx, id, error);
                crate::report(&said(id, &error), error.hint().as_deref());
                results.push(Outcome::Failed { id, error });
            }
        }
    }
    if crate::dry_run::active() {
        return Ok(());
    }
    let results = Results(results);
    ctx.print(&results)?;
    results.verdict(act)
}

/// `cfp batch cancel|pause|resume ID`: the action on each task of the
/// batch that is not already where it is wanted (nor ended).
pub async fn run_batch(ctx: &Ctx, act: Act, batch: TaskBatchId) -> Result<(), CliError> {
    if crate::dry_run::active() {
        crate::dry_run::note(format!(
            "then, for each task of batch {batch} that can be {}: {}",
            act.past(),
            match act {
                Act::Cancel => "DELETE /v3/applicationInstance/task/{taskId}",
                _ => "PUT /v3/applicationInstance/task/{taskId} (the pause toggle)",
            }
        ));
    }
    let b = ctx.client.get_task_batch(batch).send().await?;
    let tasks = tasks_of(&ctx.client, &b).await;
    let mut results = Vec::with_capacity(tasks.len());
    for (id, found) in tasks {
        let item = match found {
            Ok(item) => item,
            Err(error) => {
                let error = about(ctx, id, error);
                crate::report(&said(id, &error), error.hint().as_deref());
                results.push(Outcome::Failed { id, error });
                continue;
            }
        };
        let code = item.task.result_code;
        let skip = match act {
            Act::Cancel if code.is_terminal() => Some(format!("it has ended: {code}")),
            Act::Pause | Act::Resume if code.is_terminal() => Some(format!("it has ended: {code}")),
            Act::Pause if code == TaskResultCode::Paused => Some("already paused".into()),
            Act::Resume if code != TaskResultCode::Paused => Some(format!("not paused: {code}")),
            _ => None,
        };
        if let Some(why) = skip {
            crate::note(&format!("task {id}: left as it is ({why})"));
            results.push(Outcome::Done(item));
            continue;
        }
        match act_on(ctx, act, id).await {
            Ok(a) => {
                crate::note(&format!("task {id}: {}", act.past()));
                results.push(Outcome::Done(a.into()));
            }
            Err(error) => {
                let error = about(ctx, id, error);
                crate::report(&said(id, &error), error.hint().as_deref());
                results.push(Outcome::Failed { id, error });
            }
        }
    }
    let results = Results(results);
    ctx.print(&results)?;
    results.verdict(act)
}

/// `cfp task list` with its filters.
pub async fn list(
    ctx: &Ctx,
    batch: Option<TaskBatchId>,
    states: &[StateFilter],
) -> Result<(), CliError> {
    if batch.is_none() && states.is_empty() {
        return ctx.print(&ctx.client.list_tasks().send().await?);
    }
    let items: Vec<Item> = match batch {
        Some(b) => {
            let b = ctx.client.get_task_batch(b).send().await?;
            let mut items = Vec::new();
            for (_, found) in tasks_of(&ctx.client, &b).await {
                items.push(found?);
            }
            items
        }
        None => split(ctx.client.list_tasks().send().await?),
    };
    let kept = items
        .into_iter()
        .filter(|i| states.is_empty() || states.iter().any(|s| s.matches(i.task.result_code)))
        .map(Outcome::Done)
        .collect();
    ctx.print(&Results(kept))
}

/// The tasks of a list answer, each with its own JSON text.
fn split(answer: Answer<Vec<Task>>) -> Vec<Item> {
    let raws: Vec<Box<RawValue>> = serde_json::from_slice(answer.body()).unwrap_or_default();
    let tasks = answer.into_inner();
    if raws.len() == tasks.len() {
        tasks
            .into_iter()
            .zip(raws)
            .map(|(task, raw)| Item {
                task,
                raw: Some(raw),
            })
            .collect()
    } else {
        tasks
            .into_iter()
            .map(|task| Item { task, raw: None })
            .collect()
    }
}

/// Every task of a batch, in the batch's order: the task list (the last
/// 100 tasks) read once, then each task it did not hold read alone.
async fn tasks_of(client: &Client, batch: &TaskBatch) -> Vec<(TaskId, Result<Item, CliError>)> {
    let mut listed: Vec<Item> = match client.list_tasks().send().await {
        Ok(list) => split(list)
            .into_iter()
            .filter(|i| i.task.batch_id == batch.id)
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut out = Vec::with_capacity(batch.task_ids.len());
    for id in &batch.task_ids {
        let found = match listed.iter().position(|i| i.task.id == *id) {
            Some(at) => Ok(listed.swap_remove(at)),
            None => client
                .get_task(*id)
                .send()
                .await
                .map(Item::from)
                .map_err(CliError::from),
        };
        out.push((*id, found));
    }
    out
}
