//! The `?` overlay, generated from the key map so it never disagrees with it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::layout::centered;
use crate::app::state::State;
use crate::model::Action;
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let entries: Vec<(String, &str)> = Action::ALL
        .iter()
        .filter_map(|action| {
            let keys: Vec<String> = state
                .keymap
                .keys_for(*action)
                .iter()
                .map(ToString::to_string)
                .collect();
            (!keys.is_empty()).then(|| (keys.join(", "), action.describe()))
        })
        .collect();
    let footer = [
        "  mouse: wheel scrolls, click selects, click again opens",
        "  palette: :host NAME  :filter TEXT  :restart HOST/SERVICE  :smoke SUITE  :quit",
        "  keys are set in hosts.toml [keys], e.g. \"ctrl-r\" = \"refresh\"",
    ];
    let mut lines = Vec::new();
    let mut width = 84;
    if entries.len() + footer.len() + 3 <= area.height as usize {
        for (keys, what) in &entries {
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:>22}  "), theme.accent),
                Span::styled(*what, theme.text),
            ]));
        }
        lines.push(Line::raw(""));
        lines.extend(
            footer
                .iter()
                .map(|f| Line::from(Span::styled(*f, theme.muted))),
        );
    } else {
        // Short terminals: two columns (three, four when two do not fit), keys and words
        // cut to fit.
        // The popup leaves the header and the status line visible.
        let room = area.height.saturating_sub(4).max(1) as usize;
        let n = (2..=4)
            .find(|n| entries.len().div_ceil(*n) <= room)
            .unwrap_or(4);
        // The popup grows to the terminal's width (up to 60 columns a column of keys).
        width = area
            .width
            .saturating_sub(2)
            .min(n as u16 * 60 + 2)
            .max(84.min(area.width));
        let col = (width.saturating_sub(2) / n as u16) as usize;
        // Three or four columns: a key of each action (its first), 6 wide.
        let key_width = if n == 2 { 11 } else { 6 };
        let cell = |(keys, what): &(String, &str)| {
            let keys: String = if n == 2 {
                keys.chars().take(key_width).collect()
            } else {
                keys.split(", ")
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(key_width)
                    .collect()
            };
            let room = col.saturating_sub(key_width + 3);
            let what = what.trim_start_matches("logs: ");
            let what: String = if what.chars().count() > room {
                let mut cut: String = what.chars().take(room.saturating_sub(1)).collect();
                cut.push('…');
                cut
            } else {
                what.to_owned()
            };
            vec![
                Span::styled(format!("{keys:>key_width$}  "), theme.accent),
                Span::styled(
                    format!("{what:<w$}", w = col.saturating_sub(key_width + 2)),
                    theme.text,
                ),
            ]
        };
        let per_column = entries.len().div_ceil(n);
        for i in 0..per_column {
            let mut spans = Vec::new();
            for c in 0..n {
                if let Some(e) = entries.get(c * per_column + i) {
                    spans.extend(cell(e));
                }
            }
            lines.push(Line::from(spans));
        }
    }
    let height = lines.len() as u16 + 2;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(" keys · any key closes ", theme.title))
        .style(theme.popup);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
