//! Decoding: cfp-model against plain `#[derive(Deserialize)]` structs with
//! serde_json, on the same bytes (see `cfp_bench::plain` for exactly what
//! the baseline decodes).
//!
//! | group | body | cfp | plain |
//! |---|---|---|---|
//! | `image_status` | image status with detail, 1,000 fleets × 20 regions | `clanforge::decode_reply::<ImageStatus>` | `from_slice::<plain::ImageStatus>` |
//! | `tasks` | the list-tasks answer, 100 tasks | `decode::<Vec<Task>>` | `from_slice::<Vec<plain::Task>>` |
//! | `diff_job` | one image diff status answer | `clanforge::decode_reply::<DiffStatus>` | `from_slice::<plain::DiffStatus>` |
//!
//! Each is exactly what cfp-api runs on a 2xx answer. `CFP_BENCH_ORDER=plain`
//! registers the baseline first (`cargo xtask bench` alternates the order
//! between rounds).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failed decode should stop it

use std::hint::black_box;

use cfp_bench::{payloads, plain};
use cfp_model::{DiffStatus, ImageStatus, Task, clanforge, decode};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// How one side decodes a body.
type Decoder = fn(&[u8]);

/// One comparison: a body, and how each side decodes it.
struct Case {
    group: &'static str,
    body: Vec<u8>,
    cfp: Decoder,
    plain: Decoder,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            group: "image_status",
            body: payloads::image_status(payloads::FLEETS, payloads::REGIONS),
            cfp: |b| {
                black_box(clanforge::decode_reply::<ImageStatus>(b).unwrap());
            },
            plain: |b| {
                black_box(serde_json::from_slice::<plain::ImageStatus>(b).unwrap());
            },
        },
        Case {
            group: "tasks",
            body: payloads::task_list(payloads::TASKS),
            cfp: |b| {
                black_box(decode::<Vec<Task>>("tasks", b).unwrap());
            },
            plain: |b| {
                black_box(serde_json::from_slice::<Vec<plain::Task>>(b).unwrap());
            },
        },
        Case {
            group: "diff_job",
            body: payloads::diff_status(),
            cfp: |b| {
                black_box(clanforge::decode_reply::<DiffStatus>(b).unwrap());
            },
            plain: |b| {
                black_box(serde_json::from_slice::<plain::DiffStatus>(b).unwrap());
            },
        },
    ]
}

fn decoding(c: &mut Criterion) {
    let plain_first = std::env::var("CFP_BENCH_ORDER").is_ok_and(|v| v == "plain");
    for case in cases() {
        let mut group = c.benchmark_group(case.group);
        group.throughput(Throughput::Bytes(case.body.len() as u64));
        let sides: [(&str, Decoder); 2] = if plain_first {
            [("plain", case.plain), ("cfp", case.cfp)]
        } else {
            [("cfp", case.cfp), ("plain", case.plain)]
        };
        for (name, decode) in sides {
            let body = case.body.as_slice();
            group.bench_function(name, |b| b.iter(|| decode(black_box(body))));
        }
        group.finish();
    }
}

criterion_group!(benches, decoding);
criterion_main!(benches);
