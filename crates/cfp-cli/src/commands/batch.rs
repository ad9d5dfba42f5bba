//! `cfp batch list | get`, and waiting for a batch.

use cfp_api::Client;
use cfp_api::model::{Task, TaskBatch, TaskBatchId, TaskResultCode};
use clap::Subcommand;

use super::task_set::{self, Act};
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::{Col, Grid, Value, key_values, when_cell};
use crate::output::table::text;
use crate::wait::wait_for;

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// List the last 100 task batches you created
    #[command(after_help = "Example:\n  cfp batch list")]
    #[doc(alias = "listTaskBatches")]
    List,

    /// Show a batch, or wait for it to end
    #[command(after_help = "Example:\n  cfp batch get 9 --wait")]
    #[doc(alias = "getTaskBatch")]
    Get {
        /// The batch
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        batch: TaskBatchId,
        /// Wait until every task ended; exit 5 if any failed or was cancelled
        #[arg(long)]
        wait: bool,
    },

    /// Cancel every task of a batch that has not ended
    #[command(after_help = "Example:\n  cfp batch cancel 9")]
    Cancel {
        /// The batch
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        batch: TaskBatchId,
    },

    /// Pause every task of a batch that is pending or running
    #[command(after_help = "Example:\n  cfp batch pause 9")]
    Pause {
        /// The batch
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        batch: TaskBatchId,
    },

    /// Resume every paused task of a batch
    #[command(after_help = "Example:\n  cfp batch resume 9")]
    Resume {
        /// The batch
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        batch: TaskBatchId,
    },
}

pub(super) async fn run(ctx: &Ctx, c: BatchCommand) -> Result<(), CliError> {
    match c {
        BatchCommand::List => ctx.print(&ctx.client.list_task_batches().send().await?),
        BatchCommand::Get { batch, wait: false } => ctx.print(
            &ctx.client
                .get_task_batch(batch)
                .send()
                .await
                .map_err(CliError::about(format!("batch {batch}")))?,
        ),
        BatchCommand::Get { batch, wait: true } => wait_batch(ctx, batch)
            .await
            .map_err(|e| e.with_subject(format!("batch {batch}"))),
        BatchCommand::Cancel { batch } => task_set::run_batch(ctx, Act::Cancel, batch).await,
        BatchCommand::Pause { batch } => task_set::run_batch(ctx, Act::Pause, batch).await,
        BatchCommand::Resume { batch } => task_set::run_batch(ctx, Act::Resume, batch).await,
    }
}

/// Waits for a batch; on failures, lists the failed and cancelled tasks.
pub(super) async fn wait_batch(ctx: &Ctx, id: TaskBatchId) -> Result<(), CliError> {
    let reattach = format!("cfp {}batch get {id} --wait", ctx.sim_flag());
    let client = ctx.client.clone();
    // Under --sim the world ends with the run: no command can list them.
    let more = ctx.sim.is_none().then(|| {
        format!(
            "{}task list --batch {id} --state done-with-error --state cancelled",
            ctx.cfp()
        )
    });
    let done = wait_for(
        ctx,
        ctx.client.wait_for_batch(id),
        reattach,
        async move |b| failed_tasks_of(&client, b, more.as_deref()).await,
    )
    .await?;
    ctx.print(&done)
}

/// The failed and cancelled tasks of a batch, one line each, for exit 5.
/// Reads the task list (the last 100 tasks) once, then single tasks of the
/// batch that list did not cover, up to a bound.
async fn failed_tasks_of(client: &Client, batch: &TaskBatch, more: Option<&str>) -> Vec<String> {
    const MAX_LISTED: usize = 20;
    let wanted = usize::try_from(
        batch
            .num_tasks_failed
            .saturating_add(batch.num_tasks_cancelled),
    )
    .unwrap_or(usize::MAX);
    let mut failed: Vec<Task> = match client.list_tasks().send().await {
        Ok(tasks) => tasks
            .into_inner()
            .into_iter()
            .filter(|t| t.batch_id == batch.id && is_bad(t.result_code))
            .collect(),
        Err(_) => Vec::new(),
    };
    for id in &batch.task_ids {
        if failed.len() >= wanted.min(MAX_LISTED) {
            break;
        }
        if failed.iter().any(|t| t.id == *id) {
            continue;
        }
        if let Ok(t) = client.get_task(*id).send().await
            && is_bad(t.result_code)
        {
            failed.push(t.into_inner());
        }
    }
    let mut lines: Vec<String> = failed
        .iter()
        .take(MAX_LISTED)
        .map(failed_task_line)
        .collect();
    if wanted > lines.len() {
        let n = wanted - lines.len();
        lines.push(match more {
            Some(command) => format!("… and {n} more: {command}"),
            None => format!("… and {n} more"),
        });
    }
    lines
}

