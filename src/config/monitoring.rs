//! `[monitoring]`: where Prometheus and Alertmanager answer, which alert labels name a host
//! or a service of the fleet, and the PromQL a service shows or a deploy's gate holds. Read what the monitoring system already knows instead of
//! polling every host over SSH.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::duration::HumanDuration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitoringConfig {
    /// Prometheus' base URL (`http://10.77.0.13:9090`).
    pub prometheus: Option<Spanned<String>>,
    /// Alertmanager's base URL.
    pub alertmanager: Option<Spanned<String>>,
    /// Every request to them.
    pub timeout: HumanDuration,
    /// How often metrics are read from Prometheus; default `settings.refresh`.
    pub refresh: Option<HumanDuration>,
    /// The window of `rate()` in the CPU query (at least two scrapes of node-exporter).
    pub rate_window: HumanDuration,
    /// The label that names a host's node-exporter (`instance`); its value is the host's
    /// `instance`, default `ADDRESS:9100`.
    pub instance_label: Spanned<String>,
    /// How often Alertmanager is asked for alerts (failures back off, up to this).
    pub alerts_refresh: HumanDuration,
    /// Which labels map an alert onto a host and a service.
    #[serde(rename = "match")]
    pub matchers: AlertMatch,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        Self {
            prometheus: None,
            alertmanager: None,
            timeout: HumanDuration::secs(5),
            refresh: None,
            rate_window: HumanDuration::secs(60),
            instance_label: Spanned::new(0..0, "instance".into()),
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

/// Where a host's CPU, memory, load and disks come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MetricsSource {
    /// Read on the host itself (local /proc or the SSH poll).
    #[default]
    Ssh,
    /// Node-exporter series in Prometheus.
    Prometheus,
}

pub fn default_metrics() -> Spanned<MetricsSource> {
    Spanned::new(0..0, MetricsSource::Ssh)
}

/// Which side of a threshold is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bad {
    /// Values above the threshold are bad (error rates, latencies).
    #[default]
    Above,
    /// Values below it are bad (throughput, free space).
    Below,
}

impl Bad {
    /// True when `value` is on the bad side of `threshold` (equal is fine).
    pub fn crossed(self, value: f64, threshold: f64) -> bool {
        match self {
            Bad::Above => value > threshold,
            Bad::Below => value < threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Bad::Above => ">",
            Bad::Below => "<",
        }
    }
}

/// `[[hosts.services.promql]]`: a value a service shows, with thresholds that feed its
/// health.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePromql {
    pub name: Spanned<String>,
    pub expr: Spanned<String>,
    /// Shown after the value: `%`, `ms`, `req/s`.
    pub unit: Option<Spanned<String>>,
    /// The value is multiplied by this before it is shown and compared (0.01 → 1 %: 100).
    pub scale: Option<f64>,
    pub warn: Option<Spanned<f64>>,
    pub fail: Option<Spanned<f64>>,
    #[serde(default)]
    pub bad: Bad,
    /// When the result has several series: the one whose labels have these values.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `[[deploys.metrics_gate]]`: a PromQL threshold the deployed service must hold for
/// `hold` after the deploy steps; a failure rolls back like the health gate's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateThreshold {
    pub name: Spanned<String>,
    pub expr: Spanned<String>,
    /// The value is multiplied by this before it is compared (as for a service's PromQL).
    pub scale: Option<f64>,
    pub threshold: Spanned<f64>,
    #[serde(default)]
    pub bad: Bad,
    /// How long the threshold must hold.
    pub hold: HumanDuration,
    /// How often it is read meanwhile (default 5 s).
    pub every: Option<HumanDuration>,
    pub unit: Option<Spanned<String>>,
}

impl MonitoringConfig {
    pub fn prometheus_url(&self) -> Option<&str> {
        self.prometheus.as_ref().map(|u| u.get_ref().as_str())
    }
}
