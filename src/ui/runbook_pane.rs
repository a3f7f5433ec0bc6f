//! The runbook pane beside the fleet: the run's steps with their state and time, the
//! current step's instruction and live output, the elapsed time against the RTO, and the
//! keys that work now.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::state::{RunbookPane, State, Waiting};
use crate::model::Action;
use crate::runbook::engine::{RunStatus, StepState, StepStatus};
use crate::runbook::timeline::human;
use crate::runbook::{Filled, Next};
use crate::ui::theme::Theme;

use super::shown_cell;

pub fn render(frame: &mut Frame, area: Rect, state: &State, pane: &RunbookPane, theme: &Theme) {
    let book = &pane.book;
    let border = if pane.focused {
        theme.accent
    } else {
        theme.border
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(
            format!(" runbook {} ", shown_cell(&book.name)),
            theme.title,
        ));
    let mut clock_line = None;
    if let Some(run) = &pane.run {
        let elapsed = run.elapsed(state.now);
        let mut clock = format!("elapsed {}", human(elapsed.as_millis() as u64));
        let mut style = theme.muted;
        if let Some(rto) = book.rto {
            clock = format!(
                " {} of RTO {} ",
                clock.trim(),
                humantime::format_duration(rto)
            );
            style = if elapsed > rto {
                theme.bad
            } else if elapsed * 4 > rto * 3 {
                theme.warn
            } else {
                theme.muted
            };
        }
        clock_line = Some(Line::from(Span::styled(clock.trim().to_owned(), style)));
    }
    block = block.title_bottom(keys(state, pane, theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines: Vec<Line> = vec![Line::from(Span::styled(
        shown_cell(&book.title),
        theme.text.add_modifier(Modifier::BOLD),
    ))];
    if let Some(clock) = clock_line {
        lines.push(clock);
    }
    if let Some((saved, _)) = &pane.offer {
        let done = saved.steps.iter().filter(|s| s.status.settled()).count();
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(
                "An unfinished run from {} UTC: {done} of {} steps done.",
                saved.started_at.format("%Y-%m-%d %H:%M"),
                saved.steps.len()
            ),
            theme.warn,
        )));
        lines.push(Line::from(Span::styled(
            "enter resumes it · n starts a new run · x closes",
            theme.muted,
        )));
        lines.extend(step_lines(state, pane, &saved.steps, None, theme));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let Some(run) = &pane.run else {
        return;
    };
    let vars: Vec<String> = run
        .state()
        .vars
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !vars.is_empty() {
        lines.push(Line::from(Span::styled(
            shown_cell(&vars.join(" ")),
            theme.muted,
        )));
    }
    let next = pane.next(state.now);
    let current = run.current();
    let steps = step_lines(state, pane, &run.state().steps, current, theme);
    // The steps take what they need, up to half the pane; the current step's text and
    // output the rest.
    let head = (lines.len() + steps.len()) as u16;
    let [top, bottom] = Layout::vertical([
        Constraint::Length(head.min(inner.height / 2).max(3)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    lines.extend(steps);
    // Keep the current step in view when the list is longer than its room.
    let scroll = current
        .map(|c| (c + 3).saturating_sub(top.height as usize))
        .unwrap_or(0) as u16;
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), top);
    let info = detail(pane, next.as_ref(), current, theme);
    let output = output_lines(pane, theme);
    // The step's text takes what it needs when wrapped (up to half the room when there is
    // output); the output the rest, its newest lines at the bottom.
    let width = bottom.width.max(1) as usize;
    let needed: usize = info.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let cap = if output.is_empty() {
        bottom.height as usize
    } else {
        (bottom.height as usize / 2).max(4)
    };
    let [text_area, out_area] = Layout::vertical([
        Constraint::Length(needed.min(cap) as u16),
        Constraint::Fill(1),
    ])
    .areas(bottom);
    frame.render_widget(Paragraph::new(info).wrap(Wrap { trim: false }), text_area);
    let room = out_area.height as usize;
    let shown: Vec<Line> = output[output.len().saturating_sub(room)..].to_vec();
    frame.render_widget(Paragraph::new(shown), out_area);
}

/// The output of the step that ran last, under a rule.
fn output_lines<'a>(pane: &RunbookPane, theme: &Theme) -> Vec<Line<'a>> {
    let Some(step) = pane.output_step.filter(|_| !pane.output.is_empty()) else {
        return vec![];
    };
    let mut lines = vec![Line::from(Span::styled(
        format!("── output of step {} ──", step + 1),
        theme.muted,
    ))];
    for l in pane.output.last_n(PANE_TAIL) {
        lines.push(Line::from(Span::styled(shown_cell(l), theme.text)));
    }
    lines
}

/// One line per step: a mark, the number, the title, and its state or time.
fn step_lines<'a>(
    state: &State,
    pane: &RunbookPane,
    steps: &[StepState],
    current: Option<usize>,
    theme: &Theme,
) -> Vec<Line<'a>> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (mark, style) = match s.status {
                StepStatus::Passed => ("✔", theme.ok),
                StepStatus::Failed => ("✘", theme.bad),
                StepStatus::Skipped => ("↷", theme.muted),
                StepStatus::Running | StepStatus::Waiting => ("▶", theme.accent),
                StepStatus::Approved => ("▶", theme.accent),
                StepStatus::Pending if current == Some(i) => ("▷", theme.accent),
                StepStatus::Pending => ("·", theme.muted),
            };
            let kind = pane.book.steps.get(i).map_or("", |st| st.kind.label());
            let auto = pane.book.steps.get(i).is_some_and(|st| st.auto);
            let took = match (s.started_at, s.ended_at) {
                (Some(a), Some(b)) => human((b - a).num_milliseconds().max(0) as u64),
                (Some(a), None) if s.status != StepStatus::Pending => {
                    format!(
                        "{}…",
                        human((state.now - a).num_milliseconds().max(0) as u64)
                    )
                }
                _ => String::new(),
            };
            let title_style = if current == Some(i) {
                theme.text.add_modifier(Modifier::BOLD)
            } else {
                theme.text
            };
            let mut spans = vec![
                Span::styled(format!("{mark} {:>2}. ", i + 1), style),
                Span::styled(shown_cell(&s.title), title_style),
                Span::styled(
                    format!(" {kind}{}", if auto { ", auto" } else { "" }),
                    theme.muted,
                ),
            ];
            if s.attempts > 1 {
                spans.push(Span::styled(format!(" try {}", s.attempts), theme.warn));
            }
            if !took.is_empty() {
                spans.push(Span::styled(format!("  {took}"), theme.muted));
            }
            Line::from(spans)
        })
        .collect()
}

