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
        // Short terminals: two columns, keys and words cut to fit.
        let col = (area.width.saturating_sub(4) / 2) as usize;
        let cell = |(keys, what): &(String, &str)| {
            let keys: String = keys.chars().take(11).collect();
            let what: String = what
                .trim_start_matches("logs: ")
                .chars()
                .take(col.saturating_sub(14))
                .collect();
            vec![
                Span::styled(format!("{keys:>11}  "), theme.accent),
                Span::styled(
                    format!("{what:<w$}", w = col.saturating_sub(13)),
                    theme.text,
                ),
            ]
        };
        let half = entries.len().div_ceil(2);
        for i in 0..half {
            let mut spans = cell(&entries[i]);
            if let Some(right) = entries.get(half + i) {
                spans.extend(cell(right));
            }
            lines.push(Line::from(spans));
        }
    }
    let height = lines.len() as u16 + 2;
    let rect = centered(area, 84, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(" keys · any key closes ", theme.title))
        .style(theme.popup);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
