//! Call overhead: image-status calls through cfp-api against raw reqwest +
//! serde_json, both against one `cfp-sim`: instructions per call counted by
//! callgrind (the target), and wall time per call (for information).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::prereq::Tools;
use super::report::{Row, Section, fmt_count, fmt_ns};
use super::stats::{median, ratio};
use super::{Bins, Options, procs};

/// Instructions per cfp call at most this many times a raw call's.
const TARGET: f64 = 1.10;
const TEXT: &str = include_str!("text/calls.md");

/// The function of `cfp-bench` that makes the counted calls, and nothing
/// else (`crates/cfp-bench/src/calls.rs`).
const MEASURED_FN: &str = "cfp_bench::calls::measured_calls";

/// `cfp-sim`'s options besides the address.
const SIM_OPTIONS: [&str; 2] = ["--speed", "0"];

/// Calls counted per side under callgrind, after the warm-up.
const COUNTED_CALLS: u32 = 2_000;
/// Calls per side before counting (connection, pool, first-use costs).
const COUNT_WARMUP: u32 = 200;
/// Callgrind runs per side.
const COUNT_RUNS: u32 = 2;

pub(crate) fn run(opts: &Options, bins: &Bins, tools: &Tools) -> Section {
    let (method, notes) = super::split_text(TEXT);
    let mut section = Section {
        title: "Call overhead".into(),
        method,
        notes,
        ..Section::default()
    };
    if let Err(e) = measure(opts, bins, tools, &mut section) {
        section.error = Some(e);
    }
    section
}

fn measure(
    opts: &Options,
    bins: &Bins,
    tools: &Tools,
    section: &mut Section,
) -> Result<(), String> {
    // A stopped clock: the image's state, and so the answer's bytes, stay
    // the same for every call and every run.
    let sim = procs::Sim::start_with(&bins.sim, &SIM_OPTIONS)?;
    section.commands.push(format!(
        "{} --addr 127.0.0.1:0 {} &",
        bins.sim.display(),
        SIM_OPTIONS.join(" ")
    ));
    let counted = count(opts, bins, tools, &sim.base_url, section);
    let timed = time(opts, bins, &sim.base_url, section);
    sim.stop();
    let details: Vec<&str> = [&counted, &timed]
        .into_iter()
        .filter_map(|r| r.as_deref().ok())
        .collect();
    section.details = details.join("\n\n");
    counted.and(timed).map(drop)
}

/// Instructions per call of each side, under callgrind, each side counted
/// [`COUNT_RUNS`] times (the counts repeat; the details show how closely).
fn count(
    opts: &Options,
    bins: &Bins,
    tools: &Tools,
    base_url: &str,
    section: &mut Section,
) -> Result<String, String> {
    let calls = if opts.quick { 500 } else { COUNTED_CALLS };
    let mut per_call = Vec::new();
    let mut runs = Vec::new();
    for side in ["cfp", "raw"] {
        let out = std::env::temp_dir().join(format!(
            "cfp-bench-callgrind-{side}-{}.out",
            std::process::id()
        ));
        let mut cmd = Command::new(&tools.valgrind);
        cmd.arg("--tool=callgrind")
            .arg(format!("--toggle-collect={MEASURED_FN}"))
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&bins.bench)
            .args(["calls", "--base-url", base_url, "--side", side])
            .args(["--calls", &calls.to_string()])
            .args(["--warmup", &COUNT_WARMUP.to_string()]);
        section
            .commands
            .push(format!("{}   # {COUNT_RUNS} times", procs::shown(&cmd)));
        let mut counts = Vec::new();
        for run in 1..=COUNT_RUNS {
            crate::say(&format!(
                "bench: call overhead, instructions of {calls} {side} calls (callgrind, run {run} of {COUNT_RUNS})"
            ));
            let counted = procs::output(&mut cmd).and_then(|_| instructions(&out));
            let _ = std::fs::remove_file(&out);
            counts.push(counted?);
        }
        let all: Vec<String> = counts.iter().map(|n| fmt_count(*n)).collect();
        runs.push(format!("{side} {}", all.join(" and ")));
        let mid = median(&counts).ok_or("no instruction count")?;
        per_call.push(mid / f64::from(calls));
    }
    let (cfp, raw) = (per_call[0], per_call[1]);
    section.rows.push(Row::at_most(
        format!(
            "Call overhead: instructions per image-status call (callgrind, client process, {} calls)",
            fmt_count(f64::from(calls))
        ),
        fmt_count(cfp),
        fmt_count(raw),
        ratio(cfp, raw),
        TARGET,
    ));
    Ok(format!(
        "Instructions counted in all {} calls of each run (callgrind's totals): {}.",
        fmt_count(f64::from(calls)),
        runs.join("; ")
    ))
}

