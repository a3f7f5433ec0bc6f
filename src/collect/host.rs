//! One task per host with a shell, local or SSH — the same probe loop for both: open the
//! host (SSH: a master connection, within the global cap), read it once per refresh —
//! resources, its systemd units and its `command` services' status probes — and when it is
//! lost, report why and reconnect with jittered exponential backoff, trying again at once
//! when the host's port answers so that a recovered host is back within seconds. A host
//! logged in in the terminal whose master is gone, and that BatchMode cannot get into,
//! says it needs a login and waits for one instead.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

pub use super::backoff::backoff_delay;
use super::backoff::random_unit;
use super::command_status;
use super::context::Context;
use super::discover::discovered_units;
use super::host_metrics::LocalSampler;
use super::remote::{END_MARK, PollState, parse_poll, poll_command_with, poll_loop_command};
use super::systemd::{CpuTracker, PROPERTIES, UnitStatus, parse_show};
use crate::config::schema::{ServiceKind, TransportKind};
use crate::model::{HostId, HostSample, ServiceId};
use crate::protocol::Update;
use crate::transport::ssh::{RecordStream, SshConnection, SshError, SshTarget, connect};
use crate::transport::{CommandSpec, Target, local};

/// `OPSDECK_TEST_PANIC=collector`: the first host loop panics once, to prove the restart.
static PANICKED_ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How often a down host's port is knocked on while waiting out the backoff.
const KNOCK_EVERY: Duration = Duration::from_secs(1);

/// What is read from one host each round, from the config.
struct Plan {
    refresh: Duration,
    /// `metrics = "prometheus"`: the readings' resource figures are not reported (the
    /// Prometheus collector reports them), only that the host answered.
    metrics_elsewhere: bool,
    poll_timeout: Duration,
    /// Systemd services and their units.
    units: Vec<(ServiceId, String)>,
    /// `command` services' status probes with their timeouts; `None` when the probe is not
    /// run because the host is read-only and the probe is not marked `read_only_safe`.
    probes: Vec<(ServiceId, Option<CommandSpec>, Duration)>,
    /// `discover` names `systemd`: the host's units are listed on the same round trip.
    discover_units: bool,
}

impl Plan {
    fn of(ctx: &Context, host: &HostId) -> Option<Plan> {
        let config = ctx.config();
        let cfg = config.find_host(host)?;
        let settings = &config.file.settings;
        let refresh = settings.refresh.get().max(Duration::from_millis(200));
        let id = |name: &str| ServiceId::new(host, name);
        Some(Plan {
            refresh,
            metrics_elsewhere: *cfg.metrics.get_ref()
                == crate::config::monitoring::MetricsSource::Prometheus,
            poll_timeout: (refresh * 3).clamp(Duration::from_secs(5), Duration::from_secs(15)),
            units: cfg
                .services
                .iter()
                .filter(|s| s.kind == ServiceKind::Systemd)
                .filter_map(|s| Some((id(s.name.get_ref()), s.unit.as_ref()?.get_ref().clone())))
                .collect(),
            probes: cfg
                .services
                .iter()
                .filter(|s| s.kind == ServiceKind::Command)
                .filter_map(|s| {
                    let timeout = s
                        .timeout
                        .as_ref()
                        .unwrap_or(&settings.command_timeout)
                        .get();
                    let status = CommandSpec::from_config(s.status.as_ref()?.get_ref());
                    let allowed = !config.read_only(cfg) || s.read_only_safe;
                    Some((id(s.name.get_ref()), allowed.then_some(status), timeout))
                })
                .collect(),
            discover_units: cfg.discovers(crate::config::schema::DiscoverKind::Systemd),
        })
    }

    fn unit_names(&self) -> Vec<String> {
        self.units.iter().map(|(_, u)| u.clone()).collect()
    }
}

/// An open host: this machine, or an SSH master with its stream of readings.
enum Link {
    Local(Option<LocalSampler>),
    Ssh {
        conn: Arc<SshConnection>,
        state: PollState,
        /// The host reading itself every refresh on one long-lived channel.
        readings: Option<Box<RecordStream>>,
    },
}

