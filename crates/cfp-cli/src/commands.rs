//! The commands: one function per line of the contract.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use cfp_api::waiters::{WaitError, Waiter, Watched};
use cfp_model::clanforge::{CreateImageDiff, GetImageDiffStatus, GetImageStatus, RetryImageDiff};
use cfp_model::task::{Label, TaskActionParam};
use cfp_model::zstack::GetUploadJobDetails;
use cfp_model::{
    AccountServiceId, CreateTaskBatch, Task, TaskBatch, TaskBatchId, TaskResultCode, UnixTime,
};
use serde::Serialize;

use crate::app::Ctx;
use crate::cli::{
    BatchCommand, Command, ImageCommand, ImagediffCommand, OutputFormat, TaskCommand,
    TaskCreateArgs,
};
use crate::config::Settings;
use crate::error::CliError;
use crate::output::Table;
use crate::progress::{Snapshot, WaitView};

/// The `--asid` flag of the command, if it has one and it was given.
pub fn asid_flag(command: &Command) -> Option<AccountServiceId> {
    match command {
        Command::Imagediff(
            ImagediffCommand::Create { asid, .. }
            | ImagediffCommand::Retry { asid, .. }
            | ImagediffCommand::Status { asid, .. },
        )
        | Command::Image(ImageCommand::Status { asid, .. }) => asid.asid,
        _ => None,
    }
}

/// Runs an API command.
pub async fn run(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Imagediff(c) => imagediff(ctx, c).await,
        Command::Image(c) => image(ctx, c).await,
        Command::Task(c) => task(ctx, c).await,
        Command::Batch(c) => batch(ctx, c).await,
        Command::UploadJob(args) => {
            let mut req = GetUploadJobDetails::new(args.image);
            req.system_tags = args.system_tags;
            req.user_tags = args.user_tags;
            let details = ctx.client.upload_job_details(&req).await?;
            ctx.print(&details)
        }
        // Handled before a client exists.
        Command::Demo(_) | Command::Config(_) | Command::Completions { .. } => Ok(()),
    }
}

async fn imagediff(ctx: &Ctx, c: ImagediffCommand) -> Result<(), CliError> {
    let asid = ctx.asid()?;
    let (job, wait, info) = match c {
        ImagediffCommand::Create {
            image,
            machine,
            diff,
            wait,
            ..
        } => {
            let req = CreateImageDiff {
                account_service_id: asid,
                image_id: image,
                machine_id: machine,
                diff_id: diff,
            };
            (ctx.client.create_image_diff(&req).await?, wait, false)
        }
        ImagediffCommand::Retry { diff, wait, .. } => {
            let req = RetryImageDiff {
                account_service_id: asid,
                diff_id: diff,
            };
            (ctx.client.retry_image_diff(req).await?, wait, false)
        }
        ImagediffCommand::Status {
            diff, info, wait, ..
        } => {
            if !wait {
                let req = GetImageDiffStatus {
                    account_service_id: asid,
                    diff_id: diff,
                    info,
                };
                let status = ctx.client.image_diff_status(req).await?;
                return ctx.print(&status);
            }
            let waiter = ctx.client.wait_for_diff(asid, diff).info(info);
            let reattach = format!(
                "cfp {}imagediff status --asid {asid} {diff}{} --wait",
                ctx.sim_flag(),
                if info { " --info" } else { "" }
            );
            let done = wait_for(ctx, waiter, reattach, async |_| Vec::new()).await?;
            return ctx.print(&done);
        }
    };
    if !wait {
        return ctx.print(&job);
    }
    let reattach = format!(
        "cfp {}imagediff status --asid {asid} {} --wait",
        ctx.sim_flag(),
        job.diff_id
    );
    let waiter = ctx.client.wait_for_diff(asid, job.diff_id).info(info);
    let done = wait_for(ctx, waiter, reattach, async |_| Vec::new()).await?;
    ctx.print(&done)
}

