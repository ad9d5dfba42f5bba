//! Printing results: vendor-shaped JSON, NDJSON, or tables for people.
//! Results go to stdout; everything else goes to stderr.

pub(crate) mod table;

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::OutputFormat;

pub use table::Table;

/// Writes one result in the chosen format.
///
/// `json` is pretty-printed (one document); `ndjson` is one compact line;
/// `table` uses the value's [`Table`] rendering.
pub fn print<T: Serialize + Table>(
    out: &mut dyn Write,
    format: OutputFormat,
    value: &T,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
            writeln!(out)
        }
        OutputFormat::Ndjson => {
            serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
            writeln!(out)
        }
        OutputFormat::Table => {
            let text = value.table();
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                writeln!(out)?;
            }
            Ok(())
        }
    }
}

/// Writes one NDJSON line (a progress event while waiting).
pub fn ndjson_line<T: Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)?;
    out.flush()
}
