//! The fleet as the screen shows it: hosts, their services and checks, and the rows of the
//! fleet table. Built from the config in one place ([`HostState::from_config`]).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::app::containers::DockerView;
use crate::check::CheckSpec;
use crate::config::schema::{Host, Service, ServiceKind, TransportKind};
use crate::model::container::GroupKey;
use crate::model::{
    CheckId, CheckResult, Health, History, HostId, HostSample, HostStatus, ServiceId,
    ServiceObservation,
};

/// Latencies kept per check for its sparkline.
const CHECK_HISTORY: usize = 120;

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
    /// Logged in in the terminal, and it must be again (`I`, `:login HOST`): its status is
    /// `Unreachable` with the reason.
    pub needs_login: bool,
    /// Containers of the host's Docker engine, when it has one.
    pub docker: Option<DockerView>,
    /// The last time one of the host's collectors panicked (it is started again).
    pub fault: Option<TaskFault>,
    /// Its readings come from Prometheus (`metrics = "prometheus"`).
    pub metrics_from_prometheus: bool,
    /// Prometheus stopped answering for this host's readings.
    pub metrics_gap: Option<super::Gap>,
}

/// A collector of a host panicked: what, when, and whether it is being started again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFault {
    pub task: String,
    pub message: String,
    pub at: DateTime<Utc>,
    pub restarting: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingKey {
    pub fingerprint: String,
    pub key_lines: Vec<String>,
}

impl HostState {
    /// A host as configured, before anything is known about it; `history` samples are kept
    /// for its sparklines.
    pub fn from_config(h: &Host, history: usize) -> Self {
        let id = HostId::new(h.name.get_ref());
        HostState {
            services: h
                .services
                .iter()
                .map(|s| ServiceState::from_config(h, s))
                .collect(),
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
            cpu_history: History::new(history),
            mem_history: History::new(history),
            load_history: History::new(history),
            pending_key: None,
            needs_login: false,
            docker: None,
            fault: None,
            metrics_from_prometheus: *h.metrics.get_ref()
                == crate::config::monitoring::MetricsSource::Prometheus,
            metrics_gap: None,
            id,
        }
    }

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
    /// Found on the host by discovery, not in the configuration.
    pub discovered: bool,
    /// Its PromQL values (`[[promql]]`); their thresholds feed its health.
    pub values: Vec<super::ValueState>,
}

impl ServiceState {
    pub fn from_config(h: &Host, s: &Service) -> Self {
        let host = HostId::new(h.name.get_ref());
        let text = |v: &Option<toml::Spanned<String>>| {
            v.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default()
        };
        ServiceState {
            id: ServiceId::new(&host, s.name.get_ref()),
            kind: s.kind,
            group: match s.kind {
                ServiceKind::Compose => Some(GroupKey::Compose {
                    project: text(&s.project),
                    service: s
                        .compose_service
                        .as_ref()
                        .unwrap_or(&s.name)
                        .get_ref()
                        .clone(),
                }),
                ServiceKind::Container => Some(GroupKey::Plain {
                    name: text(&s.container),
                }),
                _ => None,
            },
            observation: None,
            checks: s
                .checks
                .iter()
                .map(|c| CheckState::new(CheckSpec::from_config(h, s, c)))
                .collect(),
            container_health: Health::Unknown,
            values: super::ValueState::of_service(&ServiceId::new(&host, s.name.get_ref()), s),
            discovered: false,
        }
    }
}

impl ServiceState {
    /// An `http` service is its endpoint: its status is what its checks found.
    pub fn observe_endpoint(&mut self) {
        if self.kind == ServiceKind::Http {
            self.observation = crate::check::endpoint::observation(
                self.checks.iter().map(|c| (&*c.id.name, c.last.as_ref())),
            );
        }
    }
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
    pub fn new(spec: CheckSpec) -> Self {
        CheckState {
            kind: spec.kind_label(),
            interval: spec.interval,
            id: spec.id,
            last: None,
            latency_ms: History::new(CHECK_HISTORY),
        }
    }

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
    /// The header of a tag group (index into `fleet_view::tag_names`).
    Group(usize),
}

impl Row {
    /// The host the row belongs to (a group header belongs to none).
    pub fn host(self) -> Option<usize> {
        match self {
            Row::Host(h) | Row::Service(h, _) | Row::Replica(h, ..) | Row::Discovered(h, _) => {
                Some(h)
            }
            Row::Group(_) => None,
        }
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
