//! The Deploys screen: a service's deploys and rollbacks from the audit log, newest first —
//! when, who, from which version to which, how it ended and how long it took.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table};

use crate::app::state::State;
use crate::model::{ServiceId, units};
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, service: &ServiceId, theme: &Theme) {
    let name = service.to_string();
    let events: Vec<_> = state
        .deploy_history
        .iter()
        .rev()
        .filter(|e| e.service == name)
        .collect();
    let lock = match state.locks.get(service) {
        Some(Ok(Some(holder))) => Some(Span::styled(
            format!(" ⚠ deploy lock held by {holder} "),
            theme.warn,
        )),
        Some(Err(e)) => Some(Span::styled(format!(" lock not read: {e} "), theme.muted)),
        _ => None,
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(
            format!(" deploys · {name} · {} in the audit log ", events.len()),
            theme.title,
        ));
    if let Some(lock) = lock {
        block = block.title_bottom(lock);
    }
    if events.is_empty() {
        let text = format!(
            " no deploys of {name} in the audit log yet — :deploy {name} VERSION makes one"
        );
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.muted)).block(block),
            area,
        );
        return;
    }
    let header = TableRow::new(
        ["WHEN", "AGO", "WHAT", "FROM → TO", "RESULT", "TOOK", "WHO"].map(Cell::from),
    )
    .style(theme.muted.add_modifier(Modifier::BOLD));
    let rows: Vec<TableRow> = events
        .iter()
        .map(|e| {
            let ago = units::uptime((state.now - e.at).to_std().unwrap_or_default());
            let (result, style) = match (e.result.as_str(), e.rolled_back) {
                ("succeeded", _) => ("ok".to_owned(), theme.ok),
                ("failed", true) => ("failed, rolled back".to_owned(), theme.warn),
                ("running", _) => ("running…".to_owned(), theme.accent),
                (other, _) => (other.to_owned(), theme.bad),
            };
            let versions = format!(
                "{} → {}",
                e.from.as_deref().unwrap_or("?"),
                e.to.as_deref().unwrap_or("?")
            );
            TableRow::new(vec![
                Cell::from(e.at.format("%m-%d %H:%M:%S").to_string()),
                Cell::from(ago),
                Cell::from(e.kind.clone()),
                Cell::from(super::shown_cell(&versions)),
                Cell::from(Span::styled(result, style)),
                Cell::from(
                    e.duration_ms
                        .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
                        .unwrap_or_default(),
                ),
                Cell::from(super::shown_cell(&e.user)),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(14),
            Constraint::Length(6),
            Constraint::Length(8),
            Constraint::Length(24),
            Constraint::Length(20),
            Constraint::Length(7),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .block(block)
    .column_spacing(1);
    frame.render_widget(table, area);
}
