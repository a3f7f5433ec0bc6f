//! What the Prometheus collector feeds: whether a host's readings come from it and why
//! they are stale, and services' PromQL values with their recent history.

use chrono::{DateTime, Utc};

use crate::config::schema::Service;
use crate::model::{Health, History, ServiceId};
use crate::monitor::values::ValueSpec;

/// Values kept per PromQL expression for its sparkline.
const VALUE_HISTORY: usize = 120;

/// Data that stopped arriving: since when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub since: DateTime<Utc>,
    pub reason: String,
}

impl Gap {
    /// Keeps the first time it went missing; the reason is the latest.
    pub fn update(gap: &mut Option<Gap>, now: DateTime<Utc>, reason: &str) {
        match gap {
            Some(g) => reason.clone_into(&mut g.reason),
            None => {
                *gap = Some(Gap {
                    since: now,
                    reason: reason.to_owned(),
                })
            }
        }
    }

    /// "stale 42s: reason"
    pub fn label(&self, now: DateTime<Utc>) -> String {
        let age = now.signed_duration_since(self.since).num_seconds().max(0);
        format!(
            "stale {}: {}",
            crate::model::units::uptime(std::time::Duration::from_secs(age as u64)),
            self.reason
        )
    }
}

/// One PromQL value of a service.
#[derive(Debug)]
pub struct ValueState {
    pub spec: ValueSpec,
    /// The last value read, and when (`None` value: no data).
    pub last: Option<(DateTime<Utc>, Option<f64>)>,
    /// Scaled values ×1000 (sparklines take integers).
    pub history: History<u64>,
    pub gap: Option<Gap>,
}

impl ValueState {
    pub fn of_service(id: &ServiceId, s: &Service) -> Vec<ValueState> {
        s.promql
            .iter()
            .map(|q| ValueState {
                spec: ValueSpec::of(id.clone(), q),
                last: None,
                history: History::new(VALUE_HISTORY),
                gap: None,
            })
            .collect()
    }

    pub fn value(&self) -> Option<f64> {
        self.last.and_then(|(_, v)| v)
    }

    /// Its thresholds' verdict; stale while Prometheus does not answer, never green.
    pub fn health(&self) -> Health {
        if self.gap.is_some() {
            return Health::Stale;
        }
        self.value()
            .map_or(Health::Unknown, |v| self.spec.health(v))
    }

    pub fn record(&mut self, at: DateTime<Utc>, value: Option<f64>) {
        if let Some(v) = value {
            self.history.push((v.max(0.0) * 1000.0).round() as u64);
        }
        self.last = Some((at, value));
        self.gap = None;
    }
}
