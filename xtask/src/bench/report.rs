//! The report: rows of figures with their targets, sections with method,
//! commands and notes, rendered as `docs/benchmarks.md`.

use std::fmt::Write as _;

use super::machine::Machine;

/// Whether a row's target was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Met.
    Met,
    /// Not met; the section's notes say why.
    Missed,
    /// A figure without a target (context for another row).
    Info,
}

/// One line of the summary table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) benchmark: String,
    pub(crate) cfp: String,
    pub(crate) baseline: String,
    /// `cfp / baseline` (or `baseline / cfp` where fewer is better for cfp,
    /// as the target says), already formatted.
    pub(crate) ratio: String,
    pub(crate) target: String,
    pub(crate) verdict: Verdict,
}

impl Row {
    /// A row whose target is `ratio ≤ limit`.
    pub(crate) fn at_most(
        benchmark: impl Into<String>,
        cfp: String,
        baseline: String,
        ratio: Option<f64>,
        limit: f64,
    ) -> Self {
        Self {
            benchmark: benchmark.into(),
            cfp,
            baseline,
            ratio: fmt_ratio(ratio),
            target: format!("≤ {limit:.2}×"),
            verdict: verdict(ratio.map(|r| r <= limit)),
        }
    }

    /// A row whose target is `ratio ≥ limit`.
    pub(crate) fn at_least(
        benchmark: impl Into<String>,
        cfp: String,
        baseline: String,
        ratio: Option<f64>,
        limit: f64,
    ) -> Self {
        Self {
            benchmark: benchmark.into(),
            cfp,
            baseline,
            ratio: fmt_ratio(ratio),
            target: format!("≥ {limit:.1}×"),
            verdict: verdict(ratio.map(|r| r >= limit)),
        }
    }

    /// A row with a target of its own (`met` says whether it was met).
    pub(crate) fn custom(
        benchmark: impl Into<String>,
        cfp: String,
        baseline: String,
        ratio: String,
        target: impl Into<String>,
        met: Option<bool>,
    ) -> Self {
        Self {
            benchmark: benchmark.into(),
            cfp,
            baseline,
            ratio,
            target: target.into(),
            verdict: verdict(met),
        }
    }

    /// A row without a target.
    pub(crate) fn info(
        benchmark: impl Into<String>,
        cfp: String,
        baseline: String,
        ratio: Option<f64>,
    ) -> Self {
        Self {
            benchmark: benchmark.into(),
            cfp,
            baseline,
            ratio: fmt_ratio(ratio),
            target: "—".into(),
            verdict: Verdict::Info,
        }
    }
}

fn verdict(met: Option<bool>) -> Verdict {
    match met {
        Some(true) => Verdict::Met,
        // A figure that could not be computed does not meet its target.
        Some(false) | None => Verdict::Missed,
    }
}

/// `1.03×`, or `n/a`.
pub(crate) fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 10.0 => format!("{r:.1}×"),
        Some(r) => format!("{r:.2}×"),
        None => "n/a".into(),
    }
}

/// A duration given in nanoseconds, in the unit that reads best.
pub(crate) fn fmt_ns(ns: Option<f64>) -> String {
    match ns {
        None => "n/a".into(),
        Some(ns) if ns >= 1e9 => format!("{:.2} s", ns / 1e9),
        Some(ns) if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        Some(ns) if ns >= 1e3 => format!("{:.1} µs", ns / 1e3),
        Some(ns) => format!("{ns:.0} ns"),
    }
}

