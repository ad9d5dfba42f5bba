//! `cfp demo`: every operation against the built-in simulator, with
//! progress bars and tables, in well under a minute.

use std::io::Write;
use std::time::Instant;

use std::time::Duration;

use cfp_api::Client;
use cfp_api::model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, DiffId, FleetId, GameId, ImageId,
    MachineId, OperationId, ProfileId, SwitchProfile, TaskTemplateId, UnixTime, UpdateId,
    UpdateUrl, ZStackImageId, ZStackSession,
};
use cfp_api::patch::PatchSpec;

use crate::cli::{DemoArgs, Global, OutputFormat};
use crate::config::Settings;
use crate::context::{Ctx, build_client, progress_bar_wanted, status_lines_wanted};
use crate::error::CliError;
use crate::sim::LocalSim;
use crate::wait::wait_for;

/// The default world's diff that is complete (and so can be retried).
const COMPLETE_DIFF: DiffId = DiffId(218_595);
/// The default world's failed diff that locks image 4.
const FAILED_DIFF: DiffId = DiffId(218_589);
/// The default world's failed update (image 2).
const FAILED_UPDATE: UpdateId = UpdateId(7000);
/// The image `cfp patch` patches in one command (its waiting diff
/// 218590 locks it: the patch rejects it first), on a machine the
/// step-by-step patch does not use, with a build URL of its own.
const PATCHED_IMAGE: ImageId = ImageId(3);
const PATCH_MACHINE: MachineId = MachineId(2);
const PATCH_URL: &str = "s3://builds/demo-server-legacy/";
/// The default world's reservation fleet and its new profile.
const RESERVATION_FLEET: FleetId = FleetId(2);
const NEW_PROFILE: ProfileId = ProfileId(12);
/// The default world's ZStack account.
const ZSTACK_ACCOUNT: (&str, &str) = ("admin", "password");
/// The default world's ZStack image with a suspended upload.
const ZSTACK_IMAGE: &str = "ccf943310d86335bb3d2511ca8e14137";

/// Writes the walkthrough's narration: on stdout beside the tables, on
/// stderr when stdout carries JSON (`-o json`, `-o ndjson`).
struct Demo {
    to_stderr: bool,
}

