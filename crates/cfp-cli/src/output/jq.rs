//! `--jq EXPR`: a jq filter run in-process (the jaq implementation of the
//! jq language) on the JSON document a command would print with `-o json`.
//! Each value the filter yields is written on its own line as compact JSON
//! (`jq -c`), strings quoted, and shielded like every other JSON output.

use std::io::{self, Write};
use std::sync::OnceLock;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data};
use jaq_json::Val;

/// The run's `--jq` expression, checked, set once before any request.
static ACTIVE: OnceLock<String> = OnceLock::new();

type Filter = jaq_core::Filter<data::JustLut<Val>>;

/// Checks `code` and makes it the filter of every result this run prints.
/// The error names what is wrong in the expression.
pub fn activate(code: &str) -> Result<(), String> {
    compile(code)?;
    let _ = ACTIVE.set(code.to_owned());
    Ok(())
}

/// The run's `--jq` expression, if any.
pub fn active() -> Option<&'static str> {
    ACTIVE.get().map(String::as_str)
}

/// Compiles `code`, or says in one line what is wrong with it.
fn compile(code: &str) -> Result<Filter, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    // Not `env`: the environment holds credentials (an update URL with its
    // storage keys, say) that cfp never prints.
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|(name, _, _)| *name != "env");
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(&arena, File { code, path: () })
        .map_err(|errs| {
            let mut said = Vec::new();
            for (_, e) in errs {
                match e {
                    jaq_core::load::Error::Io(v) => {
                        said.extend(v.into_iter().map(|(path, why)| format!("{path}: {why}")));
                    }
                    jaq_core::load::Error::Lex(v) => said.extend(
                        v.into_iter()
                            .map(|(expect, at)| near(expect.as_str(), at, code)),
                    ),
                    jaq_core::load::Error::Parse(v) => said.extend(
                        v.into_iter()
                            .map(|(expect, at)| near(expect.as_str(), at, code)),
                    ),
                }
            }
            said.join("; ")
        })?;
    Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            errs.into_iter()
                .flat_map(|(_, v)| v)
                .map(|(name, undefined)| format!("undefined {} `{name}`", undefined.as_str()))
                .collect::<Vec<_>>()
                .join("; ")
        })
}

/// "expected X at `rest`", or "at the end" when nothing is left.
fn near(expected: &str, at: &str, code: &str) -> String {
    let rest: String = at.chars().take(20).collect();
    if rest.trim().is_empty() || at.len() > code.len() {
        format!("expected {expected} at the end of the expression")
    } else {
        format!("expected {expected} at `{rest}`")
    }
}

/// Runs `code` on the JSON text `json` and writes each value it yields on
/// its own line. A runtime error (`.foo` of an array, say) stops it with
/// the error in words.
pub fn write(out: &mut dyn Write, code: &str, json: &str) -> Result<(), JqError> {
    let filter = compile(code).map_err(JqError::Filter)?;
    let input = jaq_json::read::parse_single(json.as_bytes())
        .map_err(|e| JqError::Filter(format!("cannot read the JSON: {e}")))?;
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    for item in filter.id.run((ctx, input)) {
        match item {
            Ok(v) => {
                let text = super::compact_json(&crate::shield::redact(&v.to_string()));
                out.write_all(text.as_bytes())?;
                writeln!(out)?;
            }
            Err(exn) => match exn.get_err() {
                Ok(e) => return Err(JqError::Filter(shorten(&e.to_string()))),
                // `halt`: the filter asked to stop.
                Err(_) => break,
            },
        }
    }
    Ok(())
}

/// A runtime error quotes the value it failed on, which may be the whole
/// answer: the start of it is enough.
fn shorten(message: &str) -> String {
    const MAX: usize = 160;
    if message.chars().count() <= MAX {
        return message.to_owned();
    }
    let start: String = message.chars().take(MAX).collect();
    format!("{start}…")
}

/// Why `--jq` printed nothing more.
#[derive(Debug)]
pub enum JqError {
    /// The filter failed on this input.
    Filter(String),
    /// Writing failed.
    Io(io::Error),
}

impl From<io::Error> for JqError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: &str, json: &str) -> Result<String, JqError> {
        let mut out = Vec::new();
        write(&mut out, code, json)?;
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    #[test]
    fn each_value_on_its_own_line_as_compact_json() {
        let json = r#"[{"id": 1, "resultCode": 126, "n": "a"}, {"id": 2, "resultCode": 0}]"#;
        let out = run(".[] | select(.resultCode == 126)", json).ok();
        assert_eq!(
            out.as_deref(),
            Some("{\"id\":1,\"resultCode\":126,\"n\":\"a\"}\n")
        );
        let out = run(".[].id", json).ok();
        assert_eq!(out.as_deref(), Some("1\n2\n"));
        let out = run("map(.id) | length", json).ok();
        assert_eq!(out.as_deref(), Some("2\n"));
    }

    #[test]
    fn a_bad_expression_is_named() {
        let e = compile(".[] | select(").err().unwrap_or_default();
        assert!(e.contains("expected"), "{e}");
        let e = compile("nosuchfilter").err().unwrap_or_default();
        assert!(e.contains("undefined filter `nosuchfilter`"), "{e}");
        let e = compile("env").err().unwrap_or_default();
        assert!(e.contains("undefined filter `env`"), "no environment: {e}");
        let e = compile("$ENV").err().unwrap_or_default();
        assert!(e.contains("undefined"), "no environment: {e}");
    }

    #[test]
    fn a_runtime_error_is_said() {
        match run(".foo", "[1]") {
            Err(JqError::Filter(e)) => assert!(e.contains("cannot index"), "{e}"),
            other => panic!("expected a filter error, got {other:?}"),
        }
    }

    #[test]
    fn terminal_controls_in_strings_are_escaped() {
        let out = run(".[0]", "[\"a\\u001b[2Jb\u{202e}\"]")
            .ok()
            .unwrap_or_default();
        assert_eq!(out, "\"a\\u001b[2Jb\\u202e\"\n");
    }
}
