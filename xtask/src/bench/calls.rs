//! Call overhead: 20,000 sequential image-status calls through cfp-api
//! against raw reqwest + serde_json, both against one `cfp-sim`.

use std::process::Command;

use serde_json::Value;

use super::report::{Row, Section, fmt_ns};
use super::stats::{median, ratio};
use super::{Bins, Options, procs};

const TARGET: f64 = 1.05;
const TEXT: &str = include_str!("text/calls.md");

pub(crate) fn run(opts: &Options, bins: &Bins) -> Section {
    let (method, notes) = super::split_text(TEXT);
    let mut section = Section {
        title: "Call overhead".into(),
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
    let sim = procs::Sim::start(&bins.sim)?;
    let rounds = if opts.quick { 2 } else { 5 };
    let mut cmd = Command::new(&bins.bench);
    cmd.args([
        "calls",
        "--base-url",
        &sim.base_url,
        "--calls",
        "20000",
        "--warmup",
        "2000",
        "--rounds",
        &rounds.to_string(),
        "--blocks",
        "20",
    ]);
    section.commands = vec![
        format!("{} --addr 127.0.0.1:0 &", bins.sim.display()),
        procs::shown(&cmd),
    ];
    crate::say(&format!(
        "bench: call overhead, {rounds} rounds of 20,000 calls per side"
    ));
    let out = procs::output(&mut cmd);
    sim.stop();
    let v: Value = serde_json::from_str(&out?).map_err(|e| format!("cfp-bench calls: {e}"))?;
    let list = |k: &str| -> Vec<f64> {
        v[k].as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let (cfp, raw) = (list("cfp_ns_per_call"), list("raw_ns_per_call"));
    let raw_t = list("raw_timeout_ns_per_call");
    let (c, r, rt) = (median(&cfp), median(&raw), median(&raw_t));
    section.rows.push(Row::at_most(
        "Call overhead: 20,000 sequential image-status calls (median of rounds, per call)",
        fmt_ns(c),
        fmt_ns(r),
        c.zip(r).and_then(|(c, r)| ratio(c, r)),
        TARGET,
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
    section.details = format!(
        "Per round (mean time per call, cfp / raw): {}. Raw with a per-call timeout, per \
         round: {}.",
        rounds.join("; "),
        timeouts.join("; ")
    );
    Ok(())
}
