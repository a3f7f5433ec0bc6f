//! The cells of the fleet table's rows: a host, a service, a replica, an unclaimed container
//! group.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use super::fleet_table::{Column, Ctx, count_spans};
use super::units;
use crate::app::fleet_view::Counts;
use crate::app::state::{HostState, ServiceState, State, kind_label};
use crate::config::schema::TransportKind;
use crate::model::container::{ContainerHealth, ContainerInfo};
use crate::model::{HostStatus, RunState};
use crate::ui::theme::Theme;

pub(super) fn host_cells<'a>(host: &'a HostState, counts: &Counts, cx: &Ctx<'_>) -> Vec<Cell<'a>> {
    let (cols, theme, state) = (cx.cols, cx.theme, cx.state);
    let sample = host.last_sample.as_ref();
    cols.iter()
        .map(|c| match c {
            Column::Name => {
                let mut spans = Vec::new();
                if cx.folded(host) {
                    spans.push(Span::styled("▸ ", theme.accent));
                }
                spans.extend(
                    cx.highlighted(host.id.as_str(), theme.text.add_modifier(Modifier::BOLD)),
                );
                for tag in &host.tags {
                    let style = if tag == "prod" {
                        theme.bad
                    } else {
                        theme.muted
                    };
                    spans.push(Span::styled(format!(" #{tag}"), style));
                }
                spans.extend(super::alerts::host_badge(state, &host.id, theme));
                Cell::from(Line::from(spans))
            }
            Column::Kind => Cell::from(Span::styled(transport_label(host.transport), theme.muted)),
            Column::Status => match &host.status {
                HostStatus::Up if recent_fault(host, state) => {
                    Cell::from(Span::styled("● up ⚠ restarted", theme.warn))
                }
                HostStatus::Up
                    if !host.metrics_from_prometheus
                        && sample.is_some_and(|s| state.is_stale(s.at)) =>
                {
                    Cell::from(Span::styled("● up (stale)", theme.warn))
                }
                HostStatus::Up => Cell::from(Span::styled("● up", theme.ok)),
                HostStatus::Connecting => Cell::from(Span::styled("○ connecting…", theme.muted)),
                HostStatus::HttpOnly => Cell::from(Span::styled("◇ http only", theme.muted)),
                HostStatus::Unreachable { since, .. } if host.needs_login => {
                    Cell::from(Span::styled(
                        format!("✘ needs login {}", since.format("%H:%M:%S")),
                        theme.bad,
                    ))
                }
                HostStatus::Unreachable { since, .. } => Cell::from(Span::styled(
                    format!("✘ unreachable {}", since.format("%H:%M:%S")),
                    theme.bad,
                )),
            },
            // A folded host still counts what it hides.
            Column::Health if cx.folded(host) && counts.problems > 0 => {
                Cell::from(Span::styled(format!("{} ⚠", counts.problems), theme.warn))
            }
            Column::Health | Column::Backup => Cell::from(""),
            Column::Uptime => {
                Cell::from(sample.map(|s| units::uptime(s.uptime)).unwrap_or_default())
            }
            Column::Cpu => Cell::from(
                sample
                    .and_then(|s| s.cpu_total)
                    .map(units::percent)
                    .unwrap_or_default(),
            ),
            Column::Mem => Cell::from(
                sample
                    .map(|s| {
                        format!(
                            "{}/{}",
                            units::bytes(s.mem_used_bytes),
                            units::bytes(s.mem_total_bytes)
                        )
                    })
                    .unwrap_or_default(),
            ),
            Column::Detail if cx.folded(host) => {
                let mut spans = vec![Span::styled(
                    format!("folded · {} services: ", counts.services),
                    theme.muted,
                )];
                spans.extend(count_spans(counts, theme));
                Cell::from(Line::from(spans))
            }
            Column::Detail => match (
                &host.status,
                host.docker.as_ref().and_then(|d| d.gap.as_ref()),
            ) {
                // Why it cannot be reached comes first: a restarted collector is the lesser news.
                (HostStatus::Unreachable { reason, .. }, _) if host.needs_login => {
                    Cell::from(Span::styled(format!("I logs in · {reason}"), theme.bad))
                }
                (HostStatus::Unreachable { reason, .. }, _) => {
                    Cell::from(Span::styled(reason.as_str(), theme.bad))
                }
                // A collector that panicked in the last ten minutes: say so on its row.
                _ if let Some(f) = host.fault.as_ref().filter(|_| recent_fault(host, state)) => {
                    Cell::from(Span::styled(
                        format!(
                            "⚠ {} panicked {}{}: {}",
                            f.task,
                            f.at.format("%H:%M:%S"),
                            if f.restarting { ", restarted" } else { "" },
                            f.message
                        ),
                        theme.bad,
                    ))
                }
                _ if let Some(gap) = &host.metrics_gap => Cell::from(Span::styled(
                    format!("metrics {}", gap.label(state.now)),
                    theme.warn,
                )),
                (_, Some((since, reason))) => Cell::from(Span::styled(
                    format!(
                        "docker unreachable since {}: {reason}",
                        since.format("%H:%M:%S")
                    ),
                    theme.warn,
                )),
                _ => Cell::from(Span::styled(
                    sample
                        .map(|s| format!("load {:.2} {:.2} {:.2}", s.load[0], s.load[1], s.load[2]))
                        .unwrap_or_default(),
                    theme.muted,
                )),
            },
        })
        .collect()
}

