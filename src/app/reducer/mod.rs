//! The reducer: `Msg` in, state changed, `Effect`s out. No I/O, no clock, no runtime.

use chrono::{DateTime, Utc};

use super::state::{
    ActionPhase, ActionView, LogView, Mode, Notice, NoticeLevel, QueryKind, QuitReason, Row,
    Screen, SmokeRun, State,
};
use crate::action::dispatcher::Answer;
use crate::action::{ActionKind, ActionOutcome, Confirmation, Refusal};
use crate::app::layout;
use crate::config::Config;
use crate::model::Action;
use crate::model::{HostStatus, ServiceId, Verdict};
use crate::protocol::Effect;
use crate::protocol::Update;

/// How long a notice stays in the status line.
const NOTICE_SECS: i64 = 6;

#[derive(Debug, Clone)]
pub enum Msg {
    Action(Action),
    /// Text typed into the active input (filter, palette, typed confirmation).
    Input(TextInput),
    Click {
        column: u16,
        row: u16,
    },
    Scroll(i32),
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Update(Update),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextInput {
    Char(char),
    Backspace,
    Submit,
    Cancel,
    /// Tab (shift-tab goes `back`): complete the palette's input.
    Complete {
        back: bool,
    },
}

pub fn update(state: &mut State, config: &Config, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(a) => on_action(state, config, a),
        Msg::Input(i) => on_input(state, config, i),
        Msg::Click { column, row } => {
            on_click(state, column, row);
            vec![]
        }
        Msg::Scroll(n) if state.on_logs() => {
            let action = if n < 0 { Action::Up } else { Action::Down };
            for _ in 0..n.unsigned_abs() {
                on_log_action(state, action);
            }
            vec![]
        }
        Msg::Scroll(n) => {
            match &mut state.mode {
                // The plan waiting for an answer scrolls (the popup clamps it).
                Mode::Action(view) if view.phase == ActionPhase::Confirm => {
                    let most = view.plan.steps.len() * 6;
                    view.scroll = view.scroll.saturating_add_signed(n as isize).min(most);
                }
                _ => move_selection(state, n as i64),
            }
            vec![]
        }
        Msg::Resize(w, h) => {
            state.size = (w, h);
            keep_selection_visible(state);
            vec![]
        }
        Msg::Tick(now) => {
            state.now = now;
            if state
                .notice
                .as_ref()
                .is_some_and(|n| (now - n.at).num_seconds() >= NOTICE_SECS)
            {
                state.notice = None;
            }
            // A wait that has ended, a retry's pause over: the run moves on by itself.
            runbook::drive(state)
        }
        Msg::Update(u) => on_update(state, config, u),
    }
}

fn notice(state: &mut State, level: NoticeLevel, text: impl Into<String>) {
    state.notice = Some(Notice {
        level,
        text: text.into(),
        at: state.now,
    });
}

