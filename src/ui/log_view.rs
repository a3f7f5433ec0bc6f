//! The log screen: the newest lines of one followed source, or a paused scroll position.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::state::State;
use crate::config::theme::Theme;
use crate::model::Level;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(view) = &state.logs else { return };
    let mut title = vec![Span::styled(
        format!(" logs · {} · {} ", view.service, view.source),
        theme.title,
    )];
    if view.scroll == 0 {
        title.push(Span::styled("following ", theme.ok));
    } else {
        title.push(Span::styled(
            format!("paused · {} new ", view.unseen),
            theme.warn,
        ));
    }
    if view.dropped > 0 {
        title.push(Span::styled(
            format!("· {} dropped ", view.dropped),
            theme.muted,
        ));
    }
    if let Some(gap) = &view.gap {
        title.push(Span::styled(format!("· gap: {gap} "), theme.bad));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    let height = inner.height as usize;
    let end = view.lines.len().saturating_sub(view.scroll);
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = view
        .lines
        .range(start..end)
        .map(|l| {
            let style = level_style(l.level, theme);
            let mut spans = Vec::with_capacity(3);
            if let Some(at) = l.at {
                spans.push(Span::styled(
                    at.format("%H:%M:%S ").to_string(),
                    theme.muted,
                ));
            }
            if !l.origin.is_empty() {
                spans.push(Span::styled(format!("{} ", l.origin), theme.accent));
            }
            if l.stderr {
                spans.push(Span::styled("err ", theme.bad));
            }
            if l.level != Level::Unknown {
                spans.push(Span::styled(format!("{:<5} ", l.level.label()), style));
            }
            spans.push(Span::styled(printable(&l.message), theme.text));
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn level_style(level: Level, theme: &Theme) -> Style {
    match level {
        Level::Error => theme.bad,
        Level::Warn => theme.warn,
        Level::Info => theme.info,
        Level::Debug | Level::Unknown => theme.muted,
    }
}

/// Control characters (escape sequences included) never reach the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '·' } else { c })
        .collect()
}
