//! Fitting what cfp prints for people to where it is read: the width
//! (`COLUMNS`, else the terminal's, else 80 when a terminal reports 0
//! columns, else none when stdout is a pipe), which columns a table keeps,
//! and times relative to the clock cfp runs with ("3m ago", "in 2m").
//!
//! The view of a run is set once ([`set`]) and read by every table
//! rendering of that thread (cfp's runtime is single-threaded).

use std::cell::RefCell;
use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use cfp_api::Clock;
use cfp_api::model::{MachineCounts, UnixTime};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table as Comfy};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

/// The width used on a terminal that reports 0 columns (a CI runner's or
/// `docker exec -t`'s pseudo-terminal).
pub const FALLBACK_WIDTH: usize = 80;

/// How output for people is laid out.
#[derive(Clone, Default)]
pub struct View {
    /// Simulated seconds per real second when cfp runs its own simulator
    /// (`--sim`, `cfp demo`): a wait's ETA note is shown in the time a
    /// person waits. `None`: real time.
    pub speed: Option<f64>,
    /// The server's clock when it answered (its `Date` header): relative
    /// times are against it rather than the local clock, which may be skewed
    /// or (against `cfp-sim --speed N`) not the server's at all.
    pub server_now: Option<i64>,
    /// The width to fit, or `None`: not constrained (stdout is not a
    /// terminal and `COLUMNS` is not set).
    pub width: Option<usize>,
    /// `-o wide`: every column, nothing shortened, absolute times beside
    /// the relative ones.
    pub wide: bool,
    /// The clock times are relative to (the simulator's under `--sim`);
    /// without one, times are absolute only.
    pub clock: Option<Arc<dyn Clock>>,
}

impl View {
    /// The view of a run: stdout's width, and relative times against `clock`.
    pub fn for_stdout(wide: bool, clock: Arc<dyn Clock>) -> Self {
        Self {
            width: stdout_width(),
            wide,
            clock: Some(clock),
            ..Self::default()
        }
    }

    /// The same view for a simulator running `speed` times real time.
    pub fn scaled(self, speed: f64) -> Self {
        Self {
            speed: (speed.is_finite() && speed > 0.0).then_some(speed),
            ..self
        }
    }

    /// Now, in Unix seconds: the server's, else the view's clock's.
    fn now(&self) -> Option<i64> {
        if let Some(now) = self.server_now {
            return Some(now);
        }
        let clock = self.clock.as_ref()?;
        let since = clock.wall_now().duration_since(UNIX_EPOCH).ok()?;
        i64::try_from(since.as_secs()).ok()
    }
}

thread_local! {
    static VIEW: RefCell<View> = RefCell::new(View::default());
}

/// Sets the view every later rendering on this thread uses.
pub fn set(view: View) {
    VIEW.with(|v| *v.borrow_mut() = view);
}

/// The current view.
pub fn current() -> View {
    VIEW.with(|v| v.borrow().clone())
}

/// Runs `f` with `view` as the current view, then restores the previous one.
pub fn scoped<R>(view: View, f: impl FnOnce() -> R) -> R {
    let old = VIEW.with(|v| std::mem::replace(&mut *v.borrow_mut(), view));
    let r = f();
    VIEW.with(|v| *v.borrow_mut() = old);
    r
}

/// The width to fit: `COLUMNS` when it is a positive number; else, on a
/// terminal (`terminal` is `Some`), its width, or [`FALLBACK_WIDTH`] when
/// it reports none (`Some(None)`); else `None`, not constrained.
pub fn width_for(columns: Option<&str>, terminal: Option<Option<u16>>) -> Option<usize> {
    if let Some(n) = columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return Some(n);
    }
    terminal.map(|cols| cols.filter(|&c| c > 0).map_or(FALLBACK_WIDTH, usize::from))
}

fn columns_env() -> Option<String> {
    std::env::var("COLUMNS").ok()
}

/// The width tables on stdout fit (see [`width_for`]).
pub fn stdout_width() -> Option<usize> {
    let out = std::io::stdout();
    let terminal = out
        .is_terminal()
        .then(|| terminal_size::terminal_size_of(&out).map(|(w, _)| w.0));
    width_for(columns_env().as_deref(), terminal)
}

/// The width a progress line on stderr fits: as [`stdout_width`], for
/// stderr, and [`FALLBACK_WIDTH`] when stderr is not a terminal.
pub fn stderr_width() -> usize {
    let err = std::io::stderr();
    let terminal = err
        .is_terminal()
        .then(|| terminal_size::terminal_size_of(&err).map(|(w, _)| w.0));
    width_for(columns_env().as_deref(), terminal).unwrap_or(FALLBACK_WIDTH)
}

