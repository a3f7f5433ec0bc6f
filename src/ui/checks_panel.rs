//! A service's checks in the host detail: last result, latency sparkline, age, and every
//! unmet expectation spelled out.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::units;
use crate::app::state::{CheckState, ServiceState, State};
use crate::model::{CheckResult, Health, Verdict};
use crate::ui::theme::Theme;

/// Sparkline width in cells.
const SPARK: usize = 12;
/// Unmet expectations listed under a check; the rest are counted.
const MAX_FAILURES: usize = 3;

pub fn health_style(health: Health, theme: &Theme) -> (&'static str, Style) {
    match health {
        Health::Healthy => ("✔", theme.ok),
        Health::Warning => ("▲", theme.warn),
        Health::Failing => ("✘", theme.bad),
        Health::Stale => ("◌", theme.warn),
        Health::Unknown => ("·", theme.muted),
    }
}

/// The lines of every check of `svc`, indented under the service's own line.
pub fn lines<'a>(svc: &'a ServiceState, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for check in &svc.checks {
        out.extend(check_lines(check, state, theme));
    }
    out
}

fn check_lines<'a>(check: &'a CheckState, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let health = check.health(state.now);
    let (symbol, style) = health_style(health, theme);
    let mut spans = vec![
        Span::styled(format!("    {symbol} "), style),
        Span::styled(format!("{:<14}", check.id.name), theme.text),
        Span::styled(format!("{:<8}", check.kind), theme.muted),
        Span::styled(format!("{:<8}", health.label()), style),
    ];
    let Some(result) = &check.last else {
        spans.push(Span::styled("waiting for the first run", theme.muted));
        return vec![Line::from(spans)];
    };
    spans.push(Span::styled(
        format!(
            "{:>7} ",
            result
                .latency
                .map(|l| format!("{:.1} ms", l.as_secs_f64() * 1000.0))
                .unwrap_or_default()
        ),
        theme.text,
    ));
    spans.push(Span::styled(
        format!("{:<SPARK$} ", sparkline(check)),
        theme.accent,
    ));
    spans.push(Span::styled(
        format!("{:>8}  ", age(result, state)),
        if health == Health::Stale {
            theme.warn
        } else {
            theme.muted
        },
    ));
    if result.verdict.passed() && result.warnings.is_empty() {
        spans.push(Span::styled(result.summary.as_str(), theme.muted));
    } else if result.failures.is_empty() {
        spans.push(Span::styled(result.warnings.join("; "), theme.warn));
    }
    if let Some(days) = result.tls_days_left
        && result.warnings.is_empty()
    {
        spans.push(Span::styled(format!(" · cert {days} d"), theme.muted));
    }
    let mut lines = vec![Line::from(spans)];
    if matches!(result.verdict, Verdict::Fail | Verdict::Error) {
        let style = if health == Health::Stale {
            theme.muted
        } else {
            theme.bad
        };
        for f in result.failures.iter().take(MAX_FAILURES) {
            lines.push(Line::from(vec![
                Span::styled("        ↳ ", theme.muted),
                Span::styled(f.as_str(), style),
            ]));
        }
        if result.failures.len() > MAX_FAILURES {
            lines.push(Line::from(Span::styled(
                format!("        … {} more", result.failures.len() - MAX_FAILURES),
                theme.muted,
            )));
        }
    }
    lines
}

/// The newest latencies as block characters, scaled to their own maximum.
fn sparkline(check: &CheckState) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values: Vec<u64> = check.latency_ms.last_n(SPARK).copied().collect();
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .map(|v| BARS[((*v as f64 / max as f64) * 7.0).round().clamp(0.0, 7.0) as usize])
        .collect()
}

fn age(result: &CheckResult, state: &State) -> String {
    let secs = state
        .now
        .signed_duration_since(result.at)
        .num_seconds()
        .max(0) as u64;
    format!(
        "{} ago",
        units::uptime(std::time::Duration::from_secs(secs))
    )
}
