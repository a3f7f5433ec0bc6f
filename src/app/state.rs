//! Everything the screen shows, in one value. Changed only by the reducer.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::action::{ActionOutcome, Dispatcher, Plan};
use crate::app::containers::DockerView;
use crate::check::CheckSpec;
use crate::config::Config;
use crate::config::keymap::Keymap;
use crate::config::schema::{ServiceKind, TransportKind};
use crate::model::check::worst;
use crate::model::container::GroupKey;
use crate::model::{
    CheckId, CheckResult, Health, History, HostId, HostSample, HostStatus, RunState, ServiceId,
    ServiceObservation,
};

/// About ten minutes of samples at the refresh interval.
const HISTORY_WINDOW: Duration = Duration::from_secs(600);
/// Latencies kept per check for its sparkline.
const CHECK_HISTORY: usize = 120;
/// Lines of live action output kept for the popup.
const ACTION_OUTPUT_LINES: usize = 200;

#[derive(Debug)]
pub struct State {
    pub hosts: Vec<HostState>,
    pub screen: Screen,
    pub mode: Mode,
    /// Index into [`State::rows`].
    pub selected: usize,
    /// First visible row of the fleet table.
    pub offset: usize,
    pub filter: String,
    pub size: (u16, u16),
    pub now: DateTime<Utc>,
    pub refresh: Duration,
    pub dispatcher: Dispatcher,
    pub notice: Option<Notice>,
    pub themes: Vec<String>,
    pub theme: usize,
    pub keymap: Keymap,
    pub quit: Option<QuitReason>,
    /// Set by a first quit while actions run; the second quit goes through.
    pub quit_armed: bool,
    pub logs: Option<LogView>,
    /// Log views opened so far; the next one gets the next number as its id.
    pub log_views: u64,
    /// Services the operator marked (`m`) to read their logs merged in one view.
    pub marked: std::collections::BTreeSet<ServiceId>,
    /// Services whose replicas are shown as rows of their own.
    pub expanded: std::collections::BTreeSet<ServiceId>,
    /// The last smoke suite run from the palette (`:smoke NAME`).
    pub smoke: Option<SmokeRun>,
}

#[derive(Debug, Clone)]
pub struct SmokeRun {
    pub suite: String,
    pub checks: Vec<CheckId>,
    /// Filled as results arrive; complete once `finished`.
    pub results: Vec<(CheckId, CheckResult)>,
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuitReason {
    Requested,
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Fleet,
    Host(usize),
    Logs,
}

pub use super::log_view::LogView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    Search,
    Filter,
}

#[derive(Debug)]
pub enum Mode {
    Normal,
    /// Typing a log search (`/`) or filter (`f`); applied as it is typed.
    LogQuery {
        kind: QueryKind,
        input: String,
        error: Option<String>,
    },
    /// One log line in full (long lines are cut on the log screen).
    LogLine {
        seq: u64,
    },
    Filter {
        input: String,
    },
    Palette {
        input: String,
    },
    Help,
    /// The smoke suite's per-check results over the screen.
    Smoke,
    Action(Box<ActionView>),
}

