//! The rendering for people, and what the commands' renderings share: the
//! job rows, the rollout bars. Each command's own `Table` implementations
//! live beside the command (`commands/<group>.rs`), so a new operation's
//! view is written where its command is.

use cfp_api::model::{Job, MachineCounts};

use super::layout::{Value, when_line};

/// A rendering for people.
pub trait Table {
    /// The value as text: tables, bars, key/value lists.
    fn table(&self) -> String;
}

impl<T: Table> Table for cfp_api::Answer<T> {
    fn table(&self) -> String {
        // "3m ago" by the server's clock, which answered just now.
        super::layout::at_server_date(self.server_date(), || self.value().table())
    }
}

pub(crate) fn text(v: impl ToString) -> Value {
    Value::Text(v.to_string())
}

/// A rollout bar's width when there is room.
pub(crate) const BAR_WIDTH: usize = 24;

/// `██████████▒░░░`: completed, failed, pending, scaled to `BAR_WIDTH`.
pub(crate) fn rollout_bar(c: MachineCounts) -> String {
    bar_of(c, BAR_WIDTH)
}

/// A rollout bar `width` cells wide.
pub(crate) fn bar_of(c: MachineCounts, width: usize) -> String {
    let total = c.total();
    if total == 0 {
        return "·".repeat(width);
    }
    let scale = |n: u64| -> usize {
        let cells = u128::from(n) * width as u128 / u128::from(total);
        usize::try_from(cells).unwrap_or(width)
    };
    let done = scale(c.completed);
    // A failed machine is never hidden by rounding: at least one cell.
    let failed = if c.failed > 0 {
        scale(c.failed).max(1).min(width)
    } else {
        0
    };
    let done = done.min(width - failed);
    let pending = width - done - failed;
    format!(
        "{}{}{}",
        "█".repeat(done),
        "▒".repeat(failed),
        "░".repeat(pending)
    )
}

/// The rows every Clanforge job shows, under its own id (`diff 218595`).
pub(crate) fn job_rows(
    label: &'static str,
    id: String,
    j: &impl Job,
) -> Vec<(&'static str, String)> {
    let f = j.fields();
    let mut rows = vec![
        (label, id),
        ("state", j.state().to_string()),
        ("progress", format!("{}%", j.percent())),
        ("created", when_line(f.created)),
        (
            "started",
            f.started.map(when_line).unwrap_or_else(|| "-".into()),
        ),
        ("eta", f.eta.map(when_line).unwrap_or_else(|| "-".into())),
        ("updated", when_line(f.updated)),
        ("failures", f.failures.to_string()),
    ];
    if let Some(e) = j.error_message() {
        rows.push(("error", e.to_owned()));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(completed: u64, pending: u64, failed: u64) -> MachineCounts {
        MachineCounts {
            pending,
            failed,
            completed,
        }
    }

    #[test]
    fn bars_fill_in_proportion_and_always_show_a_failure() {
        assert_eq!(rollout_bar(counts(24, 0, 0)), "█".repeat(BAR_WIDTH));
        assert_eq!(rollout_bar(counts(0, 24, 0)), "░".repeat(BAR_WIDTH));
        let one_failed = rollout_bar(counts(999, 0, 1));
        assert_eq!(one_failed.chars().filter(|&c| c == '▒').count(), 1);
        assert_eq!(one_failed.chars().count(), BAR_WIDTH);
        let half = rollout_bar(counts(12, 12, 0));
        assert_eq!(half.chars().filter(|&c| c == '█').count(), 12);
        assert_eq!(rollout_bar(counts(0, 0, 0)).chars().count(), BAR_WIDTH);
    }
}
