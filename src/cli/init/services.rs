//! What a host's discovery becomes in hosts.toml: compose services (replicas as one),
//! plain containers and the units worth listing, with checks from compose healthchecks.

use super::render::{CheckDraft, ServiceDraft};
use super::{config_name, probe, unique};
use crate::collect::discover::compose::{FoundContainer, healthcheck_url, url_from_outside};
use crate::collect::discover::units::{service_name, worth_listing};

pub(super) fn owns(service_owner: &probe::Owner, listener: &probe::Owner) -> bool {
    use probe::Owner::*;
    match (service_owner, listener) {
        (Container(full), Container(id)) => {
            full.starts_with(id.as_str()) || id.starts_with(full.as_str())
        }
        (Unit(a), Unit(b)) => a == b,
        _ => false,
    }
}

/// Compose services (replicas as one), plain containers and the units worth listing;
/// `owners` gets which container ids and units each service is made of.
pub(super) fn services(
    containers: &[FoundContainer],
    facts: &probe::HostFacts,
    address: &str,
    owners: &mut Vec<(probe::Owner, usize)>,
) -> Vec<ServiceDraft> {
    let mut out: Vec<ServiceDraft> = Vec::new();
    let index_of = |out: &mut Vec<ServiceDraft>, draft: ServiceDraft| -> usize {
        out.push(draft);
        out.len() - 1
    };
    let mut compose: Vec<((String, String), usize)> = Vec::new();
    for c in containers {
        let i = match (&c.project, &c.service) {
            (Some(project), Some(service)) => {
                match compose
                    .iter()
                    .find(|(k, _)| k.0 == *project && k.1 == *service)
                {
                    Some((_, i)) => *i,
                    None => {
                        let Ok(base) = config_name(service) else {
                            continue;
                        };
                        let taken: Vec<String> = out.iter().map(|s| s.name().to_owned()).collect();
                        let name = if taken.contains(&base) {
                            unique(
                                format!("{project}-{base}"),
                                taken.iter().map(String::as_str),
                            )
                        } else {
                            base
                        };
                        let i = index_of(
                            &mut out,
                            ServiceDraft::Compose {
                                name,
                                project: project.clone(),
                                service: service.clone(),
                                checks: vec![],
                            },
                        );
                        compose.push(((project.clone(), service.clone()), i));
                        i
                    }
                }
            }
            _ => {
                let Ok(base) = config_name(&c.name) else {
                    continue;
                };
                if crate::config::validate::check_argument(&c.name).is_err() {
                    continue;
                }
                let taken: Vec<String> = out.iter().map(|s| s.name().to_owned()).collect();
                let name = unique(base, taken.iter().map(String::as_str));
                index_of(
                    &mut out,
                    ServiceDraft::Container {
                        name,
                        container: c.name.clone(),
                        checks: vec![],
                    },
                )
            }
        };
        owners.push((probe::Owner::Container(c.id.clone()), i));
        let from_healthcheck = c
            .healthcheck
            .as_deref()
            .and_then(healthcheck_url)
            .and_then(|u| url_from_outside(&u, address, &c.published));
        if let Some(url) = from_healthcheck
            && out[i].checks_mut().is_empty()
        {
            out[i].checks_mut().push(CheckDraft {
                name: "health".into(),
                url,
                origin: "from the compose healthcheck".into(),
            });
        }
    }
    for u in facts.units.iter().filter(|u| worth_listing(u)) {
        let Some(base) = service_name(&u.id) else {
            continue;
        };
        let taken: Vec<String> = out.iter().map(|s| s.name().to_owned()).collect();
        let name = unique(base, taken.iter().map(String::as_str));
        let i = index_of(
            &mut out,
            ServiceDraft::Systemd {
                name,
                unit: u.id.clone(),
                checks: vec![],
            },
        );
        owners.push((probe::Owner::Unit(u.id.clone()), i));
    }
    out
}
