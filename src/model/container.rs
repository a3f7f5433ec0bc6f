//! Containers as the Docker API reports them, grouped into compose services.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Health, RunState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerHealth {
    None,
    Starting,
    Healthy,
    Unhealthy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    /// `com.docker.compose.project` / `.service` / `.container-number` labels.
    pub project: Option<String>,
    pub service: Option<String>,
    pub number: Option<u32>,
    /// running, exited, created, paused, restarting, …
    pub state: String,
    pub health: ContainerHealth,
    pub started_at: Option<DateTime<Utc>>,
    pub restarts: u32,
    pub image: String,
    pub digest: Option<String>,
    pub ports: Vec<String>,
    /// The main process on the host, while running (its cgroups hold the counters).
    pub pid: Option<u32>,
    /// On the host's own network (`--network host`): no network counters of its own.
    pub host_network: bool,
}

impl ContainerInfo {
    pub fn running(&self) -> bool {
        self.state == "running"
    }

    /// The image tag after the last `:` of the reference (`latest` when none).
    pub fn tag(&self) -> &str {
        let last = self.image.rsplit('/').next().unwrap_or(&self.image);
        last.rsplit_once(':').map_or("latest", |(_, t)| t)
    }
}

/// Which rows a container belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKey {
    Compose { project: String, service: String },
    Plain { name: String },
}

impl GroupKey {
    pub fn of(c: &ContainerInfo) -> Self {
        match (&c.project, &c.service) {
            (Some(p), Some(s)) => GroupKey::Compose {
                project: p.clone(),
                service: s.clone(),
            },
            _ => GroupKey::Plain {
                name: c.name.clone(),
            },
        }
    }

    pub fn label(&self) -> String {
        match self {
            GroupKey::Compose { project, service } => format!("{project}/{service}"),
            GroupKey::Plain { name } => name.clone(),
        }
    }
}

pub fn group(containers: &[ContainerInfo]) -> BTreeMap<GroupKey, Vec<&ContainerInfo>> {
    let mut groups: BTreeMap<GroupKey, Vec<&ContainerInfo>> = BTreeMap::new();
    for c in containers {
        groups.entry(GroupKey::of(c)).or_default().push(c);
    }
    for members in groups.values_mut() {
        members.sort_by_key(|c| (c.number.unwrap_or(0), c.name.clone()));
    }
    groups
}

/// The compose healthcheck's verdict over a group's containers: failing when one is
/// unhealthy, warning while one starts, healthy when all are, unknown without healthchecks.
pub fn group_health(members: &[&ContainerInfo]) -> Health {
    if members
        .iter()
        .any(|c| c.health == ContainerHealth::Unhealthy)
    {
        Health::Failing
    } else if members
        .iter()
        .any(|c| c.health == ContainerHealth::Starting)
    {
        Health::Warning
    } else if !members.is_empty() && members.iter().all(|c| c.health == ContainerHealth::Healthy) {
        Health::Healthy
    } else {
        Health::Unknown
    }
}

/// One row's state from its replicas: `2/2 running`, `1/2 running` (degraded), `0/1`.
pub fn summarize(replicas: &[&ContainerInfo]) -> (RunState, String) {
    let total = replicas.len();
    let running = replicas.iter().filter(|c| c.running()).count();
    let unhealthy = replicas
        .iter()
        .filter(|c| c.health == ContainerHealth::Unhealthy)
        .count();
    let state = match (running, total) {
        (_, 0) => RunState::Stopped,
        (0, _) => {
            if replicas.iter().any(|c| c.state == "restarting") {
                RunState::Failed
            } else {
                RunState::Stopped
            }
        }
        (r, t) if r < t || unhealthy > 0 => RunState::Degraded,
        _ => RunState::Running,
    };
    let mut text = if total == 1 && running == 1 {
        "running".to_owned()
    } else {
        format!("{running}/{total} running")
    };
    if total == 1 && running == 0 {
        text = replicas[0].state.clone();
    }
    if unhealthy > 0 {
        text.push_str(&format!(" · {unhealthy} unhealthy"));
    }
    (state, text)
}