pub(super) fn service_cells<'a>(
    host: &HostState,
    svc: &'a ServiceState,
    last: bool,
    cx: &Ctx<'_>,
) -> Vec<Cell<'a>> {
    let (cols, theme, state) = (cx.cols, cx.theme, cx.state);
    let obs = svc.observation.as_ref();
    let stale = state.service_stale(host, svc);
    let busy = state
        .dispatcher
        .is_busy(&crate::action::Subject::Service(svc.id.clone()));
    cols.iter()
        .map(|c| match c {
            Column::Name => {
                let mut spans = if cx.flat {
                    // One list for the whole fleet: the host names the row.
                    vec![Span::styled(format!(" {}/", host.id), theme.muted)]
                } else {
                    // `~`: found on the host, not in the configuration.
                    let branch = match (last, svc.discovered) {
                        (true, false) => " └─ ",
                        (false, false) => " ├─ ",
                        (true, true) => " └~ ",
                        (false, true) => " ├~ ",
                    };
                    vec![Span::styled(branch, theme.muted)]
                };
                // Marked for a merged log view.
                if state.marked.contains(&svc.id) {
                    spans.push(Span::styled("◆ ", theme.accent));
                }
                spans.extend(cx.highlighted(&svc.id.name, theme.text));
                spans.extend(super::alerts::service_badge(state, &svc.id, theme));
                Cell::from(Line::from(spans))
            }
            Column::Kind => Cell::from(Span::styled(
                if svc.discovered {
                    "systemd?"
                } else {
                    kind_label(svc.kind)
                },
                theme.muted,
            )),
            Column::Status => {
                let run = state.run_state(svc);
                let (symbol, style) = run_style(run, theme);
                let mut spans = vec![Span::styled(
                    format!("{symbol} {}", run.label()),
                    if stale { theme.muted } else { style },
                )];
                if stale {
                    spans.push(Span::styled(" (stale)", theme.warn));
                }
                if busy {
                    spans.push(Span::styled(
                        " ⟳ busy",
                        theme.accent.add_modifier(Modifier::BOLD),
                    ));
                }
                Cell::from(Line::from(spans))
            }
            Column::Health => {
                let health = state.service_health(svc);
                let (_, style) = super::checks_panel::health_style(health, theme);
                Cell::from(Span::styled(health.label(), style))
            }
            Column::Uptime => Cell::from(
                obs.and_then(|o| o.uptime)
                    .map(units::uptime)
                    .unwrap_or_default(),
            ),
            Column::Cpu => Cell::from(
                obs.and_then(|o| o.cpu_percent)
                    .map(units::percent)
                    .unwrap_or_default(),
            ),
            Column::Mem => Cell::from(
                obs.and_then(|o| o.mem_bytes)
                    .map(units::bytes)
                    .unwrap_or_default(),
            ),
            Column::Backup => backup_cell(state, &svc.id, theme),
            Column::Detail => {
                // What changed in the last hour comes first: an incident's first question.
                let mut spans = Vec::new();
                if let Some(e) = state.recent_change(&svc.id, chrono::Duration::hours(1)) {
                    let ago = units::uptime((state.now - e.at).to_std().unwrap_or_default());
                    let to = e.to.as_deref().unwrap_or("?");
                    let failed = if e.result == "succeeded" { "" } else { " ✘" };
                    spans.push(Span::styled(
                        format!("↻ {} {to} {ago} ago{failed} · ", e.kind),
                        theme.accent,
                    ));
                }
                spans.push(Span::styled(
                    obs.map_or("", |o| o.detail.as_str()),
                    theme.muted,
                ));
                Cell::from(Line::from(spans))
            }
        })
        .collect()
}

