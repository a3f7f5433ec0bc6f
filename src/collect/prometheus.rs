//! The Prometheus collector: one task for the whole fleet. Every refresh it asks the
//! node-exporter queries once (all `metrics = "prometheus"` hosts in the same answers) and
//! each distinct service expression once. When Prometheus does not answer, it says so
//! (the data it feeds turns stale) and asks again with jittered backoff — but it knocks on
//! Prometheus' port every refresh meanwhile, so that a Prometheus that is back is read
//! again within a refresh.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;

use super::context::Context;
use super::host::backoff_delay;
use crate::config::Config;
use crate::config::monitoring::MetricsSource;
use crate::model::HostId;
use crate::monitor::host_metrics::{self, default_instance};
use crate::monitor::values::{self, ValueSpec};
use crate::monitor::{PromClient, PromError};
use crate::protocol::{MonitorRead, MonitorUpdate, Update};

/// What one refresh asks, from the config.
pub struct Plan {
    pub client: PromClient,
    pub refresh: Duration,
    pub label: String,
    pub window: Duration,
    /// Instance label value → host.
    pub instances: HashMap<String, HostId>,
    pub values: Vec<ValueSpec>,
}

impl Plan {
    /// `None` when nothing reads from Prometheus (or it is not configured).
    pub fn of(config: &Config) -> Option<Result<Plan, PromError>> {
        let m = &config.file.monitoring;
        let url = m.prometheus_url()?;
        let instances: HashMap<String, HostId> = config
            .file
            .hosts
            .iter()
            .filter(|h| *h.metrics.get_ref() == MetricsSource::Prometheus)
            .map(|h| {
                let inst = default_instance(
                    h.instance.as_ref().map(|i| i.get_ref().as_str()),
                    h.address.as_ref().map(|a| a.get_ref().as_str()),
                    h.name.get_ref(),
                );
                (inst, HostId::new(h.name.get_ref()))
            })
            .collect();
        let values = ValueSpec::all(config);
        if instances.is_empty() && values.is_empty() {
            return None;
        }
        let refresh = m
            .refresh
            .as_ref()
            .unwrap_or(&config.file.settings.refresh)
            .get()
            .max(Duration::from_millis(200));
        Some(PromClient::new(url, m.timeout.get()).map(|client| Plan {
            client,
            refresh,
            label: m.instance_label.get_ref().clone(),
            window: m.rate_window.get(),
            instances,
            values,
        }))
    }

    /// One refresh: every query at once.
    pub async fn read(&self) -> Result<MonitorRead, PromError> {
        let hosts = async {
            if self.instances.is_empty() {
                return Ok(None);
            }
            host_metrics::fetch(&self.client, &self.label, self.window)
                .await
                .map(Some)
        };
        let vals = values::fetch(&self.client, &self.values);
        let (hosts, vals) = tokio::join!(hosts, vals);
        // A failed host query is Prometheus down; a failed value query is that value's.
        let mut read = MonitorRead {
            at: Utc::now(),
            ..MonitorRead::default()
        };
        if let Some(results) = hosts? {
            let mut found = host_metrics::split(results, &self.label, &self.instances);
            for (inst, host) in &self.instances {
                match found.remove(host) {
                    Some(sample) => read.hosts.push((host.clone(), sample)),
                    None => read.missing.push((
                        host.clone(),
                        format!(
                            "Prometheus has no node-exporter series with {}=\"{inst}\"",
                            self.label
                        ),
                    )),
                }
            }
        }
        if !self.values.is_empty()
            && let Some(Err(e)) = vals.iter().find(|v| v.is_err())
            && vals.iter().all(|v| v.is_err())
            && e.starts_with("Prometheus unreachable")
        {
            return Err(PromError::Unreachable {
                url: self.client.base().to_owned(),
                reason: e.clone(),
            });
        }
        read.values = self
            .values
            .iter()
            .zip(vals)
            .map(|(s, v)| (s.service.clone(), s.name.clone(), v))
            .collect();
        Ok(read)
    }
}

pub async fn run(ctx: Context) {
    let plan = match Plan::of(ctx.config()) {
        None => return,
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            let _ = ctx
                .send(Update::Monitor(MonitorUpdate::Down {
                    reason: e.to_string(),
                    retry_in: Duration::MAX,
                }))
                .await;
            return;
        }
    };
    let mut ticker = tokio::time::interval(plan.refresh);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failures: u32 = 0;
    loop {
        match plan.read().await {
            Ok(read) => {
                failures = 0;
                if !ctx
                    .send(Update::Monitor(MonitorUpdate::Read(Box::new(read))))
                    .await
                {
                    return;
                }
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = ctx.refresh_requested() => {}
                }
            }
            Err(e) => {
                let retry_in = backoff_delay(failures, jitter());
                failures = failures.saturating_add(1);
                tracing::warn!("prometheus: {e}; again in {retry_in:?}");
                if !ctx
                    .send(Update::Monitor(MonitorUpdate::Down {
                        reason: e.to_string(),
                        retry_in,
                    }))
                    .await
                {
                    return;
                }
                wait_to_retry(&ctx, &plan, retry_in).await;
                ticker.reset();
            }
        }
    }
}

/// Waits out the backoff, ending early when Prometheus' port accepts a connection (checked
/// every refresh) or the operator asks for a refresh.
async fn wait_to_retry(ctx: &Context, plan: &Plan, delay: Duration) {
    let deadline = tokio::time::Instant::now() + delay;
    let addr = knock_address(plan.client.base());
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(plan.refresh.min(deadline - now)) => {}
            _ = ctx.refresh_requested() => return,
        }
        let Some((host, port)) = &addr else { continue };
        let knock = tokio::net::TcpStream::connect((host.as_str(), *port));
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), knock).await {
            return;
        }
    }
}

/// Host and port of an `http://host:port/…` URL.
fn knock_address(base: &str) -> Option<(String, u16)> {
    let (scheme, rest) = base.split_once("://")?;
    let authority = rest.split('/').next()?;
    let default = if scheme == "https" { 443 } else { 80 };
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => match p.parse() {
            Ok(port) => Some((h.trim_matches(['[', ']']).to_owned(), port)),
            Err(_) => Some((authority.to_owned(), default)),
        },
        _ => Some((authority.trim_matches(['[', ']']).to_owned(), default)),
    }
}

fn jitter() -> f64 {
    (Utc::now().timestamp_subsec_nanos() % 10_000) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knocks_on_the_urls_port() {
        assert_eq!(
            knock_address("http://10.77.0.13:9090"),
            Some(("10.77.0.13".into(), 9090))
        );
        assert_eq!(
            knock_address("https://prom.example/x"),
            Some(("prom.example".into(), 443))
        );
    }
}
