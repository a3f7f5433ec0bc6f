//! The Backups screen: one set of the service or host at a time — freshness against its
//! RPO, flags, the last drill, then its backups newest first with age, size, parts and
//! where each copy is. The chosen backup is what `R` restores.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, TableState};

use crate::app::state::{BackupSetState, BackupsView, State};
use crate::backup::{Backup, Offsite};
use crate::model::units;
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, view: &BackupsView, theme: &Theme) {
    let Some(set) = view.set().and_then(|i| state.backups.get(i)) else {
        return;
    };
    let of = if view.sets.len() > 1 {
        format!(
            " ({}/{}, enter: next set)",
            view.current + 1,
            view.sets.len()
        )
    } else {
        String::new()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(
            format!(" backups · {} · set {}{of} ", view.title, set.name),
            theme.title,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let summary = summary(set, state, theme);
    let [top, table_area] = Layout::vertical([
        Constraint::Length(summary.len() as u16 + 1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(summary), top);
    backups_table(frame, table_area, set, state, view.selected, theme);
}

/// The lines above the table: freshness, counts, the last drill, flags and errors.
fn summary(set: &BackupSetState, state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let rpo = set
        .rpo
        .map_or("no RPO".to_owned(), |r| format!("RPO {}", span(r)));
    let mut first = vec![Span::styled(format!(" {rpo} · "), theme.muted)];
    match (&set.status, set.newest_local().or(set.backups().first())) {
        (None, _) => first.push(Span::styled(
            if set.error.is_some() {
                "not listed"
            } else {
                "listing…"
            },
            theme.muted,
        )),
        (Some(_), None) => first.push(Span::styled("● no backups at all", theme.bad)),
        (Some(status), Some(newest)) => {
            let age = units::uptime(newest.age(state.now));
            if set.stale(state.now) {
                first.push(Span::styled(
                    format!("● stale: newest {age} ago"),
                    theme.bad,
                ));
            } else {
                first.push(Span::styled(format!("● fresh: newest {age} ago"), theme.ok));
            }
            let offsite = match &status.offsite {
                Offsite::NotConfigured => "no off-site listing".to_owned(),
                Offsite::Listed(_) => format!("{} off-site", status.offsite_count()),
                Offsite::Failed(_) => "off-site not checked".to_owned(),
            };
            first.push(Span::styled(
                format!(" · {} backups · {offsite}", status.count()),
                theme.muted,
            ));
        }
    }
    lines.push(Line::from(first));
    let drill = match &set.drill {
        None => Span::styled(
            " last drill: never (D drills the newest backup)",
            theme.muted,
        ),
        Some(d) => {
            let ago = units::uptime((state.now - d.at).to_std().unwrap_or_default());
            let rows = d
                .integrity
                .as_deref()
                .map(|i| format!(", integrity: {i}"))
                .unwrap_or_default();
            if d.ok {
                Span::styled(format!(" last drill: ok, {ago} ago{rows}"), theme.ok)
            } else {
                Span::styled(
                    format!(" last drill: FAILED {ago} ago: {}", d.summary),
                    theme.bad,
                )
            }
        }
    };
    lines.push(Line::from(drill));
    for flag in set.flags() {
        lines.push(Line::from(Span::styled(
            format!(" ⚠ {}", flag.label()),
            theme.warn,
        )));
    }
    if let Some(status) = &set.status {
        for w in status.warnings.iter().take(2) {
            lines.push(Line::from(Span::styled(format!(" ⚠ {w}"), theme.warn)));
        }
        if let Offsite::Failed(e) = &status.offsite {
            lines.push(Line::from(Span::styled(
                format!(" ⚠ off-site: {e}"),
                theme.warn,
            )));
        }
    }
    if let Some(e) = &set.error {
        lines.push(Line::from(Span::styled(
            format!(" ✘ listing failed: {e}"),
            theme.bad,
        )));
    }
    lines
}

fn backups_table(
    frame: &mut Frame,
    area: Rect,
    set: &BackupSetState,
    state: &State,
    selected: usize,
    theme: &Theme,
) {
    let backups = set.backups();
    let header = TableRow::new(["KEY", "AGE", "SIZE", "PARTS", "WHERE", ""].map(Cell::from))
        .style(theme.muted.add_modifier(Modifier::BOLD));
    let visible = area.height.saturating_sub(1) as usize;
    let offset = selected.saturating_sub(visible.saturating_sub(1));
    let rows: Vec<TableRow> = backups
        .iter()
        .skip(offset)
        .take(visible.max(1))
        .enumerate()
        .map(|(i, b)| row(b, i + offset == selected, set, state, theme))
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(30),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(16),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .column_spacing(1)
    .row_highlight_style(theme.selection);
    let mut table_state = TableState::default()
        .with_selected((!backups.is_empty()).then(|| selected.saturating_sub(offset)));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// An RPO as it is written: `24h`, `30m`, `7d`.
fn span(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 && s >= 3 * 86_400 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn row<'a>(
    b: &'a Backup,
    chosen: bool,
    set: &BackupSetState,
    state: &State,
    theme: &Theme,
) -> TableRow<'a> {
    let age = b.age(state.now);
    let age_style = match set.rpo {
        Some(rpo) if age > rpo => theme.muted,
        _ => theme.text,
    };
    let place = match (b.local, b.offsite) {
        (true, true) => Span::styled("host + off-site", theme.ok),
        (true, false) => Span::styled("host only", theme.warn),
        (false, true) => Span::styled("off-site only", theme.muted),
        (false, false) => Span::styled("?", theme.muted),
    };
    let parts = b.parts.len().max(b.offsite_parts.len());
    let mut notes = Vec::new();
    if b.smaller_than_previous {
        notes.push("⚠ under half the previous".to_owned());
    }
    if !b.missing.is_empty() {
        notes.push(format!("⚠ missing {}", b.missing.join(", ")));
    }
    TableRow::new(vec![
        Cell::from(Line::from(vec![
            Span::styled(if chosen { "▶ " } else { "  " }, theme.accent),
            Span::styled(b.key.as_str(), theme.text),
        ])),
        Cell::from(Span::styled(units::uptime(age), age_style)),
        Cell::from(units::bytes(b.size)),
        Cell::from(parts.to_string()),
        Cell::from(place),
        Cell::from(Span::styled(notes.join(" · "), theme.warn)),
    ])
}
