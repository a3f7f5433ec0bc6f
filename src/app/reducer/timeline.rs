//! The `:timeline` screen: the audit log read by the effect runner, shown newest last,
//! scrolled back in time with the movement keys.

use super::*;
use crate::app::state::TimelineView;

/// `:timeline [SINCE]`: the audit log as a timeline screen.
pub(super) fn open_timeline(state: &mut State, since: &str) -> Vec<Effect> {
    let since = (!since.is_empty()).then(|| since.to_owned());
    state.screen = Screen::Timeline(TimelineView {
        rows: None,
        bad: 0,
        since: since.clone(),
        scroll: 0,
    });
    vec![Effect::LoadTimeline { since }]
}

pub(super) fn timeline_loaded(
    state: &mut State,
    loaded: Result<(Vec<crate::runbook::timeline::Row>, usize), String>,
) {
    if let Screen::Timeline(view) = &mut state.screen {
        match loaded {
            Ok((rows, bad)) => {
                view.rows = Some(Ok(rows));
                view.bad = bad;
            }
            Err(e) => view.rows = Some(Err(e)),
        }
    }
}

/// Keys on the timeline screen: scrolling. `true`: the key was the timeline's.
pub(super) fn timeline_key(state: &mut State, action: Action) -> bool {
    let page = layout::fleet_visible_rows(state.size).max(1);
    let Screen::Timeline(view) = &mut state.screen else {
        return false;
    };
    let most = match &view.rows {
        Some(Ok(rows)) => rows.len().saturating_sub(1),
        _ => 0,
    };
    view.scroll = match action {
        Action::Up => view.scroll + 1,
        Action::Down => view.scroll.saturating_sub(1),
        Action::PageUp => view.scroll + page,
        Action::PageDown => view.scroll.saturating_sub(page),
        Action::Top => most,
        Action::Bottom => 0,
        _ => return false,
    }
    .min(most);
    true
}