/// The newest backup's age of the service's sets (the stalest set counts), red when
/// older than the RPO, `⚠` when a set is flagged, `?` when it could not be listed.
fn backup_cell<'a>(state: &State, service: &crate::model::ServiceId, theme: &Theme) -> Cell<'a> {
    let sets = state.sets_of_service(service);
    if sets.is_empty() {
        return Cell::from("");
    }
    let sets: Vec<_> = sets.iter().map(|&i| &state.backups[i]).collect();
    let stale = sets.iter().any(|b| b.stale(state.now));
    let flagged = sets.iter().any(|b| !b.flags().is_empty());
    let oldest_newest = sets
        .iter()
        .filter_map(|b| b.backups().first().map(|n| n.age(state.now)))
        .max();
    let text = match oldest_newest {
        Some(age) => format!("{}{}", units::uptime(age), if flagged { " ⚠" } else { "" }),
        None if sets.iter().any(|b| b.status.is_some()) => "none".to_owned(),
        None if sets.iter().any(|b| b.error.is_some()) => "?".to_owned(),
        None => String::new(),
    };
    let style = if stale {
        theme.bad
    } else if flagged {
        theme.warn
    } else {
        theme.muted
    };
    Cell::from(Span::styled(text, style))
}

pub fn run_style(run: RunState, theme: &Theme) -> (&'static str, Style) {
    match run {
        RunState::Running => ("●", theme.ok),
        RunState::Degraded => ("◐", theme.warn),
        RunState::Stopped => ("■", theme.bad),
        RunState::Failed => ("✘", theme.bad),
        RunState::Unknown => ("?", theme.muted),
        RunState::NotStarted => ("○", theme.muted),
    }
}

fn transport_label(t: TransportKind) -> &'static str {
    match t {
        TransportKind::Local => "local",
        TransportKind::Ssh => "ssh",
        TransportKind::Http => "http",
    }
}

fn container_state_style(c: &ContainerInfo, theme: &Theme) -> (String, Style) {
    let health = match c.health {
        ContainerHealth::Healthy => " (healthy)",
        ContainerHealth::Unhealthy => " (unhealthy)",
        ContainerHealth::Starting => " (starting)",
        ContainerHealth::None => "",
    };
    let style = match (c.running(), c.health) {
        (true, ContainerHealth::Unhealthy) => theme.bad,
        (true, ContainerHealth::Starting) => theme.warn,
        (true, _) => theme.ok,
        (false, _) if c.state == "created" => theme.muted,
        (false, _) => theme.bad,
    };
    (format!("{}{health}", c.state), style)
}

pub(super) fn container_detail(c: &ContainerInfo) -> String {
    let mut d = c.image.rsplit('/').next().unwrap_or(&c.image).to_owned();
    if let Some(digest) = &c.digest {
        d.push_str(&format!(" @{digest}"));
    }
    if !c.ports.is_empty() {
        d.push_str(&format!(" · {}", c.ports.join(",")));
    }
    if c.restarts > 0 {
        d.push_str(&format!(" · {} restarts", c.restarts));
    }
    d
}

pub(super) fn replica_cells<'a>(
    host: &'a HostState,
    svc: &ServiceState,
    r: usize,
    last: bool,
    cx: &Ctx<'_>,
) -> Vec<Cell<'a>> {
    let (cols, theme, state) = (cx.cols, cx.theme, cx.state);
    let Some((key, view)) = svc.group.as_ref().zip(host.docker.as_ref()) else {
        return vec![];
    };
    let Some(c) = view.members(key).get(r).copied() else {
        return vec![];
    };
    let (text, style) = container_state_style(c, theme);
    cols.iter()
        .map(|col| match col {
            Column::Name => Cell::from(Line::from(vec![
                Span::styled(if last { " │  └ " } else { " │  ├ " }, theme.muted),
                Span::styled(c.name.clone(), theme.muted),
            ])),
            Column::Kind => Cell::from(Span::styled("replica", theme.muted)),
            Column::Status => Cell::from(Span::styled(text.clone(), style)),
            Column::Health | Column::Backup => Cell::from(""),
            Column::Uptime => Cell::from(
                c.started_at
                    .filter(|_| c.running())
                    .and_then(|t| (state.now - t).to_std().ok())
                    .map(units::uptime)
                    .unwrap_or_default(),
            ),
            Column::Cpu => Cell::from(view.cpu_of(&c.id).map(units::percent).unwrap_or_default()),
            Column::Mem => Cell::from(view.mem_of(&c.id).map(units::bytes).unwrap_or_default()),
            Column::Detail => Cell::from(Span::styled(container_detail(c), theme.muted)),
        })
        .collect()
}

/// A collector of the host panicked in the last ten minutes.
fn recent_fault(host: &HostState, state: &State) -> bool {
    host.fault
        .as_ref()
        .is_some_and(|f| (state.now - f.at).num_minutes() < 10)
}
