//! Decode: cfp-model against plain serde structs, with criterion
//! (`crates/cfp-bench/benches/decode.rs`), several rounds alternating which
//! side goes first.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::report::{Row, Section, fmt_ns};
use super::stats::{median, ratio};
use super::{Options, procs};

/// The three bodies: criterion group, and how the report names it.
const GROUPS: [(&str, &str); 3] = [
    (
        "image_status",
        "Decode: image status with detail, 1,000 fleets × 20 regions",
    ),
    ("tasks", "Decode: 100 tasks (list tasks)"),
    ("diff_job", "Decode: one diff job (image diff status)"),
];

const TARGET: f64 = 1.15;
const TEXT: &str = include_str!("text/decode.md");

pub(crate) fn run(opts: &Options, target_dir: &Path) -> Section {
    let (method, notes) = super::split_text(TEXT);
    let mut section = Section {
        title: "Decode".into(),
        method,
        notes,
        ..Section::default()
    };
    let home = target_dir.join("bench").join("criterion");
    let (warm, measure, rounds) = if opts.quick { (1, 2, 1) } else { (2, 5, 3) };
    let mut cfp: Vec<Vec<f64>> = vec![Vec::new(); GROUPS.len()];
    let mut plain: Vec<Vec<f64>> = vec![Vec::new(); GROUPS.len()];
    let mut sizes = vec![None; GROUPS.len()];
    for round in 0..rounds {
        let order = if round % 2 == 0 { "cfp" } else { "plain" };
        crate::say(&format!(
            "bench: decode round {}/{rounds} ({order} first)",
            round + 1
        ));
        let mut cmd = Command::new("cargo");
        cmd.args([
            "bench",
            "-p",
            "cfp-bench",
            "--bench",
            "decode",
            "--",
            "--warm-up-time",
            &warm.to_string(),
            "--measurement-time",
            &measure.to_string(),
            "--noplot",
        ])
        .env("CRITERION_HOME", &home)
        .env("CFP_BENCH_ORDER", order)
        .current_dir(crate::root());
        let shown = format!(
            "CRITERION_HOME={} CFP_BENCH_ORDER={order} {}",
            home.display(),
            procs::shown(&cmd)
        );
        if round < 2 {
            section.commands.push(shown);
        }
        if let Err(e) = procs::output(&mut cmd) {
            section.error = Some(e);
            return section;
        }
        for (i, (group, _)) in GROUPS.iter().enumerate() {
            match (
                estimate(&home, group, "cfp"),
                estimate(&home, group, "plain"),
            ) {
                (Ok(c), Ok(p)) => {
                    cfp[i].push(c);
                    plain[i].push(p);
                }
                (Err(e), _) | (_, Err(e)) => {
                    section.error = Some(e);
                    return section;
                }
            }
            sizes[i] = body_size(&home, group);
        }
    }
    let mut details = String::from(
        "Per round (criterion's median time per decode, cfp / plain):\n\n\
         | body | size | rounds |\n|---|---|---|\n",
    );
    for (i, (_, name)) in GROUPS.iter().enumerate() {
        let (c, p) = (median(&cfp[i]), median(&plain[i]));
        section.rows.push(Row::at_most(
            *name,
            fmt_ns(c),
            fmt_ns(p),
            c.zip(p).and_then(|(c, p)| ratio(c, p)),
            TARGET,
        ));
        let per_round: Vec<String> = cfp[i]
            .iter()
            .zip(&plain[i])
            .map(|(c, p)| format!("{} / {}", fmt_ns(Some(*c)), fmt_ns(Some(*p))))
            .collect();
        details.push_str(&format!(
            "| {} | {} | {} |\n",
            name.trim_start_matches("Decode: "),
            sizes[i].map_or_else(|| "?".into(), |b: u64| format!("{b} bytes")),
            per_round.join("; ")
        ));
    }
    section.details = details;
    section
}

fn bench_dir(home: &Path, group: &str, side: &str) -> PathBuf {
    home.join(group).join(side).join("new")
}

/// Criterion's median estimate (nanoseconds per iteration) of the last run.
fn estimate(home: &Path, group: &str, side: &str) -> Result<f64, String> {
    let path = bench_dir(home, group, side).join("estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median estimate", path.display()))
}

/// The body size criterion recorded as the throughput.
fn body_size(home: &Path, group: &str) -> Option<u64> {
    let text =
        std::fs::read_to_string(bench_dir(home, group, "cfp").join("benchmark.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["throughput"]["Bytes"].as_u64()
}
