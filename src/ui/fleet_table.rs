//! The fleet table: every host and, under it, its services.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row as TableRow, Table, TableState};

use super::units;
use crate::app::state::{HostState, Row, ServiceState, State, kind_label};
use crate::config::schema::TransportKind;
use crate::model::container::{ContainerHealth, ContainerInfo, GroupKey, summarize};
use crate::model::{HostStatus, RunState};
use crate::ui::theme::Theme;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Kind,
    Status,
    Health,
    Uptime,
    Cpu,
    Mem,
    /// Age of the newest backup of the service's backup sets, against their RPO.
    Backup,
    Detail,
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::Kind => "KIND",
            Column::Status => "STATUS",
            Column::Health => "HEALTH",
            Column::Uptime => "UPTIME",
            Column::Cpu => "CPU",
            Column::Mem => "MEM",
            Column::Backup => "BACKUP",
            Column::Detail => "DETAIL",
        }
    }

    fn width(self) -> Constraint {
        match self {
            Column::Name => Constraint::Min(18),
            Column::Kind => Constraint::Length(9),
            Column::Status => Constraint::Length(22),
            Column::Health => Constraint::Length(8),
            Column::Uptime => Constraint::Length(7),
            Column::Cpu => Constraint::Length(6),
            Column::Mem => Constraint::Length(11),
            Column::Backup => Constraint::Length(8),
            Column::Detail => Constraint::Fill(2),
        }
    }
}