impl Demo {
    fn say(&self, text: &str) -> Result<(), CliError> {
        let text = crate::shield::for_terminal(text);
        // Prose is filled to the width; a command line is left whole, to be
        // copied.
        let width = crate::output::layout::current().width;
        let text = match width {
            Some(w) if !self.to_stderr => text
                .split('\n')
                .map(|l| {
                    if l.starts_with("$ ") || l.chars().count() <= w {
                        l.to_owned()
                    } else {
                        crate::output::layout::fill(l, w).join("\n")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            _ => text,
        };
        if self.to_stderr {
            writeln!(std::io::stderr().lock(), "{text}")?;
        } else {
            writeln!(std::io::stdout().lock(), "{text}")?;
        }
        Ok(())
    }

    fn section(&self, title: &str) -> Result<(), CliError> {
        self.say(&format!("\n━━ {title} ━━"))
    }

    fn command(&self, line: &str) -> Result<(), CliError> {
        self.say(&format!("\n$ cfp {line}"))
    }
}

/// Runs the walkthrough.
pub async fn run(global: &Global, args: DemoArgs) -> Result<(), CliError> {
    if !args.speed.is_finite() || args.speed <= 0.0 || args.speed > 100_000.0 {
        return Err(CliError::usage(
            format!("--speed {} is not a usable speed", args.speed),
            "give simulated seconds per real second, e.g. --speed 60",
        ));
    }
    let started = Instant::now();
    let sim = LocalSim::start(args.speed).await?;
    let creds = sim.credentials();
    let env = |_: &str| None;
    let (mut settings, _) = Settings::resolve(global, None, &env, true)?;
    settings.use_simulator(
        &sim.base_url(),
        &creds.clanforge_key,
        &creds.clanforge_secret,
        &creds.task_token,
        &creds.zstack_session,
    );
    let clock = sim.clock();
    // Tables unless -o says otherwise (CFP_OUTPUT and profiles are not read:
    // the demo needs no configuration).
    let format = global.output.unwrap_or(OutputFormat::Table);
    // Tables fit the width; times are the simulator's, spans in real time.
    crate::output::layout::set(
        crate::output::layout::View::for_stdout(format == OutputFormat::Wide, clock.clone())
            .scaled(args.speed),
    );
    let ctx = Ctx {
        client: build_client(&settings, clock.clone())?,
        settings,
        format,
        progress_bar: progress_bar_wanted(global),
        status_lines: status_lines_wanted(global),
        verbose: global.verbose > 0,
        clock,
        sim: Some(sim),
    };
    let result = walk(&ctx, args.speed, started).await;
    if let Some(sim) = ctx.sim {
        sim.shutdown().await;
    }
    // Its world ends with it: a re-attach hint says what to run instead.
    result.map_err(CliError::in_local_sim)
}

async fn walk(ctx: &Ctx, speed: f64, started: Instant) -> Result<(), CliError> {
    let d = Demo {
        to_stderr: matches!(ctx.format, OutputFormat::Json | OutputFormat::Ndjson),
    };
    let client = &ctx.client;
    let Some(local) = &ctx.sim else {
        return Err(CliError::Sim("the simulator is not running".into()));
    };
    let sim = local.simulator();
    let asid = AccountServiceId(1);
    let cf = client.clanforge(asid);
    d.say(&format!(
        "cfp demo: a simulated fleet at {} (time runs {speed}× faster).\n\
         Credentials: Clanforge key demo / secret demo, task token demo, ZStack session demo,\n\
         ZStack account admin / password password.\n\
         Each step shows the cfp command that does the same. `cfp --sim …` runs one in a\n\
         fresh world of its own; to run them one after another on one world, start `cfp-sim`\n\
         and point cfp at it (docs/cli.md, \"The simulator across runs\").",
        sim.base_url()
    ))?;

    d.section("Clanforge: patch an image with zero downtime")?;
    let (game, image, machine) = (GameId(1), ImageId(1), MachineId(1));
    d.command("image options --asid 1 --game 1 --image 1   # free? its default update URL")?;
    let options = cf
        .get_image_options()
        .game_id(game)
        .image_id(image)
        .send()
        .await?;
    if let Some(url) = &options.update_url {
        crate::shield::protect_update_url(url);
    }
    ctx.print(&options)?;

    d.command("imageupdate create --asid 1 --image 1 --machine 1 --desc 'release 1.4.2' --wait")?;
    let update = cf
        .create_image_update(image, machine, "release 1.4.2".into())
        .send()
        .await?;
    let reattach = format!(
        "cfp --sim imageupdate status --asid 1 {} --wait",
        update.update_id
    );
    let updated = wait_for(
        ctx,
        cf.wait_for_update(update.update_id),
        reattach,
        async |_| Vec::new(),
    )
    .await?;
    ctx.print(&updated)?;

    d.command(
        "imagediff create --asid 1 --image 1 --machine 1 --wait   # what the update changed",
    )?;
    let job = cf.create_image_diff(image, machine).send().await?;
    let reattach = format!("cfp --sim imagediff status --asid 1 {} --wait", job.diff_id);
    wait_for(ctx, cf.wait_for_diff(job.diff_id), reattach, async |_| {
        Vec::new()
    })
    .await?;
    d.command(&format!("imagediff status --asid 1 {} --info", job.diff_id))?;
    let status = cf
        .get_image_diff_status(job.diff_id)
        .info(true)
        .send()
        .await?;
    ctx.print(&status)?;

    d.command(&format!(
        "imageversion create --asid 1 --diff {} --restart --wait   # accept it: the next version",
        job.diff_id
    ))?;
    let version = cf.create_image_version(job.diff_id, true).send().await?;
    let reattach = format!(
        "cfp --sim imageversion status --asid 1 {} --wait",
        version.version_id
    );
    let built = wait_for(
        ctx,
        cf.wait_for_version(version.version_id),
        reattach,
        async |_| Vec::new(),
    )
    .await?;
    ctx.print(&built)?;

    d.command(&format!(
        "imageinstall status --asid 1 --version {}",
        version.version_id
    ))?;
    let installs = cf.get_image_install_status().send().await?;
    let mine = cfp_api::model::InstallStatus {
        installs: installs.of_version(version.version_id).cloned().collect(),
    };
    ctx.print(&mine)?;

    d.command("image status --asid 1 1 --detail --wait-ready   # gate the release on the rollout")?;
    let reattach = "cfp --sim image status --asid 1 1 --wait-ready".to_owned();
    let ready = wait_for(
        ctx,
        cf.wait_for_rollout(image).detail(true),
        reattach,
        async |_| Vec::new(),
    )
    .await?;
    ctx.print(&ready)?;

    d.section("Clanforge: when a step went wrong")?;
    d.command(&format!(
        "image options --asid 1 --game 1 --image 4   # diff {FAILED_DIFF} failed and locks image 4"
    ))?;
    let locked = cf
        .get_image_options()
        .game_id(game)
        .image_id(ImageId(4))
        .send()
        .await?;
    if let Some(lock) = locked.lock() {
        d.say(&format!("image 4: locked by {lock}"))?;
    }
    d.command(&format!("imagediff reject --asid 1 {FAILED_DIFF}"))?;
    ctx.print(&cf.reject_image_diff(FAILED_DIFF, false).send().await?)?;
    d.command(&format!(
        "imageupdate retry --asid 1 {FAILED_UPDATE}   # its download failed"
    ))?;
    ctx.print(&cf.retry_image_update(FAILED_UPDATE).send().await?)?;
    d.command(&format!(
        "imagediff retry --asid 1 {COMPLETE_DIFF}   # recalculate a diff"
    ))?;
    ctx.print(&cf.retry_image_diff(COMPLETE_DIFF).send().await?)?;

    d.section("Clanforge: move a reservation fleet to the new profile")?;
    d.command(&format!(
        "fleet switch-profile {RESERVATION_FLEET} --profile-id {NEW_PROFILE} --within 2h --max-machines 10 --wait"
    ))?;
    let body = SwitchProfile::new(NEW_PROFILE, Duration::from_secs(2 * 3600)).max_machines(10);
    cf.switch_fleet_profile(RESERVATION_FLEET, body)
        .send()
        .await?;
    let reattach = format!("cfp --sim fleet switch-status {RESERVATION_FLEET} --wait");
    let switched = wait_for(
        ctx,
        cf.wait_for_profile_switch(RESERVATION_FLEET),
        reattach,
        async |_| Vec::new(),
    )
    .await?;
    ctx.print(&switched)?;

    d.section("Task API: restart a fleet, steer a scheduled batch")?;
    d.command("task templates")?;
    ctx.print(&client.list_task_templates().send().await?)?;

    d.command("task create --template 1 --fleet 1 --wait")?;
    let batch = client
        .create_task_batch(CreateTaskBatch::for_fleet(TaskTemplateId(1), FleetId(1)))
        .send()
        .await?;
    let reattach = format!("cfp --sim batch get {} --wait", batch.id);
    match wait_for(ctx, client.wait_for_batch(batch.id), reattach, async |_| {
        Vec::new()
    })
    .await
    {
        Ok(done) => ctx.print(&done)?,
        Err(CliError::WaitFailed { message, .. }) => d.say(&format!("({message})"))?,
        Err(e) => return Err(e),
    }

    d.command("task create --template 2 --instance 5 --instance 6 --at +1h")?;
    let in_an_hour = ctx
        .clock
        .wall_now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs().saturating_add(3600))
        .unwrap_or(0);
    let at = UnixTime::from_secs(i64::try_from(in_an_hour).unwrap_or(i64::MAX))
        .map_err(|e| CliError::Sim(e.to_string()))?;
    let scheduled = client
        .create_task_batch(
            CreateTaskBatch::for_instances(
                TaskTemplateId(2),
                [ApplicationInstanceId(5), ApplicationInstanceId(6)],
            )
            .execute_at(at),
        )
        .send()
        .await?;
    ctx.print(&scheduled)?;
    let (first, second) = match scheduled.task_ids.as_slice() {
        [a, b, ..] => (*a, *b),
        _ => {
            return Err(CliError::Sim(
                "the scheduled batch has fewer than two tasks".into(),
            ));
        }
    };
    d.command(&format!("task pause {first}"))?;
    ctx.print(&client.pause_task(first).await?)?;
    d.command(&format!("task resume {first}"))?;
    ctx.print(&client.resume_task(first).await?)?;
    d.command(&format!("task cancel {second}"))?;
    ctx.print(&client.cancel_task(second).send().await?)?;
    d.command(&format!("task get {first}"))?;
    ctx.print(&client.get_task(first).send().await?)?;
    d.command(&format!("batch get {}", scheduled.id))?;
    ctx.print(&client.get_task_batch(scheduled.id).send().await?)?;
    d.command("task list   (the last 100; the newest 5 shown here)")?;
    let mut tasks = client.list_tasks().send().await?.into_inner();
    // Newest first, whatever order the server lists them in.
    tasks.sort_by_key(|t| std::cmp::Reverse(t.id));
    tasks.truncate(5);
    ctx.print(&tasks)?;
    d.command("batch list")?;
    ctx.print(&client.list_task_batches().send().await?)?;

    d.section("ZStack: log in, resume an image upload, log out")?;
    d.command("zstack login --account admin --password-stdin < password-file")?;
    let (account, password) = ZSTACK_ACCOUNT;
    let login = client.zstack_login(account, password).await?;
    let session = login.inventory.uuid.clone();
    d.say(&format!(
        "export CFP_ZSTACK_SESSION=…   (the session, for `eval`; it expires {})",
        login.inventory.expired_date.as_deref().unwrap_or("-")
    ))?;
    // The upload details are read with the new session, as a shell that
    // ran `eval "$(cfp zstack login …)"` would.
    let zstack = Client::builder()
        .clock(ctx.clock.clone())
        .zstack_url(sim.base_url())
        .zstack_session(session.expose())
        .build()?;
    // This ZStack answers the documented PUT with 405, as ZStack's own source
    // declares the call a GET: cfp falls back to the GET form once.
    sim.world().set_zstack_put_allowed(false);
    d.command(&format!("upload-job {ZSTACK_IMAGE}"))?;
    let image = ZStackImageId::new(ZSTACK_IMAGE).map_err(|e| CliError::Sim(e.to_string()))?;
    ctx.print(&zstack.get_upload_job_details(image).send().await?)?;
    d.command("zstack logout")?;
    let ended = ZStackSession::new(session.expose()).map_err(|e| CliError::Sim(e.to_owned()))?;
    client.log_out(ended).send().await?;
    d.say("the ZStack session is over")?;

    d.section("Finally: the whole patch in one command")?;
    // Image 3 runs on fleet 2, so the rollout gate has machines to wait for.
    sim.world()
        .start_rollout(PATCHED_IMAGE, vec![RESERVATION_FLEET], 0.0);
    d.say(&format!("\n$ export BUILD_URL={PATCH_URL}"))?;
    d.say(&format!(
        "$ cfp patch --asid 1 --image {PATCHED_IMAGE} --machine {PATCH_MACHINE} --url-env BUILD_URL \
         --reject-locking-diff --restart --yes"
    ))?;
    let url: UpdateUrl = PATCH_URL
        .parse()
        .map_err(|e: <UpdateUrl as std::str::FromStr>::Err| CliError::Sim(e.to_string()))?;
    let spec = PatchSpec::new(asid, PATCHED_IMAGE, PATCH_MACHINE, "release 1.4.2 (legacy)")
        .restart(true)
        .reject_locking_diff(true);
    crate::commands::patch::run_in_memory(ctx, spec, url).await?;

    let rest = the_rest(&d, sim).await?;
    summary(ctx, &d, sim, rest, started)
}

/// The operations the story above did not reach (one added to the contract
/// before the story shows it), each sent as the examples table calls it —
/// the table every test suite runs — on a fresh world of their own, so the
/// demo still goes over the whole contract.
async fn the_rest(d: &Demo, story: &cfp_testkit::RunningSimulator) -> Result<Rest, CliError> {
    let reached: Vec<OperationId> = story
        .journal()
        .entries()
        .iter()
        .filter_map(|e| e.operation)
        .collect();
    let missing: Vec<OperationId> = OperationId::ALL
        .into_iter()
        .filter(|op| !reached.contains(op))
        .collect();
    if missing.is_empty() {
        return Ok(Rest::default());
    }
    d.section("The rest of the contract, as the test suites call it")?;
    // A manual clock: the examples' order holds (task 1 is still running
    // when it is paused and cancelled).
    let fresh = LocalSim::start(0.0).await?;
    let creds = fresh.credentials();
    let url = fresh.base_url();
    let client = Client::builder()
        .clock(fresh.clock())
        .clanforge_url(&url)
        .clanforge_credentials(&creds.clanforge_key, &creds.clanforge_secret)
        .task_url(&url)
        .task_token(&creds.task_token)
        .zstack_url(&url)
        .zstack_session(&creds.zstack_session)
        .build()?;
    let mut result = Ok(());
    // In the table's order, all of them: a call may need what an earlier
    // one made.
    for example in cfp_testkit::examples::all() {
        let sent = client.send_any(example.params).await;
        if let Err(e) = sent
            && missing.contains(&example.operation)
        {
            result = Err(e.into());
            break;
        }
    }
    let journal = fresh.simulator().journal();
    let mut rest = Rest {
        statuses: Vec::new(),
        requests: journal.total(),
    };
    for entry in journal.entries() {
        if let Some(op) = entry.operation.filter(|op| missing.contains(op)) {
            d.say(&format!("{op}: {} {}", entry.method, entry.status))?;
            rest.statuses.push((op, entry.status));
        }
    }
    fresh.shutdown().await;
    result.map(|()| rest)
}

/// What [`the_rest`] sent.
#[derive(Debug, Default)]
struct Rest {
    /// The statuses of the operations the story did not reach.
    statuses: Vec<(OperationId, u16)>,
    /// Every request of the examples (those operations need the ones
    /// before them in the table).
    requests: u64,
}

/// One operation's line in the summary.
#[derive(Debug, serde::Serialize)]
struct Covered {
    operation: &'static str,
    method: &'static str,
    path: &'static str,
    requests: usize,
    statuses: Vec<u16>,
}

/// The summary under `-o json` / `-o ndjson`: the last document.
#[derive(Debug, serde::Serialize)]
struct Summary {
    event: &'static str,
    operations: Vec<Covered>,
    covered: usize,
    total: usize,
    requests: u64,
    seconds: f64,
    simulated_time: String,
}

impl crate::output::Table for Summary {
    fn table(&self) -> String {
        use crate::output::layout::{Col, Grid};
        let mut t = Grid::new([
            Col::keep("operation"),
            Col::keep("method").drop(2),
            Col::keep("path").drop(1),
            Col::keep("requests").right(),
            Col::text("statuses"),
        ]);
        for op in &self.operations {
            let statuses: Vec<String> = op.statuses.iter().map(u16::to_string).collect();
            t.row(vec![
                op.operation.into(),
                op.method.into(),
                op.path.into(),
                op.requests.to_string().into(),
                statuses.join(" ").into(),
            ]);
        }
        let sentence = format!(
            "{} of {} operations exercised with {} requests in {} (simulated time: {}).",
            self.covered,
            self.total,
            self.requests,
            crate::output::layout::duration(Duration::from_secs_f64(self.seconds)),
            self.simulated_time,
        );
        // Filled to the width, broken between words only.
        let width = crate::output::layout::current().width.unwrap_or(usize::MAX);
        let lines = crate::output::layout::fill(&sentence, width);
        format!("{}\n{}\n", t.render(), lines.join("\n"))
    }
}

fn summary(
    ctx: &Ctx,
    d: &Demo,
    sim: &cfp_testkit::RunningSimulator,
    rest: Rest,
    started: Instant,
) -> Result<(), CliError> {
    d.section("Summary")?;
    let journal = sim.journal();
    let entries = journal.entries();
    let mut operations = Vec::new();
    for op in OperationId::ALL {
        let spec = op.spec();
        let mine: Vec<u16> = entries
            .iter()
            .filter(|e| e.operation == Some(op))
            .map(|e| e.status)
            .chain(
                rest.statuses
                    .iter()
                    .filter(|(o, _)| *o == op)
                    .map(|(_, s)| *s),
            )
            .collect();
        let mut statuses: Vec<u16> = mine.clone();
        statuses.sort_unstable();
        statuses.dedup();
        operations.push(Covered {
            operation: spec.name,
            method: spec.method.as_str(),
            path: spec.path,
            requests: mine.len(),
            statuses,
        });
    }
    let summary = Summary {
        event: "summary",
        covered: operations.iter().filter(|o| o.requests > 0).count(),
        total: OperationId::ALL.len(),
        operations,
        requests: journal.total() + rest.requests,
        seconds: started.elapsed().as_secs_f64(),
        simulated_time: sim
            .clock()
            .now()
            .round(jiff::Unit::Second)
            .unwrap_or(sim.clock().now())
            .to_string(),
    };
    ctx.print(&summary)?;
    d.say(
        "Next: `cfp --help`, `cfp --sim image status --asid 1 1 --detail` (a fresh world), `cfp-sim` \
         for a world that lasts between runs (docs/cli.md), or point cfp at your fleet (README: \
         Configuration).",
    )
}
