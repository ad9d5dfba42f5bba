//! Tables that fit: on a pseudo-terminal of 0 (a CI runner's), 80 and 120
//! columns, and with `COLUMNS`, no line is wider than the terminal, and
//! ids, timestamps and URLs are never split over two lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::time::Duration;

use support::pty::{PtyCommand, PtyRun};
use support::{Sim, code, run, stderr};
use unicode_width::UnicodeWidthStr as _;

/// The widths tried; 0 is a terminal that reports none (cfp fits 80).
const WIDTHS: [u16; 3] = [0, 80, 120];

fn fitted(cols: u16) -> usize {
    if cols == 0 { 80 } else { usize::from(cols) }
}

/// What the terminal received as lines of text: escape sequences removed,
/// each line as the last thing drawn on it (a progress bar redraws after
/// `\r`, so every redraw is checked too).
fn drawn(raw: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            plain.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters, then a final byte in @..~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \.
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    plain
        .split('\n')
        .flat_map(|l| l.split('\r'))
        .map(str::to_owned)
        .collect()
}

/// No line drawn is wider than `width`.
fn assert_fits(run: &PtyRun, width: usize, what: &str) {
    let text = run.text();
    for line in drawn(&text) {
        assert!(
            line.width() <= width,
            "{what}: a line of {} columns on a terminal of {width}:\n{line}\n\nall of it:\n{}",
            line.width(),
            run.screen().join("\n")
        );
    }
}

/// `needle` is whole on one line of the screen a person sees.
fn assert_on_one_line(run: &PtyRun, needle: &str, what: &str) {
    let screen = run.screen();
    assert!(
        screen.iter().any(|l| l.contains(needle)),
        "{what}: {needle:?} is not whole on one line:\n{}",
        screen.join("\n")
    );
}

/// Every RFC 3339 timestamp (`2026-11-30T15:51:09Z`) in the text.
fn timestamps(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let shape = "dddd-dd-ddTdd:dd:ddZ";
    let mut found = Vec::new();
    for start in 0..chars.len().saturating_sub(shape.len() - 1) {
        let window = &chars[start..start + shape.len()];
        let matches = shape.chars().zip(window).all(|(s, c)| match s {
            'd' => c.is_ascii_digit(),
            s => s == *c,
        });
        if matches {
            found.push(window.iter().collect());
        }
    }
    found
}

fn on_pty(sim: &Sim, cols: u16, args: &[&str]) -> PtyRun {
    let run = PtyCommand::cfp(sim, cols, args).run();
    assert_eq!(run.code, 0, "{args:?} at {cols}: {}", run.text());
    run
}

/// A simulator with a finished fleet-wide batch of 60 tasks and a
/// scheduled one, created without a terminal (so without a prompt). Its
/// clock is real time, so that relative times are too.
fn sim_with_tasks() -> Sim {
    let sim = Sim::quick_jobs();
    for args in [
        &[
            "task",
            "create",
            "--template",
            "1",
            "--fleet",
            "1",
            "--wait",
        ][..],
        // Far enough ahead that the fast simulated clock does not reach it.
        &[
            "task",
            "create",
            "--template",
            "2",
            "--instance",
            "7",
            "--at",
            "2030-01-01T00:00:00Z",
        ],
    ] {
        let out = run(sim.cfp().args(args));
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    }
    sim
}

#[test]
fn task_and_batch_lists_fit_with_relative_times() {
    let sim = sim_with_tasks();
    for cols in WIDTHS {
        let tasks = on_pty(&sim, cols, &["task", "list"]);
        assert_fits(&tasks, fitted(cols), "task list");
        let screen = tasks.screen().join("\n");
        assert!(
            screen.contains("Restart") && screen.contains("Stop"),
            "{screen}"
        );
        assert!(
            screen.contains(" ago") && screen.contains("in "),
            "relative times: {screen}"
        );
        // No header broken inside a word.
        assert!(!screen.contains("execut\n") && !screen.contains("finis\n"));

        let batches = on_pty(&sim, cols, &["batch", "list"]);
        assert_fits(&batches, fitted(cols), "batch list");
        let screen = batches.screen().join("\n");
        assert!(
            screen.contains("100%") && screen.contains(" ago"),
            "{screen}"
        );

        let batch = on_pty(&sim, cols, &["batch", "get", "1"]);
        assert_fits(&batch, fitted(cols), "batch get");
        assert_on_one_line(&batch, "… and 48 more", "batch get");
    }
    // At 120 columns every column of the task table is there.
    let wide_enough = on_pty(&sim, 120, &["task", "list"]).screen().join("\n");
    for header in ["batch", "entity", "execute at", "finished", "text"] {
        assert!(wide_enough.contains(header), "{header}: {wide_enough}");
    }
}

