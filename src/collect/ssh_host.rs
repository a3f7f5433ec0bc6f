//! One task per SSH host: connect (with the global cap), poll once per refresh, and on
//! loss reconnect with jittered exponential backoff, trying again at once when the
//! host's port answers so that a recovered host is back within seconds.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;

use super::command_status;
use super::remote::{PollState, parse_poll, poll_command};
use super::supervisor::Supervisor;
use crate::app::update::Update;
use crate::config::schema::ServiceKind;
use crate::model::{HostId, ServiceId};
use crate::transport::ssh::{SshError, SshTarget, connect};
use crate::transport::{CommandSpec, Target};

const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// How often a down host's port is knocked on while waiting out the backoff.
const KNOCK_EVERY: Duration = Duration::from_secs(1);

pub async fn run(sup: Supervisor, host: HostId, target: SshTarget, wake: Arc<Notify>) {
    let cfg = sup.config().find_host(&host).expect("host from config");
    let units: Vec<(ServiceId, String)> = cfg
        .services
        .iter()
        .filter(|s| s.kind == ServiceKind::Systemd)
        .filter_map(|s| {
            Some((
                ServiceId::new(&host, s.name.get_ref()),
                s.unit.as_ref()?.get_ref().clone(),
            ))
        })
        .collect();
    let unit_names: Vec<String> = units.iter().map(|(_, u)| u.clone()).collect();
    let default_timeout = sup.config().file.settings.command_timeout;
    let probes: Vec<(ServiceId, CommandSpec, Duration)> = cfg
        .services
        .iter()
        .filter(|s| s.kind == ServiceKind::Command)
        .filter_map(|s| {
            let status = s.status.as_ref()?;
            let timeout = s.timeout.unwrap_or(default_timeout).get();
            Some((
                ServiceId::new(&host, s.name.get_ref()),
                CommandSpec::from_config(status.get_ref()),
                timeout,
            ))
        })
        .collect();
    let refresh = sup.config().file.settings.refresh.get();
    let poll_timeout = (refresh * 3).clamp(Duration::from_secs(5), Duration::from_secs(15));
    let mut attempt: u32 = 0;
    loop {
        let connected = {
            let _slot = sup.connect_slot().await;
            connect(&target).await
        };
        let reason = match connected {
            Ok(conn) => {
                attempt = 0;
                let conn = Arc::new(conn);
                sup.transports().set_ssh(&host, Some(conn.clone()));
                tracing::info!(%host, "ssh connected");
                let mut state = PollState::default();
                let mut ticker = tokio::time::interval(refresh);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let reason = loop {
                    tokio::select! {
                        _ = ticker.tick() => {}
                        _ = sup.refresh_requested() => {}
                    }
                    match conn.run(&poll_command(&unit_names), poll_timeout).await {
                        Ok(out) => {
                            let at = Utc::now();
                            let result = parse_poll(&out.stdout, &mut state.prev_cpu, at);
                            let uptime = result.sample.uptime;
                            if !sup
                                .send(Update::HostSampled {
                                    host: host.clone(),
                                    sample: result.sample,
                                })
                                .await
                            {
                                return;
                            }
                            for (id, unit) in &units {
                                let status = result
                                    .units
                                    .iter()
                                    .find(|u| &u.id == unit || u.id == format!("{unit}.service"));
                                let Some(status) = status else { continue };
                                let cpu = state.unit_cpu.percent(status, at);
                                let observation = status.observation(at, uptime, cpu);
                                if !sup
                                    .send(Update::ServiceObserved {
                                        service: id.clone(),
                                        observation,
                                    })
                                    .await
                                {
                                    return;
                                }
                            }
                        }
                        Err(e) if conn.is_alive().await => {
                            tracing::warn!(%host, "poll failed: {e}")
                        }
                        Err(e) => break format!("connection lost ({e})"),
                    }
                    let target = Target::Ssh(host.clone());
                    let transports = sup.transports();
                    let observations =
                        futures::future::join_all(probes.iter().map(|(id, spec, timeout)| {
                            let target = &target;
                            async move {
                                (
                                    id.clone(),
                                    command_status::probe(target, transports, spec, *timeout).await,
                                )
                            }
                        }))
                        .await;
                    for (service, observation) in observations {
                        if !sup
                            .send(Update::ServiceObserved {
                                service,
                                observation,
                            })
                            .await
                        {
                            return;
                        }
                    }
                };
                sup.transports().set_ssh(&host, None);
                reason
            }
            Err(SshError::UnknownHostKey {
                host: name,
                fingerprint,
                key_lines,
            }) => {
                let e = SshError::UnknownHostKey {
                    host: name,
                    fingerprint: fingerprint.clone(),
                    key_lines: key_lines.clone(),
                };
                if !sup
                    .send(Update::HostKeyUnknown {
                        host: host.clone(),
                        fingerprint,
                        key_lines,
                    })
                    .await
                {
                    return;
                }
                e.to_string()
            }
            Err(e) => e.to_string(),
        };
        tracing::warn!(%host, "unreachable: {reason}");
        if !sup
            .send(Update::HostUnreachable {
                host: host.clone(),
                reason,
            })
            .await
        {
            return;
        }
        wait_to_retry(&target, attempt, &wake).await;
        attempt = attempt.saturating_add(1);
    }
}

/// Exponential backoff from 0.5 s, ±20 % jitter, capped at 30 s.
pub fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let base = 0.5 * 2f64.powi(attempt.min(16) as i32);
    let jittered = base * (0.8 + 0.4 * jitter.clamp(0.0, 1.0));
    Duration::from_secs_f64(jittered.min(BACKOFF_CAP.as_secs_f64()))
}

async fn wait_to_retry(target: &SshTarget, attempt: u32, wake: &Notify) {
    let delay = backoff_delay(attempt, random_unit());
    let deadline = tokio::time::Instant::now() + delay;
    let port = target.port.unwrap_or(22);
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return;
        }
        let nap = KNOCK_EVERY.min(deadline - now);
        tokio::select! {
            _ = wake.notified() => return,
            _ = tokio::time::sleep(nap) => {}
        }
        // Knocking is a TCP connect only: cheap for the host, and it ends the wait early.
        let knock = tokio::net::TcpStream::connect((target.destination.as_str(), port));
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), knock).await {
            return;
        }
    }
}

fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (h.finish() % 10_000) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_delay(0, 0.5), Duration::from_millis(500));
        assert_eq!(backoff_delay(3, 0.5), Duration::from_secs(4));
        assert_eq!(backoff_delay(20, 1.0), Duration::from_secs(30));
        assert_eq!(backoff_delay(5, 0.0), Duration::from_secs_f64(12.8));
    }
}
