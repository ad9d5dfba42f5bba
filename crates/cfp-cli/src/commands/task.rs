//! `cfp task templates | list | create | get | pause | resume | cancel`.

use cfp_api::model::{
    ApplicationInstanceId, CreateTaskBatch, FleetId, RegionId, Task, TaskBatchId, TaskId,
    TaskTemplate, TaskTemplateId, UnixTime,
};
use clap::{Args, Subcommand};

use crate::parse::{At, KeyValue};
use cfp_api::model::task::{Label, TaskActionParam};

use super::batch::wait_batch;
use super::task_set::{self, Act, StateFilter};
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::{Col, Grid, Value, key_values, when_cell, when_line};
use crate::output::table::text;

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// List the task templates (Restart, Stop, Start, Update, …)
    #[command(after_help = "Example:\n  cfp task templates -o table")]
    #[doc(alias = "listTaskTemplates")]
    Templates,

    /// List the last 100 tasks you created, or a batch's tasks
    ///
    /// --batch lists every task of the batch (read from the batch); --state
    /// keeps the tasks in one of the states given. The task API has no
    /// filter of its own: cfp filters what it reads.
    #[command(
        after_help = "Examples:\n  cfp task list --jq '.[] | select(.resultCode == 126)'\n  \
                      cfp task list --batch 9 --state failed --state cancelled\n  \
                      cfp task list -o ndjson"
    )]
    #[doc(alias = "listTasks")]
    List {
        /// Only the tasks of this batch (all of them, even past the last 100)
        #[arg(long, value_name = "ID")]
        batch: Option<TaskBatchId>,
        /// Only tasks in this state (repeatable)
        #[arg(long, value_name = "STATE", value_enum)]
        state: Vec<StateFilter>,
    },

    /// Run a template on game servers, now or at a set time
    ///
    /// On a terminal, a batch for a fleet, a region or labels is confirmed
    /// first (--yes skips the question); without one it is created as
    /// asked.
    #[command(
        after_help = "Examples:\n  cfp task create --template 1 --fleet 2 --wait\n  \
                            cfp task create --template 4 --instance 17 --instance 18 --param version=1.4.2\n  \
                            cfp task create --template 1 --region 3 --at +30m --yes\n  \
                            cfp task create --template 1 --label env=staging --at 2030-01-01T03:00:00Z --dry-run"
    )]
    #[doc(alias = "createTaskBatch")]
    Create(TaskCreateArgs),

    /// Show tasks
    #[command(after_help = "Examples:\n  cfp task get 41\n  cfp task get 41 42 43 -o json")]
    #[doc(alias = "getTask")]
    Get {
        /// The tasks (one result each; JSON: an array when several)
        #[arg(value_name = "ID", required = true, allow_negative_numbers = true)]
        tasks: Vec<TaskId>,
    },

    /// Pause tasks (nothing is sent for a task already paused)
    #[command(after_help = "Example:\n  cfp task pause 41 42")]
    #[doc(alias = "toggleTaskPause")]
    Pause {
        /// The tasks (each is done, past any failure)
        #[arg(value_name = "ID", required = true, allow_negative_numbers = true)]
        tasks: Vec<TaskId>,
    },

    /// Resume paused tasks (nothing is sent for a task not paused)
    #[command(after_help = "Example:\n  cfp task resume 41 42")]
    Resume {
        /// The tasks (each is done, past any failure)
        #[arg(value_name = "ID", required = true, allow_negative_numbers = true)]
        tasks: Vec<TaskId>,
    },

    /// Cancel tasks (a task already cancelled is a success)
    #[command(after_help = "Example:\n  cfp task cancel 61 62")]
    #[doc(alias = "cancelTask")]
    Cancel {
        /// The tasks (each is done, past any failure)
        #[arg(value_name = "ID", required = true, allow_negative_numbers = true)]
        tasks: Vec<TaskId>,
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

    /// Do not ask before creating a batch for a fleet, a region or labels
    #[arg(short, long)]
    pub yes: bool,
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
        TaskCommand::List { batch, state } => task_set::list(ctx, batch, &state).await,
        TaskCommand::Get { tasks } => task_set::run_ids(ctx, Act::Get, tasks).await,
        TaskCommand::Pause { tasks } => task_set::run_ids(ctx, Act::Pause, tasks).await,
        TaskCommand::Resume { tasks } => task_set::run_ids(ctx, Act::Resume, tasks).await,
        TaskCommand::Cancel { tasks } => task_set::run_ids(ctx, Act::Cancel, tasks).await,
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
    if wide(&args.target) && !args.yes && !crate::dry_run::active() && crate::prompt::interactive()
    {
        let question = confirmation(ctx, &args, &req).await;
        if !crate::prompt::confirm(&question) {
            return Err(CliError::usage(
                "not confirmed: no batch was created",
                "add --yes to create it without asking (or --dry-run to see the request)",
            ));
        }
    }
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

/// A target that may reach many game servers: a fleet, a region, labels.
fn wide(t: &Target) -> bool {
    t.fleet.is_some() || t.region.is_some() || !t.labels.is_empty()
}

/// The question before a wide batch: what runs, where, when. The template's
/// name comes from the template list (a read), when it can be had.
async fn confirmation(ctx: &Ctx, args: &TaskCreateArgs, req: &CreateTaskBatch) -> String {
    let template = match ctx.client.list_task_templates().send().await {
        Ok(list) => list
            .iter()
            .find(|t| t.id == args.template)
            .map(|t| format!("{} (template {})", t.name, args.template)),
        Err(_) => None,
    }
    .unwrap_or_else(|| format!("template {}", args.template));
    let t = &args.target;
    let servers = if let Some(f) = t.fleet {
        format!("every game server of fleet {f}")
    } else if let Some(r) = t.region {
        format!("every game server of region {r}")
    } else {
        let labels: Vec<String> = t
            .labels
            .iter()
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect();
        format!("every game server labelled {}", labels.join(" and "))
    };
    let when = match req.execute_at {
        Some(at) => format!("at {at}"),
        None => "now".to_owned(),
    };
    format!("Create a batch that runs {template} on {servers}, {when}?")
}

// -- How people see it --------------------------------------------------------

impl Table for Vec<TaskTemplate> {
    fn table(&self) -> String {
        let mut t = Grid::new([
            Col::keep("id").right(),
            Col::text("name"),
            Col::text("description").drop(1),
            Col::text("required params"),
        ]);
        for tpl in self {
            t.row(vec![
                text(tpl.id),
                text(&tpl.name),
                text(&tpl.description),
                text(tpl.required_params().join(", ")),
            ]);
        }
        t.render()
    }
}

fn task_row(task: &Task) -> Vec<Value> {
    vec![
        text(task.id),
        text(&task.name),
        text(task.batch_id),
        text(task.entity_id),
        text(task.result_code),
        text(when_cell(task.execute_at)),
        text(when_cell(task.finished_at)),
        text(&task.result_text),
        text(task.category_id.id()),
        text(task.current_action_idx),
        text(when_cell(task.last_activity_at)),
    ]
}

/// The task table's columns: on a narrow terminal the execute time goes
/// first, then the batch, the entity, the finish time; `-o wide` adds the
/// category, the current action and the last activity.
const TASK_COLUMNS: [Col; 11] = [
    Col::keep("id").right(),
    Col::text("name"),
    Col::keep("batch").right().drop(4),
    Col::keep("entity").right().drop(3),
    Col::text("result"),
    Col::keep("execute at").drop(5),
    Col::keep("finished").drop(2),
    Col::text("text").drop(1),
    Col::keep("category").right().wide_only(),
    Col::keep("action").right().wide_only(),
    Col::keep("last activity").wide_only(),
];

impl Table for Vec<Task> {
    fn table(&self) -> String {
        let mut t = Grid::new(TASK_COLUMNS);
        for task in self {
            t.row(task_row(task));
        }
        t.render()
    }
}

impl Table for Task {
    fn table(&self) -> String {
        key_values(&[
            ("task", self.id.to_string()),
            ("name", self.name.clone()),
            ("batch", self.batch_id.to_string()),
            ("entity", self.entity_id.to_string()),
            ("category", self.category_id.id().to_string()),
            ("result", self.result_code.to_string()),
            ("text", self.result_text.clone()),
            ("action", self.current_action_idx.to_string()),
            ("execute at", when_line(self.execute_at)),
            ("last activity", when_line(self.last_activity_at)),
            ("finished", when_line(self.finished_at)),
        ])
    }
}
