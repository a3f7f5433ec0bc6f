//! Alert labels → a host and a service of the fleet, by the `[monitoring.match]` label
//! lists. Pure: the config and the labels in, ids out. An alert that names nothing of the
//! fleet keeps `None`s and is listed all the same.

use std::collections::BTreeMap;

use serde::Serialize;

use super::alertmanager::Alert;
use crate::config::monitoring::AlertMatch;
use crate::config::schema::{ConfigFile, Host, Service};
use crate::model::{HostId, ServiceId};

/// An alert and what of the fleet it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedAlert {
    pub alert: Alert,
    pub host: Option<HostId>,
    pub service: Option<ServiceId>,
}

/// The one-line JSON shape of `opsdeck alerts --json` and `status --json`.
#[derive(Debug, Clone, Serialize)]
pub struct AlertJson<'a> {
    pub name: &'a str,
    pub state: &'a str,
    pub host: Option<String>,
    pub service: Option<String>,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
    pub starts_at: String,
    pub silenced: bool,
}

impl MappedAlert {
    pub fn json(&self) -> AlertJson<'_> {
        AlertJson {
            name: self.alert.name(),
            state: self.alert.state(),
            host: self.host.as_ref().map(ToString::to_string),
            service: self.service.as_ref().map(|s| s.name.to_string()),
            labels: &self.alert.labels,
            annotations: &self.alert.annotations,
            starts_at: self.alert.starts_at.to_rfc3339(),
            silenced: !self.alert.status.silenced_by.is_empty(),
        }
    }
}

pub fn map_all(file: &ConfigFile, alerts: Vec<Alert>) -> Vec<MappedAlert> {
    let mut mapped: Vec<MappedAlert> = alerts
        .into_iter()
        .map(|alert| {
            let (host, service) = map_labels(file, &file.monitoring.matchers, &alert.labels);
            MappedAlert {
                alert,
                host,
                service,
            }
        })
        .collect();
    // Firing before silenced, critical before warning, then oldest first: what needs a
    // person comes first, and the order does not jump between polls.
    mapped.sort_by_cached_key(|a| {
        let state = match a.alert.state() {
            "firing" => 0,
            "pending" => 1,
            "inhibited" => 2,
            _ => 3,
        };
        let severity = match a.alert.severity() {
            Some("critical" | "page" | "error" | "emergency") => 0,
            Some("warning") => 1,
            _ => 2,
        };
        (
            state,
            severity,
            a.alert.starts_at,
            a.alert.name().to_owned(),
            a.alert.fingerprint.clone(),
        )
    });
    mapped
}

/// The host and service `labels` name. The host comes from the first host label that names
/// one (by name or address; `host:port` by its host part); the service from the first
/// service label naming a service of that host — or, with no host found, the one service of
/// the fleet by that name, which then gives the host too.
pub fn map_labels(
    file: &ConfigFile,
    matchers: &AlertMatch,
    labels: &BTreeMap<String, String>,
) -> (Option<HostId>, Option<ServiceId>) {
    let host = matchers
        .host_labels()
        .filter_map(|l| labels.get(l))
        .find_map(|v| find_host(file, v));
    for label in matchers.service_labels() {
        let Some(value) = labels.get(label) else {
            continue;
        };
        let candidates: Vec<(&Host, &Service)> = file
            .hosts
            .iter()
            .filter(|h| host.is_none_or(|found| found.name.get_ref() == h.name.get_ref()))
            .flat_map(|h| h.services.iter().map(move |s| (h, s)))
            .filter(|(_, s)| service_named(s, value))
            .collect();
        if let [(h, s)] = candidates.as_slice() {
            let id = ServiceId::new(&HostId::new(h.name.get_ref()), s.name.get_ref());
            return (Some(HostId::new(h.name.get_ref())), Some(id));
        }
    }
    (host.map(|h| HostId::new(h.name.get_ref())), None)
}

fn find_host<'f>(file: &'f ConfigFile, value: &str) -> Option<&'f Host> {
    let bare = strip_port(value);
    file.hosts.iter().find(|h| {
        h.name.get_ref().eq_ignore_ascii_case(value)
            || h.name.get_ref().eq_ignore_ascii_case(bare)
            || h.address.as_ref().is_some_and(|a| {
                let a = address_host(a.get_ref());
                a.eq_ignore_ascii_case(bare) || a.eq_ignore_ascii_case(value)
            })
    })
}

/// `10.77.0.13:9100` → `10.77.0.13`, `[::1]:9100` → `::1`; a value without a port as is.
fn strip_port(v: &str) -> &str {
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match v.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => v,
    }
}

/// An http host's address is a URL: its host part.
fn address_host(a: &str) -> &str {
    let rest = a.split_once("://").map_or(a, |(_, r)| r);
    let hostport = rest.split(['/', '?']).next().unwrap_or(rest);
    strip_port(hostport)
}

/// A service is named by its own name, its compose service, its container or its unit
/// (with or without `.service`).
fn service_named(s: &Service, value: &str) -> bool {
    let eq = |o: &Option<toml::Spanned<String>>| o.as_ref().is_some_and(|x| x.get_ref() == value);
    s.name.get_ref() == value
        || eq(&s.compose_service)
        || eq(&s.container)
        || s.unit.as_ref().is_some_and(|u| {
            let u = u.get_ref();
            u == value || u.strip_suffix(".service") == Some(value)
        })
}

/// The opsdeck runbook an alert names, out of `known`: its `runbook` label or annotation,
/// or a `runbook_url` that is `opsdeck://runbook/NAME` or whose last path segment (without
/// `.md`) is NAME.
pub fn runbook_of<'k>(alert: &Alert, known: &'k [String]) -> Option<&'k str> {
    let find = |name: &str| known.iter().find(|k| *k == name).map(String::as_str);
    for key in ["runbook"] {
        for source in [&alert.labels, &alert.annotations] {
            if let Some(found) = source.get(key).and_then(|v| find(v.trim())) {
                return Some(found);
            }
        }
    }
    let url = alert
        .annotations
        .get("runbook_url")
        .or_else(|| alert.labels.get("runbook_url"))?;
    let url = url.trim();
    if let Some(name) = url.strip_prefix("opsdeck://runbook/") {
        return find(name.trim_end_matches('/'));
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    find(last.strip_suffix(".md").unwrap_or(last))
}

#[cfg(test)]
mod tests;
