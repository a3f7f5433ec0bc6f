//! Containers' resource use every cycle: the kernel's cgroup counters of every running
//! container in one command on the engine's machine (free for the engine), and one-shot
//! stats from the engine — staggered, a few a second at most — only for what the counters
//! cannot tell (an engine reached over tcp://, cgroups that cannot be read).

use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::StatsOptions;
use chrono::Utc;
use futures::StreamExt;
use tokio::sync::watch;

use super::cgroups;
use super::context::Context;
use crate::model::HostId;
use crate::model::container::ContainerSample;
use crate::protocol::Update;
use crate::transport::Target;

/// One-shot stats requests per second per engine, at most (podman spends ~0.4 % of a core
/// per request/s): 80 containers are then read every 20 s instead of every 5 s.
const STATS_PER_SECOND: f64 = 4.0;
const COUNTERS_TIMEOUT: Duration = Duration::from_secs(10);

/// A running container as the inventory last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningContainer {
    pub id: String,
    pub pid: Option<u32>,
    pub host_network: bool,
}

/// Reads every running container once per `every`.
pub async fn poll(
    ctx: Context,
    host: HostId,
    docker: Docker,
    running: watch::Receiver<Vec<RunningContainer>>,
    every: Duration,
    counters: Option<Target>,
) {
    loop {
        let started = tokio::time::Instant::now();
        let batch = running.borrow().clone();
        let mut left: Vec<String> = batch.iter().map(|c| c.id.clone()).collect();
        if let Some(target) = &counters {
            let counted: Vec<cgroups::Counted> = batch
                .iter()
                .filter_map(|c| {
                    Some(cgroups::Counted {
                        pid: c.pid?,
                        id: c.id.clone(),
                        own_network: !c.host_network,
                    })
                })
                .collect();
            if !counted.is_empty() {
                let read = ctx
                    .transports()
                    .run_streaming(target, &cgroups::command(&counted), COUNTERS_TIMEOUT, None)
                    .await;
                // What cannot be read this way (not readable here, another pid namespace)
                // is asked of the engine below.
                if let Ok(out) = read {
                    let found = cgroups::parse(&out.stdout, Utc::now());
                    for c in &counted {
                        let Some(sample) = found.get(&c.pid) else {
                            continue;
                        };
                        let id = &c.id;
                        left.retain(|l| l != id);
                        if !send(&ctx, &host, id, *sample).await {
                            return;
                        }
                    }
                }
            }
        }
        if !left.is_empty() && !from_engine(&ctx, &host, &docker, &left, every).await {
            return;
        }
        tokio::time::sleep_until(started + every).await;
    }
}

async fn send(ctx: &Context, host: &HostId, id: &str, sample: ContainerSample) -> bool {
    ctx.send(Update::ContainerStats {
        host: host.clone(),
        id: id.to_owned(),
        sample,
    })
    .await
}

/// One-shot stats of `ids`, spread over `every` and at most STATS_PER_SECOND: a host with
/// many containers gets a longer cycle instead of a busier engine. False once the app has
/// gone.
async fn from_engine(
    ctx: &Context,
    host: &HostId,
    docker: &Docker,
    ids: &[String],
    every: Duration,
) -> bool {
    let gap = (every / ids.len() as u32).max(Duration::from_secs_f64(1.0 / STATS_PER_SECOND));
    for id in ids {
        let started = tokio::time::Instant::now();
        let opts = StatsOptions {
            stream: false,
            one_shot: true,
        };
        let reading =
            tokio::time::timeout(Duration::from_secs(5), docker.stats(id, Some(opts)).next()).await;
        if let Ok(Some(Ok(s))) = reading
            && !send(ctx, host, id, sample_of(&s)).await
        {
            return false;
        }
        tokio::time::sleep_until(started + gap).await;
    }
    true
}

fn sample_of(s: &bollard::models::ContainerStatsResponse) -> ContainerSample {
    let cpu_ns = s
        .cpu_stats
        .as_ref()
        .and_then(|c| c.cpu_usage.as_ref())
        .and_then(|u| u.total_usage)
        .unwrap_or(0);
    let mem = s.memory_stats.as_ref();
    let (rx, tx) = s.networks.iter().flatten().fold((0, 0), |(r, t), (_, n)| {
        (r + n.rx_bytes.unwrap_or(0), t + n.tx_bytes.unwrap_or(0))
    });
    let (read, write) = s
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref())
        .into_iter()
        .flatten()
        .fold((0, 0), |(r, w), e| {
            match e.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("read") => (r + e.value.unwrap_or(0), w),
                Some("write") => (r, w + e.value.unwrap_or(0)),
                _ => (r, w),
            }
        });
    ContainerSample {
        // Our own clock: podman's one-shot stats carry no previous reading to diff against.
        at: Utc::now(),
        cpu_ns,
        mem_bytes: mem.and_then(|m| m.usage).unwrap_or(0),
        mem_limit: mem.and_then(|m| m.limit).unwrap_or(0),
        rx_bytes: rx,
        tx_bytes: tx,
        blk_read: read,
        blk_write: write,
    }
}
