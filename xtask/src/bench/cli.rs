//! CLI: `cfp -o json image status …` against `curl -s` with the same URL
//! and credentials on one `cfp-sim`, alternating; `cfp --version` start-up;
//! peak RSS.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::prereq::Tools;
use super::report::{Row, Section, fmt_ns};
use super::stats::{max, median, percentile, ratio};
use super::{Bins, Options, procs};

const MAX_RSS_MB: f64 = 20.0;
const TEXT: &str = include_str!("text/cli.md");

pub(crate) fn run(opts: &Options, bins: &Bins, tools: &Tools) -> Section {
    let (method, notes) = super::split_text(TEXT);
    let mut section = Section {
        title: "CLI".into(),
        method,
        notes,
        ..Section::default()
    };
    if let Err(e) = measure(opts, bins, tools, &mut section) {
        section.error = Some(e);
    }
    section
}

/// The two commands of one comparison.
struct Pair {
    cfp: Command,
    curl: Command,
}

fn measure(
    opts: &Options,
    bins: &Bins,
    tools: &Tools,
    section: &mut Section,
) -> Result<(), String> {
    let sim = procs::Sim::start(&bins.sim)?;
    let url = format!(
        "{}/cfp/v2/project/1/image/1/status?detail=true",
        sim.base_url
    );
    // An empty config file (CFP_CONFIG must name one that exists), no
    // inherited CFP_* or curlrc: the same for both.
    let no_config = crate::root().join("target/bench/empty-config.toml");
    if let Some(dir) = no_config.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&no_config, "")
        .map_err(|e| format!("cannot write {}: {e}", no_config.display()))?;
    let base_url = sim.base_url.clone();
    let cfp_env = [
        ("CFP_CLANFORGE_URL", base_url.as_str()),
        ("CFP_CLANFORGE_KEY", "demo"),
        ("CFP_CLANFORGE_SECRET", "demo"),
    ];
    let cfp = |args: &[&str]| {
        let mut c = Command::new(&bins.cfp);
        c.args(args)
            .env_clear()
            .envs(cfp_env)
            .env("CFP_CONFIG", &no_config);
        c
    };
    let curl = |args: &[&str]| {
        let mut c = Command::new(&tools.curl);
        c.args(args).env_clear();
        c
    };
    let status_args = [
        "-o", "json", "image", "status", "--asid", "1", "1", "--detail",
    ];
    let curl_args = ["-s", "-u", "demo:demo", url.as_str()];
    check_same_answer(cfp(&status_args), curl(&curl_args))?;

    let rounds = if opts.quick { 60 } else { 300 };
    crate::say(&format!(
        "bench: CLI, {rounds} alternating runs each of cfp and curl"
    ));
    let (cfp_ns, curl_ns) = alternate(
        Pair {
            cfp: cfp(&status_args),
            curl: curl(&curl_args),
        },
        rounds,
    )?;
    let version_rounds = rounds * 2 / 3;
    let (cfp_v, curl_v) = alternate(
        Pair {
            cfp: cfp(&["--version"]),
            curl: curl(&["--version"]),
        },
        version_rounds,
    )?;
    let runs = if opts.quick { 5 } else { 20 };
    let cfp_rss = peak_rss(&tools.time, cfp(&status_args), runs)?;
    let curl_rss = peak_rss(&tools.time, curl(&curl_args), runs)?;
    sim.stop();

    let env_shown: Vec<String> = cfp_env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    section.commands = vec![
        format!("{} --addr 127.0.0.1:0 &", bins.sim.display()),
        format!(
            "env -i {} CFP_CONFIG={} {}",
            env_shown.join(" "),
            no_config.display(),
            procs::shown(&cfp(&status_args))
        ),
        format!("env -i {}", procs::shown(&curl(&curl_args))),
        format!("env -i ... {} --version", bins.cfp.display()),
        format!("env -i {} --version", tools.curl.display()),
        format!(
            "{} -f %M <each of the two commands above>   # peak RSS, {runs} runs each",
            tools.time.display()
        ),
    ];

    let (c, b) = (median(&cfp_ns), median(&curl_ns));
    section.rows.push(Row::at_most(
        "CLI: `cfp -o json image status --asid 1 1 --detail` against `curl -s` (median wall time)",
        fmt_ns(c),
        fmt_ns(b),
        c.zip(b).and_then(|(c, b)| ratio(c, b)),
        1.0,
    ));
    let (cv, bv) = (median(&cfp_v), median(&curl_v));
    section.rows.push(Row::info(
        "CLI: `cfp --version` start-up (against `curl --version`)",
        fmt_ns(cv),
        fmt_ns(bv),
        cv.zip(bv).and_then(|(c, b)| ratio(c, b)),
    ));
    let mb = |kb: f64| kb / 1024.0;
    section.rows.push(Row::custom(
        "CLI: peak RSS of the image status command (curl for reference)",
        format!("{:.1} MB", mb(cfp_rss)),
        format!("{:.1} MB", mb(curl_rss)),
        super::report::fmt_ratio(ratio(cfp_rss, curl_rss)),
        format!("≤ {MAX_RSS_MB:.0} MB"),
        Some(mb(cfp_rss) <= MAX_RSS_MB),
    ));
    section.details = format!(
        "Wall time over {rounds} runs each, alternating (cfp, curl, curl, cfp, …): cfp median \
         {}, p90 {}; curl median {}, p90 {}. `--version`, {version_rounds} runs each: cfp \
         median {}, p90 {}; curl median {}, p90 {}. Peak RSS is the largest of {runs} runs \
         (MB = 1024 KiB).",
        fmt_ns(c),
        fmt_ns(percentile(&cfp_ns, 90.0)),
        fmt_ns(b),
        fmt_ns(percentile(&curl_ns, 90.0)),
        fmt_ns(cv),
        fmt_ns(percentile(&cfp_v, 90.0)),
        fmt_ns(bv),
        fmt_ns(percentile(&curl_v, 90.0)),
    );
    Ok(())
}