/// One round's reading of a host.
struct Reading {
    sample: HostSample,
    units: Vec<UnitStatus>,
    /// Discovery's candidates, when the plan asks for them.
    discovered: Vec<UnitStatus>,
}

enum Round {
    Read(Reading),
    /// The command failed but the host is there: try again next round.
    Skipped(String),
    Lost(String),
}

pub async fn run(ctx: Context, host: HostId) {
    let Some(plan) = Plan::of(&ctx, &host) else {
        return;
    };
    let Some(transport) = ctx.config().find_host(&host).map(|h| h.transport) else {
        return;
    };
    let ssh_target = match transport {
        TransportKind::Ssh => match ctx.ssh_target(&host) {
            Some(t) => Some(t),
            None => return,
        },
        TransportKind::Local => None,
        // Nothing to connect to: its services are observed by their HTTP checks.
        TransportKind::Http => return,
    };
    let mut attempt: u32 = 0;
    loop {
        let opened = match &ssh_target {
            None => Ok(Link::Local(Some(LocalSampler::default()))),
            Some(target) => open_ssh(&ctx, &host, target).await,
        };
        let reason = match opened {
            Ok(mut link) => {
                attempt = 0;
                let lost = rounds(&ctx, &host, &plan, &mut link).await;
                if let Link::Ssh { .. } = link {
                    ctx.transports().set_ssh(&host, None);
                }
                match lost {
                    Some(reason) => reason,
                    None => return,
                }
            }
            Err(Failure::Lost(reason)) => reason,
            Err(Failure::NeedsLogin(reason)) => {
                // BatchMode cannot get in and trying again will not change that: wait for
                // the operator's login (`I`), which wakes this loop.
                tracing::warn!(%host, "needs login: {reason}");
                let update = Update::HostNeedsLogin {
                    host: host.clone(),
                    reason,
                };
                if !ctx.send(update).await {
                    return;
                }
                ctx.woken(&host).await;
                attempt = 0;
                continue;
            }
            Err(Failure::Gone) => return,
        };
        tracing::warn!(%host, "unreachable: {reason}");
        if !ctx
            .send(Update::HostUnreachable {
                host: host.clone(),
                reason,
            })
            .await
        {
            return;
        }
        wait_to_retry(&ctx, &host, ssh_target.as_ref(), attempt).await;
        attempt = attempt.saturating_add(1);
    }
}

/// Why a host could not be opened.
enum Failure {
    Lost(String),
    /// A host logged in in the terminal that BatchMode cannot get into.
    NeedsLogin(String),
    /// The app has gone.
    Gone,
}

/// Connects the master (an interactive host's: attaches to its login's master).
async fn open_ssh(ctx: &Context, host: &HostId, target: &SshTarget) -> Result<Link, Failure> {
    let connected = {
        let _slot = ctx.connect_slot().await;
        connect(target).await
    };
    match connected {
        Ok(conn) => {
            let conn = Arc::new(conn);
            ctx.transports().set_ssh(host, Some(conn.clone()));
            tracing::info!(%host, "ssh connected");
            Ok(Link::Ssh {
                conn,
                state: PollState::default(),
                readings: None,
            })
        }
        Err(SshError::UnknownHostKey {
            host: name,
            fingerprint,
            key_lines,
        }) => {
            let reason = SshError::UnknownHostKey {
                host: name,
                fingerprint: fingerprint.clone(),
                key_lines: key_lines.clone(),
            }
            .to_string();
            let sent = ctx
                .send(Update::HostKeyUnknown {
                    host: host.clone(),
                    fingerprint,
                    key_lines,
                })
                .await;
            Err(if sent {
                Failure::Lost(reason)
            } else {
                Failure::Gone
            })
        }
        Err(SshError::AuthFailed(e)) if target.login_socket.is_some() => {
            Err(Failure::NeedsLogin(ctx.logins().failure(host).unwrap_or(e)))
        }
        Err(e) => Err(Failure::Lost(e.to_string())),
    }
}