async fn image(ctx: &Ctx, c: ImageCommand) -> Result<(), CliError> {
    let ImageCommand::Status {
        image,
        detail,
        wait_ready,
        fail_on_failed,
        ..
    } = c;
    let asid = ctx.asid()?;
    if !wait_ready {
        let status = ctx
            .client
            .image_status(GetImageStatus {
                account_service_id: asid,
                image_id: image,
                detail,
            })
            .await?;
        return ctx.print(&status);
    }
    let waiter = ctx
        .client
        .wait_for_rollout(asid, image)
        .detail(detail)
        .fail_on_failed(fail_on_failed);
    let reattach = format!(
        "cfp {}image status --asid {asid} {image}{} --wait-ready{}",
        ctx.sim_flag(),
        if detail { " --detail" } else { "" },
        if fail_on_failed {
            " --fail-on-failed"
        } else {
            ""
        }
    );
    let done = wait_for(ctx, waiter, reattach, async |_| Vec::new()).await?;
    ctx.print(&done)
}

async fn task(ctx: &Ctx, c: TaskCommand) -> Result<(), CliError> {
    match c {
        TaskCommand::Templates => {
            let templates = ctx.client.task_templates().await?;
            ctx.print(&templates)
        }
        TaskCommand::List => {
            let tasks = ctx.client.list_tasks().await?;
            ctx.print(&tasks)
        }
        TaskCommand::Get { task } => ctx.print(&ctx.client.get_task(task).await?),
        TaskCommand::Pause { task } => ctx.print(&ctx.client.pause_task(task).await?),
        TaskCommand::Resume { task } => ctx.print(&ctx.client.resume_task(task).await?),
        TaskCommand::Cancel { task } => ctx.print(&ctx.client.cancel_task(task).await?),
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
            e.to_string(),
            "see `cfp task create --help` for the target flags",
        )
    })?;
    Ok(req)
}

