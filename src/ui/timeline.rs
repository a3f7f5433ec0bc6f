//! The `:timeline` screen: the audit log as an incident timeline — when, who, what, where,
//! how it ended and how long it took, newest at the bottom — and each outage's time to
//! recovery.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table};

use crate::app::state::{State, TimelineView};
use crate::runbook::timeline::{Row, human};
use crate::ui::theme::Theme;

use super::shown_cell;

pub fn render(frame: &mut Frame, area: Rect, _state: &State, view: &TimelineView, theme: &Theme) {
    let since = view
        .since
        .as_deref()
        .map(|s| format!(" since {}", shown_cell(s)))
        .unwrap_or_default();
    let block = |n: String| {
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(format!(" timeline{since}{n} "), theme.title))
    };
    let rows = match &view.rows {
        None => {
            let p = Paragraph::new(Span::styled(" reading the audit log…", theme.muted));
            frame.render_widget(p.block(block(String::new())), area);
            return;
        }
        Some(Err(e)) => {
            let p = Paragraph::new(Span::styled(format!(" {}", shown_cell(e)), theme.bad));
            frame.render_widget(p.block(block(String::new())), area);
            return;
        }
        Some(Ok(rows)) => rows,
    };
    let (recoveries, events): (Vec<&Row>, Vec<&Row>) =
        rows.iter().partition(|r| r.kind == "recovery");
    let mut title = format!(" · {} entries", events.len());
    if view.bad > 0 {
        title.push_str(&format!(" · {} lines not entries", view.bad));
    }
    let mut block = block(title);
    if !recoveries.is_empty() {
        let text: Vec<String> = recoveries
            .iter()
            .rev()
            .take(4)
            .map(|r| match r.duration_ms {
                Some(ms) => format!(
                    "{} back in {}",
                    r.service.as_deref().unwrap_or(&r.what),
                    human(ms)
                ),
                None => r.what.clone(),
            })
            .collect();
        block = block.title_bottom(Span::styled(
            format!(" time to recovery: {} ", shown_cell(&text.join(" · "))),
            theme.warn,
        ));
    }
    if events.is_empty() {
        let p = Paragraph::new(Span::styled(
            " nothing in the audit log yet: actions, runbook steps, check changes and :note land here",
            theme.muted,
        ));
        frame.render_widget(p.block(block), area);
        return;
    }
    let header =
        TableRow::new(["WHEN", "TOOK", "WHO", "WHAT", "HOST", "OUTCOME", "DETAIL"].map(Cell::from))
            .style(theme.muted.add_modifier(Modifier::BOLD));
    // The newest at the bottom; scrolling goes back in time.
    let room = area.height.saturating_sub(3) as usize;
    let end = events.len().saturating_sub(view.scroll);
    let start = end.saturating_sub(room);
    let body: Vec<TableRow> = events[start..end]
        .iter()
        .map(|r| {
            let outcome = r.outcome.as_deref().unwrap_or(if r.end.is_none() {
                "no end recorded"
            } else {
                ""
            });
            let style = match outcome {
                "succeeded" | "passed" | "completed" | "passing" | "reachable" => theme.ok,
                "failed" | "aborted" | "failing" | "unreachable" | "interrupted" => theme.bad,
                "skipped" | "refused" | "no end recorded" => theme.warn,
                _ => theme.text,
            };
            TableRow::new(vec![
                Cell::from(r.start.format("%m-%d %H:%M:%S").to_string()),
                Cell::from(r.duration_ms.map(human).unwrap_or_default()),
                Cell::from(shown_cell(&r.who)),
                Cell::from(shown_cell(&r.what)),
                Cell::from(shown_cell(r.host.as_deref().unwrap_or(""))),
                Cell::from(Span::styled(outcome.to_owned(), style)),
                Cell::from(shown_cell(r.detail.as_deref().unwrap_or(""))),
            ])
        })
        .collect();
    let table = Table::new(
        body,
        [
            Constraint::Length(14),
            Constraint::Length(6),
            Constraint::Length(10),
            Constraint::Fill(3),
            Constraint::Length(9),
            Constraint::Length(11),
            Constraint::Fill(2),
        ],
    )
    .header(header)
    .block(block)
    .column_spacing(1);
    frame.render_widget(table, area);
}
