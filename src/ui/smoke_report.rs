//! The `:smoke NAME` overlay: each check of the suite with its result as it arrives.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::checks_panel::health_style;
use crate::app::layout::centered;
use crate::app::state::State;
use crate::check::expect::millis;
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(run) = &state.smoke else { return };
    let width = run
        .checks
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for id in &run.checks {
        let result = run.results.iter().find(|(c, _)| c == id).map(|(_, r)| r);
        let mut spans = match result {
            Some(r) => {
                let (symbol, style) = health_style(r.verdict.health(), theme);
                vec![
                    Span::styled(format!(" {symbol} {:<5} ", r.verdict.label()), style),
                    Span::styled(format!("{:<width$} ", id.to_string()), theme.text),
                    Span::styled(format!("{:>8}  ", millis(r.duration)), theme.muted),
                    Span::styled(
                        r.summary.clone(),
                        if r.verdict.passed() {
                            theme.muted
                        } else {
                            style
                        },
                    ),
                ]
            }
            None => vec![
                Span::styled(" … ", theme.muted),
                Span::styled(format!("{:<6}{id}", "runs"), theme.muted),
            ],
        };
        if let Some(r) = result
            && r.attempts > 1
        {
            spans.push(Span::styled(
                format!(" ({} attempts)", r.attempts),
                theme.muted,
            ));
        }
        lines.push(Line::from(spans));
        if let Some(r) = result {
            for f in r.failures.iter().skip(1) {
                lines.push(Line::from(vec![
                    Span::styled("         ↳ ", theme.muted),
                    Span::styled(f.clone(), theme.bad),
                ]));
            }
        }
    }
    let done = run.results.len();
    let status = if run.finished {
        "finished · any key closes"
    } else {
        "running · any key hides"
    };
    let title = format!(
        " smoke {} · {done}/{} · {status} ",
        run.suite,
        run.checks.len()
    );
    let height = (lines.len() as u16 + 2).max(4);
    let rect = centered(area, area.width.saturating_sub(4).min(110), height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(title, theme.title))
        .style(theme.popup);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