async fn create_batch(ctx: &Ctx, args: TaskCreateArgs) -> Result<(), CliError> {
    let now =
        jiff::Timestamp::try_from(ctx.clock.wall_now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let req = batch_request(&args, now)?;
    let batch = ctx.client.create_task_batch(&req).await?;
    if !args.wait {
        return ctx.print(&batch);
    }
    wait_batch(ctx, batch.id).await
}

async fn batch(ctx: &Ctx, c: BatchCommand) -> Result<(), CliError> {
    match c {
        BatchCommand::List => ctx.print(&ctx.client.list_task_batches().await?),
        BatchCommand::Get { batch, wait: false } => {
            ctx.print(&ctx.client.get_task_batch(batch).await?)
        }
        BatchCommand::Get { batch, wait: true } => wait_batch(ctx, batch).await,
    }
}

async fn wait_batch(ctx: &Ctx, id: TaskBatchId) -> Result<(), CliError> {
    let reattach = format!("cfp {}batch get {id} --wait", ctx.sim_flag());
    let client = ctx.client.clone();
    let done = wait_for(
        ctx,
        ctx.client.wait_for_batch(id),
        reattach,
        async move |b| failed_tasks_of(&client, b).await,
    )
    .await?;
    ctx.print(&done)
}

/// The failed and cancelled tasks of a batch, one line each, for exit 5.
/// Reads the task list (the last 100 tasks) once, then single tasks of the
/// batch that list did not cover, up to a bound.
async fn failed_tasks_of(client: &cfp_api::Client, batch: &TaskBatch) -> Vec<String> {
    const MAX_LISTED: usize = 20;
    let wanted = usize::try_from(
        batch
            .num_tasks_failed
            .saturating_add(batch.num_tasks_cancelled),
    )
    .unwrap_or(usize::MAX);
    let mut failed: Vec<Task> = match client.list_tasks().await {
        Ok(tasks) => tasks
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
        if let Ok(t) = client.get_task(*id).await
            && is_bad(t.result_code)
        {
            failed.push(t);
        }
    }
    let mut lines: Vec<String> = failed
        .iter()
        .take(MAX_LISTED)
        .map(|t| {
            let text = if t.result_text.is_empty() {
                String::new()
            } else {
                format!(" — {}", t.result_text)
            };
            format!(
                "task {} on entity {}: {}{text}",
                t.id, t.entity_id, t.result_code
            )
        })
        .collect();
    if wanted > lines.len() {
        lines.push(format!(
            "… and {} more (cfp task list -o json | jq '.[] | select(.batchId == {})')",
            wanted - lines.len(),
            batch.id
        ));
    }
    lines
}

fn is_bad(code: TaskResultCode) -> bool {
    code.is_failure() || code.is_cancelled()
}

/// Waits with a progress view, `--wait-timeout` and Ctrl-C. On an
/// unsuccessful end the final object is printed (it is the result) and
/// `details` lists what failed.
pub async fn wait_for<T>(
    ctx: &Ctx,
    waiter: Waiter<T>,
    reattach: String,
    details: impl AsyncFnOnce(&T) -> Vec<String>,
) -> Result<T, CliError>
where
    T: Watched + Snapshot + Serialize + Table + Send + 'static,
{
    let ndjson: Option<Box<dyn Write + Send>> = match ctx.format {
        OutputFormat::Ndjson => Some(Box::new(std::io::stdout())),
        _ => None,
    };
    let view = Arc::new(Mutex::new(WaitView::new(ctx.progress_bar, ndjson)));
    let on_progress = {
        let view = view.clone();
        move |p: &cfp_api::waiters::Progress<T>| {
            view.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .update(&p.object);
        }
    };
    let deadline = ctx
        .settings
        .wait_timeout
        .value
        .unwrap_or(crate::config::DEFAULT_WAIT_TIMEOUT);
    let wait = waiter.on_progress(on_progress).wait(deadline);
    let result = tokio::select! {
        r = wait => r,
        _ = tokio::signal::ctrl_c() => {
            view.lock().unwrap_or_else(PoisonError::into_inner).finish();
            return Err(CliError::Interrupted { reattach: Some(reattach) });
        }
    };
    view.lock().unwrap_or_else(PoisonError::into_inner).finish();
    match result {
        Ok(done) => Ok(done),
        Err(WaitError::Unsuccessful { what, reason, last }) => {
            ctx.print(last.as_ref())?;
            Err(CliError::WaitFailed {
                message: format!("{what} ended unsuccessfully: {reason}"),
                details: details(&last).await,
            })
        }
        Err(WaitError::DeadlineExceeded {
            what,
            state,
            waited,
            ..
        }) => Err(CliError::WaitTimeout {
            message: format!(
                "gave up waiting for {what} after {}: last seen {state}",
                human(waited)
            ),
            reattach,
        }),
        Err(WaitError::Api(e)) => Err(CliError::Api(e)),
        Err(other) => Err(CliError::WaitFailed {
            message: other.to_string(),
            details: Vec::new(),
        }),
    }
}

fn human(d: std::time::Duration) -> String {
    jiff::SignedDuration::try_from(d)
        .map(|d| format!("{d:#}"))
        .unwrap_or_else(|_| format!("{d:?}"))
}

/// `cfp config show`.
pub fn config_show(settings: &Settings, format: OutputFormat) -> Result<(), CliError> {
    #[derive(Serialize)]
    struct Row<'a> {
        setting: &'a str,
        value: &'a str,
        source: &'a str,
    }
    let rows = settings.rows();
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_header(["setting", "value", "source"]);
            for (k, v, o) in &rows {
                t.add_row([*k, v.as_str(), o.as_str()]);
            }
            writeln!(out, "{t}")?;
        }
        OutputFormat::Json | OutputFormat::Ndjson => {
            let rows: Vec<Row<'_>> = rows
                .iter()
                .map(|(k, v, o)| Row {
                    setting: k,
                    value: v,
                    source: o,
                })
                .collect();
            if format == OutputFormat::Json {
                serde_json::to_writer_pretty(&mut out, &rows).map_err(std::io::Error::other)?;
                writeln!(out)?;
            } else {
                for r in rows {
                    serde_json::to_writer(&mut out, &r).map_err(std::io::Error::other)?;
                    writeln!(out)?;
                }
            }
        }
    }
    Ok(())
}
