//! The Prometheus collector's reports applied: host readings (without touching the host's
//! status, which its own connection decides), service values, and staleness when
//! Prometheus does not answer — only for what Prometheus feeds.

use super::*;
use crate::app::state::Gap;
use crate::model::{HostId, HostSample};
use crate::protocol::{MonitorRead, MonitorUpdate};

pub(super) fn applied(state: &mut State, update: MonitorUpdate) -> Vec<Effect> {
    let now = state.now;
    match update {
        MonitorUpdate::Read(read) => {
            let MonitorRead {
                hosts,
                missing,
                values,
                ..
            } = *read;
            // 500 hosts with 20 values each: find hosts through an index, not a scan each.
            let index: std::collections::HashMap<HostId, usize> = state
                .hosts
                .iter()
                .enumerate()
                .map(|(i, h)| (h.id.clone(), i))
                .collect();
            for (host, sample) in hosts {
                if let Some(&i) = index.get(&host) {
                    sampled(&mut state.hosts[i], sample);
                }
            }
            for (host, why) in missing {
                if let Some(&i) = index.get(&host) {
                    Gap::update(&mut state.hosts[i].metrics_gap, now, &why);
                }
            }
            for (service, name, value) in values {
                let Some(&i) = index.get(&service.host) else {
                    continue;
                };
                let Some(s) = state.hosts[i].services.iter_mut().find(|s| s.id == service) else {
                    continue;
                };
                let Some(v) = s.values.iter_mut().find(|v| v.spec.name == name) else {
                    continue;
                };
                match value {
                    Ok(value) => v.record(now, value),
                    Err(e) => Gap::update(&mut v.gap, now, &e),
                }
            }
        }
        MonitorUpdate::Down { reason, .. } => {
            for h in &mut state.hosts {
                if h.metrics_from_prometheus {
                    Gap::update(&mut h.metrics_gap, now, &reason);
                }
                for s in &mut h.services {
                    for v in &mut s.values {
                        Gap::update(&mut v.gap, now, &reason);
                    }
                }
            }
        }
    }
    vec![]
}

/// A reading from Prometheus: the same histories as an SSH reading.
fn sampled(h: &mut crate::app::state::HostState, sample: HostSample) {
    h.metrics_gap = None;
    if let Some(cpu) = sample.cpu_total {
        h.cpu_history.push(cpu.round() as u64);
    }
    h.mem_history.push(sample.mem_percent().round() as u64);
    h.load_history.push((sample.load[0] * 100.0).round() as u64);
    h.last_sample = Some(sample);
}

/// The host's own connection answered (its readings come from Prometheus).
pub(super) fn reached(state: &mut State, host: &HostId) -> Vec<Effect> {
    let now = state.now;
    let mut effects = vec![];
    if let Some(h) = state.host_mut(host) {
        if let HostStatus::Unreachable { since, .. } = &h.status {
            effects.push(super::transitions::host(host, None, now, Some(*since)));
        }
        h.status = HostStatus::Up;
        h.pending_key = None;
    }
    effects
}
