//! The Alerts screen (`A`, `:alerts`): Alertmanager's alerts, moving through them, `M`
//! silencing the selected one (a popup asks for how long and why), `U` expiring the
//! silence that silences it — both plans through the dispatcher — and `enter` opening the
//! opsdeck runbook it names.

use super::*;
use crate::action::silences::SilenceRequest;
use crate::app::state::{AlertsView, SilenceForm};
use crate::protocol::AlertsUpdate;

/// What the silence popup proposes.
pub const DEFAULT_SILENCE: &str = "2h";

pub(super) fn on_alerts_update(state: &mut State, update: AlertsUpdate) {
    match update {
        AlertsUpdate::Listed { alerts, silences } => {
            state.alerts.listed(alerts, silences, state.now);
            let list = &state.alerts.alerts;
            if let Screen::Alerts(v) = &mut state.screen {
                let found = v
                    .fingerprint
                    .as_ref()
                    .and_then(|f| list.iter().position(|a| a.alert.fingerprint == *f));
                v.selected = found
                    .unwrap_or(v.selected)
                    .min(list.len().saturating_sub(1));
                v.fingerprint = list.get(v.selected).map(|a| a.alert.fingerprint.clone());
            }
        }
        AlertsUpdate::Unavailable { reason } => state.alerts.failed(reason, state.now),
    }
}

pub(super) fn open_alerts(state: &mut State) {
    if state.alerts.source.is_none() {
        notice(
            state,
            NoticeLevel::Warn,
            "no Alertmanager in the config: [monitoring] alertmanager = \"http://…:9093\"",
        );
        return;
    }
    state.screen = Screen::Alerts(AlertsView::default());
}

/// Keys of the Alerts screen; `None` when the key is not one of them.
pub(super) fn alerts_key(
    state: &mut State,
    config: &Config,
    action: Action,
) -> Option<Vec<Effect>> {
    let Screen::Alerts(view) = &mut state.screen else {
        return None;
    };
    if !matches!(state.mode, Mode::Normal) {
        return None;
    }
    let n = state.alerts.alerts.len();
    let page = layout::fleet_visible_rows(state.size).max(1);
    let last = n.saturating_sub(1);
    view.selected = match action {
        Action::Up => view.selected.saturating_sub(1),
        Action::Down => (view.selected + 1).min(last),
        Action::PageUp => view.selected.saturating_sub(page),
        Action::PageDown => (view.selected + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::Open => return Some(open_runbook(state)),
        Action::SilenceAlert => {
            open_silence_form(state);
            return Some(vec![]);
        }
        Action::ExpireSilence => {
            expire(state, config);
            return Some(vec![]);
        }
        _ => return None,
    };
    view.fingerprint = state
        .alerts
        .alerts
        .get(view.selected)
        .map(|a| a.alert.fingerprint.clone());
    Some(vec![])
}

fn open_runbook(state: &mut State) -> Vec<Effect> {
    let Some(a) = state.selected_alert() else {
        return vec![];
    };
    match crate::monitor::runbook_of(&a.alert, &state.runbooks) {
        Some(name) => vec![Effect::OpenRunbook {
            name: name.to_owned(),
            vars: vec![],
        }],
        None => {
            let name = a.alert.name().to_owned();
            notice(
                state,
                NoticeLevel::Info,
                format!(
                    "{name} names no opsdeck runbook (a `runbook` label, or a runbook_url ending in a runbook's name)"
                ),
            );
            vec![]
        }
    }
}

/// Read-only mode refuses before a popup opens (the dispatcher refuses again on submit,
/// and for hosts that are `read_only` in the config).
fn refused_read_only(state: &mut State) -> bool {
    if state.read_only() {
        let why = crate::action::Refusal::ReadOnly("opsdeck was started with --read-only".into());
        notice(
            state,
            NoticeLevel::Error,
            format!("cannot change silences: {why}"),
        );
    }
    state.read_only()
}

/// `M` or `U` off the Alerts screen.
pub(super) fn elsewhere(state: &mut State) {
    if !refused_read_only(state) {
        notice(
            state,
            NoticeLevel::Info,
            "silences are made on the Alerts screen (A)",
        );
    }
}

fn open_silence_form(state: &mut State) {
    if refused_read_only(state) {
        return;
    }
    let Some(a) = state.selected_alert() else {
        notice(state, NoticeLevel::Info, "no alert to silence");
        return;
    };
    if !a.alert.status.silenced_by.is_empty() {
        let name = a.alert.name().to_owned();
        notice(
            state,
            NoticeLevel::Info,
            format!("{name} is silenced already (U expires the silence)"),
        );
        return;
    }
    state.mode = Mode::Silence(Box::new(SilenceForm {
        fingerprint: a.alert.fingerprint.clone(),
        name: a.alert.name().to_owned(),
        duration: DEFAULT_SILENCE.to_owned(),
        comment: String::new(),
        on_comment: false,
        error: None,
    }));
}

fn expire(state: &mut State, config: &Config) {
    if refused_read_only(state) {
        return;
    }
    let Some(a) = state.selected_alert() else {
        return;
    };
    let Some(silence) = state.alerts.silence_of(a) else {
        let name = a.alert.name().to_owned();
        notice(state, NoticeLevel::Info, format!("{name} is not silenced"));
        return;
    };
    let (id, host, service) = (silence.id.clone(), a.host.clone(), a.service.clone());
    match state
        .dispatcher
        .plan_unsilence(config, &id, host.as_ref(), service.as_ref())
    {
        Ok(plan) => state.mode = Mode::Action(Box::new(ActionView::new(plan))),
        Err(e) => notice(
            state,
            NoticeLevel::Error,
            format!("cannot expire silence {id}: {e}"),
        ),
    }
}

/// Typing in the silence popup: `tab` moves between the duration and the comment, `enter`
/// asks the dispatcher for the plan (its popup confirms), `esc` leaves.
pub(super) fn on_silence_input(
    state: &mut State,
    config: &Config,
    mut form: Box<SilenceForm>,
    input: TextInput,
) -> Vec<Effect> {
    match input {
        TextInput::Cancel => return vec![],
        TextInput::Complete { .. } => form.on_comment = !form.on_comment,
        TextInput::Submit => {
            match submit(state, config, &form) {
                Ok(plan) => state.mode = Mode::Action(Box::new(ActionView::new(plan))),
                Err(e) => {
                    form.error = Some(e);
                    state.mode = Mode::Silence(form);
                }
            }
            return vec![];
        }
        edit => {
            let field = if form.on_comment {
                &mut form.comment
            } else {
                &mut form.duration
            };
            edit_text(field, &edit);
            form.error = None;
        }
    }
    state.mode = Mode::Silence(form);
    vec![]
}

fn submit(
    state: &mut State,
    config: &Config,
    form: &SilenceForm,
) -> Result<crate::action::Plan, String> {
    let duration = humantime::parse_duration(form.duration.trim())
        .map_err(|e| format!("duration `{}`: {e} (2h, 30m)", form.duration.trim()))?;
    let a = state
        .alerts
        .alerts
        .iter()
        .find(|a| a.alert.fingerprint == form.fingerprint)
        .ok_or("the alert is gone (resolved meanwhile)")?;
    let req = SilenceRequest::for_labels(
        &a.alert.labels,
        a.host.clone(),
        a.service.clone(),
        duration,
        &form.comment,
    );
    state
        .dispatcher
        .plan_silence(config, &req)
        .map_err(|e| e.to_string())
}
