//! Alerts: the `⚑N` badge on host and service rows, the count in the header, the Alerts
//! screen (every alert, mapped or not; the selected one's labels and annotations) and the
//! silence popup.
//!
//! ```text
//! ┌ alerts · Alertmanager http://… · read 3s ago ───────────────────────────┐
//! │ STATE  SEV  ALERT  HOST / SERVICE  SINCE  SILENCE                       │
//! ├ selected: summary, description, runbook, labels, annotations ───────────┤
//! └─────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row as TableRow, Table, Wrap};

use crate::app::state::{AlertsView, SilenceForm, State, any_critical};
use crate::model::units;
use crate::model::{HostId, ServiceId};
use crate::monitor::MappedAlert;
use crate::ui::theme::Theme;

use super::shown_cell;

fn badge(n: usize, critical: bool, theme: &Theme) -> Option<Span<'static>> {
    (n > 0).then(|| {
        let style = if critical { theme.bad } else { theme.warn };
        Span::styled(format!(" ⚑{n}"), style.add_modifier(Modifier::BOLD))
    })
}

/// The firing alerts of a host (its services' too), as a badge after its name.
pub fn host_badge(state: &State, host: &HostId, theme: &Theme) -> Option<Span<'static>> {
    let n = state.alert_count_for_host(host);
    badge(n, any_critical(state.alerts.of_host(host)), theme)
}

pub fn service_badge(state: &State, service: &ServiceId, theme: &Theme) -> Option<Span<'static>> {
    let n = state.alert_count_for_service(service);
    badge(n, any_critical(state.alerts.of_service(service)), theme)
}

/// Columns a badge takes after a name (for the name column's width).
pub fn badge_width(n: usize) -> usize {
    if n == 0 { 0 } else { 2 + n.to_string().len() }
}

/// The header's `⚑ 3 firing` (and `alerts stale` when Alertmanager is away).
pub fn header_spans(state: &State, compact: bool, theme: &Theme) -> Vec<Span<'static>> {
    if state.alerts.source.is_none() {
        return vec![];
    }
    let mut out = Vec::new();
    if state.alerts.stale() {
        let text = if compact {
            " ⚑ stale "
        } else {
            " alerts stale "
        };
        out.push(Span::styled(text, theme.warn));
        out.push(Span::raw(" "));
    }
    let n = state.alerts.firing().count();
    if n > 0 {
        let style = if any_critical(state.alerts.firing()) {
            theme.bad
        } else {
            theme.warn
        };
        let text = if compact {
            format!(" ⚑{n} ")
        } else {
            format!(" ⚑ {n} firing ")
        };
        out.push(Span::styled(text, style.add_modifier(Modifier::BOLD)));
        out.push(Span::raw(" "));
    }
    out
}

fn place(a: &MappedAlert) -> String {
    match (&a.host, &a.service) {
        (_, Some(s)) => s.to_string(),
        (Some(h), None) => h.to_string(),
        (None, None) => "(unmapped)".to_owned(),
    }
}

fn ago(state: &State, at: chrono::DateTime<chrono::Utc>) -> String {
    units::uptime((state.now - at).to_std().unwrap_or_default())
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, view: &AlertsView, theme: &Theme) {
    let alerts = &state.alerts;
    let source = alerts.source.as_deref().unwrap_or("");
    let mut title = vec![Span::styled(
        format!(" alerts · {} ", shown_cell(source)),
        theme.title,
    )];
    match (&alerts.unavailable, alerts.listed_at) {
        (Some((reason, since)), _) => title.push(Span::styled(
            format!(" STALE for {}: {} ", ago(state, *since), shown_cell(reason)),
            theme.bad,
        )),
        (None, Some(at)) => title.push(Span::styled(
            format!("· read {} ago ", ago(state, at)),
            theme.muted,
        )),
        (None, None) => title.push(Span::styled("· asking… ", theme.muted)),
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if alerts.alerts.is_empty() {
        let text = if alerts.listed_at.is_some() {
            " no alerts"
        } else {
            ""
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.muted)), inner);
        return;
    }
    let detail_height = (inner.height / 2).clamp(4, 14);
    let [list, detail] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(detail_height)]).areas(inner);
    render_list(frame, list, state, view, theme);
    if let Some(a) = alerts.alerts.get(view.selected) {
        render_detail(frame, detail, state, a, theme);
    }
}

fn state_style(a: &MappedAlert, theme: &Theme) -> Style {
    match a.alert.state() {
        "firing" if any_critical([a]) => theme.bad,
        "firing" => theme.warn,
        _ => theme.muted,
    }
}

