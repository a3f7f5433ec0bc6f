//! Services found on a host that its configuration does not name.

use super::ServiceObservation;

/// A discovered systemd unit: its name (validated, fit for hosts.toml), the unit, and what
/// it is doing.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveredUnit {
    pub name: String,
    pub unit: String,
    pub observation: ServiceObservation,
}