fn on_action(state: &mut State, config: &Config, action: Action) -> Vec<Effect> {
    if let Some(effects) = runbook::on_key(state, action) {
        return effects;
    }
    if timeline::timeline_key(state, action) {
        return vec![];
    }
    if let Some(effects) = alerts::alerts_key(state, config, action) {
        return effects;
    }
    if state.on_logs()
        && matches!(state.mode, Mode::Normal)
        && let Some(effects) = on_log_action(state, action)
    {
        return effects;
    }
    if let Some(effects) = backups::on_backup_action(state, config, action) {
        return effects;
    }
    if matches!(state.mode, Mode::Normal) && fleet_view::on_key(state, action) {
        return vec![];
    }
    match action {
        Action::Quit => {
            // Quitting ends running actions mid-way; ask once more.
            let running = state.dispatcher.busy_subjects();
            if running.is_empty() || state.quit_armed {
                state.quit = Some(QuitReason::Requested);
            } else {
                state.quit_armed = true;
                let names: Vec<String> = running.iter().map(ToString::to_string).collect();
                notice(
                    state,
                    NoticeLevel::Warn,
                    format!("{} still running: quit again to stop it", names.join(", ")),
                );
            }
        }
        Action::Back => match (&state.mode, &state.screen) {
            (
                Mode::Normal,
                Screen::Host(_) | Screen::Deploys(_) | Screen::Timeline(_) | Screen::Alerts(_),
            ) => state.screen = Screen::Fleet,
            (Mode::Normal, Screen::Fleet) if !state.filter.is_empty() => {
                state.filter.clear();
                clamp_selection(state);
            }
            (Mode::Normal, Screen::Fleet) if !state.marked.is_empty() => {
                state.marked.clear();
                notice(state, NoticeLevel::Info, "marks cleared");
            }
            (Mode::Normal, Screen::Fleet) => state.notice = None,
            _ => state.mode = Mode::Normal,
        },
        Action::Up => move_selection(state, -1),
        Action::Down => move_selection(state, 1),
        Action::PageUp => move_selection(state, -(page(state) as i64)),
        Action::PageDown => move_selection(state, page(state) as i64),
        Action::Top => move_selection(state, i64::MIN / 2),
        Action::Bottom => move_selection(state, i64::MAX / 2),
        Action::Open => open_selected(state),
        Action::OpenLogs => return open_logs(state, config),
        // Keys of the log screen; elsewhere they do nothing.
        Action::LogFilter
        | Action::NextMatch
        | Action::PrevMatch
        | Action::MoreContext
        | Action::LessContext
        | Action::SaveLog
        | Action::ToggleTimestamps
        | Action::ToggleWrap => {}
        Action::ToggleMark => match state.selected_service().map(|s| s.id.clone()) {
            Some(id) => {
                if !state.marked.remove(&id) {
                    state.marked.insert(id);
                }
                let n = state.marked.len();
                let text = match n {
                    0 => "no services marked".to_owned(),
                    n => format!("{n} marked: L reads their logs merged, esc clears the marks"),
                };
                notice(state, NoticeLevel::Info, text);
                move_selection(state, 1);
            }
            None => notice(
                state,
                NoticeLevel::Warn,
                "marks are for services (L on a host row merges the whole host)",
            ),
        },
        Action::ToggleExpand => {
            if let Some(id) = state
                .selected_service()
                .filter(|s| s.group.is_some())
                .map(|s| s.id.clone())
            {
                if !state.expanded.remove(&id) {
                    state.expanded.insert(id);
                }
                clamp_selection(state);
            }
        }
        Action::Help => state.mode = Mode::Help,
        Action::Filter => {
            state.mode = Mode::Filter {
                input: state.filter.clone(),
            }
        }
        Action::Palette => state.mode = palette::typed(state, String::new()),
        Action::RestartService => request(state, config, ActionKind::Restart, None),
        // Keys of the runbook pane when it has them (`runbook::on_key`).
        Action::RunbookFocus => match state.runbook.as_mut() {
            Some(p) => p.focused = true,
            None => notice(
                state,
                NoticeLevel::Info,
                "no runbook is open: :runbook NAME",
            ),
        },
        Action::RunbookAbort => {}
        Action::StopService => request(state, config, ActionKind::Stop, None),
        Action::StartService => request(state, config, ActionKind::Start, None),
        Action::Refresh => {
            notice(state, NoticeLevel::Info, "refreshing…");
            return vec![Effect::RefreshNow];
        }
        // Handled by `backups::on_backup_action` before this match; never reach here.
        Action::OpenBackups | Action::BackupNow | Action::RestoreBackup | Action::DrillBackup => {}
        Action::OpenDeploys => return deploys::open_history(state, None),
        // Handled by `fleet_view::on_key` on the fleet; elsewhere they do nothing.
        Action::ToggleProblems
        | Action::CycleGrouping
        | Action::FoldAll
        | Action::CycleSort
        | Action::ReverseSort => {}
        Action::Login => return login::request(state, None),
        Action::OpenAlerts => alerts::open_alerts(state),
        // Keys of the Alerts screen (`alerts::alerts_key`); elsewhere they say where.
        Action::SilenceAlert | Action::ExpireSilence => alerts::elsewhere(state),
        Action::CycleTheme => {
            state.theme = (state.theme + 1) % state.themes.len().max(1);
            notice(
                state,
                NoticeLevel::Info,
                format!("theme {}", state.theme_name()),
            );
        }
    }
    vec![]
}