/// One stats reading of a container; rates need two readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContainerSample {
    pub at: DateTime<Utc>,
    /// Cumulative CPU time in nanoseconds.
    pub cpu_ns: u64,
    pub mem_bytes: u64,
    pub mem_limit: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub blk_read: u64,
    pub blk_write: u64,
}

/// Rates between two readings: CPU as % of one core, bytes per second.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ContainerRates {
    pub cpu_percent: f64,
    pub rx_per_sec: f64,
    pub tx_per_sec: f64,
    pub read_per_sec: f64,
    pub write_per_sec: f64,
}

pub fn rates(prev: &ContainerSample, cur: &ContainerSample) -> Option<ContainerRates> {
    let wall = (cur.at - prev.at).num_nanoseconds()? as f64;
    if wall <= 0.0 {
        return None;
    }
    let per_sec = |a: u64, b: u64| b.saturating_sub(a) as f64 * 1e9 / wall;
    Some(ContainerRates {
        cpu_percent: cur.cpu_ns.saturating_sub(prev.cpu_ns) as f64 / wall * 100.0,
        rx_per_sec: per_sec(prev.rx_bytes, cur.rx_bytes),
        tx_per_sec: per_sec(prev.tx_bytes, cur.tx_bytes),
        read_per_sec: per_sec(prev.blk_read, cur.blk_read),
        write_per_sec: per_sec(prev.blk_write, cur.blk_write),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, service: Option<&str>, n: u32, state: &str) -> ContainerInfo {
        ContainerInfo {
            id: name.into(),
            name: name.into(),
            project: service.map(|_| "preventia".into()),
            service: service.map(Into::into),
            number: Some(n),
            state: state.into(),
            health: ContainerHealth::None,
            started_at: None,
            restarts: 0,
            image: "localhost/opsdeck-lab/app:v1".into(),
            digest: None,
            ports: vec![],
            pid: None,
            host_network: false,
        }
    }

    #[test]
    fn groups_replicas_and_plain_containers() {
        let all = vec![
            c("preventia-api-2", Some("api"), 2, "running"),
            c("preventia-api-1", Some("api"), 1, "running"),
            c("adhoc", None, 0, "exited"),
        ];
        let g = group(&all);
        assert_eq!(g.len(), 2);
        let api = &g[&GroupKey::Compose {
            project: "preventia".into(),
            service: "api".into(),
        }];
        assert_eq!(
            api.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["preventia-api-1", "preventia-api-2"]
        );
        assert_eq!(summarize(api), (RunState::Running, "2/2 running".into()));
        assert_eq!(all[0].tag(), "v1");
    }

    #[test]
    fn partial_replicas_are_degraded() {
        let a = c("a-1", Some("api"), 1, "running");
        let b = c("a-2", Some("api"), 2, "exited");
        assert_eq!(
            summarize(&[&a, &b]),
            (RunState::Degraded, "1/2 running".into())
        );
        assert_eq!(summarize(&[&b]).0, RunState::Stopped);
    }

    #[test]
    fn cpu_from_two_samples() {
        let t0 = Utc::now();
        let s0 = ContainerSample {
            at: t0,
            cpu_ns: 0,
            mem_bytes: 0,
            mem_limit: 0,
            rx_bytes: 0,
            tx_bytes: 0,
            blk_read: 0,
            blk_write: 0,
        };
        let s1 = ContainerSample {
            at: t0 + chrono::Duration::seconds(2),
            cpu_ns: 1_000_000_000,
            rx_bytes: 2048,
            ..s0
        };
        let r = rates(&s0, &s1).unwrap();
        assert!((r.cpu_percent - 50.0).abs() < 1e-9);
        assert!((r.rx_per_sec - 1024.0).abs() < 1e-9);
    }
}
