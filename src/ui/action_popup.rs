//! The plan popup: exactly what will run where, the confirmation, then live output.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::action::{ActionOutcome, Confirmation};
use crate::app::layout::centered;
use crate::app::state::{ActionPhase, ActionView, State};
use crate::ui::theme::Theme;

/// Lines at the end of the confirm phase that always show: the prod warning, the question,
/// the typed name and a refusal.
fn footer_len(view: &ActionView) -> usize {
    let prompt = match view.plan.confirmation {
        Confirmation::YesNo => 1,
        Confirmation::TypeName(_) => 2,
    };
    usize::from(view.plan.prod) + prompt + usize::from(view.error.is_some())
}

/// A plan taller than the popup: its lines wrapped to the popup's width, the window from
/// `scroll` shown with a marker of what is above and below, the footer (the question)
/// pinned at the bottom. Every line of the plan can be read before answering.
fn scrolled<'a>(
    lines: Vec<Line<'a>>,
    rect: Rect,
    scroll: usize,
    footer: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let width = rect.width.saturating_sub(2).max(1) as usize;
    let height = rect.height.saturating_sub(2) as usize;
    let split = lines.len().saturating_sub(footer);
    let mut body: Vec<Line> = Vec::new();
    for line in &lines[..split] {
        let style = line.spans.first().map(|s| s.style).unwrap_or_default();
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            body.push(Line::raw(""));
        }
        for chunk in chars.chunks(width) {
            body.push(Line::from(Span::styled(
                chunk.iter().collect::<String>(),
                style,
            )));
        }
    }
    let foot: Vec<Line> = lines[split..].to_vec();
    if body.len() + foot.len() <= height {
        body.extend(foot);
        return body;
    }
    // Room for the plan between a marker line above and one below.
    let room = height.saturating_sub(foot.len() + 2).max(1);
    let top = scroll.min(body.len().saturating_sub(room));
    let below = body.len().saturating_sub(top + room);
    let mut out = vec![Line::from(Span::styled(
        if top > 0 {
            format!("↑ {top} more lines (↑/↓ scroll the plan)")
        } else {
            "the whole plan: ↑/↓ scroll".to_owned()
        },
        theme.accent,
    ))];
    out.extend(body.into_iter().skip(top).take(room));
    out.push(Line::from(Span::styled(
        if below > 0 {
            format!("↓ {below} more lines — read them before you answer")
        } else {
            "— end of the plan —".to_owned()
        },
        theme.accent,
    )));
    out.extend(foot);
    out
}

pub fn render(frame: &mut Frame, area: Rect, view: &ActionView, state: &State, theme: &Theme) {
    let plan = &view.plan;
    // A long plan (a restore) gets the room it needs to be shown whole.
    let wanted = if view.phase == ActionPhase::Confirm {
        (plan.steps.len() as u16 * 3 + 10).max(24)
    } else {
        24
    };
    let rect = centered(
        area,
        area.width.saturating_sub(8).min(110),
        area.height.saturating_sub(2).min(wanted),
    );
    let mut lines = vec![
        Line::from(vec![
            Span::styled("where  ", theme.muted),
            Span::styled(plan.location.as_str(), theme.text),
        ]),
        Line::from(vec![
            Span::styled("what   ", theme.muted),
            Span::styled(plan.title(), theme.text),
        ]),
        Line::raw(""),
    ];
    let failed_step = match &view.outcome {
        Some(ActionOutcome::Failed { step, .. } | ActionOutcome::Interrupted { step, .. }) => {
            Some(*step)
        }
        _ => None,
    };
    for (i, step) in plan.steps.iter().enumerate() {
        if view.phase == ActionPhase::Confirm {
            // The whole plan, each step with exactly what it runs.
            lines.push(Line::from(Span::styled(
                format!("{}. {}", i + 1, step.title),
                theme.accent,
            )));
            lines.push(Line::from(Span::styled(
                format!("   $ {}", step.command),
                theme.text,
            )));
            if let Some(undo) = &step.undo {
                lines.push(Line::from(Span::styled(
                    format!("   if a later step fails: {}", undo.title),
                    theme.muted,
                )));
            }
            continue;
        }
        // Running or done: one line a step, marked by how far it got.
        let (mark, style) = match (&view.outcome, failed_step) {
            (_, Some(f)) if i == f => ("✘", theme.bad),
            (_, Some(f)) if i > f => (" ", theme.muted),
            (Some(ActionOutcome::Succeeded { .. }), _) => ("✔", theme.ok),
            (Some(_), _) if failed_step.is_none() => (" ", theme.muted),
            _ if i < view.step => ("✔", theme.ok),
            _ if i == view.step => ("▶", theme.accent),
            _ => (" ", theme.muted),
        };
        lines.push(Line::from(Span::styled(
            format!("{mark} {}. {}", i + 1, step.title),
            style,
        )));
    }
    lines.push(Line::raw(""));
    match view.phase {
        ActionPhase::Confirm => {
            if plan.prod {
                lines.push(Line::from(Span::styled(
                    "This host is tagged prod.",
                    theme.bad,
                )));
            }
            match &plan.confirmation {
                Confirmation::YesNo => lines.push(Line::from(vec![
                    Span::styled("Run it? ", theme.text),
                    Span::styled("y", theme.ok),
                    Span::styled(" yes · ", theme.muted),
                    Span::styled("n", theme.bad),
                    Span::styled("/esc no", theme.muted),
                ])),
                Confirmation::TypeName(name) => {
                    lines.push(Line::from(vec![
                        Span::styled("Type ", theme.text),
                        Span::styled(name.as_str(), theme.warn),
                        Span::styled(" and press enter to run it (esc cancels): ", theme.text),
                    ]));
                    lines.push(Line::from(vec![
                        Span::styled(format!("> {}", view.typed), theme.text),
                        Span::styled("█", theme.accent),
                    ]));
                }
            }
            if let Some(e) = &view.error {
                lines.push(Line::from(Span::styled(e.as_str(), theme.bad)));
            }
        }
        ActionPhase::Running | ActionPhase::Done => {
            // Output lines are cut to one row each, so the outcome line always shows.
            let inner = rect.width.saturating_sub(2).max(1) as usize;
            let outcome_rows = view
                .outcome
                .as_ref()
                .map_or(1, |o| o.summary().chars().count() / inner + 1);
            let room = (rect.height as usize).saturating_sub(lines.len() + 2 + outcome_rows);
            for line in view.output.last_n(room) {
                let cut: String = line.chars().take(inner).collect();
                lines.push(Line::from(Span::styled(cut, theme.muted)));
            }
            match &view.outcome {
                None => lines.push(Line::from(Span::styled(
                    "running…  (esc hides this; the action goes on)",
                    theme.accent,
                ))),
                Some(o @ ActionOutcome::Succeeded { .. }) => lines.push(Line::from(Span::styled(
                    format!("✔ {}", o.summary()),
                    theme.ok,
                ))),
                Some(o) => lines.push(Line::from(Span::styled(
                    format!("✘ {}", o.summary()),
                    theme.bad,
                ))),
            }
        }
    }
    if view.phase == ActionPhase::Confirm {
        lines = scrolled(lines, rect, view.scroll, footer_len(view), theme);
    }
    let busy = state.dispatcher.is_busy(&plan.subject);
    let title = format!(
        " {} {}{} ",
        plan.kind,
        plan.subject,
        if busy { " · busy" } else { "" }
    );
    let border = if plan.prod { theme.bad } else { theme.accent };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, theme.title))
        .style(theme.popup);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
