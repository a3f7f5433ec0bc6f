//! One reading of the whole fleet, for `opsdeck status`: the same transports, parsers and
//! probes the console uses, run once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use super::command_status;
use super::host_metrics::LocalSampler;
use super::remote::{PollState, parse_poll, poll_command};
use crate::check::{CheckRunner, CheckSpec, Persistence, endpoint};
use crate::config::Config;
use crate::config::schema::{Host, ServiceKind, TransportKind};
use crate::model::{HostId, HostSample, RunState, ServiceObservation};
use crate::transport::ssh::{SshTarget, connect};
use crate::transport::{CommandSpec, Target, Transports};

#[derive(Debug, Serialize)]
pub struct HostReport {
    pub name: String,
    pub up: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub sample: Option<HostSample>,
    pub services: Vec<ServiceReport>,
}

#[derive(Debug, Serialize)]
pub struct ServiceReport {
    pub name: String,
    pub kind: ServiceKind,
    #[serde(flatten)]
    pub observation: ServiceObservation,
}

impl HostReport {
    /// Up, and every service that was observed is running.
    pub fn all_ok(&self) -> bool {
        self.up
            && self.services.iter().all(|s| {
                matches!(
                    s.observation.state,
                    RunState::Running | RunState::Unknown | RunState::NotStarted
                )
            })
            && !self.services.iter().any(|s| s.observation.state.is_down())
    }
}

/// CPU % needs two readings; this is the gap between them.
const CPU_WINDOW: Duration = Duration::from_millis(250);

pub async fn fleet_once(config: &Config, known_hosts: &Path) -> Vec<HostReport> {
    let transports = Arc::new(Transports::for_config(config));
    let slots = tokio::sync::Semaphore::new(config.file.settings.connect_concurrency());
    let hosts = config.file.hosts.iter().map(|host| {
        let transports = transports.clone();
        let slots = &slots;
        async move {
            let _slot = slots.acquire().await.expect("never closed");
            host_once(config, host, &transports, known_hosts).await
        }
    });
    futures::future::join_all(hosts).await
}

async fn host_once(
    config: &Config,
    host: &Host,
    transports: &Arc<Transports>,
    known_hosts: &Path,
) -> HostReport {
    let id = HostId::new(host.name.get_ref());
    let timeout = config.file.settings.command_timeout.get();
    let mut observed: Vec<(String, ServiceObservation)> = Vec::new();
    let (up, reason, sample, target) = match host.transport {
        TransportKind::Local => match local_sample().await {
            Ok(s) => (true, None, Some(s), Some(Target::Local)),
            Err(e) => (false, Some(format!("cannot read /proc: {e}")), None, None),
        },
        TransportKind::Http => (true, Some("http only".to_owned()), None, None),
        TransportKind::Ssh => {
            let target = SshTarget::from_config(host, known_hosts)
                .expect("validated: ssh hosts have an address");
            match connect(&target).await {
                Ok(conn) => {
                    let units: Vec<(String, String)> = host
                        .services
                        .iter()
                        .filter(|s| s.kind == ServiceKind::Systemd)
                        .filter_map(|s| {
                            Some((s.name.get_ref().clone(), s.unit.as_ref()?.get_ref().clone()))
                        })
                        .collect();
                    let names: Vec<String> = units.iter().map(|(_, u)| u.clone()).collect();
                    let mut st = PollState::default();
                    let mut result = None;
                    for round in 0..2 {
                        if round == 1 {
                            tokio::time::sleep(CPU_WINDOW).await;
                        }
                        match conn.run(&poll_command(&names), timeout).await {
                            Ok(out) => {
                                result = Some(parse_poll(&out.stdout, &mut st.prev_cpu, Utc::now()))
                            }
                            Err(e) => {
                                result = None;
                                tracing::warn!(host = %id, "poll failed: {e}");
                                break;
                            }
                        }
                    }
                    transports.set_ssh(&id, Some(Arc::new(conn)));
                    match result {
                        Some(r) => {
                            for (name, unit) in &units {
                                if let Some(u) = r.units.iter().find(|u| &u.id == unit) {
                                    observed.push((
                                        name.clone(),
                                        u.observation(Utc::now(), r.sample.uptime, None),
                                    ));
                                }
                            }
                            (true, None, Some(r.sample), Some(Target::Ssh(id.clone())))
                        }
                        None => (false, Some("status command failed".into()), None, None),
                    }
                }
                Err(e) => (false, Some(e.to_string()), None, None),
            }
        }
    };
    let services = futures::future::join_all(host.services.iter().map(|s| {
        let target = target.clone();
        let known = observed
            .iter()
            .find(|(n, _)| n == s.name.get_ref())
            .map(|(_, o)| o.clone());
        async move {
            let observation = match (known, s.kind, &s.status, target) {
                (Some(o), ..) => o,
                (None, ServiceKind::Command, Some(_), Some(_))
                    if config.read_only(host) && !s.read_only_safe =>
                {
                    command_status::not_probed()
                }
                (None, ServiceKind::Command, Some(status), Some(target)) => {
                    let t = s.timeout.as_ref().map_or(timeout, |t| t.get());
                    command_status::probe(
                        &target,
                        transports,
                        &CommandSpec::from_config(status.get_ref()),
                        t,
                    )
                    .await
                }
                // An endpoint is reached directly, whatever its host's SSH does.
                (None, ServiceKind::Http, ..) => endpoint_once(config, host, s, transports).await,
                (None, _, _, None) if !up => unknown("host unreachable".into()),
                (None, kind, ..) => unknown(
                    format!("{kind:?} services are not collected by `status` yet").to_lowercase(),
                ),
            };
            ServiceReport {
                name: s.name.get_ref().clone(),
                kind: s.kind,
                observation,
            }
        }
    }))
    .await;
    transports.set_ssh(&id, None);
    HostReport {
        name: host.name.get_ref().clone(),
        up,
        reason,
        sample,
        services,
    }
}

/// An `http` service's checks, run once: its status is what they find.
async fn endpoint_once(
    config: &Config,
    host: &Host,
    service: &crate::config::schema::Service,
    transports: &Transports,
) -> ServiceObservation {
    let id =
        crate::model::ServiceId::new(&HostId::new(host.name.get_ref()), service.name.get_ref());
    let specs: Vec<CheckSpec> = CheckSpec::all(config)
        .into_iter()
        .filter(|c| c.id.service == id)
        .collect();
    let results = futures::future::join_all(specs.into_iter().map(|spec| async move {
        let name = spec.id.name.clone();
        let result = CheckRunner::new(spec)
            .run(transports, Persistence::Once)
            .await;
        (name, result)
    }))
    .await;
    endpoint::observation(results.iter().map(|(n, r)| (&**n, Some(r)))).unwrap_or_else(|| {
        unknown("no check configured: an endpoint's status comes from its checks".into())
    })
}

fn unknown(detail: String) -> ServiceObservation {
    ServiceObservation {
        at: Utc::now(),
        state: RunState::Unknown,
        detail,
        uptime: None,
        cpu_percent: None,
        mem_bytes: None,
    }
}

async fn local_sample() -> std::io::Result<HostSample> {
    let mut sampler = LocalSampler::default();
    let sampler = tokio::task::spawn_blocking(move || sampler.sample().map(|_| sampler))
        .await
        .map_err(std::io::Error::other)??;
    tokio::time::sleep(CPU_WINDOW).await;
    let mut sampler = sampler;
    tokio::task::spawn_blocking(move || sampler.sample())
        .await
        .map_err(std::io::Error::other)?
}
