//! The bottom line: the filter or palette being typed, a notice, or the keys that work here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::state::{Mode, NoticeLevel, Screen, State};
use crate::model::Action;
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = match &state.mode {
        Mode::Filter { input } => Line::from(vec![
            Span::styled("/", theme.accent),
            Span::styled(input.as_str(), theme.text),
            Span::styled("█", theme.accent),
            Span::styled("   enter keep · esc clear", theme.muted),
        ]),
        Mode::LogQuery { kind, input, error } => {
            let (prompt, help) = match kind {
                crate::app::state::QueryKind::Search => (
                    "/",
                    "   regex, smart case (=text: literal) · enter keep · esc clear · n/N jump",
                ),
                crate::app::state::QueryKind::Filter => (
                    "filter ",
                    "   only matching lines · +/- context · enter keep · esc clear",
                ),
            };
            let mut spans = vec![
                Span::styled(prompt, theme.accent),
                Span::styled(input.as_str(), theme.text),
                Span::styled("█", theme.accent),
            ];
            match error {
                Some(e) => spans.push(Span::styled(format!("   invalid: {e}"), theme.bad)),
                None => spans.push(Span::styled(help, theme.muted)),
            }
            Line::from(spans)
        }
        Mode::RunbookInput { purpose, input } => Line::from(vec![
            Span::styled(purpose.prompt(), theme.accent),
            Span::styled(input.as_str(), theme.text),
            Span::styled("█", theme.accent),
            Span::styled("   enter keeps · esc cancels", theme.muted),
        ]),
        Mode::Palette {
            input, candidates, ..
        } => Line::from(vec![
            Span::styled(":", theme.accent),
            Span::styled(input.as_str(), theme.text),
            Span::styled("█", theme.accent),
            Span::styled(
                if candidates.is_empty() {
                    "   enter runs · esc cancels"
                } else {
                    "   tab completes · enter runs · esc cancels"
                },
                theme.muted,
            ),
        ]),
        _ => match &state.notice {
            Some(n) => {
                let style = match n.level {
                    NoticeLevel::Info => theme.info,
                    NoticeLevel::Warn => theme.warn,
                    NoticeLevel::Error => theme.bad,
                };
                Line::from(Span::styled(format!(" {}", n.text), style))
            }
            None => match (&state.hint, &state.screen, &state.mode) {
                (Some(h), Screen::Fleet, Mode::Normal) => {
                    Line::from(Span::styled(format!(" {h}"), theme.info))
                }
                _ => hints(state, theme),
            },
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The keys that do something on this screen, from the key map.
fn hints(state: &State, theme: &Theme) -> Line<'static> {
    if matches!(state.mode, Mode::Normal) && state.runbook.as_ref().is_some_and(|p| p.focused) {
        let tab = state.keymap.hint(Action::RunbookFocus).unwrap_or_default();
        return Line::from(Span::styled(
            format!(
                " keys go to the runbook pane (its keys are on its border) · {tab}: back to the fleet"
            ),
            theme.muted,
        ));
    }
    let mut actions: Vec<Action> = match (&state.mode, &state.screen) {
        (Mode::Help | Mode::Smoke, _) => vec![Action::Back],
        (Mode::Action(view), _) => {
            let text = match view.phase {
                crate::app::state::ActionPhase::Confirm => " answer in the popup · esc cancels",
                _ => " esc/enter hides the popup · the action goes on, its row shows busy",
            };
            return Line::from(Span::styled(text, theme.muted));
        }
        (_, Screen::Logs(_)) => vec![
            Action::Back,
            Action::Up,
            Action::Bottom,
            Action::Filter,
            Action::NextMatch,
            Action::LogFilter,
            Action::MoreContext,
            Action::SaveLog,
            Action::ToggleWrap,
            Action::Help,
        ],
        (_, Screen::Backups(_)) => {
            let mut a = vec![Action::Back, Action::Up];
            if !state.read_only() {
                a.extend([
                    Action::BackupNow,
                    Action::RestoreBackup,
                    Action::DrillBackup,
                ]);
            }
            a.extend([Action::Refresh, Action::Help]);
            a
        }
        (_, Screen::Deploys(_)) => vec![Action::Back, Action::Palette, Action::Help],
        (_, Screen::Timeline(_)) => vec![Action::Back, Action::Up, Action::Palette, Action::Help],
        (_, Screen::Alerts(_)) => {
            let mut a = vec![Action::Back, Action::Up, Action::Open];
            if !state.read_only() {
                a.extend([Action::SilenceAlert, Action::ExpireSilence]);
            }
            a.extend([Action::Refresh, Action::Help]);
            a
        }
        (_, Screen::Host(_)) => vec![
            Action::Back,
            Action::Up,
            Action::Refresh,
            Action::Palette,
            Action::Help,
            Action::Quit,
        ],
        (_, Screen::Fleet) => {
            let mut a = vec![
                Action::Up,
                Action::Open,
                Action::OpenLogs,
                Action::OpenBackups,
            ];
            // One look at the selected row: it builds the whole fleet table.
            let on_service = state.selected_service().is_some();
            if on_service {
                a.push(Action::ToggleMark);
            }
            if on_service && !state.read_only() {
                a.extend([
                    Action::RestartService,
                    Action::StopService,
                    Action::StartService,
                ]);
            }
            a.extend([Action::Filter, Action::Palette, Action::Help, Action::Quit]);
            a
        }
    };
    actions.dedup();
    let mut spans = vec![Span::raw(" ")];
    if matches!(state.screen, Screen::Fleet) && !state.marked.is_empty() {
        spans.push(Span::styled(
            format!(
                "◆ {} marked (L merges their logs, esc clears) ",
                state.marked.len()
            ),
            theme.accent,
        ));
    }
    for a in actions {
        let Some(key) = state.keymap.hint(a) else {
            continue;
        };
        let key = if a == Action::Up {
            format!(
                "{}/{}",
                key,
                state.keymap.hint(Action::Down).unwrap_or_default()
            )
        } else {
            key
        };
        spans.push(Span::styled(key, theme.accent));
        let label = if a == Action::Filter && state.on_logs() {
            "search"
        } else if a == Action::Open && matches!(state.screen, Screen::Alerts(_)) {
            "runbook"
        } else {
            a.label()
        };
        spans.push(Span::styled(format!(" {label}  "), theme.muted));
    }
    Line::from(spans)
}
