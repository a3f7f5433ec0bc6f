//! The log screen: the newest lines of a followed source (or a scrolled-back position),
//! search matches highlighted, an optional filter with context. Log text never reaches
//! the terminal raw: control characters (escape sequences included) are shown as `·`,
//! and very long lines are cut with a marker (enter shows the whole line).

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::ansi;
use crate::app::layout::centered;
use crate::app::log_view::LogView;
use crate::app::state::State;
use crate::model::Level;
use crate::model::log_ring::LogEntry;
use crate::ui::theme::Theme;

/// Characters of one line drawn on the log screen; the rest is behind enter.
pub const SHOWN_CHARS: usize = 2_000;
/// The widest source column of a merged view.
const MAX_ORIGIN_WIDTH: usize = 24;
/// Characters shown in the full-line popup.
const FULL_CHARS: usize = 65_536;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(view) = state.logs() else { return };
    let mut title = vec![Span::styled(
        format!(" logs · {} ", view.title),
        theme.title,
    )];
    if view.sources.len() > 1 {
        title.push(Span::styled(
            format!("· {} sources ", view.sources.len()),
            theme.muted,
        ));
    }
    if view.complete() {
        title.push(Span::styled("window read ", theme.ok));
    } else if view.scroll == 0 {
        title.push(Span::styled("following ", theme.ok));
    } else {
        title.push(Span::styled(
            format!("paused · {} new ", view.unseen),
            theme.warn,
        ));
    }
    let window = window_label(&view.window);
    if !window.is_empty() {
        title.push(Span::styled(
            format!("· {window} (server side) "),
            theme.accent,
        ));
    }
    if let Some(q) = &view.search {
        title.push(Span::styled(
            format!("· /{} {} matches ", q.raw, view.matches.len()),
            theme.accent,
        ));
    }
    if let Some(q) = &view.filter {
        title.push(Span::styled(
            format!(
                "· filter {} ±{} ({} lines) ",
                q.raw,
                view.context,
                view.visible_len()
            ),
            theme.accent,
        ));
    }
    if view.ring.dropped() > 0 {
        title.push(Span::styled(
            format!("· {} dropped ", view.ring.dropped()),
            theme.muted,
        ));
    }
    for s in &view.sources {
        if let Some(gap) = &s.gap {
            let who = if view.sources.len() > 1 {
                format!("{}: ", s.follow.label)
            } else {
                String::new()
            };
            title.push(Span::styled(
                format!("· gap {who}{} ", printable(gap, 200)),
                theme.bad,
            ));
        }
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    let height = inner.height as usize;
    let origin_width = view
        .ring
        .origins()
        .iter()
        .map(|o| o.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_ORIGIN_WIDTH);
    let positions: Vec<usize> = if view.wrap {
        // Wrapped lines take several rows: take from the newest back until the screen is
        // full (the oldest taken may show only its end).
        let width = inner.width.max(1) as usize;
        // The columns before the text, as drawn (the level column is counted always).
        let prefix = if view.timestamps { 9 } else { 0 }
            + if origin_width > 0 {
                origin_width + 1
            } else {
                0
            }
            + 6;
        let end = view.visible_len().saturating_sub(view.scroll);
        let (mut start, mut rows) = (end, 0);
        while rows < height
            && let Some(e) = start
                .checked_sub(1)
                .and_then(|p| view.seq_at(p))
                .and_then(|s| view.ring.get(s))
        {
            rows += (prefix + display(&e.text).text.chars().count())
                .div_ceil(width)
                .max(1);
            start -= 1;
        }
        (start..end).collect()
    } else {
        view.window(height).collect()
    };
    let entries: Vec<&LogEntry> = positions
        .into_iter()
        .filter_map(|pos| view.seq_at(pos))
        .filter_map(|seq| view.ring.get(seq))
        .collect();
    // The time column stays in place for lines without a time when others on screen have one.
    let time_column = view.timestamps && entries.iter().any(|e| e.at().is_some());
    let columns = Columns {
        time: time_column,
        origin: origin_width,
    };
    let lines: Vec<Line> = entries
        .into_iter()
        .map(|e| line_of(view, e, columns, theme))
        .collect();
    let mut paragraph = Paragraph::new(lines);
    if view.wrap {
        // The newest line's last row sits at the bottom, however the words wrapped.
        paragraph = paragraph.wrap(Wrap { trim: false });
        let rows = paragraph.line_count(inner.width);
        let over = rows.saturating_sub(height).min(u16::MAX as usize) as u16;
        paragraph = paragraph.scroll((over, 0));
    }
    frame.render_widget(paragraph.block(block), area);
}