/// The current step: what it does, what the run waits for, why it failed, its output.
fn detail<'a>(
    pane: &RunbookPane,
    next: Option<&Next>,
    current: Option<usize>,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut lines = vec![Line::from("")];
    let waiting = |text: String, style: Style| Line::from(Span::styled(text, style));
    match next {
        Some(Next::Finished(RunStatus::Completed)) => {
            lines.push(waiting(
                "✔ every step passed or was skipped".into(),
                theme.ok,
            ));
        }
        Some(Next::Finished(RunStatus::Aborted { reason })) => {
            lines.push(waiting(
                format!("■ aborted: {}", shown_cell(reason)),
                theme.bad,
            ));
        }
        _ => {}
    }
    if let Some(i) = current {
        let step = &pane.book.steps[i];
        let section = step
            .section
            .as_deref()
            .map(|s| format!("{} › ", shown_cell(s)))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("step {} · ", i + 1), theme.muted),
            Span::styled(section, theme.muted),
            Span::styled(shown_cell(&step.title), theme.title),
        ]));
        match &pane.filled[i] {
            Filled::Manual { text, commands, .. } => {
                for l in text.lines().take(8) {
                    lines.push(Line::from(Span::styled(shown_cell(l), theme.text)));
                }
                if let Some(c) = commands {
                    lines.push(waiting(
                        "run this yourself, then confirm:".into(),
                        theme.muted,
                    ));
                    for l in c.lines().take(8) {
                        lines.push(Line::from(Span::styled(
                            format!("│ {}", shown_cell(l)),
                            theme.accent,
                        )));
                    }
                }
            }
            f => {
                let what = pane.facts.get(i).map_or_else(
                    || f.describe(),
                    |x| match &x.host {
                        Some(h) if !x.what.contains(h.as_str()) => format!("{} (on {h})", x.what),
                        Some(_) => x.what.clone(),
                        None => x.what.clone(),
                    },
                );
                lines.push(Line::from(Span::styled(shown_cell(&what), theme.muted)));
            }
        }
        let status = match (next, pane.waiting) {
            (_, Some(Waiting::Plan(_))) => waiting("looking up its plan…".into(), theme.accent),
            (_, Some(Waiting::Action { .. })) => waiting(
                "the action's popup: its plan, then its progress".into(),
                theme.accent,
            ),
            (Some(Next::GoAhead(_)), _) => {
                waiting("waits for your go-ahead (enter)".into(), theme.warn)
            }
            (Some(Next::Confirm(_)), _) => {
                waiting("carry it out, then confirm (enter)".into(), theme.warn)
            }
            (Some(Next::Sleep(until)), _) => waiting(
                format!("waiting until {} UTC", until.format("%H:%M:%S")),
                theme.accent,
            ),
            (Some(Next::Busy(_) | Next::Execute(_)), _) => waiting("running…".into(), theme.accent),
            (Some(Next::Failed(_)), _) => {
                let reason = run_reason(pane, i);
                waiting(format!("✘ failed: {}", shown_cell(&reason)), theme.bad)
            }
            _ => Line::from(""),
        };
        lines.push(status);
    }
    if let Some(e) = &pane.error {
        lines.push(Line::from(Span::styled(shown_cell(e), theme.warn)));
    }
    lines
}

