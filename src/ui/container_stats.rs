//! The containers of a host's Docker engine with their resource use: CPU now and over the
//! last minutes, memory against its limit, network and block I/O rates.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

use super::units;
use crate::app::state::{HostState, State};
use crate::ui::theme::Theme;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A text sparkline of the newest `width` values, scaled to at least 100 (% of a core).
pub fn spark(values: &[u64], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0).max(100) as f64;
    tail.iter()
        .map(|v| BARS[((*v as f64 / max) * 7.0).round().clamp(0.0, 7.0) as usize])
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, host: &HostState, state: &State, theme: &Theme) {
    let Some(view) = &host.docker else { return };
    if area.height < 2 {
        return;
    }
    let title = match &view.gap {
        Some((since, reason)) => Span::styled(
            format!(
                "containers · engine unreachable since {} ({reason})",
                since.format("%H:%M:%S")
            ),
            theme.bad,
        ),
        None => Span::styled(
            format!("containers ({}) · stats every 5 s", view.containers.len()),
            theme.accent,
        ),
    };
    let header = Row::new([
        "NAME",
        "STATE",
        "CPU",
        "CPU 10 min",
        "MEM / LIMIT",
        "NET rx / tx",
        "BLOCK r / w",
    ])
    .style(theme.muted.add_modifier(Modifier::BOLD));
    let spark_width = 24;
    let rows = view.containers.iter().map(|c| {
        let stats = view.stats.get(&c.id);
        let rates = stats.and_then(|s| s.rates);
        let history: Vec<u64> = stats
            .map(|s| s.cpu_history.last_n(spark_width).copied().collect())
            .unwrap_or_default();
        let state_style = if c.running() { theme.ok } else { theme.bad };
        let per_sec = |v: f64| format!("{}/s", units::bytes(v as u64));
        Row::new(vec![
            Cell::from(c.name.clone()),
            Cell::from(Span::styled(c.state.clone(), state_style)),
            Cell::from(
                rates
                    .map(|r| units::percent(r.cpu_percent))
                    .unwrap_or_default(),
            ),
            Cell::from(Span::styled(spark(&history, spark_width), theme.sparkline)),
            Cell::from(
                stats
                    .map(|s| match s.last.mem_limit {
                        // No limit: the host's memory is the only bound.
                        0 => format!("{} / no limit", units::bytes(s.last.mem_bytes)),
                        limit => format!(
                            "{} / {}",
                            units::bytes(s.last.mem_bytes),
                            units::bytes(limit)
                        ),
                    })
                    .unwrap_or_default(),
            ),
            Cell::from(
                rates
                    .map(|r| format!("{} {}", per_sec(r.rx_per_sec), per_sec(r.tx_per_sec)))
                    .unwrap_or_default(),
            ),
            Cell::from(
                rates
                    .map(|r| format!("{} {}", per_sec(r.read_per_sec), per_sec(r.write_per_sec)))
                    .unwrap_or_default(),
            ),
        ])
    });
    let widths = [
        Constraint::Min(18),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(spark_width as u16),
        Constraint::Length(17),
        Constraint::Length(18),
        Constraint::Length(18),
    ];
    let _ = state;
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    let [head, body] =
        ratatui::layout::Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(ratatui::widgets::Paragraph::new(title), head);
    frame.render_widget(table, body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_a_core() {
        assert_eq!(spark(&[0, 50, 100], 10), "▁▅█");
        assert_eq!(spark(&[1, 2, 3, 4], 2), "▁▁");
        assert_eq!(spark(&[], 5), "");
    }
}
