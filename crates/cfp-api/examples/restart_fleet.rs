//! Restart every game server of a fleet and wait for the batch to end.
//!
//! ```sh
//! CFP_TASK_TOKEN=… cargo run -p cfp-api --example restart_fleet -- 2
//! ```
//!
//! (The README shows this code; `cargo test` compiles it, so the two cannot
//! drift apart.)
#![allow(clippy::print_stdout, clippy::print_stderr)] // an example prints

use std::time::Duration;

use cfp_api::Client;
use cfp_api::model::{CreateTaskBatch, FleetId, TaskTemplateId};

async fn restart_fleet(fleet: FleetId) -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?; // the CFP_* variables
    let request = CreateTaskBatch::for_fleet(TaskTemplateId(1), fleet);
    let batch = client.create_task_batch(request).send().await?;
    let done = client
        .wait_for_batch(batch.id)
        .on_progress(|p| eprintln!("{}", p.state))
        .wait(Duration::from_secs(600)) // the deadline is required
        .await?;
    println!("{} tasks ok", done.num_tasks_ok);
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fleet: FleetId = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "1".into())
        .parse()?;
    restart_fleet(fleet).await
}
