//! `docs/cli.md`: the choices the CLI makes (written by hand in
//! `doc/cli-intro.md`), then every command's `--help` as the binary prints
//! it. The test `tests/cli_doc.rs` checks that the file is current and
//! rewrites it with `CFP_BLESS=1` (`cargo xtask codegen` does that).

use std::fmt::Write as _;

use clap::CommandFactory;

/// The text of `docs/cli.md`.
pub fn cli_markdown() -> String {
    fn visit(cmd: &mut clap::Command, path: &str, out: &mut String) {
        if cmd.is_hide_set() {
            return;
        }
        let name = if path.is_empty() {
            cmd.get_name().to_owned()
        } else {
            format!("{path} {}", cmd.get_name())
        };
        let depth = name.split(' ').count().min(4);
        let _ = writeln!(out, "{} `{name}`\n", "#".repeat(depth + 1));
        let help = cmd.render_long_help().to_string();
        let _ = writeln!(out, "```text\n{}\n```\n", help.trim_end());
        let mut subs: Vec<clap::Command> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .cloned()
            .collect();
        for sub in &mut subs {
            visit(sub, &name, out);
        }
    }

    let mut out = String::from(
        "<!-- @generated from crates/cfp-cli/doc/cli-intro.md and the clap definitions in \
         crates/cfp-cli/src/cli.rs (`cargo xtask codegen`). DO NOT EDIT. -->\n\n",
    );
    out.push_str(include_str!("../doc/cli-intro.md").trim_end());
    out.push_str("\n\n## Reference\n\nEvery command's `--help`, as the binary prints it. Global options are accepted before or after the command.\n\n");
    let mut cmd = crate::cli::Cli::command().term_width(100);
    cmd.build();
    visit(&mut cmd, "", &mut out);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
