//! `cfp image status | options`.

use cfp_api::model::{AccountServiceId, GameId, ImageId, ImageLock, ImageOptions, ImageStatus};
use clap::Subcommand;

use crate::cli::Asid;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::{Col, Grid, Value, key_values, text_width};
use crate::output::table::{BAR_WIDTH, bar_of, text};
use crate::wait::wait_for;

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Show an image's rollout over fleets and regions
    #[command(after_help = "Examples:\n  cfp image status --asid 1 1 --detail\n  \
                            cfp image status --asid 1 1 --wait-ready --fail-on-failed   # gate a patch")]
    #[doc(alias = "getImageStatus")]
    Status {
        #[command(flatten)]
        asid: Asid,
        /// The game image
        #[arg(value_name = "IMAGEID", allow_negative_numbers = true)]
        image: ImageId,
        /// Per-fleet and per-region counts
        #[arg(long)]
        detail: bool,
        /// Wait until no machine is pending
        #[arg(long)]
        wait_ready: bool,
        /// With --wait-ready: exit 5 if any machine failed to install
        #[arg(long, requires = "wait_ready")]
        fail_on_failed: bool,
        /// With --wait-ready: pass for an image on no machine (all counts
        /// zero) instead of exit 5
        #[arg(long, requires = "wait_ready")]
        allow_empty: bool,
    },

    /// Show the games, images and reference machines; for one image, what
    /// locks it and its default update URL
    ///
    /// An image is locked by a diff of it until a version is made from the
    /// diff or it is rejected, and by an update of it while that runs: no
    /// new update or diff of it starts meanwhile. The default update URL
    /// may carry storage credentials: the table masks it, and JSON output
    /// has its credentials redacted.
    #[command(after_help = "Examples:\n  cfp image options --asid 1\n  \
                            cfp image options --asid 1 --game 1 --image 3   # locked by diff 218590?")]
    #[doc(alias = "getImageOptions")]
    Options {
        #[command(flatten)]
        asid: Asid,
        /// The game of the image (with --image)
        #[arg(long, value_name = "ID", requires = "image")]
        game: Option<GameId>,
        /// The image whose lock and default update URL to show (with --game)
        #[arg(long, value_name = "ID", requires = "game")]
        image: Option<ImageId>,
    },
}

impl ImageCommand {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Self::Status { asid, .. } | Self::Options { asid, .. } => asid.asid,
        }
    }
}

pub(super) async fn run(ctx: &Ctx, c: ImageCommand) -> Result<(), CliError> {
    let (image, detail, wait_ready, fail_on_failed, allow_empty) = match c {
        ImageCommand::Status {
            image,
            detail,
            wait_ready,
            fail_on_failed,
            allow_empty,
            ..
        } => (image, detail, wait_ready, fail_on_failed, allow_empty),
        ImageCommand::Options { game, image, .. } => return options(ctx, game, image).await,
    };
    let asid = ctx.asid()?;
    let cf = ctx.client.clanforge(asid);
    if !wait_ready {
        let status = cf.get_image_status(image).detail(detail).send().await?;
        return ctx.print(&status);
    }
    let waiter = cf
        .wait_for_rollout(image)
        .detail(detail)
        .fail_on_failed(fail_on_failed);
    let reattach = format!(
        "cfp {}image status --asid {asid} {image}{} --wait-ready{}{}",
        ctx.sim_flag(),
        if detail { " --detail" } else { "" },
        if fail_on_failed {
            " --fail-on-failed"
        } else {
            ""
        },
        if allow_empty { " --allow-empty" } else { "" }
    );
    let done = wait_for(ctx, waiter, reattach, async |_| Vec::new()).await?;
    ctx.print(&done)?;
    // Nothing pending because nothing is there: a gate that passed here
    // would let a rollout through that never reached a machine.
    let machines =
        done.pending_machines + done.completed_machines + done.failed_machines.unwrap_or(0);
    if machines == 0 && !allow_empty {
        return Err(CliError::WaitFailed {
            message: format!(
                "image {image} is on no machine: no machine is pending, installed or failed, \
                 so its rollout cannot be ready"
            ),
            details: vec![format!(
                "check the image id and its fleets (`{}image status --asid {asid} {image} --detail`); \
                 add --allow-empty if an image on no machine is expected",
                ctx.cfp()
            )],
        });
    }
    Ok(())
}

/// `cfp image options`: fetched, the update URL's secrets protected, then
/// printed — the JSON is the vendor's, which holds the URL.
async fn options(ctx: &Ctx, game: Option<GameId>, image: Option<ImageId>) -> Result<(), CliError> {
    let asid = ctx.asid()?;
    let mut call = ctx.client.clanforge(asid).get_image_options();
    if let (Some(g), Some(i)) = (game, image) {
        call = call.game_id(g).image_id(i);
    }
    let options = call.send().await?;
    if let Some(url) = &options.update_url {
        crate::shield::protect_update_url(url);
    }
    ctx.print(&options)
}

// -- How people see it --------------------------------------------------------

