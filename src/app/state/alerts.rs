//! Alertmanager's alerts as last read, and whether that reading is still current: when
//! Alertmanager stops answering, what was read is kept and marked stale with the reason and
//! since when.

use chrono::{DateTime, Utc};

use super::State;
use crate::model::{HostId, ServiceId};
use crate::monitor::{MappedAlert, Silence};

#[derive(Debug, Default)]
pub struct AlertsState {
    /// Alertmanager's URL, when `[monitoring]` names one.
    pub source: Option<String>,
    pub alerts: Vec<MappedAlert>,
    pub silences: Vec<Silence>,
    pub listed_at: Option<DateTime<Utc>>,
    /// Why Alertmanager could not be read, since when (the first failure in a row).
    pub unavailable: Option<(String, DateTime<Utc>)>,
}

impl AlertsState {
    /// What was read is no longer current (Alertmanager is not answering).
    pub fn stale(&self) -> bool {
        self.unavailable.is_some()
    }

    pub fn firing(&self) -> impl Iterator<Item = &MappedAlert> {
        self.alerts.iter().filter(|a| a.alert.is_firing())
    }

    /// The firing alerts of `host` (its services' too).
    pub fn of_host<'a>(&'a self, host: &'a HostId) -> impl Iterator<Item = &'a MappedAlert> {
        self.firing().filter(move |a| a.host.as_ref() == Some(host))
    }

    pub fn of_service<'a>(
        &'a self,
        service: &'a ServiceId,
    ) -> impl Iterator<Item = &'a MappedAlert> {
        self.firing()
            .filter(move |a| a.service.as_ref() == Some(service))
    }

    /// The silence that silences `alert`, if Alertmanager says one does (still active).
    pub fn silence_of(&self, alert: &MappedAlert) -> Option<&Silence> {
        alert
            .alert
            .status
            .silenced_by
            .iter()
            .find_map(|id| self.silences.iter().find(|s| s.id == *id))
    }

    pub fn listed(&mut self, alerts: Vec<MappedAlert>, silences: Vec<Silence>, now: DateTime<Utc>) {
        self.alerts = alerts;
        self.silences = silences;
        self.listed_at = Some(now);
        self.unavailable = None;
    }

    pub fn failed(&mut self, reason: String, now: DateTime<Utc>) {
        let since = self.unavailable.as_ref().map_or(now, |(_, s)| *s);
        self.unavailable = Some((reason, since));
    }
}

/// Whether the worst of some alerts is critical (badges are themed by it).
pub fn any_critical<'a>(alerts: impl IntoIterator<Item = &'a MappedAlert>) -> bool {
    alerts.into_iter().any(|a| {
        matches!(
            a.alert.severity(),
            Some("critical" | "page" | "error" | "emergency")
        )
    })
}

/// The Alerts screen (`A`, `:alerts`): which alert is selected — kept by fingerprint, so
/// that the selection follows its alert when a new reading reorders the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertsView {
    pub selected: usize,
    pub fingerprint: Option<String>,
}

/// The silence popup (`M` on the Alerts screen): for how long, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceForm {
    /// The alert's fingerprint.
    pub fingerprint: String,
    pub name: String,
    pub duration: String,
    pub comment: String,
    /// Which field takes the keys: false the duration, true the comment.
    pub on_comment: bool,
    pub error: Option<String>,
}

/// Used by the fleet's problems filter and the badges.
impl State {
    /// Firing alerts (not silenced or inhibited) mapped onto `host`, its services' too.
    pub fn alert_count_for_host(&self, host: &HostId) -> usize {
        self.alerts.of_host(host).count()
    }

    /// Firing alerts mapped onto `service`.
    pub fn alert_count_for_service(&self, service: &ServiceId) -> usize {
        self.alerts.of_service(service).count()
    }

    /// The alert selected on the Alerts screen.
    pub fn selected_alert(&self) -> Option<&MappedAlert> {
        match &self.screen {
            super::Screen::Alerts(v) => self.alerts.alerts.get(v.selected),
            _ => None,
        }
    }
}