/// `since … until … grep …` of a server-side window; empty when there is none.
pub fn window_label(w: &crate::protocol::Window) -> String {
    let time = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    };
    let mut parts = Vec::new();
    if let Some(t) = w.since {
        parts.push(format!("since {}", time(t)));
    }
    if let Some(t) = w.until {
        parts.push(format!("until {}", time(t)));
    }
    if let Some(g) = &w.grep {
        parts.push(format!("grep {}", printable(g, 80)));
    }
    parts.join(" ")
}

/// The columns before the text: time, and the source in merged views.
#[derive(Clone, Copy)]
struct Columns {
    time: bool,
    /// Width of the source column; 0 without one.
    origin: usize,
}

fn line_of<'a>(view: &'a LogView, e: &'a LogEntry, columns: Columns, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::with_capacity(6);
    if columns.time {
        let time = e
            .at()
            .map_or_else(|| " ".repeat(9), |at| at.format("%H:%M:%S ").to_string());
        spans.push(Span::styled(time, theme.muted));
    }
    // Merged views: a source column as wide as the longest source name (up to a limit).
    if columns.origin > 0 {
        let width = columns.origin;
        let origin = shorten_middle(&printable(view.ring.origin(e), 256), width);
        spans.push(Span::styled(format!("{origin:<width$} "), theme.accent));
    }
    if e.stderr {
        spans.push(Span::styled("err ", theme.bad));
    }
    let shown = display(&e.text);
    let level = if e.level == Level::Unknown {
        json_level(&e.text).unwrap_or(Level::Unknown)
    } else {
        e.level
    };
    if level != Level::Unknown {
        spans.push(Span::styled(
            format!("{:<5} ", level.label()),
            level_style(level, theme),
        ));
    }
    // Cut lines say so up front, where the screen shows it whatever the width.
    if e.text.len() > SHOWN_CHARS {
        spans.push(Span::styled(
            format!("[{} bytes, cut: enter shows all] ", e.text.len()),
            theme.warn,
        ));
    }
    let matches: Vec<Range<usize>> = view
        .search
        .as_ref()
        .map(|q| q.re.find_iter(&shown.text).map(|m| m.range()).collect())
        .unwrap_or_default();
    let highlight = theme.selection.add_modifier(Modifier::BOLD);
    let runs = if theme.log_colors {
        shown.runs.as_slice()
    } else {
        &[]
    };
    spans.extend(segments(&shown.text, runs, &matches, theme.text, highlight));
    Line::from(spans)
}

/// Text cut at run and match boundaries: the log's own colours over the theme's text
/// style, search matches highlighted over both.
fn segments(
    text: &str,
    runs: &[(Range<usize>, Style)],
    matches: &[Range<usize>],
    base: Style,
    highlight: Style,
) -> Vec<Span<'static>> {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for r in runs.iter().map(|(r, _)| r).chain(matches) {
        cuts.extend([r.start, r.end]);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| a < b)
        .map(|(a, b)| {
            let inside = |r: &Range<usize>| r.start <= a && b <= r.end;
            let style = if matches.iter().any(inside) {
                highlight
            } else {
                runs.iter()
                    .find(|(r, _)| inside(r))
                    .map_or(base, |(_, s)| base.patch(*s))
            };
            Span::styled(text[a..b].to_owned(), style)
        })
        .collect()
}

/// What the screen shows of a line: JSON objects as `message key=value …`, the rest as is;
/// cut to [`SHOWN_CHARS`], colours kept as styles, every other control sequence replaced.
pub fn display(raw: &str) -> ansi::Styled {
    ansi::parse(
        &json_text(raw).unwrap_or_else(|| raw.to_owned()),
        SHOWN_CHARS,
    )
}

/// The text [`display`] shows, without its styles.
pub fn display_text(raw: &str) -> String {
    display(raw).text
}