#[derive(Debug)]
pub struct ActionView {
    pub plan: Plan,
    pub phase: ActionPhase,
    pub typed: String,
    pub output: History<String>,
    pub outcome: Option<ActionOutcome>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionPhase {
    Confirm,
    Running,
    Done,
}

impl ActionView {
    pub fn new(plan: Plan) -> Self {
        Self {
            plan,
            phase: ActionPhase::Confirm,
            typed: String::new(),
            output: History::new(ACTION_OUTPUT_LINES),
            outcome: None,
            error: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warn,
    Error,
}

#[derive(Debug)]
pub struct HostState {
    pub id: HostId,
    pub transport: TransportKind,
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub read_only: bool,
    pub status: HostStatus,
    pub last_sample: Option<HostSample>,
    pub cpu_history: History<u64>,
    pub mem_history: History<u64>,
    pub load_history: History<u64>,
    pub services: Vec<ServiceState>,
    /// An unknown host key offered by the host, waiting for `:trust`.
    pub pending_key: Option<PendingKey>,
    /// Containers of the host's Docker engine, when it has one.
    pub docker: Option<DockerView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingKey {
    pub fingerprint: String,
    pub key_lines: Vec<String>,
}

impl HostState {
    pub fn is_prod(&self) -> bool {
        self.tags.iter().any(|t| t == "prod")
    }
}

#[derive(Debug)]
pub struct ServiceState {
    pub id: ServiceId,
    pub kind: ServiceKind,
    /// The containers this service is made of, for compose and container services.
    pub group: Option<GroupKey>,
    pub observation: Option<ServiceObservation>,
    pub checks: Vec<CheckState>,
    /// Docker's own healthcheck verdict for the service's containers.
    pub container_health: Health,
}

/// A health check of a service: its last result and recent latencies.
#[derive(Debug)]
pub struct CheckState {
    pub id: CheckId,
    pub kind: &'static str,
    pub interval: Duration,
    pub last: Option<CheckResult>,
    /// Milliseconds, one per run.
    pub latency_ms: History<u64>,
}

impl CheckState {
    pub fn health(&self, now: DateTime<Utc>) -> Health {
        self.last
            .as_ref()
            .map_or(Health::Unknown, |r| r.health(self.interval, now))
    }

    pub fn record(&mut self, result: CheckResult) {
        if let Some(l) = result.latency {
            self.latency_ms.push(l.as_millis() as u64);
        }
        self.last = Some(result);
    }
}

/// One line of the fleet table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Host(usize),
    Service(usize, usize),
    /// One replica of an expanded service.
    Replica(usize, usize, usize),
    /// A container group on the host that no configured service claims.
    Discovered(usize, usize),
}

impl State {
    pub fn new(
        config: &Config,
        read_only: bool,
        themes: Vec<String>,
        theme: usize,
        now: DateTime<Utc>,
    ) -> Self {
        let refresh = config.file.settings.refresh.get();
        let window = (HISTORY_WINDOW.as_millis() / refresh.as_millis().max(1)) as usize;
        let hosts = config
            .file
            .hosts
            .iter()
            .map(|h| {
                let id = HostId::new(h.name.get_ref());
                HostState {
                    services: h
                        .services
                        .iter()
                        .map(|s| ServiceState {
                            container_health: Health::Unknown,
                            id: ServiceId::new(&id, s.name.get_ref()),
                            kind: s.kind,
                            group: match s.kind {
                                ServiceKind::Compose => Some(GroupKey::Compose {
                                    project: s
                                        .project
                                        .as_ref()
                                        .map(|p| p.get_ref().clone())
                                        .unwrap_or_default(),
                                    service: s
                                        .compose_service
                                        .as_ref()
                                        .unwrap_or(&s.name)
                                        .get_ref()
                                        .clone(),
                                }),
                                ServiceKind::Container => Some(GroupKey::Plain {
                                    name: s
                                        .container
                                        .as_ref()
                                        .map(|c| c.get_ref().clone())
                                        .unwrap_or_default(),
                                }),
                                _ => None,
                            },
                            observation: None,
                            checks: s
                                .checks
                                .iter()
                                .map(|c| {
                                    let spec = CheckSpec::from_config(h, s, c);
                                    CheckState {
                                        kind: spec.kind_label(),
                                        id: spec.id,
                                        interval: spec.interval,
                                        last: None,
                                        latency_ms: History::new(CHECK_HISTORY),
                                    }
                                })
                                .collect(),
                        })
                        .collect(),
                    id,
                    transport: h.transport,
                    address: h.address.as_ref().map(|a| a.get_ref().clone()),
                    tags: h.tags.iter().map(|t| t.get_ref().clone()).collect(),
                    read_only: h.read_only,
                    status: if h.transport == TransportKind::Http {
                        HostStatus::HttpOnly
                    } else {
                        HostStatus::Connecting
                    },
                    last_sample: None,
                    cpu_history: History::new(window),
                    mem_history: History::new(window),
                    load_history: History::new(window),
                    pending_key: None,
                    docker: None,
                }
            })
            .collect();
        Self {
            hosts,
            screen: Screen::Fleet,
            mode: Mode::Normal,
            selected: 0,
            offset: 0,
            filter: String::new(),
            size: (80, 24),
            now,
            refresh,
            dispatcher: Dispatcher::new(read_only || config.file.settings.read_only),
            notice: None,
            themes,
            theme,
            keymap: config.keymap.clone(),
            quit: None,
            quit_armed: false,
            logs: None,
            log_views: 0,
            marked: Default::default(),
            expanded: Default::default(),
            smoke: None,
        }
    }

    /// The worst of the service's checks now: a result older than twice its interval is
    /// stale, never healthy.
    pub fn service_health(&self, s: &ServiceState) -> Health {
        worst(
            s.checks
                .iter()
                .map(|c| c.health(self.now))
                .chain([s.container_health]),
        )
    }

    pub fn check_mut(&mut self, id: &CheckId) -> Option<&mut CheckState> {
        self.hosts
            .iter_mut()
            .filter(|h| h.id == id.service.host)
            .flat_map(|h| h.services.iter_mut())
            .filter(|s| s.id == id.service)
            .flat_map(|s| s.checks.iter_mut())
            .find(|c| c.id == *id)
    }

    /// The fleet table's rows after the filter: a host is shown when it or one of its
    /// services matches; its services when they match or the host itself matches.
    pub fn rows(&self) -> Vec<Row> {
        let needle = self.filter.to_lowercase();
        let matches = |texts: &[&str]| {
            needle.is_empty() || texts.iter().any(|t| t.to_lowercase().contains(&needle))
        };
        let mut rows = Vec::new();
        for (h, host) in self.hosts.iter().enumerate() {
            let mut host_texts: Vec<&str> = vec![host.id.as_str()];
            host_texts.extend(host.tags.iter().map(String::as_str));
            let host_match = matches(&host_texts);
            let services: Vec<usize> = host
                .services
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    host_match
                        || matches(&[&s.id.name, self.run_state(s).label(), kind_label(s.kind)])
                })
                .map(|(i, _)| i)
                .collect();
            let discovered: Vec<usize> = host
                .docker
                .as_ref()
                .map(|d| {
                    d.discovered
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| host_match || matches(&[&k.label()]))
                        .map(|(i, _)| i)
                        .collect()
                })
                .unwrap_or_default();
            if host_match || !services.is_empty() || !discovered.is_empty() {
                rows.push(Row::Host(h));
                for s in services {
                    rows.push(Row::Service(h, s));
                    if self.expanded.contains(&host.services[s].id) {
                        let n = host.services[s]
                            .group
                            .as_ref()
                            .zip(host.docker.as_ref())
                            .map_or(0, |(k, d)| d.members(k).len());
                        rows.extend((0..n).map(|r| Row::Replica(h, s, r)));
                    }
                }
                rows.extend(discovered.into_iter().map(|d| Row::Discovered(h, d)));
            }
        }
        rows
    }