/// Reads the host every refresh until it is lost (the reason) or the app has gone (`None`).
async fn rounds(ctx: &Context, host: &HostId, plan: &Plan, link: &mut Link) -> Option<String> {
    let target = match link {
        Link::Local(_) => Target::Local,
        Link::Ssh { .. } => Target::Ssh(host.clone()),
    };
    let unit_names = plan.unit_names();
    let mut unit_cpu = CpuTracker::default();
    let mut ticker = tokio::time::interval(plan.refresh);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let round = match link {
            Link::Local(_) => {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = ctx.refresh_requested() => {}
                }
                read(link, &unit_names, plan.discover_units, plan.poll_timeout).await
            }
            Link::Ssh { .. } => next_remote(ctx, plan, &unit_names, link).await,
        };
        if std::env::var_os("OPSDECK_TEST_PANIC").is_some_and(|v| v == "collector")
            && !PANICKED_ONCE.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            panic!("deliberate panic in a collector (OPSDECK_TEST_PANIC=collector)");
        }
        match round {
            Round::Read(reading) => {
                let at = reading.sample.at;
                let uptime = reading.sample.uptime;
                let sampled = if plan.metrics_elsewhere {
                    Update::HostReached { host: host.clone() }
                } else {
                    Update::HostSampled {
                        host: host.clone(),
                        sample: reading.sample,
                    }
                };
                if !ctx.send(sampled).await {
                    return None;
                }
                for (id, unit) in &plan.units {
                    let found = reading
                        .units
                        .iter()
                        .find(|u| &u.id == unit || u.id == format!("{unit}.service"));
                    let Some(status) = found else { continue };
                    let cpu = unit_cpu.percent(status, at);
                    let observation = status.observation(at, uptime, cpu);
                    let observed = Update::ServiceObserved {
                        service: id.clone(),
                        observation,
                    };
                    if !ctx.send(observed).await {
                        return None;
                    }
                }
                if plan.discover_units {
                    let units = discovered_units(&reading.discovered, &unit_names, at, uptime);
                    let found = Update::UnitsDiscovered {
                        host: host.clone(),
                        units,
                    };
                    if !ctx.send(found).await {
                        return None;
                    }
                }
            }
            Round::Skipped(why) => tracing::warn!(%host, "poll failed: {why}"),
            Round::Lost(reason) => return Some(reason),
        }
        let transports = ctx.transports();
        let observations =
            futures::future::join_all(plan.probes.iter().map(|(id, spec, timeout)| {
                let target = &target;
                async move {
                    let observation = match spec {
                        Some(spec) => {
                            command_status::probe(target, transports, spec, *timeout).await
                        }
                        None => command_status::not_probed(),
                    };
                    (id.clone(), observation)
                }
            }))
            .await;
        for (service, observation) in observations {
            if !ctx
                .send(Update::ServiceObserved {
                    service,
                    observation,
                })
                .await
            {
                return None;
            }
        }
    }
}

async fn read(link: &mut Link, units: &[String], discover: bool, timeout: Duration) -> Round {
    match link {
        Link::Local(slot) => {
            let mut sampler = slot.take().unwrap_or_default();
            let sampled = tokio::task::spawn_blocking(move || {
                let r = sampler.sample();
                (sampler, r)
            })
            .await;
            let sample = match sampled {
                Ok((sampler, r)) => {
                    *slot = Some(sampler);
                    match r {
                        Ok(s) => s,
                        Err(e) => return Round::Lost(format!("cannot read /proc: {e}")),
                    }
                }
                Err(e) => return Round::Skipped(format!("sampling thread: {e}")),
            };
            let units = if units.is_empty() {
                vec![]
            } else {
                let show = CommandSpec::argv(
                    ["systemctl", "show", "--no-pager", "-p", PROPERTIES, "--"]
                        .into_iter()
                        .map(str::to_owned)
                        .chain(units.iter().cloned()),
                );
                match local::run(&show, timeout).await {
                    Ok(out) => parse_show(&out.stdout),
                    Err(e) => {
                        tracing::warn!("systemctl show: {e}");
                        vec![]
                    }
                }
            };
            let discovered = if discover {
                local_discovery(timeout).await
            } else {
                vec![]
            };
            Round::Read(Reading {
                sample,
                units,
                discovered,
            })
        }
        Link::Ssh { conn, state, .. } => {
            match conn.run(&poll_command_with(units, discover), timeout).await {
                Ok(out) => {
                    let result = parse_poll(&out.stdout, &mut state.prev_cpu, Utc::now());
                    Round::Read(Reading {
                        sample: result.sample,
                        units: result.units,
                        discovered: result.discovered,
                    })
                }
                Err(e) if conn.is_alive().await => Round::Skipped(e.to_string()),
                Err(e) => Round::Lost(format!("connection lost ({e})")),
            }
        }
    }
}

