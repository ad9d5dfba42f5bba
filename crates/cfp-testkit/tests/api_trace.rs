//! Secret hygiene through the whole stack: every operation of the contract
//! (its example from `cfp_testkit::examples`), the composite methods, every
//! waiter and every kind of failure, against the simulator over the real
//! reqwest transport, with a TRACE-level subscriber capturing everything;
//! then the `Debug` of every configuration, client, transport, simulator,
//! journal entry and error. No credential, nor base64 of key:secret, may
//! appear.
//!
//! Alone in its test binary, with a global subscriber installed first:
//! `tracing` caches per-callsite interest process-wide, so a test without a
//! subscriber running in parallel could hide callsites from this one.

// Test code: a panic is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api_support;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cfp_api::model::{
    AccountServiceId, ApplicationInstanceId, CreateTaskBatch, DiffId, FleetId, ImageId, MachineId,
    OperationId, TaskBatchId, TaskId, TaskTemplateId, ZStackImageId,
};
use cfp_api::params::GetUploadJobDetailsParams;
use cfp_api::{Call, Client, Error, ReqwestTransport, RetryPolicy, Timeouts};
use cfp_testkit::examples;
use cfp_testkit::world::{DEMO_ZSTACK_FAILING_IMAGE, DEMO_ZSTACK_IMAGE};
use cfp_testkit::{ClockMode, Fault, FaultRule, RetryAfter, SimTime};
use tracing_subscriber::fmt::format::FmtSpan;

use api_support::{TOKEN, assert_no_secret, client_for, quick_timeouts, sim_builder};

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const ASID: AccountServiceId = AccountServiceId(1);

fn upload(client: &Client, image: &str) -> Call<GetUploadJobDetailsParams> {
    client.get_upload_job_details(ZStackImageId::new(image).unwrap())
}

/// Every operation once with its example, in the contract's order (each
/// succeeds against the fresh default world), then the composite methods:
/// pause and resume over the toggle, and the ZStack `GET` form after the
/// `PUT` is refused with 405.
async fn every_method(client: &Client, sim: &cfp_testkit::RunningSimulator) {
    for example in examples::all() {
        client
            .send_any(example.params.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", example.name()));
    }
    let batch = client
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(2)],
        ))
        .send()
        .await
        .unwrap();
    client.pause_task(batch.task_ids[0]).await.unwrap();
    client.resume_task(batch.task_ids[0]).await.unwrap();
    sim.world().set_zstack_put_allowed(false);
    upload(client, DEMO_ZSTACK_IMAGE)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sim.world().set_zstack_put_allowed(true);
}

