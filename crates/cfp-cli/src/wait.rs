//! Waiting in the CLI: a progress view, `--wait-timeout` and Ctrl-C around
//! one of the SDK's waiters.

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cfp_api::Answer;
use cfp_api::waiters::{Progress, WaitError, Waiter, Watched};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::progress::{Outcome, Snapshot, TICK, WaitView};

/// The longest delay between polls while someone watches the bar.
pub const WATCHED_MAX_DELAY: Duration = Duration::from_secs(10);

/// Moves the view on between polls, for as long as the wait lasts.
async fn tick(view: &Mutex<WaitView>) -> Infallible {
    let mut every = tokio::time::interval(TICK);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        view.lock().unwrap_or_else(PoisonError::into_inner).tick();
    }
}

/// Waits with a progress view, `--wait-timeout` and Ctrl-C. On an
/// unsuccessful end the final object is printed (it is the result) and
/// `details` lists what failed.
pub async fn wait_for<T>(
    ctx: &Ctx,
    waiter: Waiter<T>,
    reattach: String,
    details: impl AsyncFnOnce(&T) -> Vec<String>,
) -> Result<Answer<T>, CliError>
where
    T: Watched + Snapshot + Serialize + Table + Send + 'static,
{
    let ndjson: Option<Box<dyn Write + Send>> = match ctx.format {
        OutputFormat::Ndjson => Some(Box::new(std::io::stdout())),
        _ => None,
    };
    // Lines for a log, unless stdout streams events already.
    let status: Option<Box<dyn Write + Send>> =
        (ctx.status_lines && ndjson.is_none()).then(|| Box::new(std::io::stderr()) as _);
    let view = WaitView::new(ctx.progress_bar, ndjson)
        .with_status_lines(status)
        .with_subject(waiter.subject())
        .with_clock(ctx.clock.clone());
    let view = Arc::new(Mutex::new(view));
    // Someone watches the bar: an ETA can be wrong, so look often enough.
    let waiter = if ctx.progress_bar {
        let policy = waiter.policy();
        waiter.poll_policy(policy.with_max_delay(policy.max_delay.min(WATCHED_MAX_DELAY)))
    } else {
        waiter
    };
    let on_progress = {
        let view = view.clone();
        move |p: &Progress<T>| {
            view.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .observe(Box::new(p.object.value().clone()), p.server_clock);
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
            view.lock().unwrap_or_else(PoisonError::into_inner).result(Outcome::Interrupted);
            return Err(CliError::Interrupted { reattach: Some(reattach) });
        }
        never = tick(&view) => match never {},
    };
    let outcome = match &result {
        Ok(_) => Outcome::Succeeded,
        Err(WaitError::Unsuccessful { .. }) => Outcome::Unsuccessful,
        Err(WaitError::DeadlineExceeded { .. }) => Outcome::TimedOut,
        Err(_) => Outcome::Error,
    };
    view.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .result(outcome);
    match result {
        Ok(done) => Ok(done),
        Err(WaitError::Unsuccessful { what, reason, last }) => {
            ctx.print(last.as_ref())?;
            Err(CliError::WaitFailed {
                message: format!("{what} ended unsuccessfully: {reason}"),
                details: details(&last).await,
            })
        }
        // Its message names the last poll's failure, if the deadline passed
        // during an outage.
        Err(e @ WaitError::DeadlineExceeded { .. }) => Err(CliError::WaitTimeout {
            message: e.to_string(),
            reattach,
        }),
        Err(WaitError::Api(e)) => Err(CliError::Api(e)),
        Err(other) => Err(CliError::WaitFailed {
            message: other.to_string(),
            details: Vec::new(),
        }),
    }
}