/// `task 7 on game server 101: done with error (126) — application
/// instance 101 is offline`: the result text without the state it repeats
/// (the vendor's text often starts with it: "Done with error: …").
fn failed_task_line(t: &Task) -> String {
    let state = t.result_code.name();
    let text = t.result_text.trim();
    let text = match text.get(..state.len()) {
        Some(head) if head.eq_ignore_ascii_case(state) => text[state.len()..]
            .trim_start_matches(|c: char| c == ':' || c == '-' || c.is_whitespace()),
        _ => text,
    };
    let text = if text.is_empty() {
        String::new()
    } else {
        format!(" — {text}")
    };
    format!(
        "task {} on game server {}: {}{text}",
        t.id, t.entity_id, t.result_code
    )
}

fn is_bad(code: TaskResultCode) -> bool {
    code.is_failure() || code.is_cancelled()
}

// -- How people see it --------------------------------------------------------

fn batch_row(b: &TaskBatch) -> Vec<Value> {
    vec![
        text(b.id),
        text(b.num_tasks),
        text(b.num_tasks_ok),
        text(b.num_tasks_failed),
        text(b.num_tasks_cancelled),
        text(format!("{}%", b.percent())),
        text(when_cell(b.created_at)),
        text(when_cell(b.execute_at)),
        text(when_cell(b.finished_at)),
    ]
}

/// The batch table's columns; on a narrow terminal the creation time goes
/// first, then the cancelled count.
const BATCH_COLUMNS: [Col; 9] = [
    Col::keep("id").right(),
    Col::keep("tasks").right(),
    Col::keep("ok").right(),
    Col::keep("failed").right(),
    Col::keep("cancelled").right().drop(2),
    Col::keep("ended").right(),
    Col::keep("created").drop(3),
    Col::keep("execute at").drop(1),
    Col::keep("finished"),
];

impl Table for Vec<TaskBatch> {
    fn table(&self) -> String {
        let mut t = Grid::new(BATCH_COLUMNS);
        for b in self {
            t.row(batch_row(b));
        }
        t.render()
    }
}

impl Table for TaskBatch {
    fn table(&self) -> String {
        let mut t = Grid::new(BATCH_COLUMNS);
        t.row(batch_row(self));
        format!(
            "{}\n{}",
            t.render(),
            key_values(&[("tasks", id_list(&self.task_ids))])
        )
    }
}

/// Up to a dozen ids, then how many more: a batch may hold thousands.
fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    const SHOWN: usize = 12;
    if ids.is_empty() {
        return "-".into();
    }
    let head: Vec<String> = ids.iter().take(SHOWN).map(ToString::to_string).collect();
    match ids.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => {
            format!("{} … and {more} more (-o json lists all)", head.join(" "))
        }
        _ => head.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_id_lists_are_cut_with_a_count() {
        let ids: Vec<u32> = (1..=60).collect();
        assert_eq!(
            id_list(&ids),
            "1 2 3 4 5 6 7 8 9 10 11 12 … and 48 more (-o json lists all)"
        );
        assert_eq!(id_list(&[7, 8]), "7 8");
        assert_eq!(id_list::<u32>(&[]), "-");
    }

    fn task(code: TaskResultCode, text: &str) -> Task {
        serde_json::from_value(serde_json::json!({
            "id": 7, "name": "Restart", "batchId": 1, "categoryId": 1, "entityId": 101,
            "currentActionIdx": 0, "executeAt": 0, "lastActivityAt": 0, "finishedAt": 0,
            "resultCode": code.code(), "resultText": text,
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_failed_task_line_does_not_repeat_its_state() {
        let t = task(
            TaskResultCode::DoneWithError,
            "Done with error: application instance 101 is offline",
        );
        assert_eq!(
            failed_task_line(&t),
            "task 7 on game server 101: done with error (126) — application instance 101 is offline"
        );
        let t = task(TaskResultCode::DoneWithError, "Done with error");
        assert_eq!(
            failed_task_line(&t),
            "task 7 on game server 101: done with error (126)"
        );
        let t = task(TaskResultCode::Cancelled, "disk full");
        assert!(failed_task_line(&t).ends_with("— disk full"));
    }
}