/// Asks the dispatcher for a plan and opens the confirmation popup, or says why not.
fn request(state: &mut State, config: &Config, kind: ActionKind, target: Option<ServiceId>) {
    let Some(service) = target.or_else(|| state.selected_service().map(|s| s.id.clone())) else {
        notice(
            state,
            NoticeLevel::Warn,
            format!("select a service to {kind}"),
        );
        return;
    };
    let containers = state
        .service(&service)
        .map(|s| crate::app::containers::container_names(state, &service.host, s))
        .unwrap_or_default();
    match state.dispatcher.plan(config, kind, &service, &containers) {
        Ok(plan) => state.mode = Mode::Action(Box::new(ActionView::new(plan))),
        Err(refusal) => notice(
            state,
            NoticeLevel::Error,
            format!("cannot {kind} {service}: {refusal}"),
        ),
    }
}

fn on_input(state: &mut State, config: &Config, input: TextInput) -> Vec<Effect> {
    match std::mem::replace(&mut state.mode, Mode::Normal) {
        Mode::Filter { input: mut text } => match input {
            TextInput::Submit => clamp_selection(state),
            TextInput::Cancel => {
                state.filter.clear();
                clamp_selection(state);
            }
            edit => {
                edit_text(&mut text, &edit);
                // The table follows the filter while it is typed.
                state.filter = text.clone();
                state.selected = 0;
                state.offset = 0;
                state.mode = Mode::Filter { input: text };
            }
        },
        Mode::Palette {
            input: mut text,
            candidates,
            selected,
        } => match input {
            TextInput::Submit => return run_command(state, config, text.trim()),
            TextInput::Cancel => {}
            TextInput::Complete { back } => {
                let mode = palette::tab(state, text, candidates, selected, back);
                state.mode = mode;
            }
            edit => {
                edit_text(&mut text, &edit);
                // `:deploy HOST/SERVICE ` asks for that service's versions once.
                let wanted = deploys::versions_wanted(state, &text);
                let mode = palette::typed(state, text);
                state.mode = mode;
                if let Some(service) = wanted {
                    return vec![Effect::ListVersions { service }];
                }
            }
        },
        Mode::Help | Mode::Smoke | Mode::LogLine { .. } => {}
        Mode::LogQuery {
            kind, input: text, ..
        } => on_query_input(state, kind, text, input),
        Mode::Action(view) => return on_action_input(state, config, view, input),
        Mode::RunbookInput {
            purpose,
            input: text,
        } => return runbook::on_text(state, purpose, text, input),
        Mode::Silence(form) => return alerts::on_silence_input(state, config, form, input),
        Mode::Normal => {}
    }
    vec![]
}

fn edit_text(text: &mut String, edit: &TextInput) {
    match edit {
        TextInput::Char(c) => text.push(*c),
        TextInput::Backspace => {
            text.pop();
        }
        TextInput::Submit | TextInput::Cancel | TextInput::Complete { .. } => {}
    }
}

