//! Applying Docker engine facts to the state: containers grouped under their configured
//! services (replicas as one row), the rest shown as discovered rows, stats history.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::state::{ServiceState, State};
use crate::model::container::{
    ContainerInfo, ContainerRates, ContainerSample, GroupKey, group, rates, summarize,
};
use crate::model::{History, HostId, ServiceObservation};

/// Stats samples kept per container: 10 minutes at the default 5 s interval.
const STATS_HISTORY: usize = 120;
/// Container rows count as stale when the engine has not listed them for this long.
pub const LIST_STALE_AFTER: Duration = Duration::from_secs(75);

#[derive(Debug, Default)]
pub struct DockerView {
    pub containers: Vec<ContainerInfo>,
    pub listed_at: Option<DateTime<Utc>>,
    /// Since when and why the engine is not answering.
    pub gap: Option<(DateTime<Utc>, String)>,
    pub stats: HashMap<String, ContainerStats>,
    /// Groups no configured service claims, shown as their own rows.
    pub discovered: Vec<GroupKey>,
}

#[derive(Debug)]
pub struct ContainerStats {
    pub last: ContainerSample,
    pub rates: Option<ContainerRates>,
    pub cpu_history: History<u64>,
}

impl DockerView {
    pub fn members(&self, key: &GroupKey) -> Vec<&ContainerInfo> {
        self.containers
            .iter()
            .filter(|c| GroupKey::of(c) == *key)
            .collect()
    }

    pub fn cpu_of(&self, id: &str) -> Option<f64> {
        self.stats.get(id)?.rates.map(|r| r.cpu_percent)
    }

    pub fn mem_of(&self, id: &str) -> Option<u64> {
        self.stats.get(id).map(|s| s.last.mem_bytes)
    }
}

pub fn apply_list(state: &mut State, host: &HostId, containers: Vec<ContainerInfo>) {
    let now = state.now;
    let Some(h) = state.host_mut(host) else {
        return;
    };
    let view = h.docker.get_or_insert_with(DockerView::default);
    view.gap = None;
    view.listed_at = Some(now);
    view.stats
        .retain(|id, _| containers.iter().any(|c| &c.id == id));
    view.containers = containers;
    let groups = group(&view.containers);
    let claimed: Vec<&GroupKey> = h.services.iter().filter_map(|s| s.group.as_ref()).collect();
    view.discovered = groups
        .keys()
        .filter(|k| !claimed.contains(k))
        .cloned()
        .collect();
    for svc in &mut h.services {
        if let Some(key) = svc.group.clone() {
            observe(svc, view, &key, now);
        }
    }
}

pub fn apply_stats(state: &mut State, host: &HostId, id: String, sample: ContainerSample) {
    let now = state.now;
    let Some(h) = state.host_mut(host) else {
        return;
    };
    let Some(view) = h.docker.as_mut() else {
        return;
    };
    match view.stats.get_mut(&id) {
        Some(s) => {
            s.rates = rates(&s.last, &sample);
            if let Some(r) = s.rates {
                s.cpu_history.push(r.cpu_percent.round() as u64);
            }
            s.last = sample;
        }
        None => {
            view.stats.insert(
                id.clone(),
                ContainerStats {
                    last: sample,
                    rates: None,
                    cpu_history: History::new(STATS_HISTORY),
                },
            );
        }
    }
    let Some(key) = view
        .containers
        .iter()
        .find(|c| c.id == id)
        .map(GroupKey::of)
    else {
        return;
    };
    for svc in h
        .services
        .iter_mut()
        .filter(|s| s.group.as_ref() == Some(&key))
    {
        observe(svc, view, &key, now);
    }
}

pub fn apply_gap(state: &mut State, host: &HostId, reason: String) {
    let now = state.now;
    if let Some(view) = state
        .host_mut(host)
        .map(|h| h.docker.get_or_insert_with(DockerView::default))
    {
        let since = view.gap.as_ref().map_or(now, |(s, _)| *s);
        view.gap = Some((since, reason));
    }
}

/// The service's row from its containers: `2/2 running`, health, uptime, CPU, memory.
fn observe(svc: &mut ServiceState, view: &DockerView, key: &GroupKey, now: DateTime<Utc>) {
    let members = view.members(key);
    let (state, mut detail) = summarize(&members);
    if let Some(first) = members.first() {
        detail.push_str(&format!(" · {}", first.tag()));
        let restarts: u32 = members.iter().map(|c| c.restarts).sum();
        if restarts > 0 {
            detail.push_str(&format!(" · {restarts} restarts"));
        }
    } else {
        detail = "no container".into();
    }
    let running: Vec<&&ContainerInfo> = members.iter().filter(|c| c.running()).collect();
    let uptime = running
        .iter()
        .filter_map(|c| c.started_at)
        .min()
        .and_then(|t| (now - t).to_std().ok());
    let cpu: Option<f64> = running.iter().map(|c| view.cpu_of(&c.id)).sum();
    let mem: Option<u64> = running.iter().map(|c| view.mem_of(&c.id)).sum();
    svc.container_health = crate::model::container::group_health(&members);
    svc.observation = Some(ServiceObservation {
        at: now,
        state,
        detail,
        uptime,
        cpu_percent: cpu,
        mem_bytes: mem,
    });
}

/// Names of the containers an action on `svc` touches.
pub fn container_names(state: &State, host: &HostId, svc: &ServiceState) -> Vec<String> {
    let Some(key) = &svc.group else { return vec![] };
    state
        .host(host)
        .and_then(|h| h.docker.as_ref())
        .map(|v| v.members(key).into_iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}
