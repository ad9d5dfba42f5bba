//! Waiting in the CLI: a progress view, `--wait-timeout` and Ctrl-C around
//! one of the SDK's waiters.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use cfp_api::Answer;
use cfp_api::waiters::{Progress, WaitError, Waiter, Watched};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::progress::{Snapshot, WaitView};

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
    let view = Arc::new(Mutex::new(WaitView::new(ctx.progress_bar, ndjson)));
    let on_progress = {
        let view = view.clone();
        move |p: &Progress<T>| {
            view.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .update(&*p.object);
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