/// The next reading of an SSH host: the one its stream brings, or one read now when the
/// operator asks for a refresh. A stream that stops is started again while the master
/// answers; when it does not, the host is lost.
async fn next_remote(ctx: &Context, plan: &Plan, units: &[String], link: &mut Link) -> Round {
    let Link::Ssh {
        conn,
        state,
        readings,
    } = link
    else {
        unreachable!("called for SSH links")
    };
    if readings.is_none() {
        let command = poll_loop_command(units, plan.refresh, plan.discover_units);
        match conn.record_stream(&command, END_MARK).await {
            Ok(stream) => *readings = Some(Box::new(stream)),
            Err(e) if conn.is_alive().await => {
                tokio::time::sleep(plan.refresh).await;
                return Round::Skipped(format!("cannot start the poll stream ({e})"));
            }
            Err(e) => return Round::Lost(format!("connection lost ({e})")),
        }
    }
    let quiet = plan.refresh + plan.poll_timeout;
    let stream = readings.as_mut().expect("started above");
    let record = tokio::select! {
        r = stream.next(quiet) => r,
        _ = ctx.refresh_requested() => return read(link, units, plan.discover_units, plan.poll_timeout).await,
    };
    match record {
        Ok(Some(text)) => {
            let result = parse_poll(&text, &mut state.prev_cpu, Utc::now());
            Round::Read(Reading {
                sample: result.sample,
                units: result.units,
                discovered: result.discovered,
            })
        }
        ended => {
            *readings = None;
            let why = match ended {
                Err(e) => format!("poll stream failed ({e})"),
                _ => "poll stream ended".to_owned(),
            };
            if conn.is_alive().await {
                // Give a host that ends the stream at once a moment before the next.
                tokio::time::sleep(plan.refresh).await;
                Round::Skipped(why)
            } else {
                Round::Lost(format!("connection lost ({why})"))
            }
        }
    }
}

/// This machine's discovery candidates; none when systemd does not answer.
async fn local_discovery(timeout: Duration) -> Vec<UnitStatus> {
    let script = super::discover::units::discovery_script("@@opsdeck:");
    match local::run(
        &CommandSpec::argv(["sh".to_owned(), "-c".to_owned(), script]),
        timeout,
    )
    .await
    {
        Ok(out) => parse_show(&out.stdout),
        Err(e) => {
            tracing::warn!("systemd discovery: {e}");
            vec![]
        }
    }
}

async fn wait_to_retry(ctx: &Context, host: &HostId, target: Option<&SshTarget>, attempt: u32) {
    let delay = backoff_delay(attempt, random_unit());
    let deadline = tokio::time::Instant::now() + delay;
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return;
        }
        let nap = KNOCK_EVERY.min(deadline - now);
        tokio::select! {
            _ = ctx.woken(host) => return,
            _ = tokio::time::sleep(nap) => {}
        }
        // Knocking is a TCP connect only: cheap for the host, and it ends the wait early.
        let Some(target) = target else { continue };
        let port = target.port.unwrap_or(22);
        let knock = tokio::net::TcpStream::connect((target.destination.as_str(), port));
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), knock).await {
            return;
        }
    }
}