    pub fn selected_row(&self) -> Option<Row> {
        self.rows().get(self.selected).copied()
    }

    pub fn selected_service(&self) -> Option<&ServiceState> {
        match self.selected_row()? {
            Row::Service(h, s) | Row::Replica(h, s, _) => Some(&self.hosts[h].services[s]),
            Row::Host(_) | Row::Discovered(..) => None,
        }
    }

    /// Docker-backed rows are stale when the engine is away or has not listed for a while;
    /// other services when their last probe is older than two refreshes.
    pub fn service_stale(&self, host: &HostState, svc: &ServiceState) -> bool {
        let Some(obs) = &svc.observation else {
            return false;
        };
        match (&svc.group, &host.docker) {
            (Some(_), Some(d)) => {
                d.gap.is_some()
                    || d.listed_at.is_none_or(|t| {
                        (self.now - t).to_std().unwrap_or_default()
                            > crate::app::containers::LIST_STALE_AFTER
                    })
            }
            _ => self.is_stale(obs.at),
        }
    }

    /// The state to show: busy while an action runs, stale when the reading is old.
    pub fn run_state(&self, s: &ServiceState) -> RunState {
        s.observation
            .as_ref()
            .map_or(RunState::Unknown, |o| o.state)
    }

    pub fn is_stale(&self, at: DateTime<Utc>) -> bool {
        let age = self
            .now
            .signed_duration_since(at)
            .to_std()
            .unwrap_or_default();
        age > self.refresh * 2 + Duration::from_secs(1)
    }

    pub fn read_only(&self) -> bool {
        self.dispatcher.read_only()
    }

    pub fn any_prod(&self) -> bool {
        self.hosts.iter().any(HostState::is_prod)
    }

    pub fn theme_name(&self) -> &str {
        self.themes
            .get(self.theme)
            .map_or("default", String::as_str)
    }
}

pub fn kind_label(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::Compose => "compose",
        ServiceKind::Container => "container",
        ServiceKind::Systemd => "systemd",
        ServiceKind::Http => "http",
        ServiceKind::Command => "command",
    }
}
