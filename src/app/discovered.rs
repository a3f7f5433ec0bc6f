//! Applying a host's discovered systemd units to the state: each one a service row marked
//! discovered, after the configured ones; rows of units no longer listed go away.

use super::state::{ServiceState, State};
use crate::config::schema::ServiceKind;
use crate::model::discovered::DiscoveredUnit;
use crate::model::{Health, HostId, ServiceId};

pub fn apply_units(state: &mut State, host: &HostId, units: Vec<DiscoveredUnit>) {
    let Some(h) = state.host_mut(host) else {
        return;
    };
    h.services
        .retain(|s| !s.discovered || units.iter().any(|u| *u.name == *s.id.name));
    for unit in units {
        let id = ServiceId::new(host, &unit.name);
        match h.services.iter_mut().find(|s| s.id == id) {
            Some(s) if s.discovered => s.observation = Some(unit.observation),
            // A configured service holds the name: it is the one shown.
            Some(_) => {}
            None => h.services.push(ServiceState {
                id,
                kind: ServiceKind::Systemd,
                group: None,
                observation: Some(unit.observation),
                checks: vec![],
                container_health: Health::Unknown,
                values: vec![],
                discovered: true,
            }),
        }
    }
}
