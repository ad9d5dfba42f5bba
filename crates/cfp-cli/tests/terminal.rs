//! The CLI on a pseudo-terminal: what a person sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use support::Sim;
use support::pty::PtyCommand;

#[test]
fn on_a_terminal_the_default_output_is_a_table() {
    let sim = Sim::fast();
    let run = PtyCommand::cfp(&sim, 120, &["task", "templates"]).run();
    assert_eq!(run.code, 0, "{}", run.text());
    let screen = run.screen().join("\n");
    assert!(screen.contains("Restart"), "{screen}");
    assert!(!screen.trim_start().starts_with('['), "not JSON: {screen}");
}

/// A whole patch on a terminal of 80 columns: a line per stage, the
/// changes, and the rollout per fleet and region as `image status
/// --detail` shows it — no line wider than the terminal, no bar left
/// behind once its stage passed.
#[test]
fn a_whole_patch_on_80_columns_ends_with_the_rollout_per_fleet_and_region() {
    let sim = Sim::fast();
    let state = tempfile::tempdir().unwrap();
    let run = PtyCommand::cfp(
        &sim,
        80,
        &[
            "patch",
            "--image",
            "1",
            "--machine",
            "1",
            "--restart",
            "--yes",
            "--max-failed",
            "25%",
        ],
    )
    .env("XDG_STATE_HOME", state.path().to_str().unwrap())
    .run();
    assert_eq!(run.code, 0, "{}", run.text());
    let screen = run.screen();
    let text = screen.join("\n");
    for stage in [
        "preflight",
        "update",
        "diff",
        "confirm",
        "version",
        "rollout",
    ] {
        assert!(
            screen.iter().any(|l| l.starts_with(&format!("✓ {stage}"))),
            "✓ {stage}: {text}"
        );
    }
    assert!(text.contains("changes   "), "{text}");
    assert!(
        text.contains("1 Europe West"),
        "the rollout per region: {text}"
    );
    assert!(text.contains("3 Asia Pacific"), "{text}");
    assert!(
        !screen
            .iter()
            .any(|l| l.contains("] 100%") || l.contains("]  ")),
        "no bar left behind: {text}"
    );
    for line in &screen {
        assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
    }
}
