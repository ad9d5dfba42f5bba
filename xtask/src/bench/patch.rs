//! A whole zero-downtime patch: `cfp_api::patch::Patch` against the public
//! deploy script's request pattern (every status once a second), each on a
//! fresh scaled-time simulator with the same seed.

use std::process::Command;

use serde_json::Value;

use super::report::{Row, Section, fmt_count};
use super::stats::{max, median, ratio};
use super::{Bins, Options, procs};

const SPEED: &str = "20";
const MIN_FEWER: f64 = 10.0;
const MAX_LATE_MS: f64 = 1000.0;
const TEXT: &str = include_str!("text/patch.md");
/// The seeds of the rounds: different jobs' durations and failures.
const SEEDS: [u64; 3] = [1, 2, 3];

/// One side's run.
struct Run {
    seed: u64,
    requests: f64,
    by_operation: Vec<(String, u64)>,
    /// `(stage, ms)`, cfp only.
    late: Vec<(String, f64)>,
    simulated: f64,
}

pub(crate) fn run(opts: &Options, bins: &Bins) -> Section {
    let (method, notes) = super::split_text(TEXT);
    let mut section = Section {
        title: "A whole patch".into(),
        method,
        notes,
        ..Section::default()
    };
    if let Err(e) = measure(opts, bins, &mut section) {
        section.error = Some(e);
    }
    section
}

fn one(bins: &Bins, side: &str, seed: u64, section: &mut Section) -> Result<Run, String> {
    let mut cmd = Command::new(&bins.bench);
    cmd.args(["patch", "--side", side, "--speed", SPEED, "--seed"])
        .arg(seed.to_string());
    if seed == SEEDS[0] {
        section.commands.push(procs::shown(&cmd));
    }
    crate::say(&format!("bench: patch, seed {seed}: {side}"));
    let v: Value = serde_json::from_str(&procs::output(&mut cmd)?)
        .map_err(|e| format!("cfp-bench patch: {e}"))?;
    let pairs = |key: &str| -> Vec<(String, f64)> {
        v[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_f64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Run {
        seed,
        requests: v["requests"].as_f64().unwrap_or(f64::NAN),
        by_operation: pairs("by_operation")
            .into_iter()
            .map(|(op, n)| (op, n as u64))
            .collect(),
        late: pairs("lateness_ms"),
        simulated: v["simulated_seconds"].as_f64().unwrap_or(f64::NAN),
    })
}

fn measure(opts: &Options, bins: &Bins, section: &mut Section) -> Result<(), String> {
    let seeds = if opts.quick { &SEEDS[..1] } else { &SEEDS[..] };
    let (mut cfp, mut script) = (Vec::new(), Vec::new());
    for (i, &seed) in seeds.iter().enumerate() {
        // Alternate which side goes first.
        if i % 2 == 0 {
            cfp.push(one(bins, "cfp", seed, section)?);
            script.push(one(bins, "script", seed, section)?);
        } else {
            script.push(one(bins, "script", seed, section)?);
            cfp.push(one(bins, "cfp", seed, section)?);
        }
    }
    let requests = |runs: &[Run]| runs.iter().map(|r| r.requests).collect::<Vec<_>>();
    let (c, s) = (median(&requests(&cfp)), median(&requests(&script)));
    let fewer = c.zip(s).and_then(|(c, s)| ratio(s, c));
    let late: Vec<f64> = cfp
        .iter()
        .flat_map(|r| r.late.iter().map(|(_, ms)| *ms))
        .collect();
    let worst = max(&late);
    let stages_seen = cfp.iter().all(|r| r.late.len() == 4);
    let met = fewer
        .zip(worst)
        .map(|(f, w)| f >= MIN_FEWER && w <= MAX_LATE_MS && stages_seen);
    section.rows.push(Row::custom(
        "A whole patch (update → profile switch)",
        format!(
            "{} requests, each stage ≤ {}",
            c.map_or_else(|| "?".into(), fmt_count),
            secs(worst)
        ),
        format!(
            "{} requests (1 s polling)",
            s.map_or_else(|| "?".into(), fmt_count)
        ),
        format!("{} fewer", super::report::fmt_ratio(fewer)),
        "≥ 10× fewer, each stage ≤ 1 s late",
        met,
    ));

    let mut table = String::from(
        "| seed | client | requests | simulated time | update | diff | version | rollout |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (c, s) in cfp.iter().zip(&script) {
        let late = |stage: &str| {
            c.late
                .iter()
                .find(|(s, _)| s == stage)
                .map_or_else(|| "n/a".into(), |(_, ms)| secs(Some(*ms)))
        };
        table.push_str(&format!(
            "| {} | cfp | {} | {:.0} s | {} | {} | {} | {} |\n",
            c.seed,
            fmt_count(c.requests),
            c.simulated,
            late("update"),
            late("diff"),
            late("version"),
            late("rollout"),
        ));
        table.push_str(&format!(
            "| {} | script | {} | {:.0} s | | | | |\n",
            s.seed,
            fmt_count(s.requests),
            s.simulated
        ));
    }
    let mut ops = String::from("| operation | cfp | script |\n|---|---|---|\n");
    if let (Some(c), Some(s)) = (cfp.first(), script.first()) {
        let mut names: Vec<&str> = c.by_operation.iter().map(|(n, _)| n.as_str()).collect();
        for (n, _) in &s.by_operation {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        let count = |r: &Run, n: &str| {
            r.by_operation
                .iter()
                .find(|(o, _)| o == n)
                .map_or(0, |(_, k)| *k)
        };
        for n in names {
            ops.push_str(&format!("| `{n}` | {} | {} |\n", count(c, n), count(s, n)));
        }
    }
    section.details = format!(
        "{table}\nThe stage columns are cfp's lateness: the simulated time between a \
         stage's work ending and the workflow reporting it passed. Requests per \
         operation, seed {}:\n\n{ops}",
        seeds[0]
    );
    Ok(())
}

/// Milliseconds as seconds: `0.52 s`.
fn secs(ms: Option<f64>) -> String {
    ms.map_or_else(|| "n/a".into(), |ms| format!("{:.2} s", ms / 1000.0))
}
