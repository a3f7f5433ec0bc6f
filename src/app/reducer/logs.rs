//! The log screen: scrolling, search and filter input, toggles and saving.

use super::*;

pub(super) fn on_log_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let page = layout::fleet_visible_rows(state.size).max(1);
    let view = state.logs_mut()?;
    let max = view.visible_len().saturating_sub(1);
    let scroll_to = |view: &mut LogView, to: usize| {
        view.scroll = to.min(max);
        if view.scroll == 0 {
            view.unseen = 0;
        }
    };
    match action {
        Action::Back => {
            state.screen = Screen::Fleet;
            return Some(vec![Effect::StopLogs]);
        }
        Action::Up => scroll_to(view, view.scroll + 1),
        Action::Down => scroll_to(view, view.scroll.saturating_sub(1)),
        Action::PageUp => scroll_to(view, view.scroll + page),
        Action::PageDown => scroll_to(view, view.scroll.saturating_sub(page)),
        Action::Top => scroll_to(view, max),
        Action::Bottom => scroll_to(view, 0),
        Action::Filter => {
            let input = view
                .search
                .as_ref()
                .map(|q| q.raw.clone())
                .unwrap_or_default();
            state.mode = Mode::LogQuery {
                kind: QueryKind::Search,
                input,
                error: None,
            };
        }
        Action::LogFilter => {
            let input = view
                .filter
                .as_ref()
                .map(|q| q.raw.clone())
                .unwrap_or_default();
            state.mode = Mode::LogQuery {
                kind: QueryKind::Filter,
                input,
                error: None,
            };
        }
        Action::NextMatch | Action::PrevMatch => {
            if view.search.is_none() {
                notice(state, NoticeLevel::Warn, "no search: press / first");
            } else if !view.jump(action == Action::NextMatch) {
                notice(state, NoticeLevel::Info, "no more matches");
            }
        }
        Action::MoreContext | Action::LessContext => {
            let n = if action == Action::MoreContext {
                view.context + 1
            } else {
                view.context.saturating_sub(1)
            };
            view.set_context(n);
            notice(
                state,
                NoticeLevel::Info,
                format!("{n} lines of context around filter matches"),
            );
        }
        Action::SaveLog => {
            let name: String = view
                .title
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            return Some(vec![Effect::SaveLog {
                name,
                text: view.export(),
            }]);
        }
        Action::ToggleTimestamps => view.timestamps = !view.timestamps,
        Action::ToggleWrap => view.wrap = !view.wrap,
        Action::Open => {
            if let Some(seq) = view.cursor() {
                state.mode = Mode::LogLine { seq };
            }
        }
        _ => return None,
    }
    Some(vec![])
}

/// Typing a search or filter: applied as typed; an invalid pattern shows its error and the
/// last good one stays; enter keeps it, esc clears it.
pub(super) fn on_query_input(
    state: &mut State,
    kind: QueryKind,
    mut text: String,
    input: TextInput,
) {
    let Some(view) = state.logs_mut() else {
        return;
    };
    let apply = |view: &mut LogView, raw: &str| match kind {
        QueryKind::Search => view.set_search(raw),
        QueryKind::Filter => view.set_filter(raw),
    };
    match input {
        // An invalid pattern stays open with its error; a valid one is kept.
        TextInput::Submit => {
            if let Err(e) = apply(view, &text) {
                state.mode = Mode::LogQuery {
                    kind,
                    input: text,
                    error: Some(e),
                };
            }
        }
        TextInput::Cancel => {
            let _ = apply(view, "");
        }
        edit => {
            edit_text(&mut text, &edit);
            // Applied as typed; while the pattern does not compile the last good one stays.
            let error = apply(view, &text).err();
            state.mode = Mode::LogQuery {
                kind,
                input: text,
                error,
            };
        }
    }
}