#[test]
fn image_status_detail_fits_bars_narrower_and_names_whole() {
    let sim = Sim::fast();
    for cols in WIDTHS {
        let status = on_pty(&sim, cols, &["image", "status", "1", "--detail"]);
        assert_fits(&status, fitted(cols), "image status --detail");
        let screen = status.screen().join("\n");
        assert!(screen.contains("Europe West"), "{screen}");
        assert!(screen.contains("█ completed"), "{screen}");
        for header in [
            "fleet",
            "region",
            "rollout",
            "completed",
            "pending",
            "failed",
        ] {
            assert_on_one_line(&status, header, "image status --detail");
        }
    }
    let wide = on_pty(&sim, 120, &["image", "status", "1", "--detail"]).screen();
    assert!(
        wide.iter().any(|l| l.contains("North America East")),
        "at 120 nothing is cut: {}",
        wide.join("\n")
    );
}

#[test]
fn job_status_keeps_ids_timestamps_and_urls_whole() {
    let sim = Sim::fast();
    for cols in WIDTHS {
        let diff = on_pty(
            &sim,
            cols,
            &["imagediff", "status", "--asid", "1", "218595"],
        );
        assert_fits(&diff, fitted(cols), "imagediff status");
        assert_on_one_line(&diff, "218595", "imagediff status");
        let stamps = timestamps(&diff.text());
        assert!(stamps.len() >= 3, "{}", diff.text());
        for t in &stamps {
            assert_on_one_line(&diff, t, "imagediff status");
        }
        assert!(diff.screen().join("\n").contains(" ago)"), "relative times");

        let update = on_pty(
            &sim,
            cols,
            &["imageupdate", "status", "--asid", "1", "7000"],
        );
        assert_fits(&update, fitted(cols), "imageupdate status");
        assert_on_one_line(
            &update,
            "s3://builds/demo-server-beta/",
            "imageupdate status",
        );

        let upload = on_pty(
            &sim,
            cols,
            &["upload-job", "ccf943310d86335bb3d2511ca8e14137"],
        );
        assert_fits(&upload, fitted(cols), "upload-job");
        assert_on_one_line(
            &upload,
            "http://127.0.0.1:8001/imagestore/upload",
            "upload-job",
        );
    }
}

#[test]
fn columns_is_honoured_and_wide_shows_every_column() {
    let sim = sim_with_tasks();
    let upload = ["upload-job", "ccf943310d86335bb3d2511ca8e14137"];
    let at_100 = PtyCommand::cfp(&sim, 120, &upload)
        .env("COLUMNS", "100")
        .run();
    assert_eq!(at_100.code, 0, "{}", at_100.text());
    assert_fits(&at_100, 100, "COLUMNS=100 on a terminal of 120");
    let at_120 = on_pty(&sim, 120, &upload);
    let widest = |r: &PtyRun| drawn(&r.text()).iter().map(|l| l.width()).max();
    assert!(widest(&at_120) > Some(100), "{}", at_120.text());
    // COLUMNS also fits a terminal reporting no width.
    let at_0 = PtyCommand::cfp(&sim, 0, &["task", "list"])
        .env("COLUMNS", "100")
        .run();
    assert_fits(&at_0, 100, "COLUMNS=100 on a terminal of 0");

    // -o wide: every column, absolute times beside relative ones, nothing
    // cut, whatever the width.
    let wide = on_pty(&sim, 80, &["task", "list", "-o", "wide"]);
    let text = wide.text();
    for header in [
        "batch",
        "entity",
        "execute at",
        "finished",
        "text",
        "category",
        "action",
        "last activity",
    ] {
        assert!(text.contains(header), "{header}: {text}");
    }
    assert!(!timestamps(&text).is_empty(), "{text}");
    assert!(!text.contains('…'), "{text}");
    let default = on_pty(&sim, 80, &["task", "list"]).text();
    assert!(!default.contains("last activity"), "wide only: {default}");
    let upload_wide = on_pty(&sim, 80, &["upload-job", "-o", "wide", upload[1]]).text();
    assert!(
        upload_wide.contains("0792dd52aeb9329cb1e677fae6465f23"),
        "{upload_wide}"
    );
}

#[test]
fn a_wait_bar_fits_80_columns() {
    let sim = Sim::fast();
    for cols in [0, 80] {
        let run = PtyCommand::cfp(&sim, cols, &["image", "status", "1", "--wait-ready"])
            .timeout(Duration::from_secs(90))
            .run();
        assert!(
            run.code == 0 || run.code == 5,
            "{cols}: {} {}",
            run.code,
            run.text()
        );
        assert_fits(&run, fitted(cols), "a wait's progress line");
    }
    // COLUMNS narrower than the terminal: the progress line fits it too.
    let run = PtyCommand::cfp(&sim, 120, &["image", "status", "1", "--wait-ready"])
        .env("COLUMNS", "60")
        .timeout(Duration::from_secs(90))
        .run();
    assert!(run.code == 0 || run.code == 5, "{}", run.text());
    assert!(
        run.text().contains("rollout ·"),
        "a bar was drawn: {}",
        run.text()
    );
    assert_fits(&run, 60, "a wait's progress line under COLUMNS=60");
}