/// The instructions a callgrind output file counted: its `totals:` (or
/// `summary:`) line, whose first figure is `Ir`.
fn instructions(path: &Path) -> Result<f64, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_totals(&text).ok_or_else(|| format!("no totals in {}", path.display()))
}

fn parse_totals(text: &str) -> Option<f64> {
    let events_are_ir = text
        .lines()
        .find_map(|l| l.strip_prefix("events:"))
        .is_some_and(|e| e.split_whitespace().next() == Some("Ir"));
    if !events_are_ir {
        return None;
    }
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|n| n as f64)
}

/// Wall time per call of each side, in alternating blocks.
fn time(
    opts: &Options,
    bins: &Bins,
    base_url: &str,
    section: &mut Section,
) -> Result<String, String> {
    let rounds = if opts.quick { 2 } else { 5 };
    let mut cmd = Command::new(&bins.bench);
    cmd.args([
        "calls",
        "--base-url",
        base_url,
        "--calls",
        "20000",
        "--warmup",
        "2000",
        "--rounds",
        &rounds.to_string(),
        "--blocks",
        "20",
    ]);
    section.commands.push(procs::shown(&cmd));
    crate::say(&format!(
        "bench: call overhead, {rounds} rounds of 20,000 calls per side"
    ));
    let v: Value = serde_json::from_str(&procs::output(&mut cmd)?)
        .map_err(|e| format!("cfp-bench calls: {e}"))?;
    let list = |k: &str| -> Vec<f64> {
        v[k].as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let (cfp, raw) = (list("cfp_ns_per_call"), list("raw_ns_per_call"));
    let raw_t = list("raw_timeout_ns_per_call");
    let (c, r, rt) = (median(&cfp), median(&raw), median(&raw_t));
    section.rows.push(Row::info(
        "Call overhead: wall time of 20,000 sequential image-status calls (median of rounds, per call)",
        fmt_ns(c),
        fmt_ns(r),
        c.zip(r).and_then(|(c, r)| ratio(c, r)),
    ));
    section.rows.push(Row::info(
        "Call overhead: the same, against raw calls each in `tokio::time::timeout` (as cfp's per-attempt timeout)",
        fmt_ns(c),
        fmt_ns(rt),
        c.zip(rt).and_then(|(c, r)| ratio(c, r)),
    ));
    let rounds: Vec<String> = cfp
        .iter()
        .zip(&raw)
        .map(|(c, r)| {
            format!(
                "{} / {} ({})",
                fmt_ns(Some(*c)),
                fmt_ns(Some(*r)),
                super::report::fmt_ratio(ratio(*c, *r))
            )
        })
        .collect();
    let timeouts: Vec<String> = raw_t.iter().map(|t| fmt_ns(Some(*t))).collect();
    Ok(format!(
        "Wall time per round (mean time per call, cfp / raw): {}. Raw with a per-call \
         timeout, per round: {}.",
        rounds.join("; "),
        timeouts.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callgrind_totals_are_read() {
        let out = "# callgrind format\nversion: 1\ncmd: cfp-bench calls\n\
                   events: Ir\n\nfn=(1) main\n3 10\n\ntotals: 187654321\n";
        assert_eq!(parse_totals(out), Some(187_654_321.0));
        let summary = "events: Ir\nsummary: 42\n";
        assert_eq!(parse_totals(summary), Some(42.0));
        assert_eq!(parse_totals("events: Ir\n"), None);
        // Another first event would not be instructions.
        assert_eq!(parse_totals("events: Dr Ir\ntotals: 5 6\n"), None);
    }
}
