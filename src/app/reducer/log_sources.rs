//! Which sources a log view follows: opening a view on a service, a host or the marked
//! set, labelling merged sources, and reopening it narrowed to a server-side window.

use super::*;
use crate::app::log_view::ViewSource;
use crate::protocol::Window;

/// Opens the log screen on what is selected: the marked services when any are marked,
/// the whole host on a host row, else the service (every source it has, merged by time).
pub(super) fn open_logs(state: &mut State, config: &Config) -> Vec<Effect> {
    let (title, picks) = if !state.marked.is_empty() {
        let picks = state.marked.iter().cloned().map(Pick::Service).collect();
        (format!("{} marked services", state.marked.len()), picks)
    } else {
        match state.selected_row() {
            Some(Row::Host(h)) => {
                let host = &state.hosts[h];
                let mut picks: Vec<Pick> = host
                    .services
                    .iter()
                    .map(|s| Pick::Service(s.id.clone()))
                    .collect();
                picks.push(Pick::HostLogs(host.id.clone()));
                (format!("host {}", host.id), picks)
            }
            Some(Row::Service(h, s) | Row::Replica(h, s, _)) => {
                let id = state.hosts[h].services[s].id.clone();
                (id.to_string(), vec![Pick::Service(id)])
            }
            Some(Row::Discovered(h, d)) => {
                let host = &state.hosts[h];
                let Some((key, names)) = host.docker.as_ref().and_then(|v| {
                    let key = v.discovered.get(d)?;
                    let names = v.members(key).into_iter().map(|c| c.name.clone()).collect();
                    Some((key.label(), names))
                }) else {
                    return vec![];
                };
                let title = format!("{}/{key}", host.id);
                (title, vec![Pick::Containers(host.id.clone(), key, names)])
            }
            None | Some(Row::Group(_)) => {
                notice(state, NoticeLevel::Warn, "select a service or a host");
                return vec![];
            }
        }
    };
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    for pick in &picks {
        match pick_sources(state, config, pick) {
            Ok(found) => sources.extend(found),
            Err(why) => skipped.push(why),
        }
    }
    if sources.is_empty() {
        let why = skipped.join("; ");
        notice(
            state,
            NoticeLevel::Warn,
            format!("no logs to follow: {why}"),
        );
        return vec![];
    }
    label_sources(&mut sources);
    state.log_views += 1;
    let mut view = LogView::new(
        state.log_views,
        title,
        config.file.settings.log_buffer_lines(),
    );
    view.sources = sources;
    // Services without logs are named, unless the operator picked them one by one.
    if !skipped.is_empty() && picks.len() > 1 {
        let shown: Vec<&String> = skipped.iter().take(3).collect();
        let more = skipped.len().saturating_sub(3);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let text = format!(
            "following {} source{}; left out: {}{tail}",
            view.sources.len(),
            if view.sources.len() == 1 { "" } else { "s" },
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        notice(state, NoticeLevel::Info, text);
    }
    let effect = view.follow();
    state.screen = Screen::Logs(Box::new(view));
    vec![effect]
}

/// What a log view is opened on.
enum Pick {
    Service(ServiceId),
    /// A host's own log sources (`[[hosts.logs]]`).
    HostLogs(crate::model::HostId),
    /// Containers no configured service claims.
    Containers(crate::model::HostId, String, Vec<String>),
}

/// The sources of one pick, or why it has none.
fn pick_sources(state: &State, config: &Config, pick: &Pick) -> Result<Vec<ViewSource>, String> {
    use crate::config::schema::{ServiceKind, TransportKind};
    use crate::protocol::{FollowSource, LogSpec};
    let host_id = match pick {
        Pick::Service(id) => &id.host,
        Pick::HostLogs(h) | Pick::Containers(h, ..) => h,
    };
    let host = config
        .find_host(host_id)
        .ok_or_else(|| format!("{host_id} is not in the config"))?;
    let target = match host.transport {
        TransportKind::Local => crate::transport::Target::Local,
        TransportKind::Ssh => crate::transport::Target::Ssh(host_id.clone()),
        TransportKind::Http => return Err(format!("{host_id} is http-only")),
    };
    let source = |name: String, spec: LogSpec, tail: Option<usize>| {
        ViewSource::new(
            name,
            FollowSource {
                host: host_id.clone(),
                spec,
                target: target.clone(),
                tail: tail.unwrap_or(DEFAULT_TAIL),
                label: String::new(),
            },
        )
    };
    let sources = match pick {
        Pick::Containers(_, key, names) => {
            let spec = LogSpec::Docker {
                containers: names.clone(),
            };
            vec![source(format!("{host_id}/{key}"), spec, None)]
        }
        Pick::HostLogs(_) => host
            .logs
            .iter()
            .filter_map(|l| {
                let spec = log_spec(l, None, Vec::new)?;
                Some(source(
                    format!("{host_id}/{}", l.name.get_ref()),
                    spec,
                    l.tail,
                ))
            })
            .collect(),
        Pick::Service(id) => {
            let (_, svc) = config
                .find_service(id)
                .ok_or_else(|| format!("{id} is not in the config"))?;
            let docker_names = || {
                state
                    .service(id)
                    .map(|s| crate::app::containers::container_names(state, &id.host, s))
                    .unwrap_or_default()
            };
            let unit = svc.unit.as_ref().map(|u| u.get_ref().as_str());
            let mut found: Vec<ViewSource> = svc
                .logs
                .iter()
                .filter_map(|l| {
                    let spec = log_spec(l, unit, docker_names)?;
                    Some(source(format!("{id}:{}", l.name.get_ref()), spec, l.tail))
                })
                .collect();
            if svc.logs.is_empty() {
                match svc.kind {
                    ServiceKind::Systemd => found.push(source(
                        format!("{id}:journal"),
                        LogSpec::Journald {
                            unit: unit.unwrap_or_default().to_owned(),
                        },
                        None,
                    )),
                    ServiceKind::Compose | ServiceKind::Container => found.push(source(
                        format!("{id}:containers"),
                        LogSpec::Docker {
                            containers: docker_names(),
                        },
                        None,
                    )),
                    _ => return Err(format!("{id} has no log source in the config")),
                }
            }
            let known = found
                .iter()
                .any(|s| !matches!(&s.follow.spec, LogSpec::Docker { containers } if containers.is_empty()));
            if !known {
                return Err(format!("no containers of {id} are known yet"));
            }
            found.retain(|s| !matches!(&s.follow.spec, LogSpec::Docker { containers } if containers.is_empty()));
            found
        }
    };
    if sources.is_empty() {
        return Err(format!("{host_id} has no logs of its own"));
    }
    Ok(sources)
}

/// Lines fetched when a source is opened, unless its config says otherwise.
const DEFAULT_TAIL: usize = 200;

/// The followable form of a configured source; `None` for a journal without a unit.
fn log_spec(
    l: &crate::config::schema::LogSource,
    service_unit: Option<&str>,
    docker_names: impl FnOnce() -> Vec<String>,
) -> Option<crate::protocol::LogSpec> {
    use crate::config::schema::LogKind;
    use crate::protocol::LogSpec;
    Some(match l.kind {
        LogKind::Journald => LogSpec::Journald {
            unit: l
                .unit
                .as_ref()
                .map(|u| u.get_ref().as_str())
                .or(service_unit)?
                .to_owned(),
        },
        LogKind::File => LogSpec::File {
            path: l.path.as_ref()?.get_ref().clone(),
        },
        LogKind::Docker => LogSpec::Docker {
            containers: match &l.container {
                Some(c) => vec![c.get_ref().clone()],
                None => docker_names(),
            },
        },
    })
}

/// In a merged view every line says where it came from: the service (and the source,
/// when a service has several), with the host when the view spans hosts; in the view of
/// one service, the source's name.
pub(super) fn label_sources(sources: &mut [ViewSource]) {
    if sources.len() < 2 {
        return;
    }
    let hosts: std::collections::BTreeSet<&str> =
        sources.iter().map(|s| s.follow.host.as_str()).collect();
    let many_hosts = hosts.len() > 1;
    let owners: Vec<String> = sources
        .iter()
        .map(|s| s.name.split(':').next().unwrap_or_default().to_owned())
        .collect();
    let one_owner = owners.iter().all(|o| *o == owners[0]);
    for (i, s) in sources.iter_mut().enumerate() {
        let shared = owners.iter().filter(|o| **o == owners[i]).count() > 1;
        // One service with several sources: the source's name says it all.
        if one_owner && let Some((_, source)) = s.name.rsplit_once(':') {
            s.follow.label = source.to_owned();
            continue;
        }
        let name = if shared {
            s.name.as_str()
        } else {
            owners[i].as_str()
        };
        let name = if many_hosts {
            name
        } else {
            name.split_once('/').map_or(name, |(_, rest)| rest)
        };
        s.follow.label = name.to_owned();
    }
}

/// `:since 10m`, `:until 2026-11-25 09:30`, `:grep PATTERN`, `:live`: the sources are read
/// again, narrowed on the server where they can be (journald `--since/--until/--grep`,
/// Docker `since/until`). A pattern also filters the view, so sources the server cannot
/// narrow are filtered here. Files cannot be read from a time and are left out of a window.
pub(super) fn narrow_logs(state: &mut State, cmd: &str, arg: &str) -> Vec<Effect> {
    let Some(view) = state.logs() else {
        notice(
            state,
            NoticeLevel::Warn,
            format!(":{cmd} works on the log screen (L on a service or a host)"),
        );
        return vec![];
    };
    let id = state.log_views.max(view.id) + 1;
    match narrowed(view, id, state.now.timestamp(), cmd, arg) {
        Ok((fresh, warning)) => {
            state.log_views = id;
            let effect = fresh.follow();
            state.screen = Screen::Logs(Box::new(fresh));
            if let Some(text) = warning {
                notice(state, NoticeLevel::Warn, text);
            }
            vec![effect]
        }
        Err(e) => {
            notice(state, NoticeLevel::Error, e);
            vec![]
        }
    }
}

/// The view reopened as view `id` with its window changed by one command; with a warning
/// naming the sources the window leaves out.
fn narrowed(
    view: &LogView,
    id: u64,
    now: i64,
    cmd: &str,
    arg: &str,
) -> Result<(LogView, Option<String>), String> {
    let mut window = view.window.clone();
    let mut filter = view.filter.as_ref().map(|q| q.raw.clone());
    match cmd {
        "live" => {
            if window.grep.is_some() {
                filter = None;
            }
            window = Window::default();
        }
        "grep" => {
            crate::app::log_view::Query::compile(arg).map_err(|e| format!("grep: {e}"))?;
            window.grep = (!arg.is_empty()).then(|| arg.to_owned());
            filter = window.grep.clone();
        }
        _ => {
            let t = parse_when(now, arg)?;
            if cmd == "since" {
                window.since = Some(t);
            } else {
                window.until = Some(t);
            }
        }
    }
    if let (Some(a), Some(b)) = (window.since, window.until)
        && b <= a
    {
        return Err("the window ends before it starts: :until must be later than :since".into());
    }
    let timed = window.since.is_some() || window.until.is_some();
    let mut sources = view.sources.clone();
    for s in &mut sources {
        s.gap = None;
        s.ended = false;
        s.left_out = (timed && !s.follow.spec.has_time())
            .then(|| "a file cannot be read from a time".to_owned());
    }
    let left_out: Vec<&str> = sources
        .iter()
        .filter(|s| s.left_out.is_some())
        .map(|s| s.name.as_str())
        .collect();
    if left_out.len() == sources.len() {
        return Err("a file cannot be read from a time: scroll back with k or g instead".into());
    }
    let warning = (!left_out.is_empty()).then(|| {
        format!(
            "left out of the window (files cannot be read from a time): {}",
            left_out.join(", ")
        )
    });
    let mut fresh = LogView::new(id, view.title.clone(), view.ring.capacity());
    fresh.sources = sources;
    fresh.window = window;
    fresh.context = view.context;
    fresh.timestamps = view.timestamps;
    fresh.wrap = view.wrap;
    if let Some(q) = &view.search {
        let _ = fresh.set_search(&q.raw);
    }
    if let Some(q) = filter {
        let _ = fresh.set_filter(&q);
    }
    Ok((fresh, warning))
}

/// A duration back from `now` (`10m`) or a UTC time (`2026-11-25 09:30`), as Unix seconds.
fn parse_when(now: i64, arg: &str) -> Result<i64, String> {
    if let Ok(d) = humantime::parse_duration(arg) {
        return Ok(now - d.as_secs() as i64);
    }
    parse_time(arg).ok_or_else(|| {
        format!("`{arg}` is neither a duration (10m, 2h) nor a time (2026-11-25 09:30[:00], UTC)")
    })
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
