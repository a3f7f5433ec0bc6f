//! Keys that arrange the fleet table: problems only, grouping, folds, sort. The selected row
//! stays selected when it is still shown.

use super::{State, clamp_selection, notice};
use crate::app::fleet_view::{FoldKey, Grouping, SortColumn, tag_names};
use crate::app::state::{NoticeLevel, Row, Screen};
use crate::model::Action;

/// Handles the key when it is one of the fleet view's (and the fleet is on screen).
pub(super) fn on_key(state: &mut State, action: Action) -> bool {
    if !matches!(state.screen, Screen::Fleet) {
        return false;
    }
    let before = state.selected_row();
    match action {
        Action::ToggleProblems => {
            state.view.problems_only = !state.view.problems_only;
            let text = if state.view.problems_only {
                "problems only: down, degraded, stale, backup stale, alerting"
            } else {
                "showing every row"
            };
            notice(state, NoticeLevel::Info, text);
        }
        Action::CycleGrouping => {
            state.view.grouping = state.view.grouping.next();
            let text = format!("rows grouped {}", state.view.grouping.label());
            notice(state, NoticeLevel::Info, text);
        }
        Action::CycleSort => {
            state.view.sort = SortColumn::cycle(state.view.sort);
            let text = match state.view.sort {
                Some(c) => format!("sorted by {}", c.label()),
                None => "in config order".to_owned(),
            };
            notice(state, NoticeLevel::Info, text);
        }
        Action::ReverseSort => {
            state.view.descending = !state.view.descending;
            if state.view.sort.is_none() {
                notice(
                    state,
                    NoticeLevel::Info,
                    "o picks a column to sort by first",
                );
            }
        }
        Action::FoldAll => fold_all(state),
        Action::ToggleExpand => match before.and_then(|r| fold_key(state, r)) {
            Some(key) => {
                if !state.view.folded.remove(&key) {
                    state.view.folded.insert(key);
                }
            }
            // A service row: its replicas (the reducer's own handling).
            None => return false,
        },
        _ => return false,
    }
    reselect(state, before);
    true
}

/// The group a row heads, when it heads one here: a host row in the tree, a tag header.
fn fold_key(state: &State, row: Row) -> Option<FoldKey> {
    match (row, state.view.grouping) {
        (Row::Host(h), Grouping::Host | Grouping::Tag) => {
            Some(FoldKey::Host(state.hosts[h].id.clone()))
        }
        (Row::Group(g), _) => tag_names(state).get(g).cloned().map(FoldKey::Tag),
        _ => None,
    }
}

/// `C`: unfold everything when anything is folded, else fold every group of this grouping.
fn fold_all(state: &mut State) {
    if !state.view.folded.is_empty() {
        state.view.folded.clear();
        return;
    }
    let keys: Vec<FoldKey> = match state.view.grouping {
        Grouping::Host => state
            .hosts
            .iter()
            .map(|h| FoldKey::Host(h.id.clone()))
            .collect(),
        Grouping::Tag => tag_names(state).into_iter().map(FoldKey::Tag).collect(),
        Grouping::None => {
            notice(
                state,
                NoticeLevel::Info,
                "a flat list has no groups: v groups it",
            );
            return;
        }
    };
    state.view.folded.extend(keys);
}

/// The row selected before stays selected when it is still shown; else the nearest index.
fn reselect(state: &mut State, before: Option<Row>) {
    if let Some(i) = before.and_then(|b| state.rows().iter().position(|r| *r == b)) {
        state.selected = i;
    } else if let Some(h) = before.and_then(Row::host)
        && let Some(i) = state.rows().iter().position(|r| *r == Row::Host(h))
    {
        // Folded away: its host's row.
        state.selected = i;
    }
    clamp_selection(state);
}
