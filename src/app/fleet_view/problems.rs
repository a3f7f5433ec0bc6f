//! "Problems only" (`!`): the rows an engineer on call has to look at. One predicate, so that
//! the filter, the group counts and the header agree on what a problem is.

use crate::app::state::{HostState, ServiceState, State};
use crate::model::container::summarize;
use crate::model::{Health, HostStatus, RunState};

/// Firing alerts on a host or service (see [`alerts_of`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Alerts {
    pub firing: usize,
}

/// What a row of the fleet stands for, for the predicate.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Host(&'a HostState),
    Service(&'a HostState, &'a ServiceState),
    /// A container group no configured service claims (index into the host's discovered).
    Discovered(&'a HostState, usize),
}

/// The firing alerts of a row, from Alertmanager's last reading (a host counts its
/// services' too; a discovered row has none of its own).
pub fn alerts_of(state: &State, subject: Subject<'_>) -> Alerts {
    let firing = match subject {
        Subject::Host(host) => state.alert_count_for_host(&host.id),
        Subject::Service(_, svc) => state.alert_count_for_service(&svc.id),
        Subject::Discovered(..) => 0,
    };
    Alerts { firing }
}

/// Down, degraded, stale (data older than its refresh allows, or the host lost), a backup
/// older than its RPO, or alerting.
pub fn is_problem(state: &State, subject: Subject<'_>, alerts: Alerts) -> bool {
    let (down_or_degraded, stale, backup_stale) = match subject {
        Subject::Host(host) => (
            matches!(host.status, HostStatus::Unreachable { .. }),
            host_stale(state, host),
            state
                .sets_of_host(&host.id)
                .into_iter()
                .any(|i| state.backups[i].service.is_none() && state.backups[i].stale(state.now)),
        ),
        Subject::Service(host, svc) => {
            let run = state.run_state(svc);
            (
                run.is_down() || run == RunState::Degraded,
                state.service_stale(host, svc)
                    || matches!(host.status, HostStatus::Unreachable { .. })
                    || matches!(state.service_health(svc), Health::Failing | Health::Stale),
                state
                    .sets_of_service(&svc.id)
                    .into_iter()
                    .any(|i| state.backups[i].stale(state.now)),
            )
        }
        Subject::Discovered(host, d) => {
            let run = host
                .docker
                .as_ref()
                .and_then(|v| v.discovered.get(d).map(|k| summarize(&v.members(k)).0));
            (
                run.is_some_and(|r| r.is_down() || r == RunState::Degraded),
                host.docker.as_ref().is_some_and(|v| v.gap.is_some()),
                false,
            )
        }
    };
    down_or_degraded
        || stale
        || backup_stale
        // ALERTING: one clause; the counts come in through `alerts` (none by default).
        || alerts.firing > 0
}

/// The host's own readings are old, or its Docker engine is away.
fn host_stale(state: &State, host: &HostState) -> bool {
    let sample_old = matches!(host.status, HostStatus::Up)
        && host
            .last_sample
            .as_ref()
            .is_some_and(|s| state.is_stale(s.at));
    sample_old || host.docker.as_ref().is_some_and(|d| d.gap.is_some())
}
