//! The top line: fleet summary, READ-ONLY / PROD banners, clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::state::State;
use crate::model::{HostStatus, RunState};
use crate::ui::theme::Theme;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub hosts_up: usize,
    pub hosts_unreachable: usize,
    pub hosts_connecting: usize,
    pub ok: usize,
    pub degraded: usize,
    pub down: usize,
    pub unknown: usize,
    pub not_started: usize,
}

pub fn summarize(state: &State) -> Summary {
    let mut s = Summary::default();
    for h in &state.hosts {
        match h.status {
            HostStatus::Up | HostStatus::HttpOnly => s.hosts_up += 1,
            HostStatus::Unreachable { .. } => s.hosts_unreachable += 1,
            HostStatus::Connecting => s.hosts_connecting += 1,
        }
        for svc in &h.services {
            match state.run_state(svc) {
                RunState::Running => s.ok += 1,
                RunState::Degraded => s.degraded += 1,
                RunState::Stopped | RunState::Failed => s.down += 1,
                RunState::Unknown => s.unknown += 1,
                RunState::NotStarted => s.not_started += 1,
            }
        }
    }
    s
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let s = summarize(state);
    let compact = area.width < 100;
    let sep = Span::styled(" │ ", theme.muted);
    let mut spans = vec![Span::styled(" opsdeck ", theme.title), sep.clone()];
    let count =
        |spans: &mut Vec<Span<'static>>, n: usize, long: &str, short: &str, style, always: bool| {
            if n == 0 && !always {
                return;
            }
            let text = if compact {
                format!("{n}{short}")
            } else {
                format!("{n} {long}")
            };
            spans.push(Span::styled(text, if n > 0 { style } else { theme.muted }));
            spans.push(Span::raw(if compact { " " } else { " · " }));
        };
    spans.push(Span::raw("hosts "));
    count(&mut spans, s.hosts_up, "up", "↑", theme.ok, true);
    count(
        &mut spans,
        s.hosts_unreachable,
        "unreachable",
        "✘",
        theme.bad,
        false,
    );
    count(
        &mut spans,
        s.hosts_connecting,
        "connecting",
        "…",
        theme.muted,
        false,
    );
    spans.pop();
    spans.push(sep.clone());
    spans.push(Span::raw(if compact { "svc " } else { "services " }));
    count(&mut spans, s.ok, "ok", "✔", theme.ok, true);
    count(&mut spans, s.degraded, "degraded", "◐", theme.warn, true);
    count(&mut spans, s.down, "down", "■", theme.bad, true);
    count(
        &mut spans,
        s.not_started,
        "not started",
        "○",
        theme.muted,
        false,
    );
    count(&mut spans, s.unknown, "unknown", "?", theme.muted, false);
    spans.pop();

    let mut right = Vec::new();
    // Backup sets whose newest backup is older than their RPO: said only when there are,
    // on the side that is never cut.
    let stale = state.stale_sets();
    if stale > 0 {
        let text = match (compact, stale) {
            (true, n) => format!(" {n} bk stale "),
            (false, 1) => " 1 backup set stale ".to_owned(),
            (false, n) => format!(" {n} backup sets stale "),
        };
        right.push(Span::styled(text, theme.bad));
        right.push(Span::raw(" "));
    }
    right.extend(super::alerts::header_spans(state, compact, theme));
    if state.read_only() {
        right.push(Span::styled(" READ-ONLY ", theme.readonly_banner));
        right.push(Span::raw(" "));
    }
    if state.any_prod() {
        right.push(Span::styled(" PROD ", theme.prod_banner));
        right.push(Span::raw(" "));
    }
    right.push(Span::raw(state.now.format("%H:%M:%S UTC ").to_string()));

    let right_width: usize = right.iter().map(|s| s.width()).sum();
    let left = Line::from(spans);
    let room = (area.width as usize).saturating_sub(right_width);
    let mut line = truncate_line(left, room);
    let pad = room.saturating_sub(line.width());
    line.spans.push(Span::raw(" ".repeat(pad)));
    line.spans.extend(right);
    frame.render_widget(Paragraph::new(line).style(theme.header), area);
}

/// Cuts a line to `width` columns, ending with `…` when it had to cut.
pub fn truncate_line(line: Line<'_>, width: usize) -> Line<'_> {
    if line.width() <= width {
        return line;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let w = span.width();
        if used + w < width {
            used += w;
            out.push(span);
            continue;
        }
        let keep: String = span
            .content
            .chars()
            .take(width.saturating_sub(used + 1))
            .collect();
        out.push(Span::styled(format!("{keep}…"), span.style));
        break;
    }
    Line::from(out)
}
