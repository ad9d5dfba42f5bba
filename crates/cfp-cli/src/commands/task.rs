//! `cfp task templates | list | create | get | pause | resume | cancel`.

use cfp_api::model::{ApplicationInstanceId, FleetId, RegionId, TaskId, TaskTemplateId};
use clap::{Args, Subcommand};

use crate::parse::{At, KeyValue};
use cfp_api::model::task::{Label, TaskActionParam};
use cfp_api::model::{CreateTaskBatch, UnixTime};

use super::batch::wait_batch;
use crate::context::Ctx;
use crate::error::CliError;

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// List the task templates (Restart, Stop, Start, Update, …)
    #[command(after_help = "Example:\n  cfp task templates -o table")]
    #[doc(alias = "listTaskTemplates")]
    Templates,

    /// List the last 100 tasks you created
    #[command(
        after_help = "Examples:\n  cfp task list --jq '.[] | select(.resultCode == 126)'\n  \
                      cfp task list -o ndjson"
    )]
    #[doc(alias = "listTasks")]
    List,

    /// Run a template on game servers, now or at a set time
    #[command(
        after_help = "Examples:\n  cfp task create --template 1 --fleet 2 --wait\n  \
                            cfp task create --template 4 --instance 17 --instance 18 --param version=1.4.2\n  \
                            cfp task create --template 1 --region 3 --at +30m\n  \
                            cfp task create --template 1 --label env=staging --at 2030-01-01T03:00:00Z"
    )]
    #[doc(alias = "createTaskBatch")]
    Create(TaskCreateArgs),

    /// Show a task
    #[command(after_help = "Example:\n  cfp task get 41")]
    #[doc(alias = "getTask")]
    Get {
        /// The task
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        task: TaskId,
    },

    /// Pause a task (nothing is sent if it is already paused)
    #[command(after_help = "Example:\n  cfp task pause 41")]
    #[doc(alias = "toggleTaskPause")]
    Pause {
        /// The task
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        task: TaskId,
    },

    /// Resume a paused task (nothing is sent if it is not paused)
    #[command(after_help = "Example:\n  cfp task resume 41")]
    Resume {
        /// The task
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        task: TaskId,
    },

    /// Cancel a task
    #[command(after_help = "Example:\n  cfp task cancel 41")]
    #[doc(alias = "cancelTask")]
    Cancel {
        /// The task
        #[arg(value_name = "ID", allow_negative_numbers = true)]
        task: TaskId,
    },
}

/// `cfp task create`.
#[derive(Debug, Args)]
pub struct TaskCreateArgs {
    /// The template to run (see `cfp task templates`)
    #[arg(long, value_name = "ID")]
    pub template: TaskTemplateId,

    #[command(flatten)]
    pub target: Target,

    /// Run at this time instead of now: RFC 3339 (2030-01-01T03:00:00Z) or
    /// relative (+30m, +2h, +1d)
    #[arg(long, value_name = "TIME")]
    pub at: Option<At>,

    /// A parameter the template's actions require (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<KeyValue>,

    /// Wait until every task ended; exit 5 if any failed or was cancelled
    #[arg(long)]
    pub wait: bool,
}

/// Which game servers a batch runs on: exactly one kind.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// Game servers by application instance id (repeatable)
    #[arg(long = "instance", value_name = "ID")]
    pub instances: Vec<ApplicationInstanceId>,

    /// Every game server of a fleet
    #[arg(long, value_name = "ID")]
    pub fleet: Option<FleetId>,

    /// Every game server of a region
    #[arg(long, value_name = "ID")]
    pub region: Option<RegionId>,

    /// Game servers carrying a label (repeatable; all must match)
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<KeyValue>,
}

pub(super) async fn run(ctx: &Ctx, c: TaskCommand) -> Result<(), CliError> {
    let client = &ctx.client;
    match c {
        TaskCommand::Templates => ctx.print(&client.list_task_templates().send().await?),
        TaskCommand::List => ctx.print(&client.list_tasks().send().await?),
        TaskCommand::Get { task } => ctx.print(
            &client
                .get_task(task)
                .send()
                .await
                .map_err(CliError::about(format!("task {task}")))?,
        ),
        TaskCommand::Pause { task } => {
            let t = client.pause_task(task).await.map_err(|e| {
                toggle_unknown(ctx, e, "pause", task).with_subject(format!("task {task}"))
            })?;
            ctx.print(&t)
        }
        TaskCommand::Resume { task } => {
            let t = client.resume_task(task).await.map_err(|e| {
                toggle_unknown(ctx, e, "resume", task).with_subject(format!("task {task}"))
            })?;
            ctx.print(&t)
        }
        TaskCommand::Cancel { task } => ctx.print(
            &client
                .cancel_task(task)
                .send()
                .await
                .map_err(CliError::about(format!("task {task}")))?,
        ),
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
