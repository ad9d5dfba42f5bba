//! Printing results: vendor-shaped JSON, NDJSON, or tables for people.
//! Results go to stdout; everything else goes to stderr.

pub mod config_show;
pub mod jq;
pub mod layout;
pub(crate) mod table;

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::OutputFormat;

pub use table::Table;

/// Writes one result in the chosen format.
///
/// `json` is indented (one document); `ndjson` is one compact line; `table`
/// and `wide` use the value's [`Table`] rendering (fitted to the width of
/// [`layout::current`]). The JSON of a vendor's answer is
/// its own text, numbers and field order exactly as sent: it is indented,
/// never re-encoded.
pub fn print<T: Serialize + Table>(
    out: &mut dyn Write,
    format: OutputFormat,
    value: &T,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            let text = serde_json::to_string(value).map_err(io::Error::other)?;
            out.write_all(indent_json(&crate::shield::redact(&text)).as_bytes())?;
            writeln!(out)
        }
        OutputFormat::Ndjson => {
            let text = serde_json::to_string(value).map_err(io::Error::other)?;
            out.write_all(compact_json(&crate::shield::redact(&text)).as_bytes())?;
            writeln!(out)
        }
        OutputFormat::Table | OutputFormat::Wide => {
            let text = crate::shield::for_terminal(&value.table());
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                writeln!(out)?;
            }
            Ok(())
        }
    }
}

/// Writes a list result. With `ndjson`, one item per line: the elements of
/// the answer's array, or of its field `items` when the list is wrapped in
/// an object (`{"installs": [...]}`); each item's text is the vendor's, as
/// sent. Other formats print the value as [`print`] does.
pub fn print_list<T: Serialize + Table>(
    out: &mut dyn Write,
    format: OutputFormat,
    value: &T,
    items: Option<&str>,
) -> io::Result<()> {
    if format != OutputFormat::Ndjson {
        return print(out, format, value);
    }
    let text = serde_json::to_string(value).map_err(io::Error::other)?;
    let text = crate::shield::redact(&text);
    let list: Option<Vec<&serde_json::value::RawValue>> = match items {
        None => serde_json::from_str(&text).ok(),
        Some(key) => serde_json::from_str::<
            std::collections::BTreeMap<String, &serde_json::value::RawValue>,
        >(&text)
        .ok()
        .and_then(|fields| fields.get(key).copied())
        .and_then(|raw| serde_json::from_str(raw.get()).ok()),
    };
    match list {
        Some(list) => {
            for item in list {
                out.write_all(compact_json(item.get()).as_bytes())?;
                writeln!(out)?;
            }
            Ok(())
        }
        // Not the list it should be: the answer as it is, on one line.
        None => {
            out.write_all(compact_json(&text).as_bytes())?;
            writeln!(out)
        }
    }
}

/// Writes one NDJSON line (a progress event while waiting).
pub fn ndjson_line<T: Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let text = serde_json::to_string(value).map_err(io::Error::other)?;
    out.write_all(compact_json(&crate::shield::redact(&text)).as_bytes())?;
    writeln!(out)?;
    out.flush()
}

/// Valid JSON text re-indented by two spaces, token by token: strings and
/// numbers are copied as they are (an integer written `452984832E8` stays
/// so), only the whitespace between tokens changes — and a character a
/// terminal would act on (DEL, C1 controls, bidi overrides; JSON already
/// escapes C0) is written as its `\u` escape, the same string value.
pub fn indent_json(text: &str) -> String {
    reflow(text, true)
}

/// Valid JSON text on one line, whitespace between tokens removed.
pub fn compact_json(text: &str) -> String {
    reflow(text, false)
}

fn reflow(text: &str, pretty: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    if crate::shield::is_unsafe(c) {
                        // Each unit of the character as a `\u` escape (these
                        // are all in the Basic Multilingual Plane).
                        out.push_str(&format!("\\u{:04x}", c as u32));
                        continue;
                    }
                    out.push(c);
                    match c {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                out.push(e);
                            }
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    if pretty {
                        newline(&mut out, depth);
                    }
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if pretty {
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(',');
                if pretty {
                    newline(&mut out, depth);
                }
            }
            ':' => {
                out.push(':');
                if pretty {
                    out.push(' ');
                }
            }
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_reflowed_without_touching_strings_or_numbers() {
        let text = r#"{"a": [1, 452984832E8, {}], "b": {"c": "x, y: {z}\"q\"", "d": []}}"#;
        assert_eq!(
            compact_json(text),
            r#"{"a":[1,452984832E8,{}],"b":{"c":"x, y: {z}\"q\"","d":[]}}"#
        );
        assert_eq!(
            indent_json(text),
            "{\n  \"a\": [\n    1,\n    452984832E8,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"x, y: {z}\\\"q\\\"\",\n    \"d\": []\n  }\n}"
        );
        let v: serde_json::Value = serde_json::from_str(&indent_json(text)).unwrap();
        assert_eq!(v["b"]["c"], "x, y: {z}\"q\"");
    }

    #[test]
    fn ndjson_lists_are_one_item_per_line() {
        struct List(serde_json::Value);
        impl Serialize for List {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }
        impl Table for List {
            fn table(&self) -> String {
                String::new()
            }
        }
        let mut out = Vec::new();
        let list = List(serde_json::json!([{"id": 1}, {"id": 2, "x": [1, 2]}]));
        print_list(&mut out, OutputFormat::Ndjson, &list, None).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            "{\"id\":1}\n{\"id\":2,\"x\":[1,2]}\n"
        );
        let mut out = Vec::new();
        let wrapped = List(serde_json::json!({"installs": [{"a": 1}, {"b": 2}]}));
        print_list(&mut out, OutputFormat::Ndjson, &wrapped, Some("installs")).unwrap();
        assert_eq!(String::from_utf8_lossy(&out), "{\"a\":1}\n{\"b\":2}\n");
        let mut out = Vec::new();
        print_list(
            &mut out,
            OutputFormat::Ndjson,
            &List(serde_json::json!([])),
            None,
        )
        .unwrap();
        assert!(out.is_empty(), "an empty list prints nothing");
    }

    #[test]
    fn characters_a_terminal_acts_on_are_escaped_in_json_strings() {
        let text = serde_json::json!({"n": "a\u{202e}b\u{9b}c\u{7f}\u{1b}"}).to_string();
        let out = compact_json(&text);
        assert!(!out.chars().any(crate::shield::is_unsafe), "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["n"], "a\u{202e}b\u{9b}c\u{7f}\u{1b}", "the same value");
    }
}
