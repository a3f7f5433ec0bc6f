//! The log screen: scrolling, search and filter input, and opening a service's logs.

use super::*;
use crate::app::log_view::StreamArgs;

pub(super) fn on_log_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let page = layout::fleet_visible_rows(state.size).max(1);
    let view = state.logs.as_mut()?;
    let max = view.visible_len().saturating_sub(1);
    let scroll_to = |view: &mut LogView, to: usize| {
        view.scroll = to.min(max);
        if view.scroll == 0 {
            view.unseen = 0;
        }
    };
    match action {
        Action::Back => {
            state.logs = None;
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
            let name = format!("{}-{}", view.service, view.source).replace('/', "_");
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

/// Opens the log screen on the selected service's first log source.
pub(super) fn open_logs(state: &mut State, config: &Config) -> Vec<Effect> {
    use crate::collect::logs::LogSpec;
    use crate::config::schema::{LogKind, ServiceKind, TransportKind};
    let Some(service) = state.selected_service().map(|s| s.id.clone()) else {
        notice(
            state,
            NoticeLevel::Warn,
            "select a service to follow its logs",
        );
        return vec![];
    };
    let Some((host, svc)) = config.find_service(&service) else {
        return vec![];
    };
    // The first configured source; containers' own logs when none is configured.
    let docker_names = || {
        let svc_state = state
            .hosts
            .iter()
            .flat_map(|h| &h.services)
            .find(|s| s.id == service);
        svc_state
            .map(|s| crate::app::containers::container_names(state, &service.host, s))
            .unwrap_or_default()
    };
    let (name, spec, tail) = match svc.logs.first() {
        Some(l) => {
            let spec = match l.kind {
                LogKind::Journald => {
                    let unit = l
                        .unit
                        .as_ref()
                        .or(svc.unit.as_ref())
                        .map(|u| u.get_ref().clone())
                        .unwrap_or_default();
                    LogSpec::Journald { unit }
                }
                LogKind::File => LogSpec::File {
                    path: l
                        .path
                        .as_ref()
                        .map(|p| p.get_ref().clone())
                        .unwrap_or_default(),
                },
                LogKind::Docker => match &l.container {
                    Some(c) => LogSpec::Docker {
                        containers: vec![c.get_ref().clone()],
                    },
                    None => LogSpec::Docker {
                        containers: docker_names(),
                    },
                },
            };
            (l.name.get_ref().clone(), spec, l.tail.unwrap_or(200))
        }
        None if svc.kind == ServiceKind::Systemd => {
            let unit = svc
                .unit
                .as_ref()
                .map(|u| u.get_ref().clone())
                .unwrap_or_default();
            ("journal".to_owned(), LogSpec::Journald { unit }, 200)
        }
        None if matches!(svc.kind, ServiceKind::Compose | ServiceKind::Container) => (
            "containers".to_owned(),
            LogSpec::Docker {
                containers: docker_names(),
            },
            200,
        ),
        None => {
            notice(
                state,
                NoticeLevel::Warn,
                format!("{service} has no log source in the config"),
            );
            return vec![];
        }
    };
    if matches!(&spec, LogSpec::Docker { containers } if containers.is_empty()) {
        notice(
            state,
            NoticeLevel::Warn,
            format!("no containers of {service} are known yet"),
        );
        return vec![];
    }
    let target = match host.transport {
        TransportKind::Local => crate::transport::Target::Local,
        TransportKind::Ssh => crate::transport::Target::Ssh(service.host.clone()),
        TransportKind::Http => {
            notice(
                state,
                NoticeLevel::Warn,
                format!("{} is http-only: no logs to read", service.host),
            );
            return vec![];
        }
    };
    state.logs = Some(LogView::new(
        service.clone(),
        name.clone(),
        config.file.settings.log_buffer_lines,
    ));
    state.screen = Screen::Logs;
    if let Some(view) = state.logs.as_mut() {
        view.stream = Some(StreamArgs {
            spec: spec.clone(),
            target: target.clone(),
            tail,
        });
    }
    vec![Effect::FollowLogs {
        service,
        source: name,
        spec,
        target,
        tail,
        since: None,
    }]
}

/// `:since 10m` or `:since 2026-11-25 09:30`: the log is read again from that time, the
/// window cut on the server (journald `--since`, Docker `since`), not pulled and dropped.
pub(in crate::app::reducer) fn narrow_logs(state: &mut State, arg: &str) -> Vec<Effect> {
    use crate::collect::logs::LogSpec;
    let Some(view) = state.logs.as_ref() else {
        notice(
            state,
            NoticeLevel::Warn,
            ":since works on the log screen (L on a service)",
        );
        return vec![];
    };
    let Some(stream) = view.stream.clone() else {
        return vec![];
    };
    if matches!(stream.spec, LogSpec::File { .. }) {
        notice(
            state,
            NoticeLevel::Warn,
            "a file cannot be read from a time: scroll back with k or g instead",
        );
        return vec![];
    }
    let since = match humantime::parse_duration(arg) {
        Ok(d) => state.now.timestamp() - d.as_secs() as i64,
        Err(_) => match parse_time(arg) {
            Some(t) => t,
            None => {
                notice(
                    state,
                    NoticeLevel::Error,
                    format!(
                        "`{arg}` is neither a duration (10m, 2h) nor a time (2026-11-25 09:30[:00], UTC)"
                    ),
                );
                return vec![];
            }
        },
    };
    let (service, source) = (view.service.clone(), view.source.clone());
    let (search, filter, context) = (
        view.search.as_ref().map(|q| q.raw.clone()),
        view.filter.as_ref().map(|q| q.raw.clone()),
        view.context,
    );
    let capacity = view.ring.capacity();
    let mut fresh = LogView::new(service.clone(), source.clone(), capacity);
    fresh.stream = Some(stream.clone());
    fresh.since = Some(since);
    fresh.context = context;
    if let Some(q) = search {
        let _ = fresh.set_search(&q);
    }
    if let Some(q) = filter {
        let _ = fresh.set_filter(&q);
    }
    state.logs = Some(fresh);
    vec![Effect::FollowLogs {
        service,
        source,
        spec: stream.spec,
        target: stream.target,
        tail: stream.tail,
        since: Some(since),
    }]
}

/// `2026-11-25 09:30`, `2026-11-25 09:30:15` or RFC 3339, as Unix seconds (UTC).
fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp())
}

/// Typing a search or filter: applied as typed; an invalid pattern shows its error and the
/// last good one stays; enter keeps it, esc clears it.
pub(super) fn on_query_input(
    state: &mut State,
    kind: QueryKind,
    mut text: String,
    input: TextInput,
) {
    let Some(view) = state.logs.as_mut() else {
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