impl Table for ImageOptions {
    fn table(&self) -> String {
        let mut rows = Vec::new();
        // Lock and URL are answered only for one image (--game and --image).
        if self.diff_id.is_some() || self.update_id.is_some() || self.update_url.is_some() {
            rows.push((
                "lock",
                match self.lock() {
                    Some(ImageLock::Diff(d)) => format!(
                        "locked by diff {d} (until a version is made from it or it is rejected)"
                    ),
                    Some(ImageLock::Update(u)) => format!("locked by update {u} (while it runs)"),
                    None => "not locked".into(),
                },
            ));
            rows.push((
                "update url",
                // Masked: it may carry storage credentials.
                self.update_url.as_ref().map_or_else(
                    || "- (none: give one to imageupdate create)".into(),
                    |u| crate::shield::redacted_url(u.expose()),
                ),
            ));
        }
        let mut out = key_values(&rows);
        if !out.is_empty() {
            out.push('\n');
        }
        let name = |n: &Option<String>| n.clone().unwrap_or_else(|| "-".into());
        let id = |i: Option<String>| i.unwrap_or_else(|| "-".into());
        let mut games = Grid::new([Col::keep("game").right(), Col::text("name")]);
        for g in &self.games {
            games.row(vec![
                text(id(g.game_id.map(|v| v.to_string()))),
                text(name(&g.name)),
            ]);
        }
        let mut images = Grid::new([
            Col::keep("image").right(),
            Col::text("name"),
            Col::keep("game version").right(),
        ]);
        for i in &self.images {
            let version = match &i.game_version_id {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "-".into(),
            };
            images.row(vec![
                text(id(i.image_id.map(|v| v.to_string()))),
                text(name(&i.name)),
                text(version),
            ]);
        }
        let mut machines = Grid::new([Col::keep("reference machine").right(), Col::text("name")]);
        for m in &self.machines {
            machines.row(vec![
                text(id(m.machine_id.map(|v| v.to_string()))),
                text(name(&m.name)),
            ]);
        }
        for (t, empty) in [
            (games, self.games.is_empty()),
            (images, self.images.is_empty()),
            (machines, self.machines.is_empty()),
        ] {
            if !empty {
                out.push_str(&t.render());
                out.push('\n');
            }
        }
        out
    }
}

impl Table for ImageStatus {
    fn table(&self) -> String {
        let c = self.counts();
        let counts = format!(
            "{}%  completed {} · pending {} · failed {}  {}",
            c.percent_completed(),
            c.completed,
            c.pending,
            c.failed,
            if c.is_ready() { "READY" } else { "in progress" }
        );
        // The bar gives way first, then goes; the counts continue on the
        // next line rather than run past the width.
        let width = crate::output::layout::current().width;
        let room = width.map_or(BAR_WIDTH, |w| w.saturating_sub(text_width(&counts) + 13));
        let mut s = if room >= 8 {
            format!("rollout  {}  {counts}\n", bar_of(c, room.min(BAR_WIDTH)))
        } else if width.is_none_or(|w| text_width(&counts) + 9 <= w) {
            format!("rollout  {counts}\n")
        } else {
            let lines = crate::output::layout::fill(&counts, width.unwrap_or(80).saturating_sub(9));
            format!("rollout  {}\n", lines.join("\n         "))
        };
        if let Some(fleets) = &self.fleets {
            let mut t = Grid::new([
                Col::keep("fleet"),
                Col::text("region"),
                // On a narrow terminal the % goes first, then the bars.
                Col::bar("rollout").drop(1),
                Col::keep("%").right().drop(2),
                Col::keep("completed").right(),
                Col::keep("pending").right(),
                Col::keep("failed").right(),
            ]);
            for (fleet_id, fleet) in fleets {
                let fc = fleet.counts();
                t.row(vec![
                    text(fleet_id),
                    text("(all)"),
                    Value::Bar(fc),
                    text(fc.percent_completed()),
                    text(fc.completed),
                    text(fc.pending),
                    text(fc.failed),
                ]);
                for (region_id, region) in fleet.regions.iter() {
                    let rc = region.counts();
                    t.row(vec![
                        text(""),
                        text(format!("{region_id} {}", region.name)),
                        Value::Bar(rc),
                        text(rc.percent_completed()),
                        text(rc.completed),
                        text(rc.pending),
                        text(rc.failed),
                    ]);
                }
            }
            s.push_str(&t.render());
            s.push_str("\n█ completed  ▒ failed  ░ pending\n");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::layout::text_width;

    #[test]
    fn image_status_table_has_a_row_per_fleet_and_region() {
        let status: ImageStatus = serde_json::from_str(
            r#"{"fleets": {"1": {"regions": {"1": {"name": "Europe", "pending_machines": 2,
            "completed_machines": 10}}, "pending_machines": 2, "completed_machines": 10}},
            "pending_machines": 2, "completed_machines": 10}"#,
        )
        .unwrap();
        let text = status.table();
        assert!(text.contains("1 Europe"), "{text}");
        assert!(text.contains("in progress"), "{text}");
        assert!(text.contains("83"), "{text}");
    }

    #[test]
    fn image_status_fits_any_width_down_to_60() {
        let status: ImageStatus = serde_json::from_str(
            r#"{"fleets": {"1": {"regions": {"2": {"name": "North America East",
            "pending_machines": 1, "completed_machines": 1, "failed_machines": 1}},
            "pending_machines": 1, "completed_machines": 1, "failed_machines": 1}},
            "pending_machines": 1, "completed_machines": 1, "failed_machines": 1}"#,
        )
        .unwrap();
        for width in [60, 70, 80, 120] {
            let view = crate::output::layout::View {
                width: Some(width),
                ..Default::default()
            };
            let text = crate::output::layout::scoped(view, || status.table());
            for line in text.lines() {
                assert!(text_width(line) <= width, "{width}: {line}\n{text}");
            }
            assert!(text.contains("failed 1"), "{text}");
        }
    }
}
