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