/// A JSON object line as `message key=value …`; `None` for anything else.
fn json_text(raw: &str) -> Option<String> {
    if !raw.starts_with('{') || raw.len() > 64 * 1024 {
        return None;
    }
    let serde_json::Value::Object(map) = serde_json::from_str::<serde_json::Value>(raw).ok()?
    else {
        return None;
    };
    let message = ["message", "msg", "event"]
        .iter()
        .find_map(|k| map.get(*k).and_then(|v| v.as_str()))
        .unwrap_or("");
    let mut out = message.to_owned();
    for (k, v) in map
        .iter()
        .filter(|(k, _)| !JSON_SHOWN_ELSEWHERE.contains(&k.as_str()))
    {
        let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        out.push_str(&format!("  {k}={v}"));
    }
    Some(out)
}

/// JSON keys shown as the line's message, level or time rather than as fields.
const JSON_SHOWN_ELSEWHERE: &[&str] = &[
    "message",
    "msg",
    "event",
    "level",
    "levelname",
    "severity",
    "asctime",
    "time",
    "timestamp",
    "ts",
    "@timestamp",
];

/// The level of a JSON line (`level`, `levelname`, `severity`).
pub fn json_level(raw: &str) -> Option<Level> {
    if !raw.starts_with('{') || raw.len() > 64 * 1024 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    let l = ["level", "levelname", "severity"]
        .iter()
        .find_map(|k| v.get(*k)?.as_str())?;
    match Level::detect(l) {
        Level::Unknown => None,
        l => Some(l),
    }
}

fn level_style(level: Level, theme: &Theme) -> Style {
    match level {
        Level::Error => theme.bad,
        Level::Warn => theme.warn,
        Level::Info => theme.info,
        Level::Debug | Level::Unknown => theme.muted,
    }
}

/// At most `width` characters: a longer name keeps its start and its end (host and source
/// tell merged sources apart) around a `…`.
fn shorten_middle(name: &str, width: usize) -> String {
    let n = name.chars().count();
    if n <= width {
        return name.to_owned();
    }
    let head = (width - 1) / 2;
    let tail = width - 1 - head;
    let mut out: String = name.chars().take(head).collect();
    out.push('…');
    out.extend(name.chars().skip(n - tail));
    out
}

/// At most `max` characters, with control characters (ESC, BEL, CR…) shown as `·`: for
/// short texts from logs (source names, gap reasons, patterns).
pub fn printable(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| if c.is_control() { '·' } else { c })
        .collect()
}

/// The full-line popup.
pub fn render_full_line(frame: &mut Frame, area: Rect, state: &State, seq: u64, theme: &Theme) {
    let Some(view) = state.logs() else { return };
    let Some(e) = view.ring.get(seq) else { return };
    let rect = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let shown = ansi::parse(&e.text, FULL_CHARS);
    let (text, more) = (shown.text, shown.cut);
    let title = if more {
        format!(
            " line {seq} · {} bytes · first {FULL_CHARS} characters (w saves the view) · any key closes ",
            e.text.len()
        )
    } else {
        format!(" line {seq} · {} bytes · any key closes ", e.text.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(title, theme.title))
        .style(theme.popup);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_read_as_message_and_fields() {
        let raw = r#"{"asctime": "2026-11-25 10:00:01", "levelname": "WARNING", "message": "slow query", "ms": 812}"#;
        assert_eq!(display_text(raw), "slow query  ms=812");
        assert_eq!(json_level(raw), Some(Level::Warn));
        assert_eq!(
            json_level(r#"{"severity":"error","msg":"x"}"#),
            Some(Level::Error)
        );
    }

    #[test]
    fn long_source_names_keep_both_ends() {
        assert_eq!(
            shorten_middle("triboka/triboka-flask:journal", 24),
            "triboka/tri…lask:journal"
        );
        assert_eq!(shorten_middle("api#1", 24), "api#1");
    }

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(printable("a\u{1b}[2Jb\u{7}c", 100), "a·[2Jb·c");
        assert_eq!(display_text("a\u{1b}[2Jb\u{1b}[31mred\u{1b}[0m"), "a·bred");
        assert_eq!(display_text(&"x".repeat(5000)).chars().count(), SHOWN_CHARS);
    }
}
