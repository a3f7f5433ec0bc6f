//! The plan popup: exactly what will run where, the confirmation, then live output.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::action::{ActionOutcome, Confirmation};
use crate::app::layout::centered;
use crate::app::state::{ActionPhase, ActionView, State};
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, view: &ActionView, state: &State, theme: &Theme) {
    let plan = &view.plan;
    let rect = centered(
        area,
        area.width.saturating_sub(8).min(100),
        area.height.saturating_sub(4).min(24),
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
    for (i, step) in plan.steps.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{}. {:<8} ", i + 1, step.title), theme.accent),
            Span::styled(format!("$ {}", step.command), theme.text),
        ]));
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
            let room = (rect.height as usize).saturating_sub(lines.len() + 4);
            for line in view.output.last_n(room) {
                lines.push(Line::from(Span::styled(line.as_str(), theme.muted)));
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
