//! Polling efficiency: 1,000 concurrent waits (500 diff jobs, 250 Restart
//! tasks, 250 Stop tasks) with cfp's waiters and with a fixed 1-second
//! poller, each against a fresh scaled-time simulator.

use std::process::Command;

use serde_json::Value;

use super::report::{Row, Section, fmt_count};
use super::stats::{floats, max, median, percentile, ratio};
use super::{Bins, Options, procs};

const SPEED: &str = "10";
const MIN_FEWER: f64 = 5.0;
const MAX_LATE_MS: f64 = 1000.0;
const TEXT: &str = include_str!("text/polling.md");

/// The groups in `cfp-bench polling`'s output, and their names.
const GROUPS: [(&str, &str); 3] = [
    ("diffs", "diff jobs (500)"),
    ("restart_tasks", "Restart tasks, two actions (250)"),
    ("stop_tasks", "Stop tasks, one action (250)"),
];

/// One group's figures over the rounds of one poller.
#[derive(Default, Clone)]
struct Figures {
    /// Requests per round.
    requests: Vec<f64>,
    /// Every finished wait's lateness (ms), all rounds.
    late: Vec<f64>,
    unfinished: u64,
}

pub(crate) fn run(opts: &Options, bins: &Bins) -> Section {
    let (method, notes) = super::split_text(TEXT);
    let mut section = Section {
        title: "Polling efficiency".into(),
        method,
        notes,
        ..Section::default()
    };
    if let Err(e) = measure(opts, bins, &mut section) {
        section.error = Some(e);
    }
    section
}

fn measure(opts: &Options, bins: &Bins, section: &mut Section) -> Result<(), String> {
    let rounds = if opts.quick { 1 } else { 2 };
    // [poller][group]
    let mut figs = vec![vec![Figures::default(); GROUPS.len()]; 2];
    let mut real = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for p in order {
            let poller = ["cfp", "fixed"][p];
            let mut cmd = Command::new(&bins.bench);
            cmd.args(["polling", "--poller", poller, "--speed", SPEED]);
            if round == 0 {
                section.commands.push(procs::shown(&cmd));
            }
            crate::say(&format!(
                "bench: polling round {}/{rounds}: {poller} poller, 1,000 waits",
                round + 1
            ));
            let v: Value = serde_json::from_str(&procs::output(&mut cmd)?)
                .map_err(|e| format!("cfp-bench polling: {e}"))?;
            real[p].push(v["real_seconds"].as_f64().unwrap_or(0.0));
            for (g, (key, _)) in GROUPS.iter().enumerate() {
                let x = &v[*key];
                let f = &mut figs[p][g];
                f.requests.push(x["requests"].as_f64().unwrap_or(f64::NAN));
                let late: Vec<i64> = x["lateness_ms"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
                f.late.extend(floats(&late));
                f.unfinished += x["unfinished"].as_u64().unwrap_or(0);
            }
        }
    }
    let all = |p: usize| {
        let mut f = Figures::default();
        for r in 0..rounds {
            f.requests
                .push(figs[p].iter().map(|g| g.requests[r]).sum::<f64>());
        }
        for g in &figs[p] {
            f.late.extend(&g.late);
            f.unfinished += g.unfinished;
        }
        f
    };
    let (cfp_all, fixed_all) = (all(0), all(1));
    let mut table = String::from(
        "| waits | poller | requests per round | per wait | late: median | p90 | max | unfinished |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let groups = GROUPS
        .iter()
        .enumerate()
        .map(|(g, (_, name))| (name.to_string(), figs[0][g].clone(), figs[1][g].clone()))
        .chain([("all 1,000".to_string(), cfp_all, fixed_all)]);
    for (name, cfp, fixed) in groups {
        section.rows.push(row(&name, &cfp, &fixed));
        let waits: f64 = match name.as_str() {
            n if n.starts_with("diff") => 500.0,
            n if n.starts_with("all") => 1000.0,
            _ => 250.0,
        };
        for (poller, f) in [("cfp", &cfp), ("fixed 1 s", &fixed)] {
            let req = median(&f.requests).unwrap_or(f64::NAN);
            table.push_str(&format!(
                "| {name} | {poller} | {} | {:.1} | {} | {} | {} | {} |\n",
                fmt_count(req),
                req / waits,
                secs(median(&f.late)),
                secs(percentile(&f.late, 90.0)),
                secs(max(&f.late)),
                f.unfinished
            ));
        }
    }
    section.details = format!(
        "{table}\nRequests are the median over {rounds} round(s) per poller; lateness is \
         over every wait of every round, in simulated seconds. Real time per run: cfp {:.1} s, \
         fixed {:.1} s (at {SPEED}× speed).",
        median(&real[0]).unwrap_or(0.0),
        median(&real[1]).unwrap_or(0.0)
    );
    Ok(())
}

/// A summary row: requests (fewer is better) and lateness, both targets.
fn row(name: &str, cfp: &Figures, fixed: &Figures) -> Row {
    let (c, f) = (median(&cfp.requests), median(&fixed.requests));
    let fewer = c.zip(f).and_then(|(c, f)| ratio(f, c));
    let late = max(&cfp.late);
    let met = fewer
        .zip(late)
        .map(|(fewer, late)| fewer >= MIN_FEWER && late <= MAX_LATE_MS && cfp.unfinished == 0);
    Row::custom(
        format!("Polling: {name}"),
        format!(
            "{} requests, late ≤ {}",
            c.map_or_else(|| "?".into(), fmt_count),
            secs(late)
        ),
        format!(
            "{} requests, late ≤ {}",
            f.map_or_else(|| "?".into(), fmt_count),
            secs(max(&fixed.late))
        ),
        format!("{} fewer", super::report::fmt_ratio(fewer)),
        "≥ 5× fewer, each ≤ 1 s late",
        met,
    )
}

/// Milliseconds as seconds: `0.52 s`.
fn secs(ms: Option<f64>) -> String {
    ms.map_or_else(|| "n/a".into(), |ms| format!("{:.2} s", ms / 1000.0))
}
