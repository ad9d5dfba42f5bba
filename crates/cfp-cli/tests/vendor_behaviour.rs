//! The vendors' real behaviour, end to end through `cfp`: what the
//! services answer where their pages say otherwise (ZStack's plain-text
//! header refusals and 503 error chains, i3D's `204 No Content` DELETE) and
//! a cancel whose first answer was lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::io::{Read as _, Write as _};

use cfp_api::model::OperationId;
use cfp_testkit::world::World;
use cfp_testkit::{ClockMode, Fault, FaultRule};
use support::*;

/// A server that answers every request with ZStack's refusal of a missing
/// `Authorization` header: a plain-text 400 (ZStack's RestServer writes it
/// before the API runs). Returns its base URL.
fn plain_400_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            let body = "missing header 'Authorization'";
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_plain_text_400_about_the_authorization_header_is_a_credentials_failure() {
    let s = Sim::fast();
    let out = run(s
        .cfp()
        .env("CFP_ZSTACK_URL", plain_400_server())
        .args(["upload-job", "ccf943310d86335bb3d2511ca8e14137"]));
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "{err}");
    assert!(err.contains("missing header 'Authorization'"), "{err}");
    assert!(err.contains("cfp: hint: "), "{err}");
    assert!(!err.contains(SESSION), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_zstack_failure_prints_its_whole_chain_once_and_exits_1() {
    let s = Sim::fast();
    let out = run(s
        .cfp()
        .args(["upload-job", "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"]));
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    // The error, its cause (sent as `cause` and again first in `causes`,
    // written once) and the next cause.
    assert!(err.contains("SYS.1001"), "{err}");
    assert_eq!(err.matches("is disconnected").count(), 1, "{err}");
    assert!(err.contains("HOST.1001"), "{err}");
    // A final answer: sent once, not retried.
    assert_eq!(s.sim().journal().count(OperationId::GetUploadJobDetails), 1);
}

#[test]
fn an_upload_id_without_jobs_is_no_upload_jobs_and_exit_0() {
    let s = Sim::fast();
    let out = run(s.cfp().args([
        "-o",
        "table",
        "upload-job",
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("no upload jobs"), "{}", stdout(&out));
}

#[test]
fn a_cancel_answered_204_no_content_reads_the_task_once_and_reports_it() {
    let s = Sim::with(
        ClockMode::Manual,
        World::default().cancel_answers_no_content(true),
    );
    let out = run(s.cfp().args([
        "task",
        "create",
        "--template",
        "2",
        "--instance",
        "5",
        "--at",
        "+1h",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let task = stdout_json(&out)["taskIds"][0].to_string();
    let gets = s.sim().journal().count(OperationId::GetTask);
    let out = run(s.cfp().args(["task", "cancel", &task]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let cancelled = stdout_json(&out);
    assert_eq!(cancelled["resultCode"], 125, "{cancelled}");
    assert_eq!(s.sim().journal().count(OperationId::CancelTask), 1);
    assert_eq!(
        s.sim().journal().count(OperationId::GetTask),
        gets + 1,
        "read once after the empty answer"
    );
}

#[test]
fn a_cancel_whose_answer_was_lost_then_409_is_a_success_once_the_task_reads_cancelled() {
    let s = Sim::start(ClockMode::Manual);
    let out = run(s.cfp().args([
        "task",
        "create",
        "--template",
        "2",
        "--instance",
        "5",
        "--at",
        "+1h",
    ]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let task = stdout_json(&out)["taskIds"][0].to_string();
    // The first DELETE is carried out and its connection reset: the retry
    // finds the task cancelled already (409).
    s.sim().faults().add(
        FaultRule::new(Fault::ConnectionReset)
            .operation(OperationId::CancelTask)
            .times(1),
    );
    let out = run(s.cfp().args(["task", "cancel", &task]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout_json(&out)["resultCode"], 125);
    let statuses: Vec<u16> = s
        .sim()
        .journal()
        .entries_for(OperationId::CancelTask)
        .iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert_eq!(statuses[1], 409, "{statuses:?}");
}
