//! Decodes one benchmark body many times with one side, for a profiler:
//!
//! ```sh
//! cargo build --release -p cfp-bench --example decode_profile
//! valgrind --tool=callgrind target/release/examples/decode_profile tasks cfp 1000
//! perf record -g target/release/examples/decode_profile image_status plain 200
//! ```
//!
//! Arguments: the body (`image_status`, `tasks`, `diff_job`), the side
//! (`cfp`, `plain`) and how many decodes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a profiling tool

use std::hint::black_box;

use cfp_bench::{payloads, plain};
use cfp_model::{DiffStatus, ImageStatus, Task, clanforge, decode};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (body, side) = (args[0].as_str(), args[1].as_str());
    let n: u32 = args.get(2).map_or(1000, |s| s.parse().expect("a count"));
    let bytes = match body {
        "image_status" => payloads::image_status(payloads::FLEETS, payloads::REGIONS),
        "tasks" => payloads::task_list(payloads::TASKS),
        "diff_job" => payloads::diff_status(),
        other => panic!("unknown body {other}"),
    };
    for _ in 0..n {
        let b = black_box(bytes.as_slice());
        match (body, side) {
            ("image_status", "cfp") => {
                black_box(clanforge::decode_reply::<ImageStatus>(b).unwrap());
            }
            ("image_status", _) => {
                black_box(serde_json::from_slice::<plain::ImageStatus>(b).unwrap());
            }
            ("tasks", "cfp") => {
                black_box(decode::<Vec<Task>>("tasks", b).unwrap());
            }
            ("tasks", _) => {
                black_box(serde_json::from_slice::<Vec<plain::Task>>(b).unwrap());
            }
            (_, "cfp") => {
                black_box(clanforge::decode_reply::<DiffStatus>(b).unwrap());
            }
            _ => {
                black_box(serde_json::from_slice::<plain::DiffStatus>(b).unwrap());
            }
        }
    }
}
