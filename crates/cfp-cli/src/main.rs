//! The `cfp` command-line tool: not built yet (see the CLI issue).
fn main() {}
