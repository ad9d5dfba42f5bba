//! `cfp imageinstall status`: the install jobs not yet complete, one per
//! machine installing an image version.

use std::fmt;

use cfp_api::Answer;
use cfp_api::model::{AccountServiceId, ImageVersionId, InstallStatus};
use clap::Subcommand;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::cli::Asid;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::{Col, Grid, when_cell};
use crate::output::table::text;

#[derive(Debug, Subcommand)]
pub enum ImageinstallCommand {
    /// List the install jobs not yet complete: one per machine installing
    /// an image version
    ///
    /// A machine whose install completed is no longer listed: an empty list
    /// means nothing is installing. `cfp image status IMAGE` counts the
    /// machines per fleet and region.
    #[command(after_help = "Examples:\n  cfp imageinstall status --asid 1\n  \
                            cfp imageinstall status --asid 1 --version 5101 -o json | jq '.installs | length'")]
    #[doc(alias = "getImageInstallStatus")]
    // `--version` here is the image version; cfp's own is `cfp --version`.
    #[command(disable_version_flag = true)]
    Status {
        #[command(flatten)]
        asid: Asid,
        /// Only the installs of this image version
        #[arg(long, value_name = "ID")]
        version: Option<ImageVersionId>,
    },
}

impl ImageinstallCommand {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Self::Status { asid, .. } => asid.asid,
        }
    }
}

pub(super) async fn run(ctx: &Ctx, c: ImageinstallCommand) -> Result<(), CliError> {
    let ImageinstallCommand::Status { version, .. } = c;
    let asid = ctx.asid()?;
    let status = ctx
        .client
        .clanforge(asid)
        .get_image_install_status()
        .send()
        .await?;
    match version {
        None => ctx.print_list(&status, Some("installs")),
        Some(v) => ctx.print_list(&OfVersion::new(&status, v)?, Some("installs")),
    }
}

/// The answer with only one version's installs: the vendor's JSON with its
/// `installs` list filtered — every other field, and every field of each
/// install kept, exactly as sent — and the table of those installs.
struct OfVersion {
    json: Box<RawValue>,
    status: InstallStatus,
}

impl OfVersion {
    fn new(answer: &Answer<InstallStatus>, version: ImageVersionId) -> Result<Self, CliError> {
        let status = InstallStatus {
            installs: answer.of_version(version).cloned().collect(),
        };
        let bad = |e: serde_json::Error| {
            CliError::Io(std::io::Error::other(format!(
                "cannot filter the install status: {e}"
            )))
        };
        // The answer decoded, so it is a JSON object; each entry is kept as
        // its text.
        let Entries(entries) = serde_json::from_slice(answer.body()).map_err(bad)?;
        let mut text = String::from("{");
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(key).map_err(bad)?);
            text.push(':');
            match serde_json::from_str::<Vec<&RawValue>>(value.get()) {
                Ok(items) if key == "installs" => {
                    let kept: Vec<&str> = items
                        .iter()
                        .filter(|item| target_of(item) == Some(version))
                        .map(|item| item.get())
                        .collect();
                    text.push('[');
                    text.push_str(&kept.join(","));
                    text.push(']');
                }
                _ => text.push_str(value.get()),
            }
        }
        text.push('}');
        let json = RawValue::from_string(text).map_err(bad)?;
        Ok(Self { json, status })
    }
}

/// An install's `target_imageversionid`, read as the model reads it (a
/// number or a string holding one).
fn target_of(item: &RawValue) -> Option<ImageVersionId> {
    #[derive(serde::Deserialize)]
    struct Target {
        #[serde(rename = "target_imageversionid", default)]
        target: Option<ImageVersionId>,
    }
    serde_json::from_str::<Target>(item.get())
        .ok()
        .and_then(|t| t.target)
}

impl Serialize for OfVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

impl Table for OfVersion {
    fn table(&self) -> String {
        self.status.table()
    }
}

/// A JSON object's entries in their order, each value as its text.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Entries<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Entries<'a>, M::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push((k, v));
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

// -- How people see it --------------------------------------------------------

impl Table for InstallStatus {
    fn table(&self) -> String {
        if self.installs.is_empty() {
            return "no install in progress\n".into();
        }
        let mut t = Grid::new([
            Col::keep("install job").right(),
            Col::keep("version").right(),
            Col::text("machine"),
            Col::text("location").drop(2),
            Col::text("state"),
            Col::keep("%").right(),
            Col::keep("install at").drop(1),
            Col::keep("restart").drop(3),
        ]);
        let dash = || "-".to_owned();
        for j in &self.installs {
            let location = j
                .location
                .as_ref()
                .map(|l| match l {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_else(dash);
            t.row(vec![
                text(j.job_id),
                text(
                    j.target_version_id
                        .map(|v| v.to_string())
                        .unwrap_or_else(dash),
                ),
                text(j.machine_text().unwrap_or_else(dash)),
                text(location),
                text(j.state()),
                text(j.percent()),
                text(j.install_at.map(when_cell).unwrap_or_else(dash)),
                text(match j.restarts() {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                }),
            ]);
        }
        t.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_keeps_every_field_as_sent() {
        let body = br#"{"installs": [{"jobid": 1, "target_imageversionid": 5101, "x": 1E2},
            {"jobid": 2, "target_imageversionid": "5102"}], "extra": {"a": [1, 2]}}"#;
        let status: InstallStatus = serde_json::from_slice(body).unwrap_or_default();
        let answer = Answer::new(status, bytes::Bytes::from_static(body));
        let only = OfVersion::new(&answer, ImageVersionId(5102)).unwrap();
        assert_eq!(
            only.json.get(),
            r#"{"installs":[{"jobid": 2, "target_imageversionid": "5102"}],"extra":{"a": [1, 2]}}"#
        );
        let none = OfVersion::new(&answer, ImageVersionId(9)).unwrap();
        assert!(none.json.get().starts_with(r#"{"installs":[],"#));
    }
}
