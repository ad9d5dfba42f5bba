//! The bodies the decode benchmark reads, generated deterministically in the
//! wire forms the simulator (and the vendor) uses.
//!
//! - [`image_status`]: image status with `detail=true` over `fleets` fleets
//!   of `regions` regions each; `failed_machines` inside fleets and regions
//!   only when not 0 (the simulator's default form), always at the top.
//! - [`task_list`]: the list-tasks answer, `n` tasks with integer ids and
//!   timestamps, a mix of result codes.
//! - [`diff_status`]: one image diff status answer for a running job, with
//!   `jobstart` as a string (the documented quirk) and an integer `jobeta`.

use std::fmt::Write as _;

/// Fleets in the image status body of the benchmark.
pub const FLEETS: u64 = 1_000;
/// Regions per fleet in the image status body of the benchmark.
pub const REGIONS: u64 = 20;
/// Tasks in the task list body of the benchmark.
pub const TASKS: u64 = 100;

/// The Unix time the bodies' timestamps count from.
const T0: i64 = 1_763_900_000;

/// SplitMix64: a small, fixed sequence of numbers for counts and codes.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Machine counts of one level.
#[derive(Default, Clone, Copy)]
struct Counts {
    pending: u64,
    failed: u64,
    completed: u64,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.pending += o.pending;
        self.failed += o.failed;
        self.completed += o.completed;
    }

    fn write(&self, out: &mut String, with_failed: bool) {
        let _ = write!(out, "\"pending_machines\":{}", self.pending);
        if with_failed {
            let _ = write!(out, ",\"failed_machines\":{}", self.failed);
        }
        let _ = write!(out, ",\"completed_machines\":{}", self.completed);
    }
}

/// Image status with detail: `fleets` fleets (ids 1…) of `regions` regions
/// (ids 1…) each.
pub fn image_status(fleets: u64, regions: u64) -> Vec<u8> {
    let mut mix = Mix(1);
    let mut out = String::with_capacity((fleets * regions * 90) as usize + 128);
    let mut total = Counts::default();
    out.push_str("{\"fleets\":{");
    for f in 1..=fleets {
        if f > 1 {
            out.push(',');
        }
        let _ = write!(out, "\"{f}\":{{\"regions\":{{");
        let mut fleet = Counts::default();
        for r in 1..=regions {
            if r > 1 {
                out.push(',');
            }
            let c = Counts {
                pending: mix.below(40),
                // One region in eight has failed machines.
                failed: if mix.below(8) == 0 {
                    1 + mix.below(3)
                } else {
                    0
                },
                completed: mix.below(200),
            };
            let _ = write!(out, "\"{r}\":{{\"name\":\"Region {r} (bench)\",");
            c.write(&mut out, c.failed > 0);
            out.push('}');
            fleet.add(c);
        }
        out.push_str("},");
        fleet.write(&mut out, fleet.failed > 0);
        out.push('}');
        total.add(fleet);
    }
    out.push_str("},");
    total.write(&mut out, true);
    out.push('}');
    out.into_bytes()
}

/// The list-tasks answer: `n` tasks of a Restart batch in every state.
pub fn task_list(n: u64) -> Vec<u8> {
    let mut mix = Mix(2);
    let mut out = String::with_capacity((n * 260) as usize);
    out.push('[');
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let (code, text) = match mix.below(6) {
            0 => (0, "Pending"),
            1 => (1, "In progress"),
            2 => (2, "Paused"),
            3 => (125, "Cancelled"),
            4 => (126, "Done with error: the game server did not respond"),
            _ => (127, "Done"),
        };
        let execute = T0 + 10 * i as i64;
        let finished = if code >= 125 { execute + 40 } else { 0 };
        let _ = write!(
            out,
            "{{\"id\":{id},\"name\":\"Restart\",\"batchId\":{batch},\"categoryId\":1,\
             \"entityId\":{entity},\"currentActionIdx\":{action},\"executeAt\":{execute},\
             \"lastActivityAt\":{activity},\"finishedAt\":{finished},\"resultCode\":{code},\
             \"resultText\":\"{text}\"}}",
            id = 41_000 + i,
            batch = 900 + i / 25,
            entity = 1 + mix.below(100),
            action = mix.below(2),
            activity = execute + 20,
        );
    }
    out.push(']');
    out.into_bytes()
}

/// One image diff status answer: a running job.
pub fn diff_status() -> Vec<u8> {
    format!(
        "{{\"diffid\":218596,\"jobcreated\":{created},\"jobeta\":{eta},\"jobfailed\":0,\
         \"jobprogress\":42,\"jobstart\":\"{start}\",\"jobstateid\":4,\
         \"jobstatename\":\"Running\",\"jobupdated\":{updated}}}",
        created = T0,
        eta = T0 + 130,
        start = T0 + 10,
        updated = T0 + 60,
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_of_the_announced_size() {
        let status: serde_json::Value = serde_json::from_slice(&image_status(3, 4)).unwrap();
        let fleets = status["fleets"].as_object().unwrap();
        assert_eq!(fleets.len(), 3);
        assert_eq!(fleets["2"]["regions"].as_object().unwrap().len(), 4);
        assert!(status["failed_machines"].is_u64());
        let tasks: serde_json::Value = serde_json::from_slice(&task_list(7)).unwrap();
        assert_eq!(tasks.as_array().unwrap().len(), 7);
        let diff: serde_json::Value = serde_json::from_slice(&diff_status()).unwrap();
        assert!(diff["jobstart"].is_string());
    }

    #[test]
    fn bodies_are_the_same_every_time() {
        assert_eq!(image_status(5, 5), image_status(5, 5));
        assert_eq!(task_list(10), task_list(10));
    }

    #[test]
    fn top_level_counts_are_the_sum_of_the_fleets() {
        let status: serde_json::Value = serde_json::from_slice(&image_status(10, 5)).unwrap();
        let sum: u64 = status["fleets"]
            .as_object()
            .unwrap()
            .values()
            .map(|f| f["pending_machines"].as_u64().unwrap())
            .sum();
        assert_eq!(status["pending_machines"].as_u64().unwrap(), sum);
    }
}
