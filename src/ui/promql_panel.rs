//! A service's PromQL values in the host detail: value with its unit, a sparkline, the
//! thresholds, coloured by their verdict; stale with its reason and age while Prometheus
//! does not answer.

use ratatui::text::{Line, Span};

use super::checks_panel::health_style;
use crate::app::state::{ServiceState, State, ValueState};
use crate::model::Health;
use crate::ui::theme::Theme;

/// Sparkline width in cells.
const SPARK: usize = 12;

pub fn lines<'a>(svc: &'a ServiceState, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    svc.values
        .iter()
        .map(|v| value_line(v, state, theme))
        .collect()
}

fn value_line<'a>(v: &'a ValueState, state: &State, theme: &Theme) -> Line<'a> {
    let health = v.health();
    let (symbol, style) = health_style(health, theme);
    let shown = match (v.last, v.value()) {
        (None, _) => "…".to_owned(),
        (Some(_), None) => "no data".to_owned(),
        (Some(_), Some(x)) => with_unit(x, &v.spec.unit),
    };
    let mut spans = vec![
        Span::styled(format!("    {symbol} "), style),
        Span::styled(format!("{:<14}", v.spec.name), theme.text),
        Span::styled(format!("{:<8}", "promql"), theme.muted),
        Span::styled(format!("{:<8}", health.label()), style),
        Span::styled(format!("{shown:>10} "), style),
        Span::styled(format!("{:<SPARK$} ", sparkline(v)), theme.accent),
    ];
    let mut limits = vec![];
    let sym = v.spec.bad.symbol();
    if let Some(w) = v.spec.warn {
        limits.push(format!("warn {sym} {}", with_unit(w, &v.spec.unit)));
    }
    if let Some(f) = v.spec.fail {
        limits.push(format!("fail {sym} {}", with_unit(f, &v.spec.unit)));
    }
    // Why it is stale matters more than the thresholds.
    if let Some(gap) = &v.gap {
        spans.push(Span::styled(gap.label(state.now), theme.warn));
    } else if !limits.is_empty() {
        spans.push(Span::styled(limits.join(", "), theme.muted));
    }
    if health == Health::Unknown && v.last.is_none() {
        spans.push(Span::styled(" waiting for Prometheus", theme.muted));
    }
    Line::from(spans)
}

pub fn with_unit(x: f64, unit: &str) -> String {
    let n = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    match unit {
        "" => n,
        "%" => format!("{n}%"),
        u => format!("{n} {u}"),
    }
}

fn sparkline(v: &ValueState) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values: Vec<u64> = v.history.last_n(SPARK).copied().collect();
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .map(|x| BARS[((*x as f64 / max as f64) * 7.0).round().clamp(0.0, 7.0) as usize])
        .collect()
}