/// Narrow terminals lose the least important columns first.
fn columns(width: u16) -> Vec<Column> {
    use Column::*;
    match width {
        0..=59 => vec![Name, Status, Cpu],
        60..=99 => vec![Name, Status, Health, Uptime, Cpu, Mem],
        100..=119 => vec![Name, Kind, Status, Health, Uptime, Cpu, Mem, Detail],
        _ => vec![Name, Kind, Status, Health, Uptime, Cpu, Mem, Backup, Detail],
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let rows = state.rows();
    let cols = columns(area.width);
    let title = if state.filter.is_empty() {
        format!(" fleet · {} hosts ", state.hosts.len())
    } else {
        format!(" fleet · filter /{} · {} rows ", state.filter, rows.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    let visible = crate::app::layout::fleet_visible_rows(state.size);
    let body: Vec<TableRow> = rows
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(visible.max(1))
        .map(|(i, row)| {
            // The last child of a host gets the closing branch of the tree.
            let last = match rows.get(i + 1) {
                Some(Row::Host(_)) | None => true,
                Some(Row::Replica(..)) => false,
                Some(Row::Service(..) | Row::Discovered(..)) => false,
            };
            let cells: Vec<Cell> = match *row {
                Row::Host(h) => host_cells(&state.hosts[h], &cols, theme, state),
                Row::Service(h, s) => {
                    let host = &state.hosts[h];
                    let expanded = state.expanded.contains(&host.services[s].id);
                    let last = last && !expanded;
                    service_cells(host, &host.services[s], last, &cols, theme, state)
                }
                Row::Replica(h, s, r) => {
                    let host = &state.hosts[h];
                    replica_cells(host, &host.services[s], r, last, &cols, theme, state)
                }
                Row::Discovered(h, d) => {
                    discovered_cells(&state.hosts[h], d, last, &cols, theme, state)
                }
            };
            TableRow::new(cells)
        })
        .collect();
    let header = TableRow::new(cols.iter().map(|c| Cell::from(c.title())))
        .style(theme.muted.add_modifier(Modifier::BOLD));
    // The name column fits the longest name shown (within reason); the rest flows to DETAIL.
    let widest = rows
        .iter()
        .map(|r| match *r {
            Row::Host(h) => {
                let host = &state.hosts[h];
                host.id.as_str().len()
                    + host.tags.iter().map(|t| t.len() + 2).sum::<usize>()
                    + super::alerts::badge_width(state.alert_count_for_host(&host.id))
            }
            Row::Service(h, s) => {
                let id = &state.hosts[h].services[s].id;
                4 + id.name.chars().count()
                    + super::alerts::badge_width(state.alert_count_for_service(id))
            }
            Row::Replica(..) => 24,
            Row::Discovered(h, d) => {
                4 + state.hosts[h]
                    .docker
                    .as_ref()
                    .and_then(|v| v.discovered.get(d))
                    .map_or(0, |k| k.label().len())
            }
        })
        .max()
        .unwrap_or(0);
    let name_width = (widest as u16).clamp(18, if area.width >= 120 { 32 } else { 20 });
    let widths = cols.iter().map(|c| {
        if *c == Column::Name {
            Constraint::Length(name_width)
        } else {
            c.width()
        }
    });
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selection);
    // The rows are already windowed at `state.offset`; the highlight overrides span colours.
    let mut table_state =
        TableState::default().with_selected(state.selected.checked_sub(state.offset));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn host_cells<'a>(
    host: &'a HostState,
    cols: &[Column],
    theme: &Theme,
    state: &State,
) -> Vec<Cell<'a>> {
    let sample = host.last_sample.as_ref();
    cols.iter()
        .map(|c| match c {
            Column::Name => {
                let mut spans = vec![Span::styled(
                    host.id.as_str(),
                    theme.text.add_modifier(Modifier::BOLD),
                )];
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
                HostStatus::Up if sample.is_some_and(|s| state.is_stale(s.at)) => {
                    Cell::from(Span::styled("● up (stale)", theme.warn))
                }
                HostStatus::Up => Cell::from(Span::styled("● up", theme.ok)),
                HostStatus::Connecting => Cell::from(Span::styled("○ connecting…", theme.muted)),
                HostStatus::HttpOnly => Cell::from(Span::styled("◇ http only", theme.muted)),
                HostStatus::Unreachable { since, .. } => Cell::from(Span::styled(
                    format!("✘ unreachable {}", since.format("%H:%M:%S")),
                    theme.bad,
                )),
            },
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
            Column::Detail => match (
                &host.status,
                host.docker.as_ref().and_then(|d| d.gap.as_ref()),
            ) {
                // Why it cannot be reached comes first: a restarted collector is the lesser news.
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

fn service_cells<'a>(
    host: &HostState,
    svc: &'a ServiceState,
    last: bool,
    cols: &[Column],
    theme: &Theme,
    state: &State,
) -> Vec<Cell<'a>> {
    let obs = svc.observation.as_ref();
    let stale = state.service_stale(host, svc);
    let busy = state
        .dispatcher
        .is_busy(&crate::action::Subject::Service(svc.id.clone()));
    cols.iter()
        .map(|c| match c {
            Column::Name => {
                let mut spans = vec![Span::styled(
                    if last { " └─ " } else { " ├─ " },
                    theme.muted,
                )];
                // Marked for a merged log view.
                if state.marked.contains(&svc.id) {
                    spans.push(Span::styled("◆ ", theme.accent));
                }
                spans.push(Span::styled(&*svc.id.name, theme.text));
                spans.extend(super::alerts::service_badge(state, &svc.id, theme));
                Cell::from(Line::from(spans))
            }
            Column::Kind => Cell::from(Span::styled(kind_label(svc.kind), theme.muted)),
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

fn container_detail(c: &ContainerInfo) -> String {
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

fn replica_cells<'a>(
    host: &'a HostState,
    svc: &ServiceState,
    r: usize,
    last: bool,
    cols: &[Column],
    theme: &Theme,
    state: &State,
) -> Vec<Cell<'a>> {
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

fn discovered_cells<'a>(
    host: &'a HostState,
    d: usize,
    last: bool,
    cols: &[Column],
    theme: &Theme,
    state: &State,
) -> Vec<Cell<'a>> {
    let Some(view) = host.docker.as_ref() else {
        return vec![];
    };
    let Some(key) = view.discovered.get(d) else {
        return vec![];
    };
    let members = view.members(key);
    let (run, text) = summarize(&members);
    let (symbol, style) = run_style(run, theme);
    let running: Vec<_> = members.iter().filter(|c| c.running()).collect();
    cols.iter()
        .map(|col| match col {
            Column::Name => Cell::from(Line::from(vec![
                Span::styled(if last { " └~ " } else { " ├~ " }, theme.muted),
                Span::styled(key.label(), theme.muted),
            ])),
            Column::Kind => Cell::from(Span::styled(
                match key {
                    GroupKey::Compose { .. } => "compose?",
                    GroupKey::Plain { .. } => "container?",
                },
                theme.muted,
            )),
            Column::Status => Cell::from(Span::styled(format!("{symbol} {text}"), style)),
            Column::Health | Column::Backup => Cell::from(""),
            Column::Uptime => Cell::from(
                running
                    .iter()
                    .filter_map(|c| c.started_at)
                    .min()
                    .and_then(|t| (state.now - t).to_std().ok())
                    .map(units::uptime)
                    .unwrap_or_default(),
            ),
            Column::Cpu => Cell::from(
                running
                    .iter()
                    .map(|c| view.cpu_of(&c.id))
                    .sum::<Option<f64>>()
                    .map(units::percent)
                    .unwrap_or_default(),
            ),
            Column::Mem => Cell::from(
                running
                    .iter()
                    .map(|c| view.mem_of(&c.id))
                    .sum::<Option<u64>>()
                    .map(units::bytes)
                    .unwrap_or_default(),
            ),
            Column::Detail => Cell::from(Span::styled(
                format!(
                    "not in hosts.toml · {}",
                    members
                        .first()
                        .map(|c| container_detail(c))
                        .unwrap_or_default()
                ),
                theme.muted,
            )),
        })
        .collect()
}

/// A collector of the host panicked in the last ten minutes.
fn recent_fault(host: &HostState, state: &State) -> bool {
    host.fault
        .as_ref()
        .is_some_and(|f| (state.now - f.at).num_minutes() < 10)
}