/// A count with thousands separators: `12,345`.
pub(crate) fn fmt_count(n: f64) -> String {
    let n = n.round();
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// One comparison: how it was measured and what came out.
#[derive(Debug, Clone, Default)]
pub(crate) struct Section {
    pub(crate) title: String,
    /// What was measured, and how (markdown).
    pub(crate) method: String,
    /// The exact commands.
    pub(crate) commands: Vec<String>,
    pub(crate) rows: Vec<Row>,
    /// More figures (markdown), e.g. per round.
    pub(crate) details: String,
    /// Explanations and what was changed to meet the targets (markdown).
    pub(crate) notes: String,
    /// Set when the comparison could not be measured.
    pub(crate) error: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) quick: bool,
    pub(crate) load_before: String,
    pub(crate) load_after: String,
    pub(crate) minutes: f64,
    pub(crate) tools: Vec<String>,
    pub(crate) installed: Vec<String>,
    pub(crate) build_commands: Vec<String>,
    pub(crate) sections: Vec<Section>,
}

const INTRO: &str = include_str!("text/intro.md");

impl Report {
    /// The markdown of `docs/benchmarks.md`.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# Benchmarks\n\n");
        out.push_str(
            "<!-- Generated by `cargo xtask bench`: do not edit; edit xtask/src/bench/ and re-run. -->\n\n",
        );
        if self.quick {
            out.push_str(
                "> **Quick run** (`cargo xtask bench --quick`): fewer rounds and shorter \
                 measurements; the figures are indicative only.\n\n",
            );
        }
        out.push_str(INTRO);
        out.push('\n');
        self.summary(&mut out);
        self.machine_section(&mut out);
        for s in &self.sections {
            section(&mut out, s);
        }
        out
    }

    fn summary(&self, out: &mut String) {
        out.push_str("## Summary\n\n");
        out.push_str("| benchmark | cfp | baseline | ratio | target | met |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for s in &self.sections {
            if let Some(e) = &s.error {
                let _ = writeln!(
                    out,
                    "| {} | not measured | | | | **no**: {} |",
                    s.title,
                    cell(e)
                );
            }
            for r in &s.rows {
                row(out, r, "**no** (see notes)");
            }
        }
        out.push('\n');
    }

    fn machine_section(&self, out: &mut String) {
        let m = &self.machine;
        out.push_str("## Machine and run\n\n");
        let _ = writeln!(out, "- Date: {}", m.date);
        let _ = writeln!(out, "- CPU: {} × {}", m.cores, m.cpu_model);
        let _ = writeln!(out, "- Memory: {}", m.memory);
        let _ = writeln!(out, "- OS: {}, kernel {}", m.os, m.kernel);
        let _ = writeln!(out, "- Rust: {}", m.rustc);
        let _ = writeln!(
            out,
            "- Load average (1, 5, 15 min): {} before, {} after; the run took {:.1} minutes",
            self.load_before, self.load_after, self.minutes
        );
        if !self.tools.is_empty() {
            let _ = writeln!(out, "- Tools: {}", self.tools.join("; "));
        }
        if self.installed.is_empty() {
            out.push_str(
                "- Installed by this run: nothing (curl, time, wrk, nginx and valgrind were present; \
                 `cargo xtask bench` installs any that is missing with apt-get and says so)\n",
            );
        } else {
            let _ = writeln!(
                out,
                "- Installed by this run with `apt-get install`: {}",
                self.installed.join(", ")
            );
        }
        out.push_str("\nBuilt first with:\n\n```sh\n");
        for c in &self.build_commands {
            out.push_str(c);
            out.push('\n');
        }
        out.push_str("```\n\n");
    }
}

fn section(out: &mut String, s: &Section) {
    let _ = writeln!(out, "## {}\n", s.title);
    if !s.method.is_empty() {
        out.push_str(s.method.trim_end());
        out.push_str("\n\n");
    }
    if let Some(e) = &s.error {
        let _ = writeln!(out, "**Not measured in this run:** {e}\n");
    }
    if !s.rows.is_empty() {
        out.push_str("| benchmark | cfp | baseline | ratio | target | met |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for r in &s.rows {
            row(out, r, "**no**");
        }
        out.push('\n');
    }
    if !s.details.is_empty() {
        out.push_str(s.details.trim_end());
        out.push_str("\n\n");
    }
    if !s.commands.is_empty() {
        out.push_str("Commands:\n\n```sh\n");
        for c in &s.commands {
            out.push_str(c);
            out.push('\n');
        }
        out.push_str("```\n\n");
    }
    if !s.notes.is_empty() {
        out.push_str(s.notes.trim_end());
        out.push_str("\n\n");
    }
}

