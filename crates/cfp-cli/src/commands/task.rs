//! `cfp task templates | list | create | get | pause | resume | cancel`.

use cfp_api::model::task::{Label, TaskActionParam};
use cfp_api::model::{CreateTaskBatch, TaskId, UnixTime};

use super::batch::wait_batch;
use crate::cli::{TaskCommand, TaskCreateArgs};
use crate::context::Ctx;
use crate::error::CliError;

pub(super) async fn run(ctx: &Ctx, c: TaskCommand) -> Result<(), CliError> {
    let client = &ctx.client;
    match c {
        TaskCommand::Templates => ctx.print(&client.list_task_templates().send().await?),
        TaskCommand::List => ctx.print(&client.list_tasks().send().await?),
        TaskCommand::Get { task } => ctx.print(&client.get_task(task).send().await?),
        TaskCommand::Pause { task } => {
            let t = client
                .pause_task(task)
                .await
                .map_err(|e| toggle_unknown(ctx, e, "pause", task))?;
            ctx.print(&t)
        }
        TaskCommand::Resume { task } => {
            let t = client
                .resume_task(task)
                .await
                .map_err(|e| toggle_unknown(ctx, e, "resume", task))?;
            ctx.print(&t)
        }
        TaskCommand::Cancel { task } => ctx.print(&client.cancel_task(task).send().await?),
        TaskCommand::Create(args) => create_batch(ctx, args).await,
    }
}

/// Builds the create request from the flags; nothing is sent if it fails.
pub fn batch_request(
    args: &TaskCreateArgs,
    now: jiff::Timestamp,
) -> Result<CreateTaskBatch, CliError> {
    let t = &args.target;
    let mut req = if let Some(fleet) = t.fleet {
        CreateTaskBatch::for_fleet(args.template, fleet)
    } else if let Some(region) = t.region {
        CreateTaskBatch::for_region(args.template, region)
    } else if !t.labels.is_empty() {
        CreateTaskBatch::for_labels(
            args.template,
            t.labels.iter().map(|kv| Label {
                key: kv.key.clone(),
                value: kv.value.clone(),
            }),
        )
    } else {
        CreateTaskBatch::for_instances(args.template, t.instances.iter().copied())
    };
    if let Some(at) = &args.at {
        let when = at.resolve(now).map_err(|e| {
            CliError::usage(e, "for example --at +30m or --at 2030-01-01T03:00:00Z")
        })?;
        req = req.execute_at(UnixTime::from_timestamp(when));
    }
    req.task_action_param = args
        .params
        .iter()
        .map(|kv| TaskActionParam {
            param_name: kv.key.clone(),
            param_value: kv.value.clone(),
        })
        .collect();
    req.validate().map_err(|e| {
        CliError::usage(
            format!("invalid {e}"),
            "see `cfp task create --help` for the target flags",
        )
    })?;
    Ok(req)
}

async fn create_batch(ctx: &Ctx, args: TaskCreateArgs) -> Result<(), CliError> {
    let now =
        jiff::Timestamp::try_from(ctx.clock.wall_now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let req = batch_request(&args, now)?;
    let batch = ctx
        .client
        .create_task_batch(req)
        .send()
        .await
        .map_err(|e| {
            CliError::outcome_unknown(
                e,
                format!("task create (template {})", args.template),
                CliError::check_with(&format!("cfp {}batch list", ctx.sim_flag())),
            )
        })?;
    if !args.wait {
        return ctx.print(&batch);
    }
    wait_batch(ctx, batch.id).await
}

/// A pause or resume whose toggle's answer was lost, and whose re-read did
/// not settle it.
fn toggle_unknown(ctx: &Ctx, e: cfp_api::Error, action: &str, task: TaskId) -> CliError {
    CliError::outcome_unknown(
        e,
        format!("task {action} {task}"),
        CliError::check_with(&format!("cfp {}task get {task}", ctx.sim_flag())),
    )
}
