//! The `?` overlay, generated from the key map so it never disagrees with it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::layout::centered;
use crate::app::action::Action;
use crate::app::state::State;
use crate::config::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut lines = Vec::new();
    for action in Action::ALL {
        let keys: Vec<String> = state
            .keymap
            .keys_for(*action)
            .iter()
            .map(ToString::to_string)
            .collect();
        if keys.is_empty() {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{:>22}  ", keys.join(", ")), theme.accent),
            Span::styled(action.describe(), theme.text),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "  mouse: wheel scrolls, click selects, click again opens",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        "  palette: :host NAME  :filter TEXT  :restart HOST/SERVICE  :smoke SUITE  :quit",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        "  keys are set in hosts.toml [keys], e.g. \"ctrl-r\" = \"refresh\"",
        theme.muted,
    )));
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