/// Text safe inside a table cell.
/// One row of a results table; `missed` is what the last column says of a
/// missed target (the summary points to the section's notes).
fn row(out: &mut String, r: &Row, missed: &str) {
    let met = match r.verdict {
        Verdict::Met => "yes",
        Verdict::Missed => missed,
        Verdict::Info => "—",
    };
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |",
        cell(&r.benchmark),
        cell(&r.cfp),
        cell(&r.baseline),
        r.ratio,
        r.target,
        met
    );
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_judge_their_targets() {
        let r = Row::at_most("decode", "1 ms".into(), "1 ms".into(), Some(1.1), 1.15);
        assert_eq!(r.verdict, Verdict::Met);
        assert_eq!(r.ratio, "1.10×");
        assert_eq!(r.target, "≤ 1.15×");
        let r = Row::at_most("calls", "".into(), "".into(), Some(1.06), 1.05);
        assert_eq!(r.verdict, Verdict::Missed);
        let r = Row::at_least("polling", "".into(), "".into(), Some(12.73), 5.0);
        assert_eq!((r.verdict, r.ratio.as_str()), (Verdict::Met, "12.7×"));
        let r = Row::at_least("sim", "".into(), "".into(), None, 0.5);
        assert_eq!((r.verdict, r.ratio.as_str()), (Verdict::Missed, "n/a"));
    }

    #[test]
    fn figures_read_well() {
        assert_eq!(fmt_ns(Some(6_200_000.0)), "6.20 ms");
        assert_eq!(fmt_ns(Some(79_720.0)), "79.7 µs");
        assert_eq!(fmt_ns(Some(640.4)), "640 ns");
        assert_eq!(fmt_ns(Some(2.5e9)), "2.50 s");
        assert_eq!(fmt_ns(None), "n/a");
        assert_eq!(fmt_count(1234567.0), "1,234,567");
        assert_eq!(fmt_count(999.0), "999");
        assert_eq!(fmt_count(-1000.0), "-1,000");
    }

    #[test]
    fn the_report_has_the_summary_machine_and_every_section() {
        let report = Report {
            machine: Machine {
                cores: 2,
                cpu_model: "AMD EPYC".into(),
                ..Machine::default()
            },
            quick: true,
            installed: vec!["nginx".into()],
            sections: vec![
                Section {
                    title: "Decode".into(),
                    method: "How.".into(),
                    commands: vec!["cargo bench".into()],
                    rows: vec![Row::at_most(
                        "a | b",
                        "1 ms".into(),
                        "1 ms".into(),
                        Some(1.0),
                        1.15,
                    )],
                    notes: "Why.".into(),
                    ..Section::default()
                },
                Section {
                    title: "Simulator".into(),
                    error: Some("nginx did not start".into()),
                    ..Section::default()
                },
            ],
            ..Report::default()
        };
        let md = report.render();
        assert!(md.starts_with("# Benchmarks\n"));
        assert!(md.contains("**Quick run**"));
        assert!(md.contains("| a \\| b | 1 ms | 1 ms | 1.00× | ≤ 1.15× | yes |"));
        assert!(md.contains("- CPU: 2 × AMD EPYC"));
        assert!(md.contains("with `apt-get install`: nginx"));
        assert!(md.contains("## Decode\n\nHow.\n"));
        assert!(md.contains("```sh\ncargo bench\n```"));
        assert!(md.contains("| Simulator | not measured |"));
        assert!(md.contains("**Not measured in this run:** nginx did not start"));
    }
}