/// Runs each command of the pair `rounds` times, alternating which goes
/// first, after a few untimed runs; wall times in nanoseconds.
fn alternate(mut pair: Pair, rounds: usize) -> Result<(Vec<f64>, Vec<f64>), String> {
    for _ in 0..5 {
        once(&mut pair.cfp)?;
        once(&mut pair.curl)?;
    }
    let (mut a, mut b) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for i in 0..rounds {
        if i % 2 == 0 {
            a.push(once(&mut pair.cfp)?);
            b.push(once(&mut pair.curl)?);
        } else {
            b.push(once(&mut pair.curl)?);
            a.push(once(&mut pair.cfp)?);
        }
    }
    Ok((a, b))
}

/// One run, output discarded; its wall time in nanoseconds.
fn once(cmd: &mut Command) -> Result<f64, String> {
    let start = Instant::now();
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", procs::shown(cmd)))?;
    let ns = start.elapsed().as_nanos() as f64;
    if !status.success() {
        return Err(format!("{} failed ({status})", procs::shown(cmd)));
    }
    Ok(ns)
}

/// Both commands answer the same document.
fn check_same_answer(mut cfp: Command, mut curl: Command) -> Result<(), String> {
    let a = procs::output(&mut cfp)?;
    let b = procs::output(&mut curl)?;
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).map_err(|e| e.to_string());
    let (a, b) = (parse(&a)?, parse(&b)?);
    // Counts may move between the two requests (the rollout runs on the
    // simulator's clock); the shape must not.
    let keys = |v: &serde_json::Value| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    if keys(&a) != keys(&b) {
        return Err(format!(
            "cfp and curl answered different documents: {:?} / {:?}",
            keys(&a),
            keys(&b)
        ));
    }
    Ok(())
}

/// The largest peak RSS (KiB) of `runs` runs under `/usr/bin/time -f %M`.
fn peak_rss(time: &Path, cmd: Command, runs: usize) -> Result<f64, String> {
    let program: PathBuf = cmd.get_program().into();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let mut peaks = Vec::new();
    for _ in 0..runs {
        let out = Command::new(time)
            .args(["-f", "%M"])
            .arg(&program)
            .args(&args)
            .env_clear()
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", time.display()))?;
        let text = String::from_utf8_lossy(&out.stderr);
        let kb: f64 = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| format!("unexpected output from {}: {text:?}", time.display()))?;
        peaks.push(kb);
    }
    max(&peaks).ok_or_else(|| "no RSS figure".into())
}
