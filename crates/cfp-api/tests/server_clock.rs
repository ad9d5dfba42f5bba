//! Waiters compare server ETAs with the server's clock, estimated from the
//! `Date` of its answers, not with the local clock: a local clock an hour
//! off neither delays the end nor makes the waiter poll in a hurry.

// Test helpers fail loudly: a panic here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cfp_api::model::{AccountServiceId, DiffId, OperationId, Surface};
use cfp_api::{Clock as _, MockResponse, PollPolicy};
use http::HeaderValue;
use http::header::DATE;
use support::*;

const ASID: AccountServiceId = AccountServiceId(1);
const DIFF: DiffId = DiffId(218_595);

/// A 300 s job on a server whose clock is `skew` seconds off the local one
/// (negative: behind); every answer carries the server's `Date`, or none.
/// Returns (polls, seconds from the job's end to noticing it).
async fn skewed_job(skew: i64, with_date: bool) -> (usize, f64) {
    let rig = support::rig();
    let server_now = {
        let clock = rig.clock.clone();
        move || {
            let local = clock.wall_now().duration_since(UNIX_EPOCH).unwrap();
            local.as_secs_f64() + skew as f64
        }
    };
    let start = server_now();
    let eta = start + 300.0;
    let now = server_now.clone();
    rig.mock
        .respond_with(OperationId::GetImageDiffStatus, move |_| {
            let t = now();
            let body = if t >= eta {
                diff_json(5, 100, Some(eta as i64), false)
            } else {
                diff_json(4, ((t - start) / 3.0) as u32, Some(eta as i64), false)
            };
            let date = UNIX_EPOCH + Duration::from_secs_f64(t);
            let response = MockResponse::json(200, body);
            if with_date {
                let value = HeaderValue::from_str(&httpdate::fmt_http_date(date)).unwrap();
                response.header(DATE, value)
            } else {
                response
            }
        });
    let done = rig
        .client
        .clanforge(ASID)
        .wait_for_diff(DIFF)
        .poll_policy(PollPolicy::default())
        .wait(Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(done.job.state().is_success());
    if with_date {
        let clock = rig.client.server_clock(Surface::Clanforge);
        assert!(clock.is_measured());
        let est = clock
            .now_at(rig.clock.wall_now())
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(
            (est - server_now()).abs() <= 1.0,
            "{est} vs {}",
            server_now()
        );
    }
    (
        rig.mock.calls(OperationId::GetImageDiffStatus),
        server_now() - eta,
    )
}

#[tokio::test]
async fn a_server_clock_an_hour_behind_is_followed() {
    let (polls, late) = skewed_job(-3600, true).await;
    assert!((0.0..=1.0).contains(&late), "noticed {late} s late");
    // The first poll, every 30 s (the cap) until the ETA, one after it.
    assert!(polls <= 12, "{polls} polls");
}

#[tokio::test]
async fn a_server_clock_an_hour_ahead_is_followed() {
    let (polls, late) = skewed_job(3600, true).await;
    assert!((0.0..=1.0).contains(&late), "noticed {late} s late");
    assert!(polls <= 12, "{polls} polls");
}

#[tokio::test]
async fn without_a_date_the_local_clock_stands_in() {
    // A server an hour ahead, and no Date to tell: the ETA looks an hour
    // away, so the waiter checks every 30 s and notices the end up to 30 s
    // late — what the Date header fixes.
    let (polls, late) = skewed_job(3600, false).await;
    assert!(late <= 31.0, "noticed {late} s late");
    assert!(polls <= 12, "{polls} polls");
}

#[test]
fn a_client_without_answers_has_the_local_clock() {
    let rig = support::rig();
    let clock = rig.client.server_clock(Surface::Task);
    assert!(!clock.is_measured());
    let now = SystemTime::now();
    assert_eq!(clock.now_at(now), now);
}
