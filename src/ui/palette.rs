//! The palette's completions, listed just above the status line while `:` is typed: each
//! candidate with the typed part highlighted and what the command does; tab takes one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::palette::Candidate;
use crate::ui::theme::Theme;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    input: &str,
    candidates: &[Candidate],
    selected: Option<usize>,
    theme: &Theme,
) {
    if candidates.is_empty() || area.height < 4 {
        return;
    }
    let column = candidates
        .iter()
        .map(|c| c.line.chars().count())
        .max()
        .unwrap_or(0);
    let help = candidates
        .iter()
        .map(|c| c.help.chars().count())
        .max()
        .unwrap_or(0);
    let width = (column + help + 6).min(area.width as usize) as u16;
    let height = (candidates.len() as u16 + 2).min(area.height.saturating_sub(2));
    // Bottom-left, sitting on the status line.
    let rect = Rect::new(
        area.x,
        area.bottom().saturating_sub(height + 1),
        width,
        height,
    );
    let typed = input.trim_start();
    let lines: Vec<Line> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mark = if selected == Some(i) { "▸ " } else { "  " };
            let (head, rest) = match c.line.find(typed).filter(|_| !typed.is_empty()) {
                Some(at) => (
                    vec![
                        Span::styled(c.line[..at].to_owned(), theme.text),
                        Span::styled(c.line[at..at + typed.len()].to_owned(), theme.accent),
                    ],
                    c.line[at + typed.len()..].to_owned(),
                ),
                None => (vec![], c.line.clone()),
            };
            let mut spans = vec![Span::styled(mark, theme.accent)];
            spans.extend(head);
            let pad = column.saturating_sub(c.line.chars().count());
            spans.push(Span::styled(rest, theme.text));
            spans.push(Span::styled(
                format!("{}  {}", " ".repeat(pad), c.help),
                theme.muted,
            ));
            let line = Line::from(spans);
            if selected == Some(i) {
                line.style(theme.selection)
            } else {
                line
            }
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .style(theme.popup);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
