//! One reading of the whole fleet, for `opsdeck status`: the same probes the console uses.

use std::time::Duration;

use serde::Serialize;

use super::command_status;
use super::host_metrics::LocalSampler;
use crate::config::Config;
use crate::config::schema::{ServiceKind, TransportKind};
use crate::model::{HostSample, RunState, ServiceObservation};
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
    pub fn all_ok(&self) -> bool {
        self.up
            && self
                .services
                .iter()
                .all(|s| s.observation.state == RunState::Running)
    }
}

/// CPU % needs two readings; this is the gap between them.
const CPU_WINDOW: Duration = Duration::from_millis(250);

pub async fn fleet_once(config: &Config) -> Vec<HostReport> {
    let timeout = config.file.settings.command_timeout.get();
    let hosts = config.file.hosts.iter().map(|host| async move {
        let (up, reason, sample) = match host.transport {
            TransportKind::Local => match local_sample().await {
                Ok(s) => (true, None, Some(s)),
                Err(e) => (false, Some(format!("cannot read /proc: {e}")), None),
            },
            other => (
                false,
                Some(format!("{other:?} transport is not available in this build").to_lowercase()),
                None,
            ),
        };
        let services = futures::future::join_all(host.services.iter().map(|s| async move {
            let observation = match (s.kind, &s.status, up) {
                (ServiceKind::Command, Some(status), true) => {
                    let t = s.timeout.map_or(timeout, |t| t.get());
                    command_status::probe(
                        &Target::Local,
                        &Transports::default(),
                        &CommandSpec::from_config(status.get_ref()),
                        t,
                    )
                    .await
                }
                (_, _, false) => unknown("host unreachable".into()),
                (kind, _, true) => unknown(
                    format!("{kind:?} services are not collected in this build").to_lowercase(),
                ),
            };
            ServiceReport {
                name: s.name.get_ref().clone(),
                kind: s.kind,
                observation,
            }
        }))
        .await;
        HostReport {
            name: host.name.get_ref().clone(),
            up,
            reason,
            sample,
            services,
        }
    });
    futures::future::join_all(hosts).await
}

fn unknown(detail: String) -> ServiceObservation {
    ServiceObservation {
        at: chrono::Utc::now(),
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
