//! What the Alertmanager collector reports.

use crate::monitor::{MappedAlert, Silence};

#[derive(Debug, Clone)]
pub enum AlertsUpdate {
    /// Every alert Alertmanager holds, mapped onto the fleet, and its silences.
    Listed {
        alerts: Vec<MappedAlert>,
        silences: Vec<Silence>,
    },
    /// Alertmanager could not be asked; the collector asks again with backoff.
    Unavailable { reason: String },
}
