//! One task per Docker host: inventory from the engine's list (and inspect of what
//! changed), live updates from its event stream with a periodic full resync, and the
//! containers' resource use ([`super::docker_stats`]) — never one open stats stream per
//! container.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use bollard::models::ContainerSummary;
use bollard::query_parameters::{EventsOptions, ListContainersOptions};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::sync::watch;

use super::context::Context;
use super::docker_stats::RunningContainer;
use crate::model::HostId;
use crate::model::container::{ContainerHealth, ContainerInfo};
use crate::protocol::Update;
use crate::transport::docker::{DockerEndpoint, connect};

/// A full list is fetched this often even when events keep the view current.
const RESYNC: Duration = Duration::from_secs(30);
/// Events arriving within this window cause one re-list, not one each.
const EVENT_DEBOUNCE: Duration = Duration::from_millis(150);

pub async fn run(ctx: Context, host: HostId, endpoint: DockerEndpoint, stats_every: Duration) {
    let mut failures: u32 = 0;
    loop {
        let ssh = match endpoint {
            DockerEndpoint::Ssh { .. } => Some(wait_for_ssh(&ctx, &host).await),
            _ => None,
        };
        let dir = match tempfile::Builder::new().prefix("opsdeck-docker-").tempdir() {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("cannot create a socket directory: {e}");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        let reason = match connect(&endpoint, ssh.as_deref(), dir.path()).await {
            Ok(docker) => {
                failures = 0;
                ctx.transports().set_docker(&host, Some(docker.clone()));
                // Where the containers' cgroups can be read: the engine's own machine.
                let counters = match &endpoint {
                    DockerEndpoint::Ssh { .. } => Some(crate::transport::Target::Ssh(host.clone())),
                    DockerEndpoint::Local | DockerEndpoint::Unix(_) => {
                        Some(crate::transport::Target::Local)
                    }
                    DockerEndpoint::Tcp(_) => None,
                };
                let reason = session(&ctx, &host, &docker, stats_every, counters).await;
                ctx.transports().set_docker(&host, None);
                reason
            }
            Err(e) => e.to_string(),
        };
        let Some(reason) = reason_or_quit(reason) else {
            return;
        };
        tracing::warn!(%host, "docker: {reason}");
        if !ctx
            .send(Update::DockerGap {
                host: host.clone(),
                reason,
            })
            .await
        {
            return;
        }
        // A restarting engine answers again within a second or two: retry quickly first.
        let wait =
            Duration::from_millis(250 * 2u64.pow(failures.min(5))).min(Duration::from_secs(8));
        failures += 1;
        tokio::time::sleep(wait).await;
    }
}

fn reason_or_quit(reason: String) -> Option<String> {
    (reason != QUIT).then_some(reason)
}

const QUIT: &str = "\u{0}quit";

async fn wait_for_ssh(ctx: &Context, host: &HostId) -> Arc<crate::transport::ssh::SshConnection> {
    loop {
        if let Some(c) = ctx.transports().ssh(host) {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs until the engine connection fails; returns why.
async fn session(
    ctx: &Context,
    host: &HostId,
    docker: &Docker,
    stats_every: Duration,
    counters: Option<crate::transport::Target>,
) -> String {
    let mut inventory = Inventory::default();
    let opts = EventsOptions {
        filters: Some(HashMap::from([(
            "type".to_owned(),
            vec!["container".to_owned()],
        )])),
        ..Default::default()
    };
    let mut events = docker.events(Some(opts));
    let (running_tx, running_rx) = watch::channel(Vec::<RunningContainer>::new());
    let stats = tokio::spawn(super::docker_stats::poll(
        ctx.clone(),
        host.clone(),
        docker.clone(),
        running_rx,
        stats_every,
        counters,
    ));
    let _stop_stats = AbortOnDrop(stats.abort_handle());
    let mut resync = tokio::time::interval(RESYNC);
    let mut dirty: HashSet<String> = HashSet::new();
    loop {
        match inventory.refresh(docker, &std::mem::take(&mut dirty)).await {
            Ok(containers) => {
                let running = containers
                    .iter()
                    .filter(|c| c.running())
                    .map(|c| RunningContainer {
                        id: c.id.clone(),
                        pid: c.pid,
                        host_network: c.host_network,
                    })
                    .collect();
                let _ = running_tx.send(running);
                if !ctx
                    .send(Update::ContainersListed {
                        host: host.clone(),
                        containers,
                    })
                    .await
                {
                    return QUIT.into();
                }
            }
            Err(e) => return format!("listing containers failed: {e}"),
        }
        let actor = |e: &bollard::models::EventMessage| e.actor.as_ref().and_then(|a| a.id.clone());
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(e)) => {
                    dirty.extend(actor(&e));
                    // Let a burst (die, stop, start, restart…) settle into one re-list.
                    let deadline = tokio::time::sleep(EVENT_DEBOUNCE);
                    tokio::pin!(deadline);
                    loop {
                        tokio::select! {
                            _ = &mut deadline => break,
                            more = events.next() => match more {
                                Some(Ok(e)) => dirty.extend(actor(&e)),
                                Some(Err(e)) => return format!("event stream failed: {e}"),
                                None => return "event stream ended".into(),
                            },
                        }
                    }
                }
                Some(Err(e)) => return format!("event stream failed: {e}"),
                None => return "event stream ended".into(),
            },
            _ = resync.tick() => {}
        }
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The last inspected state of each container, re-inspected only when its summary changes.
#[derive(Default)]
struct Inventory {
    known: HashMap<String, (String, ContainerInfo)>,
}

impl Inventory {
    /// Lists all containers; inspects the new ones, those whose state or health changed,
    /// and those named by events since the last list (`dirty`).
    async fn refresh(
        &mut self,
        docker: &Docker,
        dirty: &HashSet<String>,
    ) -> Result<Vec<ContainerInfo>, bollard::errors::Error> {
        let list = docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                ..Default::default()
            }))
            .await?;
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(list.len());
        for summary in list {
            let Some(id) = summary.id.clone() else {
                continue;
            };
            seen.insert(id.clone());
            let fingerprint = fingerprint(&summary);
            let info = match self.known.get(&id) {
                Some((fp, info)) if *fp == fingerprint && !dirty.contains(&id) => info.clone(),
                _ => {
                    let info = inspect(docker, &summary).await;
                    self.known.insert(id.clone(), (fingerprint, info.clone()));
                    info
                }
            };
            out.push(info);
        }
        self.known.retain(|id, _| seen.contains(id));
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// What must change for a container to be inspected again: its state and health, not the
/// "Up 5 seconds" text that changes every second.
fn fingerprint(s: &ContainerSummary) -> String {
    let status = s.status.as_deref().unwrap_or("");
    let health = [
        "(healthy)",
        "(unhealthy)",
        "(health: starting)",
        "(starting)",
    ]
    .into_iter()
    .find(|h| status.contains(h))
    .unwrap_or("");
    format!("{:?}|{health}", s.state)
}

async fn inspect(docker: &Docker, s: &ContainerSummary) -> ContainerInfo {
    let id = s.id.clone().unwrap_or_default();
    let labels = s.labels.clone().unwrap_or_default();
    let name = s
        .names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_owned())
        .unwrap_or_else(|| id.chars().take(12).collect());
    let mut info = ContainerInfo {
        id: id.clone(),
        name,
        project: labels.get("com.docker.compose.project").cloned(),
        service: labels.get("com.docker.compose.service").cloned(),
        number: labels
            .get("com.docker.compose.container-number")
            .and_then(|n| n.parse().ok()),
        state: s
            .state
            .as_ref()
            .map(|st| st.to_string())
            .unwrap_or_else(|| "unknown".into()),
        health: ContainerHealth::None,
        started_at: None,
        restarts: 0,
        image: s.image.clone().unwrap_or_default(),
        digest: s
            .image_id
            .as_ref()
            .map(|d| d.trim_start_matches("sha256:").chars().take(12).collect()),
        ports: s
            .ports
            .iter()
            .flatten()
            .map(|p| match p.public_port {
                Some(public) => format!("{public}->{}", p.private_port),
                None => p.private_port.to_string(),
            })
            .collect(),
        pid: None,
        host_network: false,
    };
    if let Ok(full) = docker.inspect_container(&id, None).await {
        info.restarts = full.restart_count.unwrap_or(0).max(0) as u32;
        info.host_network = full
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.as_deref())
            == Some("host");
        if let Some(state) = full.state {
            info.pid = state
                .pid
                .and_then(|p| u32::try_from(p).ok())
                .filter(|p| *p > 0);
            info.started_at = state
                .started_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            info.health = match state
                .health
                .and_then(|h| h.status)
                .map(|s| s.to_string())
                .as_deref()
            {
                Some("healthy") => ContainerHealth::Healthy,
                Some("unhealthy") => ContainerHealth::Unhealthy,
                Some("starting") => ContainerHealth::Starting,
                _ => ContainerHealth::None,
            };
        }
    }
    info
}