fn on_action_input(
    state: &mut State,
    config: &Config,
    mut view: Box<ActionView>,
    input: TextInput,
) -> Vec<Effect> {
    if view.phase != ActionPhase::Confirm {
        // Running or done: any of these closes the popup; a running action goes on.
        if !matches!(
            input,
            TextInput::Submit | TextInput::Cancel | TextInput::Char('q')
        ) {
            state.mode = Mode::Action(view);
        }
        return vec![];
    }
    let answer = match (&view.plan.confirmation, &input) {
        (_, TextInput::Cancel) => Answer::No,
        (Confirmation::YesNo, TextInput::Char('y' | 'Y')) => Answer::Yes,
        (Confirmation::YesNo, TextInput::Char('n' | 'N')) => Answer::No,
        (Confirmation::YesNo, _) => {
            state.mode = Mode::Action(view);
            return vec![];
        }
        (Confirmation::TypeName(_), TextInput::Submit) => Answer::Typed(&view.typed),
        (Confirmation::TypeName(_), edit) => {
            edit_text(&mut view.typed, edit);
            view.error = None;
            state.mode = Mode::Action(view);
            return vec![];
        }
    };
    let plan = view.plan.clone();
    match state.dispatcher.confirm(config, plan, answer) {
        Ok(authorized) => {
            view.phase = ActionPhase::Running;
            view.error = None;
            state.mode = Mode::Action(view);
            vec![Effect::Execute(authorized)]
        }
        Err(Refusal::Cancelled) => {
            notice(
                state,
                NoticeLevel::Info,
                format!("{} cancelled", view.plan.title()),
            );
            runbook::action_declined(state, view.plan.id, "cancelled in the popup")
        }
        Err(e @ Refusal::ConfirmationMismatch { .. }) => {
            view.error = Some(e.to_string());
            view.typed.clear();
            state.mode = Mode::Action(view);
            vec![]
        }
        Err(e) => {
            notice(
                state,
                NoticeLevel::Error,
                format!("cannot {}: {e}", view.plan.title()),
            );
            runbook::action_declined(state, view.plan.id, &e.to_string())
        }
    }
}

/// Keys on the log screen: scrolling pauses, the bottom follows, back stops the stream.
fn open_selected(state: &mut State) {
    if let Some(h) = state.selected_row().and_then(Row::host) {
        state.screen = Screen::Host(h);
    }
}

fn page(state: &State) -> usize {
    layout::fleet_visible_rows(state.size).max(1)
}

fn move_selection(state: &mut State, delta: i64) {
    if let Screen::Host(h) = state.screen {
        // In a host's detail, up/down walk the hosts.
        let n = state.hosts.len() as i64;
        if n > 0 {
            state.screen = Screen::Host((h as i64 + delta.signum()).clamp(0, n - 1) as usize);
        }
        return;
    }
    let n = state.rows().len() as i64;
    state.selected = (state.selected as i64 + delta).clamp(0, (n - 1).max(0)) as usize;
    keep_selection_visible(state);
}

fn clamp_selection(state: &mut State) {
    let n = state.rows().len();
    state.selected = state.selected.min(n.saturating_sub(1));
    keep_selection_visible(state);
}

fn keep_selection_visible(state: &mut State) {
    let visible = layout::fleet_visible_rows(state.size).max(1);
    if state.selected < state.offset {
        state.offset = state.selected;
    } else if state.selected >= state.offset + visible {
        state.offset = state.selected + 1 - visible;
    }
    let n = state.rows().len();
    state.offset = state.offset.min(n.saturating_sub(visible));
}

fn on_click(state: &mut State, column: u16, row: u16) {
    if !matches!(state.mode, Mode::Normal) || !matches!(state.screen, Screen::Fleet) {
        return;
    }
    let Some(index) = layout::fleet_row_at(state.size, column, row) else {
        return;
    };
    let target = state.offset + index;
    if target < state.rows().len() {
        if target == state.selected {
            open_selected(state);
        } else {
            state.selected = target;
        }
    }
}

mod alerts;
mod backups;
mod deploys;
mod fleet_view;
mod log_sources;
mod login;
mod logs;
mod monitor;
mod palette;
mod runbook;
mod timeline;
mod transitions;
mod updates;

use log_sources::open_logs;
use logs::{on_log_action, on_query_input};
use palette::run_command;
use updates::on_update;

#[cfg(test)]
mod tests;