/// Where progress bars are drawn: stderr, as wide as `COLUMNS` says when
/// it is set (indicatif's own target reads the terminal's width, or 80 when
/// it reports none).
pub fn progress_target() -> indicatif::ProgressDrawTarget {
    let columns = columns_env().and_then(|c| c.trim().parse::<u16>().ok());
    match columns.filter(|&c| c > 0) {
        Some(width) => indicatif::ProgressDrawTarget::term_like_with_hz(
            Box::new(FixedWidthStderr { width }),
            20,
        ),
        None => indicatif::ProgressDrawTarget::stderr(),
    }
}

/// stderr as a terminal `width` columns wide.
#[derive(Debug)]
struct FixedWidthStderr {
    width: u16,
}

impl FixedWidthStderr {
    fn write(&self, s: &str) -> std::io::Result<()> {
        use std::io::Write as _;
        std::io::stderr().lock().write_all(s.as_bytes())
    }

    fn csi(&self, n: usize, code: char) -> std::io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.write(&format!("\x1b[{n}{code}"))
    }
}

impl indicatif::TermLike for FixedWidthStderr {
    fn width(&self) -> u16 {
        self.width
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.csi(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.csi(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.csi(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.csi(n, 'D')
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.write(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.write(s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.write("\r\x1b[2K")
    }

    fn flush(&self) -> std::io::Result<()> {
        use std::io::Write as _;
        std::io::stderr().lock().flush()
    }
}

/// The width `text` takes on a terminal.
pub fn text_width(text: &str) -> usize {
    text.width()
}

/// `text` cut to `width` columns, ending in `…` when cut.
pub fn cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `text` filled into lines of at most `width` columns, breaking only
/// between words: a word longer than a line (an id, a URL) has a line of
/// its own and is never split.
pub fn fill(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A measured duration as cfp writes it for people (a wait, a stage, a
/// run): [`cfp_api::human_duration`]'s units (`5s`, `1m30s`, `1h3m`,
/// `2d3h`) in whole seconds — `0s`, never `0ms` or `1.5s`; under a second
/// (and not zero) it is `<1s`.
pub fn duration(d: Duration) -> String {
    match d.as_millis() {
        0 => "0s".into(),
        1..=499 => "<1s".into(),
        ms => cfp_api::human_duration(Duration::from_secs(
            u64::try_from((ms + 500) / 1000).unwrap_or(u64::MAX),
        )),
    }
}

/// `t` relative to `now` (Unix seconds): `3m ago`, `in 2m`, `now`. In the
/// server's own time, as its timestamps are (a simulator's included).
pub fn relative(t: UnixTime, now: i64) -> String {
    let delta = t.as_secs().saturating_sub(now);
    let span = || duration(Duration::from_secs(delta.unsigned_abs()));
    match delta {
        0 => "now".into(),
        d if d > 0 => format!("in {}", span()),
        _ => format!("{} ago", span()),
    }
}

/// `secs` of server time as the time a person waits for it, in whole
/// seconds: divided by the simulator's speed when there is one.
fn real_secs(secs: u64, speed: Option<f64>) -> u64 {
    match speed {
        // Rounded; saturating as floats do.
        Some(s) => (secs as f64 / s).round() as u64,
        None => secs,
    }
}

/// A span of `secs` server seconds still to go, as the time a person waits
/// (`2m21s`, or `2s` at a simulator's 60×): a wait's ETA note.
pub fn span(secs: u64) -> String {
    match real_secs(secs, current().speed) {
        0 if secs > 0 => "<1s".into(),
        real => duration(Duration::from_secs(real)),
    }
}

/// Renders `f` with relative times against the server's clock at `date`
/// — unless cfp runs its own simulator, whose clock it has.
pub fn at_server_date<R>(date: Option<std::time::SystemTime>, f: impl FnOnce() -> R) -> R {
    if current().speed.is_some() {
        return f();
    }
    let now = date
        .and_then(|d| d.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok());
    match now {
        Some(now) => {
            let view = View {
                server_now: Some(now),
                ..current()
            };
            scoped(view, f)
        }
        None => f(),
    }
}

/// A timestamp in a table cell: relative (`3m ago`); under `-o wide`, or
/// without a clock, the absolute time (with the relative one beside it);
/// `-` for the task API's "not yet" (`0`).
pub fn when_cell(t: UnixTime) -> String {
    if t.is_unset() {
        return "-".into();
    }
    let view = current();
    match view.now() {
        Some(now) if view.wide => format!("{t} ({})", relative(t, now)),
        Some(now) => relative(t, now),
        None => t.to_string(),
    }
}

/// A timestamp on a line of its own: absolute, with the relative time
/// beside it (`2026-11-30T15:51:09Z (3m ago)`); `-` for "not yet".
pub fn when_line(t: UnixTime) -> String {
    if t.is_unset() {
        return "-".into();
    }
    let view = current();
    match view.now() {
        Some(now) => format!("{t} ({})", relative(t, now)),
        None => t.to_string(),
    }
}

/// Text from anywhere, as one line of a cell: shielded, line breaks and
/// tabs as spaces (a cell is one line, so its width is known).
fn one_line(text: &str) -> String {
    crate::shield::for_terminal(text)
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect()
}

/// How a column gives way when the table is too wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Never shortened nor wrapped: ids, timestamps, URLs, numbers.
    Keep,
    /// Free text: cut with `…`.
    Cut,
    /// A rollout bar: drawn narrower.
    Bar,
}

/// A table column.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    header: &'static str,
    fit: Fit,
    right: bool,
    /// `0`: always shown; else dropped on a narrow terminal, the highest
    /// rank first.
    drop: u8,
    wide_only: bool,
}

/// Free text is never cut below this (or its header's longest word).
const CUT_MIN: usize = 10;
/// Bars are never drawn narrower than this.
const BAR_MIN: usize = 8;

impl Col {
    /// A column never shortened: ids, timestamps, URLs.
    pub const fn keep(header: &'static str) -> Self {
        Self {
            header,
            fit: Fit::Keep,
            right: false,
            drop: 0,
            wide_only: false,
        }
    }

    /// A free-text column, cut with `…` to fit.
    pub const fn text(header: &'static str) -> Self {
        Self {
            fit: Fit::Cut,
            ..Self::keep(header)
        }
    }

    /// A rollout bar column.
    pub const fn bar(header: &'static str) -> Self {
        Self {
            fit: Fit::Bar,
            ..Self::keep(header)
        }
    }

    /// Right-aligned (numbers).
    pub const fn right(self) -> Self {
        Self {
            right: true,
            ..self
        }
    }

    /// Dropped on a narrow terminal; the highest rank goes first.
    pub const fn drop(self, rank: u8) -> Self {
        Self { drop: rank, ..self }
    }

    /// Shown under `-o wide` only.
    pub const fn wide_only(self) -> Self {
        Self {
            wide_only: true,
            ..self
        }
    }
}

/// A cell's value.
#[derive(Debug, Clone)]
pub enum Value {
    /// Text (shielded when rendered).
    Text(String),
    /// A rollout bar of these counts, drawn at the column's width.
    Bar(MachineCounts),
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

/// A table fitted to the view's width: columns dropped (least useful first)
/// and free text cut until it fits; ids, timestamps and URLs never wrap.
#[derive(Debug, Clone)]
pub struct Grid {
    cols: Vec<Col>,
    rows: Vec<Vec<Value>>,
}

/// What a table's frame takes besides its cells: `│ a ┆ b │` is 3 per
/// column and 1.
fn frame(widths: impl Iterator<Item = usize>) -> usize {
    widths.map(|w| w + 3).sum::<usize>() + 1
}

fn longest_word(text: &str) -> usize {
    text.split(' ').map(|w| w.width()).max().unwrap_or(0)
}

impl Grid {
    /// A table with these columns.
    pub fn new(cols: impl Into<Vec<Col>>) -> Self {
        Self {
            cols: cols.into(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one value per column; missing ones are blank).
    pub fn row(&mut self, cells: Vec<Value>) -> &mut Self {
        self.rows.push(cells);
        self
    }

    /// Rendered for the current view.
    pub fn render(&self) -> String {
        self.render_in(&current())
    }

    /// Rendered for `view`.
    pub fn render_in(&self, view: &View) -> String {
        let texts: Vec<Vec<Option<String>>> = self
            .rows
            .iter()
            .map(|r| {
                (0..self.cols.len())
                    .map(|i| match r.get(i) {
                        Some(Value::Text(s)) => Some(one_line(s)),
                        Some(Value::Bar(_)) => None,
                        None => Some(String::new()),
                    })
                    .collect()
            })
            .collect();
        let content = |i: usize| {
            texts
                .iter()
                .filter_map(|r| r[i].as_deref().map(str::width))
                .max()
                .unwrap_or(0)
        };
        let n = self.cols.len();
        let natural: Vec<usize> = (0..n)
            .map(|i| {
                let c = &self.cols[i];
                let cells = match c.fit {
                    Fit::Bar => super::table::BAR_WIDTH,
                    _ => content(i),
                };
                cells.max(c.header.width())
            })
            .collect();
        let least: Vec<usize> = (0..n)
            .map(|i| {
                let c = &self.cols[i];
                let word = longest_word(c.header);
                match c.fit {
                    Fit::Keep => content(i).max(word),
                    Fit::Cut => natural[i].min(CUT_MIN).max(word),
                    Fit::Bar => natural[i].min(BAR_MIN).max(word),
                }
            })
            .collect();
        let mut shown: Vec<usize> = (0..n)
            .filter(|&i| view.wide || !self.cols[i].wide_only)
            .collect();
        let mut widths = natural.clone();
        if let (Some(width), false) = (view.width, view.wide) {
            // Drop columns, least useful first, until the rest can fit.
            while frame(shown.iter().map(|&i| least[i])) > width {
                let Some(pos) = shown
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| self.cols[**i].drop > 0)
                    .max_by_key(|(pos, i)| (self.cols[**i].drop, *pos))
                    .map(|(pos, _)| pos)
                else {
                    break;
                };
                shown.remove(pos);
            }
            // Then narrow the widest column that can give way, one column
            // at a time, until the table fits (or nothing gives way).
            while frame(shown.iter().map(|&i| widths[i])) > width {
                let Some(&i) = shown
                    .iter()
                    .filter(|&&i| widths[i] > least[i])
                    .max_by_key(|&&i| widths[i] - least[i])
                else {
                    break;
                };
                widths[i] -= 1;
            }
        }
        let mut t = Comfy::new();
        t.load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        t.set_header(shown.iter().map(|&i| {
            let c = &self.cols[i];
            let header = if c.header.width() > widths[i] {
                fill(c.header, widths[i]).join("\n")
            } else {
                c.header.to_owned()
            };
            Cell::new(header)
        }));
        for (r, row) in self.rows.iter().enumerate() {
            t.add_row(shown.iter().map(|&i| {
                let c = &self.cols[i];
                let text = match (&texts[r][i], row.get(i)) {
                    (_, Some(Value::Bar(counts))) => super::table::bar_of(*counts, widths[i]),
                    (Some(s), _) if c.fit == Fit::Cut => cut(s, widths[i]),
                    (Some(s), _) => s.clone(),
                    (None, _) => String::new(),
                };
                let cell = Cell::new(text);
                if c.right {
                    cell.set_alignment(CellAlignment::Right)
                } else {
                    cell
                }
            }));
        }
        t.to_string()
    }
}

/// `key  value` lines, the keys right-aligned; a value too long for the
/// view's width continues on the next lines under itself, broken between
/// words only (an id or a URL is never split).
pub fn key_values(rows: &[(&str, String)]) -> String {
    let key_width = rows.iter().map(|(k, _)| k.width()).max().unwrap_or(0);
    let view = current();
    let room = view
        .width
        .filter(|_| !view.wide)
        .map(|w| w.saturating_sub(key_width + 2).max(CUT_MIN));
    let mut s = String::new();
    for (k, v) in rows {
        let lines = match room {
            Some(room) => v
                .lines()
                .flat_map(|l| {
                    if l.width() > room {
                        fill(l, room)
                    } else {
                        vec![l.to_owned()]
                    }
                })
                .collect(),
            None => v.lines().map(str::to_owned).collect::<Vec<_>>(),
        };
        let mut lines = lines.into_iter();
        let first = lines.next().unwrap_or_default();
        s.push_str(&format!("{k:>key_width$}  {first}\n"));
        for l in lines {
            s.push_str(&format!("{:key_width$}  {l}\n", ""));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> UnixTime {
        UnixTime::from_secs(secs).unwrap()
    }

    #[test]
    fn the_width_is_columns_then_the_terminal_then_80_else_none() {
        assert_eq!(width_for(Some("100"), None), Some(100));
        assert_eq!(width_for(Some("100"), Some(Some(120))), Some(100));
        assert_eq!(width_for(Some("abc"), Some(Some(120))), Some(120));
        assert_eq!(width_for(Some("0"), Some(None)), Some(80));
        assert_eq!(width_for(None, Some(None)), Some(FALLBACK_WIDTH));
        assert_eq!(width_for(None, Some(Some(0))), Some(FALLBACK_WIDTH));
        assert_eq!(width_for(None, None), None, "a pipe is not constrained");
    }

    #[test]
    fn durations_and_relative_times_read_like_people_write_them() {
        assert_eq!(duration(Duration::from_secs(5)), "5s");
        assert_eq!(duration(Duration::new(5, 2_213_471)), "5s");
        assert_eq!(duration(Duration::from_secs(130)), "2m10s");
        assert_eq!(duration(Duration::from_secs(3780)), "1h3m");
        assert_eq!(duration(Duration::ZERO), "0s");
        assert_eq!(duration(Duration::from_millis(300)), "<1s");
        assert_eq!(duration(Duration::from_millis(1500)), "2s");
        assert_eq!(duration(Duration::from_millis(9_400)), "9s");
        assert_eq!(relative(at(1000), 1180), "3m ago");
        assert_eq!(relative(at(1120), 1000), "in 2m");
        assert_eq!(relative(at(1000), 1000), "now");
        assert_eq!(relative(at(1000), 1000 + 2 * 86_400), "2d ago");
        // A simulator at 60x: 2m21s of its time is a 2 s wait.
        let scaled = View::default().scaled(60.0);
        assert_eq!(scoped(scaled.clone(), || span(141)), "2s");
        assert_eq!(scoped(scaled, || span(20)), "<1s");
        assert_eq!(span(141), "2m21s");
    }

    #[test]
    fn cutting_and_filling_never_split_a_word_that_must_stay_whole() {
        assert_eq!(cut("restart the server", 10), "restart t…");
        assert_eq!(cut("short", 10), "short");
        assert_eq!(text_width(&cut("ééééééééééé", 5)), 5);
        let url = "https://storage.example.com/images/upload/0792dd52aeb9329cb1e677fae6465f23";
        let lines = fill(&format!("download failed: {url} not found"), 30);
        assert_eq!(lines, ["download failed:", url, "not found"]);
    }

    fn sample() -> Grid {
        let mut g = Grid::new([
            Col::keep("id").right(),
            Col::text("description"),
            Col::keep("execute at").drop(2),
            Col::keep("long job uuid").drop(1),
            Col::keep("extra").wide_only(),
        ]);
        g.row(vec![
            "123456".into(),
            "a free text that goes on and on about what happened".into(),
            "2026-11-30T15:51:09Z".into(),
            "0792dd52aeb9329cb1e677fae6465f23".into(),
            "more".into(),
        ]);
        g
    }

    fn widest(text: &str) -> usize {
        text.lines().map(text_width).max().unwrap_or(0)
    }

    #[test]
    fn a_grid_fits_its_width_keeping_ids_and_times_whole() {
        for width in [40, 60, 80, 120] {
            let view = View {
                width: Some(width),
                ..View::default()
            };
            let text = sample().render_in(&view);
            assert!(widest(&text) <= width, "{width}:\n{text}");
            assert!(text.contains("123456"), "{text}");
            assert!(!text.contains("extra"), "wide only: {text}");
            if text.contains("execute") {
                assert!(text.contains("2026-11-30T15:51:09Z"), "{text}");
            }
            if text.contains("uuid") {
                assert!(text.contains("0792dd52aeb9329cb1e677fae6465f23"), "{text}");
            }
        }
        let narrow = sample().render_in(&View {
            width: Some(40),
            ..View::default()
        });
        assert!(!narrow.contains("uuid"), "dropped first: {narrow}");
        assert!(narrow.contains('…'), "{narrow}");
    }

    #[test]
    fn wide_and_unconstrained_grids_show_everything() {
        let wide = sample().render_in(&View {
            width: Some(40),
            wide: true,
            ..View::default()
        });
        assert!(wide.contains("extra") && wide.contains("on and on about what happened"));
        let piped = sample().render_in(&View::default());
        assert!(piped.contains("on and on about what happened") && !piped.contains("extra"));
        assert!(piped.contains("0792dd52aeb9329cb1e677fae6465f23"));
    }

    #[test]
    fn headers_break_between_words_only() {
        let mut g = Grid::new([Col::keep("execute at"), Col::text("text")]);
        g.row(vec!["3m ago".into(), "x".repeat(40).into()]);
        let text = g.render_in(&View {
            width: Some(30),
            ..View::default()
        });
        assert!(
            text.contains("execute") && !text.contains("execut\n"),
            "{text}"
        );
        assert!(widest(&text) <= 30, "{text}");
    }

    #[test]
    fn key_values_continue_long_values_under_themselves() {
        let rows = [
            ("id", "7000".to_owned()),
            (
                "error",
                "download failed: s3://builds/demo-server-beta/ not found".to_owned(),
            ),
        ];
        let text = scoped(
            View {
                width: Some(40),
                ..View::default()
            },
            || key_values(&rows),
        );
        assert!(widest(&text) <= 40, "{text}");
        assert!(text.contains("s3://builds/demo-server-beta/"), "{text}");
        // Continued under the value, not under the key.
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(
            text.lines().skip(2).all(|l| l.starts_with("       ")),
            "{text}"
        );
    }
}
