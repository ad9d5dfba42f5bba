//! `cargo xtask bench [--quick]`: builds in release, runs the six
//! comparisons of cfp against plain baselines side by side (alternating,
//! several rounds, medians), and writes `docs/benchmarks.md`.
//!
//! | section | module | runs |
//! |---|---|---|
//! | Decode | [`decode`] | criterion: `cargo bench -p cfp-bench --bench decode` |
//! | Call overhead | [`calls`] | `cfp-bench calls` against `cfp-sim`, under callgrind and timed |
//! | Polling efficiency | [`polling`] | `cfp-bench polling` (in-process scaled-time simulator) |
//! | A whole patch | [`patch`] | `cfp-bench patch` (in-process scaled-time simulator) |
//! | CLI | [`cli`] | `cfp` and `curl` against `cfp-sim`; `/usr/bin/time` |
//! | Simulator throughput | [`server`] | `wrk` against `cfp-sim` and nginx |
//!
//! What it needs besides Rust (curl, time, wrk, nginx, valgrind) it
//! installs from Debian's packages when missing ([`prereq`]), and says so.
//! The pure parts (statistics, the report's markdown) are unit-tested;
//! nothing asserts a timing.

mod calls;
mod cli;
mod decode;
mod machine;
mod patch;
mod polling;
mod prereq;
mod procs;
mod report;
mod server;
mod stats;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use report::Report;

/// Command-line options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Fewer rounds and shorter measurements, for development.
    pub(crate) quick: bool,
}

/// The release binaries the comparisons run.
#[derive(Debug, Clone)]
pub(crate) struct Bins {
    pub(crate) cfp: PathBuf,
    pub(crate) sim: PathBuf,
    pub(crate) bench: PathBuf,
}

/// Where cargo puts what it builds.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                crate::root().join(p)
            }
        })
        .unwrap_or_else(|| crate::root().join("target"))
}

/// Splits a section's text into its method and its notes, at a line
/// holding only `---notes---`.
pub(crate) fn split_text(text: &str) -> (String, String) {
    match text.split_once("\n---notes---\n") {
        Some((method, notes)) => (method.trim().to_owned(), notes.trim().to_owned()),
        None => (text.trim().to_owned(), String::new()),
    }
}

pub(crate) fn run(opts: Options) -> Result<(), String> {
    let started = Instant::now();
    let mut report = Report {
        quick: opts.quick,
        load_before: machine::load(),
        ..Report::default()
    };
    crate::say(&format!(
        "bench: load average {} (figures are best taken on a quiet machine)",
        report.load_before
    ));
    let tools = prereq::ensure()?;
    report.installed = tools.installed.clone();
    report.tools = tools.versions.clone();
    let bins = build(&mut report)?;
    report.machine = machine::Machine::detect();

    let target = target_dir();
    report.sections.push(decode::run(&opts, &target));
    report.sections.push(calls::run(&opts, &bins, &tools));
    report.sections.push(polling::run(&opts, &bins));
    report.sections.push(patch::run(&opts, &bins));
    report.sections.push(cli::run(&opts, &bins, &tools));
    report.sections.push(server::run(&opts, &bins, &tools));

    report.load_after = machine::load();
    report.minutes = started.elapsed().as_secs_f64() / 60.0;
    let path = crate::root().join("docs/benchmarks.md");
    std::fs::write(&path, portable_paths(&report.render()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    crate::say(&format!("bench: wrote {}", path.display()));
    for s in &report.sections {
        if let Some(e) = &s.error {
            crate::say(&format!("bench: {} was not measured: {e}", s.title));
        }
        for r in &s.rows {
            crate::say(&format!(
                "bench: {}: cfp {}, baseline {}, ratio {}, target {}, {}",
                r.benchmark,
                r.cfp,
                r.baseline,
                r.ratio,
                r.target,
                match r.verdict {
                    report::Verdict::Met => "met",
                    report::Verdict::Missed => "NOT MET",
                    report::Verdict::Info => "info",
                }
            ));
        }
    }
    let failed: Vec<&str> = report
        .sections
        .iter()
        .filter(|s| s.error.is_some())
        .map(|s| s.title.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("not measured: {}", failed.join(", ")))
    }
}

/// Builds the release binaries and the decode benchmark; their paths.
fn build(report: &mut Report) -> Result<Bins, String> {
    let root = crate::root();
    let steps: [&[&str]; 2] = [
        &[
            "build",
            "--release",
            "-p",
            "cfp-cli",
            "-p",
            "cfp-testkit",
            "-p",
            "cfp-bench",
            "--bins",
        ],
        &["bench", "-p", "cfp-bench", "--bench", "decode", "--no-run"],
    ];
    for args in steps {
        let mut cmd = Command::new("cargo");
        cmd.args(args).current_dir(&root);
        let shown = procs::shown(&cmd);
        crate::say(&format!("bench: {shown}"));
        procs::status(&mut cmd)?;
        report.build_commands.push(shown);
    }
    let release = target_dir().join("release");
    let bins = Bins {
        cfp: release.join("cfp"),
        sim: release.join("cfp-sim"),
        bench: release.join("cfp-bench"),
    };
    for b in [&bins.cfp, &bins.sim, &bins.bench] {
        if !b.is_file() {
            return Err(format!("{} was not built", b.display()));
        }
    }
    Ok(bins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_texts_split_into_method_and_notes() {
        let (m, n) = split_text("How.\n\n---notes---\nWhy.\n");
        assert_eq!((m.as_str(), n.as_str()), ("How.", "Why."));
        let (m, n) = split_text("Only how.\n");
        assert_eq!((m.as_str(), n.as_str()), ("Only how.", ""));
    }

    #[test]
    fn every_section_text_has_a_method() {
        for text in [
            include_str!("text/decode.md"),
            include_str!("text/calls.md"),
            include_str!("text/polling.md"),
            include_str!("text/patch.md"),
            include_str!("text/cli.md"),
            include_str!("text/server.md"),
        ] {
            assert!(!split_text(text).0.is_empty());
        }
    }
}

/// The report with this machine's paths made portable: the repository root
/// becomes relative (`target/release/cfp`), the temporary directory
/// `$TMPDIR`, so that no absolute machine path is committed.
fn portable_paths(text: &str) -> String {
    let mut out = text.to_owned();
    let root = crate::root();
    let root = root.canonicalize().unwrap_or(root);
    for (from, to) in [
        (format!("{}/", root.display()), String::new()),
        (
            format!("{}/", std::env::temp_dir().display()).replace("//", "/"),
            "$TMPDIR/".to_owned(),
        ),
    ] {
        if from.len() > 1 {
            out = out.replace(&from, &to);
        }
    }
    out
}

#[cfg(test)]
mod portable_tests {
    use super::*;

    #[test]
    fn the_report_holds_no_absolute_machine_path() {
        let root = crate::root().canonicalize().unwrap();
        let tmp = std::env::temp_dir();
        let text = format!(
            "{}/target/release/cfp --version\ncat {}/cfp-bench-nginx-1/nginx.conf\n",
            root.display(),
            tmp.display()
        );
        let out = portable_paths(&text);
        assert_eq!(
            out,
            "target/release/cfp --version\ncat $TMPDIR/cfp-bench-nginx-1/nginx.conf\n"
        );
    }
}