#[test]
fn the_demo_fits_its_summary_and_shows_the_newest_tasks() {
    let sim = Sim::fast();
    for cols in WIDTHS {
        let run = PtyCommand::cfp(&sim, cols, &["demo", "--speed", "600"])
            .timeout(Duration::from_secs(120))
            .run();
        assert_eq!(run.code, 0, "{}", run.text());
        let screen = run.screen();
        let from = screen
            .iter()
            .position(|l| l.contains("━━ Summary ━━"))
            .expect("a summary");
        let summary = &screen[from..];
        for line in summary {
            assert!(
                line.width() <= fitted(cols),
                "{cols}: {line}\n{}",
                summary.join("\n")
            );
        }
        let text = summary.join("\n");
        let n = cfp_api::model::OperationId::ALL.len();
        assert!(
            text.contains(&format!("{n} of {n} operations exercised")),
            "{text}"
        );
        assert!(text.contains("getUploadJobDetails"), "{text}");
        // Newest first: the scheduled batch's two tasks (61, 62) lead.
        let all = screen.join("\n");
        // The one-command patch, with cfp patch's summary.
        assert!(
            all.contains("Patch of image 3 (asid 1, machine 2): patched"),
            "{all}"
        );
        let list = all
            .split("$ cfp task list")
            .nth(1)
            .expect("the task list step");
        let first_id = list
            .lines()
            .find_map(|l| {
                l.trim_start_matches(['│', ' '])
                    .split_whitespace()
                    .next()
                    .and_then(|w| w.parse::<u32>().ok())
            })
            .expect("a task row");
        assert_eq!(first_id, 62, "{list}");
    }
}

#[test]
fn the_demo_honours_output_json() {
    let out = assert_cmd::Command::cargo_bin("cfp")
        .unwrap()
        .args(["demo", "--speed", "600", "-o", "ndjson"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let stdout = support::stdout(&out);
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(docs.len() > 20, "one document per step: {stdout}");
    assert!(
        docs.iter()
            .any(|d| d["event"] == "summary" && d["result"] == "patched" && d["image"] == 3),
        "the one-command patch's summary: {stdout}"
    );
    let last = docs.last().unwrap();
    assert_eq!(last["event"], "summary", "{last}");
    assert_eq!(last["covered"], last["total"], "{last}");
    assert!(
        docs.iter()
            .any(|d| d["event"] == "progress" && d["kind"] == "diff"),
        "wait progress events: {stdout}"
    );
    // The narration went to stderr.
    assert!(stderr(&out).contains("$ cfp task list"), "{}", stderr(&out));
}

#[test]
fn the_demos_eta_note_is_in_real_time() {
    // At 60x (the demo's default) a diff of about two simulated minutes
    // ends in about two seconds: the note must not say "in 2m…".
    let sim = Sim::fast();
    let run = PtyCommand::cfp(&sim, 120, &["demo"])
        .timeout(Duration::from_secs(120))
        .run();
    assert_eq!(run.code, 0, "{}", run.text());
    let text = run.text();
    // The progress lines' notes, on the bar (`diff 218596 Running · eta in
    // 2s`) or in full (`… · eta 2026-…Z (in 2s)`), each within its line.
    let notes: Vec<&str> = text
        .split(" · eta ")
        .skip(1)
        .filter_map(|rest| {
            let line = rest.split(['\r', '\n', '\u{1b}']).next()?;
            match line.strip_prefix("in ") {
                Some(bar) => bar.split(' ').next(),
                None => line.split(" (in ").nth(1)?.split(')').next(),
            }
        })
        .collect();
    assert!(!notes.is_empty(), "an ETA note: {text}");
    for note in notes {
        assert!(
            !note.contains('m') && !note.contains('h'),
            "a note of minutes for a wait of seconds: (in {note})"
        );
    }
}

#[test]
fn config_show_on_a_terminal_of_0_columns_is_not_one_letter_per_line() {
    let sim = Sim::fast();
    let run = on_pty(&sim, 0, &["config", "show"]);
    for whole in ["clanforge url", "environment", "<redacted, 18 chars>"] {
        assert_on_one_line(&run, whole, "config show at 0 columns");
    }
    assert!(run.screen().len() < 60, "{}", run.screen().join("\n"));
}