/// Output lines the pane shows (the newest).
const PANE_TAIL: usize = 30;

fn run_reason(pane: &RunbookPane, i: usize) -> String {
    pane.run
        .as_ref()
        .and_then(|r| r.state().steps.get(i))
        .and_then(|s| s.reason.clone())
        .unwrap_or_default()
}

/// The keys that work in the pane now, from the key map.
fn keys<'a>(state: &State, pane: &RunbookPane, theme: &Theme) -> Line<'a> {
    let hint = |a: Action| state.keymap.hint(a).unwrap_or_default();
    let focus = hint(Action::RunbookFocus);
    if !pane.focused {
        return Line::from(Span::styled(
            format!(" {focus}: keys to the runbook "),
            theme.muted,
        ));
    }
    let next = pane.next(state.now);
    let go = hint(Action::Open);
    let mut parts: Vec<String> = Vec::new();
    if pane.offer.is_some() {
        parts.push(format!("{go} resume"));
        parts.push(format!("{} new run", hint(Action::NextMatch)));
    } else {
        match next {
            Some(Next::GoAhead(_)) => parts.push(format!("{go} run it")),
            Some(Next::Confirm(_)) => parts.push(format!("{go} done")),
            Some(Next::Failed(_)) => parts.push(format!("{} retry", hint(Action::RestartService))),
            _ => {}
        }
        if !matches!(next, Some(Next::Finished(_))) {
            if pane.waiting.is_none() {
                parts.push(format!("{} skip", hint(Action::StopService)));
            }
            parts.push(format!("{} note", hint(Action::NextMatch)));
            parts.push(format!("{} abort", hint(Action::RunbookAbort)));
        } else {
            parts.push(format!("{} close", hint(Action::RunbookAbort)));
        }
    }
    parts.push(format!("{focus} fleet"));
    Line::from(Span::styled(
        format!(" {} ", parts.join(" · ")),
        theme.accent,
    ))
}