fn render_list(frame: &mut Frame, area: Rect, state: &State, view: &AlertsView, theme: &Theme) {
    let visible = area.height.saturating_sub(1).max(1) as usize;
    let offset = view.selected.saturating_sub(visible - 1);
    let narrow = area.width < 100;
    let rows: Vec<TableRow> = state
        .alerts
        .alerts
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(i, a)| {
            let silence = match state.alerts.silence_of(a) {
                Some(s) => format!("until {}", s.ends_at.format("%H:%M")),
                None if a.alert.state() == "silenced" => "silenced".to_owned(),
                None => String::new(),
            };
            let mut cells = vec![
                Cell::from(Span::styled(a.alert.state(), state_style(a, theme))),
                Cell::from(shown_cell(a.alert.severity().unwrap_or("-"))),
                Cell::from(Span::styled(shown_cell(a.alert.name()), theme.text)),
                Cell::from(Span::styled(
                    shown_cell(&place(a)),
                    if a.host.is_some() {
                        theme.text
                    } else {
                        theme.muted
                    },
                )),
                Cell::from(ago(state, a.alert.starts_at)),
                Cell::from(Span::styled(silence, theme.muted)),
            ];
            if !narrow {
                let summary = a
                    .alert
                    .annotations
                    .get("summary")
                    .map_or("", String::as_str);
                cells.push(Cell::from(Span::styled(shown_cell(summary), theme.muted)));
            }
            let row = TableRow::new(cells);
            if i == view.selected {
                row.style(theme.selection)
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(if narrow { 22 } else { 26 }),
        Constraint::Length(if narrow { 18 } else { 24 }),
        Constraint::Length(8),
        Constraint::Length(11),
    ];
    let mut titles = vec![
        "STATE",
        "SEVERITY",
        "ALERT",
        "HOST / SERVICE",
        "SINCE",
        "SILENCE",
    ];
    if !narrow {
        widths.push(Constraint::Fill(1));
        titles.push("SUMMARY");
    }
    let header = TableRow::new(titles.into_iter().map(Cell::from))
        .style(theme.muted.add_modifier(Modifier::BOLD));
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

fn render_detail(frame: &mut Frame, area: Rect, state: &State, a: &MappedAlert, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(
            format!(" {} ", shown_cell(a.alert.name())),
            theme.title,
        ));
    let mut lines = Vec::new();
    let field = |k: &str, v: String, style: Style| {
        Line::from(vec![
            Span::styled(format!("{k:<12}"), theme.muted),
            Span::styled(v, style),
        ])
    };
    lines.push(field(
        "started",
        format!(
            "{} ({} ago)",
            a.alert.starts_at.format("%Y-%m-%d %H:%M:%S UTC"),
            ago(state, a.alert.starts_at)
        ),
        theme.text,
    ));
    if let Some(s) = state.alerts.silence_of(a) {
        lines.push(field(
            "silenced",
            format!(
                "by {} until {} — {} ({})",
                shown_cell(&s.created_by),
                s.ends_at.format("%Y-%m-%d %H:%M UTC"),
                shown_cell(&s.comment),
                shown_cell(&s.id)
            ),
            theme.warn,
        ));
    }
    if let Some(name) = crate::monitor::runbook_of(&a.alert, &state.runbooks) {
        lines.push(field(
            "runbook",
            format!("{name} (enter opens it)"),
            theme.accent,
        ));
    }
    for key in ["summary", "description", "runbook_url"] {
        if let Some(v) = a.alert.annotations.get(key) {
            lines.push(field(key, shown_cell(v), theme.text));
        }
    }
    let labels: Vec<String> = a
        .alert
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={}", shown_cell(v)))
        .collect();
    lines.push(field("labels", labels.join("  "), theme.muted));
    let other: Vec<String> = a
        .alert
        .annotations
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "summary" | "description" | "runbook_url"))
        .map(|(k, v)| format!("{k}={}", shown_cell(v)))
        .collect();
    if !other.is_empty() {
        lines.push(field("annotations", other.join("  "), theme.muted));
    }
    let p = Paragraph::new(lines).wrap(Wrap { trim: true }).block(block);
    frame.render_widget(p, area);
}

/// The popup `M` opens: for how long, and why.
pub fn render_silence_form(frame: &mut Frame, area: Rect, form: &SilenceForm, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(64);
    let h = 8u16.min(area.height);
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(
            format!(" silence {} ", shown_cell(&form.name)),
            theme.title,
        ));
    let input = |label: &str, value: &str, active: bool| {
        let mut spans = vec![
            Span::styled(format!(" {label:<10}"), theme.muted),
            Span::styled(shown_cell(value), theme.text),
        ];
        if active {
            spans.push(Span::styled("█", theme.accent));
        }
        Line::from(spans)
    };
    let mut lines = vec![
        Line::from(""),
        input("for", &form.duration, !form.on_comment),
        input("comment", &form.comment, form.on_comment),
        Line::from(""),
    ];
    match &form.error {
        Some(e) => lines.push(Line::from(Span::styled(
            format!(" {}", shown_cell(e)),
            theme.bad,
        ))),
        None => lines.push(Line::from(Span::styled(
            " tab next field · enter shows the plan · esc cancels",
            theme.muted,
        ))),
    }
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
