//! `cfp config show`: every setting, its value (secrets redacted) and where
//! it came from.

use std::io::Write;

use serde::Serialize;

use crate::cli::OutputFormat;
use crate::config::Settings;
use crate::error::CliError;

/// Prints the settings in `format`; a configuration that cannot be used
/// has its error in place of the config file's state (and the settings are
/// those resolved without the file).
pub fn print(
    settings: Option<&Settings>,
    error: Option<&str>,
    format: OutputFormat,
) -> Result<(), CliError> {
    #[derive(Serialize)]
    struct Row<'a> {
        setting: &'a str,
        value: &'a str,
        source: &'a str,
    }
    let mut rows = settings.map(Settings::rows).unwrap_or_default();
    if let Some(e) = error {
        let shown = format!("error: {e} (the settings below leave the file out)");
        match rows.iter_mut().find(|r| r.0 == "config file") {
            Some(row) => row.2 = shown,
            None => rows.insert(0, ("config file", "-".into(), format!("error: {e}"))),
        }
    }
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Table | OutputFormat::Wide => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_header(["setting", "value", "source"]);
            // The width cfp fits (80 on a terminal that reports 0 columns).
            match crate::output::layout::stdout_width() {
                Some(w) if format == OutputFormat::Table => {
                    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                        .set_width(u16::try_from(w).unwrap_or(u16::MAX));
                    // A URL or a path is never wrapped: the sources give way.
                    if let Some(c) = t.column_mut(1) {
                        c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
                    }
                }
                _ => {
                    t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
                }
            }
            for (k, v, o) in &rows {
                t.add_row([*k, v.as_str(), o.as_str()]);
            }
            writeln!(out, "{t}")?;
        }
        OutputFormat::Json | OutputFormat::Ndjson => {
            let rows: Vec<Row<'_>> = rows
                .iter()
                .map(|(k, v, o)| Row {
                    setting: k,
                    value: v,
                    source: o,
                })
                .collect();
            if format == OutputFormat::Json {
                serde_json::to_writer_pretty(&mut out, &rows).map_err(std::io::Error::other)?;
                writeln!(out)?;
            } else {
                for r in rows {
                    serde_json::to_writer(&mut out, &r).map_err(std::io::Error::other)?;
                    writeln!(out)?;
                }
            }
        }
    }
    Ok(())
}
