//! `[monitoring]`: where Prometheus and Alertmanager answer, how often they are asked, and
//! which alert labels name a host or a service of the fleet.

use serde::Deserialize;
use toml::Spanned;

use super::duration::HumanDuration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitoringConfig {
    /// Alertmanager's base URL (`http://10.77.0.13:9093`): firing alerts, silences.
    pub alertmanager: Option<Spanned<String>>,
    /// Prometheus's base URL (`http://10.77.0.13:9090`).
    pub prometheus: Option<Spanned<String>>,
    /// Time limit of one request to either.
    pub timeout: HumanDuration,
    /// How often Alertmanager is asked for alerts (failures back off, up to this).
    pub alerts_refresh: HumanDuration,
    /// Which labels map an alert onto a host and a service.
    #[serde(rename = "match")]
    pub matchers: AlertMatch,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        Self {
            alertmanager: None,
            prometheus: None,
            timeout: HumanDuration::secs(5),
            alerts_refresh: HumanDuration::secs(15),
            matchers: AlertMatch::default(),
        }
    }
}

/// Labels tried in order; the first whose value names a host (or service) wins. A value
/// `host:port` (node-exporter's `instance`) is matched by its host part, against a host's
/// name or address.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertMatch {
    pub host: Vec<Spanned<String>>,
    pub service: Vec<Spanned<String>>,
}

impl Default for AlertMatch {
    fn default() -> Self {
        let labels = |names: &[&str]| {
            names
                .iter()
                .map(|n| Spanned::new(0..0, (*n).to_owned()))
                .collect()
        };
        Self {
            host: labels(&["host", "instance"]),
            service: labels(&["service", "job", "compose_service", "container"]),
        }
    }
}

impl AlertMatch {
    pub fn host_labels(&self) -> impl Iterator<Item = &str> {
        self.host.iter().map(|s| s.get_ref().as_str())
    }

    pub fn service_labels(&self) -> impl Iterator<Item = &str> {
        self.service.iter().map(|s| s.get_ref().as_str())
    }
}
