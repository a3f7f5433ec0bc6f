//! The Backups screen and the backup actions: open it for a service or host, choose a
//! backup, back up now (`b`), restore the chosen one (`R`), drill the newest (`D`). Every
//! action is planned by the dispatcher and confirmed in the action popup.

use super::*;
use crate::app::state::BackupsView;

/// Keys that act on backups, on whichever screen they are pressed. `None`: not ours.
pub(super) fn on_backup_action(
    state: &mut State,
    config: &Config,
    action: Action,
) -> Option<Vec<Effect>> {
    if !matches!(state.mode, Mode::Normal) {
        return None;
    }
    if let Screen::Backups(view) = &mut state.screen {
        let n = view.set().map_or(0, |i| state.backups[i].backups().len());
        let last = n.saturating_sub(1);
        match action {
            Action::Back => state.screen = Screen::Fleet,
            Action::Up => view.selected = view.selected.saturating_sub(1),
            Action::Down => view.selected = (view.selected + 1).min(last),
            Action::PageUp | Action::Top => view.selected = 0,
            Action::PageDown | Action::Bottom => view.selected = last,
            // Several sets: the next one.
            Action::Open | Action::OpenBackups => {
                view.current = (view.current + 1) % view.sets.len().max(1);
                view.selected = 0;
            }
            Action::Refresh => {
                let set = view.set().map(|i| state.backups[i].name.clone());
                notice(state, NoticeLevel::Info, "listing the backups…");
                return Some(
                    set.map(|set| vec![Effect::ListBackups { set }])
                        .unwrap_or_default(),
                );
            }
            Action::BackupNow | Action::RestoreBackup | Action::DrillBackup => {
                let (set, chosen) = (view.set(), view.selected);
                if let Some(set) = set {
                    plan(state, config, action, set, Some(chosen));
                }
            }
            _ => return None,
        }
        return Some(vec![]);
    }
    match action {
        Action::OpenBackups => open(state),
        Action::BackupNow | Action::DrillBackup | Action::RestoreBackup => {
            if refuse_read_only(state, action) {
                return Some(vec![]);
            }
            let sets = selected_sets(state).1;
            match (sets.first(), action) {
                (None, _) => {
                    let (what, _) = selected_sets(state);
                    notice(
                        state,
                        NoticeLevel::Warn,
                        format!("{what} has no backup sets"),
                    );
                }
                // A restore needs a chosen backup: show them.
                (Some(_), Action::RestoreBackup) => {
                    open(state);
                    notice(state, NoticeLevel::Info, "choose a backup (j/k), then R");
                }
                (Some(&set), _) => plan(state, config, action, set, None),
            }
        }
        _ => return None,
    }
    Some(vec![])
}

/// Under read-only, backup actions are refused before anything else is looked at.
fn refuse_read_only(state: &mut State, action: Action) -> bool {
    if state.dispatcher.read_only() {
        notice(
            state,
            NoticeLevel::Error,
            format!("read-only: {} is refused", action.label()),
        );
    }
    state.dispatcher.read_only()
}

/// The selected row's name and its backup sets (a service's, or a whole host's).
fn selected_sets(state: &State) -> (String, Vec<usize>) {
    match state.selected_row() {
        Some(Row::Service(h, s) | Row::Replica(h, s, _)) => {
            let id = state.hosts[h].services[s].id.clone();
            (id.to_string(), state.sets_of_service(&id))
        }
        Some(Row::Host(h) | Row::Discovered(h, ..)) => {
            let id = state.hosts[h].id.clone();
            (format!("host {id}"), state.sets_of_host(&id))
        }
        None | Some(Row::Group(_)) => (String::new(), vec![]),
    }
}

fn open(state: &mut State) {
    let (title, sets) = selected_sets(state);
    if sets.is_empty() {
        let what = if title.is_empty() {
            "nothing selected"
        } else {
            &title
        };
        notice(
            state,
            NoticeLevel::Warn,
            format!("{what} has no backup sets"),
        );
        return;
    }
    state.screen = Screen::Backups(BackupsView {
        sets,
        current: 0,
        selected: 0,
        title,
    });
}

/// The popup with the plan of `action` on set `set` (`chosen`: the backup picked on the
/// Backups screen, for a restore).
fn plan(state: &mut State, config: &Config, action: Action, set: usize, chosen: Option<usize>) {
    let name = state.backups[set].name.clone();
    let now = state.now;
    let planned = match action {
        Action::BackupNow => state.dispatcher.plan_backup(config, &name, now),
        Action::DrillBackup => match state.backups[set].newest_local().cloned() {
            Some(b) => state.dispatcher.plan_drill(config, &name, &b, now),
            None => Err(no_backup(state, set)),
        },
        Action::RestoreBackup => {
            match chosen
                .and_then(|i| state.backups[set].backups().get(i))
                .cloned()
            {
                Some(b) if b.local => state.dispatcher.plan_restore(config, &name, &b, now),
                Some(b) => Err(Refusal::NotSupported(format!(
                    "backup {} is only off-site: copy it to the host first",
                    b.key
                ))),
                None => Err(no_backup(state, set)),
            }
        }
        _ => return,
    };
    match planned {
        Ok(plan) => state.mode = Mode::Action(Box::new(ActionView::new(plan))),
        Err(refusal) => notice(
            state,
            NoticeLevel::Error,
            format!("cannot {} {name}: {refusal}", action.label()),
        ),
    }
}

fn no_backup(state: &State, set: usize) -> Refusal {
    let b = &state.backups[set];
    Refusal::NotSupported(match (&b.status, &b.error) {
        (None, Some(e)) => format!("its backups could not be listed: {e}"),
        (None, None) => "its backups have not been listed yet".to_owned(),
        (Some(_), _) => "it has no backup on the host".to_owned(),
    })
}

/// A set's listing arrived.
pub(super) fn listed(
    state: &mut State,
    set: &str,
    result: Result<crate::backup::SetStatus, String>,
) {
    let Some(b) = state.backups.iter_mut().find(|b| b.name == set) else {
        return;
    };
    match result {
        Ok(status) => {
            b.status = Some(status);
            b.error = None;
        }
        Err(e) => b.error = Some(e),
    }
    // The chosen backup stays in range of a shorter list.
    let len = b.backups().len();
    if let Screen::Backups(view) = &mut state.screen
        && view.set().is_some_and(|i| state.backups[i].name == set)
    {
        view.selected = view.selected.min(len.saturating_sub(1));
    }
}

/// A drill ended: its record is shown beside its set.
pub(super) fn drilled(state: &mut State, record: crate::action::backups::DrillRecord) {
    if let Some(b) = state.backups.iter_mut().find(|b| b.name == record.set) {
        b.drill = Some(record);
    }
}