/// Every kind of failure; returns the errors.
async fn every_failure(client: &Client, sim: &cfp_testkit::RunningSimulator) -> Vec<Error> {
    let mut errors = Vec::new();
    let faults = sim.faults();
    let op = |f: Fault, op: OperationId, times: u64| FaultRule::new(f).operation(op).times(times);
    faults.add(op(Fault::Status { status: 500 }, OperationId::ListTasks, 1));
    errors.push(client.list_tasks().send().await.map(drop).unwrap_err());
    faults.add(op(
        Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(60),
        },
        OperationId::ListTaskTemplates,
        1,
    ));
    errors.push(
        client
            .list_task_templates()
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    faults.add(op(
        Fault::HtmlErrorPage { status: 502 },
        OperationId::ListTaskBatches,
        4,
    ));
    errors.push(
        client
            .list_task_batches()
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    faults.add(op(Fault::ConnectionReset, OperationId::CreateTaskBatch, 1));
    errors.push(
        client
            .create_task_batch(CreateTaskBatch::for_fleet(TaskTemplateId(2), FleetId(2)))
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    faults.add(op(Fault::TruncatedJson, OperationId::GetImageStatus, 1));
    errors.push(
        client
            .clanforge(ASID)
            .get_image_status(ImageId(1))
            .detail(false)
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    faults.add(op(
        Fault::SlowBody { millis: 1_000 },
        OperationId::CreateImageDiff,
        1,
    ));
    errors.push(
        client
            .clanforge(ASID)
            .create_image_diff(ImageId(2), MachineId(4))
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    // Not found, on each surface; a service error in a 200 body.
    errors.push(
        client
            .get_task(TaskId(99_999))
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    errors.push(
        client
            .get_task_batch(TaskBatchId(99_999))
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    errors.push(
        client
            .clanforge(ASID)
            .get_image_diff_status(DiffId(99_999))
            .info(false)
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    errors.push(
        upload(client, DEMO_ZSTACK_FAILING_IMAGE)
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    // Invalid input; a task state conflict.
    errors.push(
        client
            .create_task_batch(CreateTaskBatch::for_instances(TaskTemplateId(1), []))
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    let b = client
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(40)],
        ))
        .send()
        .await
        .unwrap();
    client.cancel_task(b.task_ids[0]).send().await.unwrap();
    errors.push(
        client
            .pause_task(b.task_ids[0])
            .await
            .map(drop)
            .unwrap_err(),
    );
    errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_of_every_method_and_failure_and_every_debug_print_hold_no_secret() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::FULL)
            .with_ansi(false)
            .with_writer(capture.clone())
            .finish(),
    )
    .unwrap();

    let sim = sim_builder().start().await.unwrap();
    let builder = client_for(&sim.base_url()).timeouts(quick_timeouts());
    let mut shown = vec![format!("{builder:?}"), format!("{builder:#?}")];
    let client = builder.build().unwrap();
    shown.push(format!("{client:?} {client:#?}"));

    every_method(&client, &sim).await;
    let mut errors = every_failure(&client, &sim).await;

    // Refused credentials on every surface (obviously fake too).
    let wrong = client_for(&sim.base_url())
        .clanforge_credentials("wrong-key-DO-NOT-USE", "wrong-secret-DO-NOT-USE")
        .task_token("wrong-token-DO-NOT-USE")
        .zstack_session("wrong-session-DO-NOT-USE")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    errors.push(wrong.list_tasks().send().await.map(drop).unwrap_err());
    errors.push(
        wrong
            .clanforge(ASID)
            .get_image_status(ImageId(1))
            .detail(false)
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );
    errors.push(
        upload(&wrong, DEMO_ZSTACK_IMAGE)
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );

    // A credential that cannot be sent (a newline in the token).
    errors.push(
        client_for(&sim.base_url())
            .task_token(format!("{TOKEN}\n"))
            .build()
            .unwrap_err(),
    );

    // HTTPS without the CA; a refused connection.
    let tls = sim_builder().tls(true).start().await.unwrap();
    let untrusting = client_for(&tls.base_url())
        .timeouts(quick_timeouts())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    errors.push(untrusting.list_tasks().send().await.map(drop).unwrap_err());
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let refused = client_for(&format!("http://{closed}"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    errors.push(
        refused
            .get_task(TaskId(1))
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    );

    // Every waiter, to its end, on a scaled simulator.
    let fast = sim_builder()
        .clock(ClockMode::Scaled(100.0))
        .start()
        .await
        .unwrap();
    let waiting = client_for(&fast.base_url())
        .clock(Arc::new(SimTime::new(fast.clock().clone())))
        .timeouts(
            Timeouts::default()
                .with_attempt(Duration::from_secs(100))
                .with_total(Duration::from_secs(400)),
        )
        .build()
        .unwrap();
    let deadline = Duration::from_secs(3600);
    let job = waiting
        .clanforge(ASID)
        .create_image_diff(ImageId(1), MachineId(3))
        .send()
        .await
        .unwrap();
    let diff = waiting
        .clanforge(ASID)
        .wait_for_diff(job.diff_id)
        .wait(deadline)
        .await;
    let b = waiting
        .create_task_batch(CreateTaskBatch::for_instances(
            TaskTemplateId(2),
            [ApplicationInstanceId(5)],
        ))
        .send()
        .await
        .unwrap();
    let task = waiting.wait_for_task(b.task_ids[0]).wait(deadline).await;
    let batch = waiting.wait_for_batch(b.id).wait(deadline).await;
    let rollout = waiting
        .clanforge(ASID)
        .wait_for_rollout(ImageId(1))
        .fail_on_failed(true)
        .wait(deadline)
        .await;
    let short = waiting
        .clanforge(ASID)
        .wait_for_diff(DiffId(99_999))
        .wait(Duration::from_secs(1))
        .await;
    shown.push(format!("{diff:?} {task:?} {batch:?} {rollout:?} {short:?}"));
    if let Err(e) = &rollout {
        shown.push(e.to_string());
    }

    for e in &errors {
        tracing::error!(error = %e, debug = ?e, "reported");
        shown.push(format!("{e} {e:?} {e:#?}"));
    }
    let kinds: std::collections::BTreeSet<String> = errors
        .iter()
        .map(|e| {
            format!("{e:?}")
                .split([' ', '{'])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    for kind in [
        "Config",
        "InvalidInput",
        "Transport",
        "Http",
        "Service",
        "Decode",
        "TaskState",
    ] {
        assert!(kinds.contains(kind), "no {kind} error met: {kinds:?}");
    }

    // The rest of the stack's Debug: transport, simulator, its journal.
    shown.push(format!("{:?}", ReqwestTransport::new().unwrap()));
    shown.push(format!("{sim:?} {:?}", sim.credentials()));
    shown.push(format!("{:?}", sim.journal().entries()));
    shown.push(sim.journal().to_ndjson(None, 0));

    let text = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(text.contains("TRACE"), "not a TRACE capture");
    for op in OperationId::ALL {
        assert!(
            text.contains(&format!("operation=\"{}\"", op.name())),
            "{op} never traced"
        );
    }
    assert_no_secret("the TRACE capture", &text);
    for s in &shown {
        assert_no_secret("a Debug or Display", s);
    }
}
