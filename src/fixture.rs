//! A fixed, seed-shaped fleet for snapshot tests, benchmarks and screenshots: the real
//! config parser and reducer fed with deterministic readings and a pinned clock.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use crate::app::reducer::{Msg, update};
use crate::app::state::State;
use crate::config::{self, Config};
use crate::model::{
    CheckId, CheckResult, DiskUsage, HostId, HostSample, RunState, ServiceId, ServiceObservation,
    Verdict,
};
use crate::protocol::Update;

pub const FLEET_TOML: &str = include_str!("../examples/fleet.toml");

/// 2026-11-25 09:41:07 UTC.
pub fn clock() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 41, 7).unwrap()
}

pub fn config() -> Config {
    config::parse(Path::new("examples/fleet.toml"), FLEET_TOML)
        .expect("examples/fleet.toml is valid")
}

pub fn themes() -> Vec<String> {
    crate::ui::theme::Theme::builtin_names()
        .map(str::to_owned)
        .collect()
}

/// The fleet after a few minutes of readings; one host unreachable, one service down.
pub fn state(config: &Config, size: (u16, u16)) -> State {
    let now = clock();
    let mut state = State::new(config, false, themes(), 0, now);
    state.size = size;
    let hosts: Vec<HostId> = state.hosts.iter().map(|h| h.id.clone()).collect();
    for (h, host) in hosts.iter().enumerate() {
        if host.as_str() == "epagal" {
            let reason = "ssh: connect to 10.77.0.11 port 22: connection refused".to_owned();
            update(
                &mut state,
                config,
                Msg::Update(Update::HostUnreachable {
                    host: host.clone(),
                    reason,
                }),
            );
            continue;
        }
        for i in 0..120u64 {
            let sample = sample(
                now - chrono::Duration::seconds(2 * (120 - i as i64)),
                h as u64,
                i,
            );
            update(
                &mut state,
                config,
                Msg::Update(Update::HostSampled {
                    host: host.clone(),
                    sample,
                }),
            );
        }
    }
    let services: Vec<ServiceId> = state
        .hosts
        .iter()
        .flat_map(|h| h.services.iter().map(|s| s.id.clone()))
        .collect();
    for (i, id) in services.into_iter().enumerate() {
        if id.host.as_str() == "epagal" {
            continue;
        }
        let (state_, detail) = match &*id.name {
            "mlflow" => (RunState::Stopped, "Exited (137) 3 minutes ago"),
            "analytics_service" => (RunState::Degraded, "1/2 running"),
            "api" => (RunState::Running, "2/2 running"),
            _ => (RunState::Running, "active (running)"),
        };
        let observation = ServiceObservation {
            at: now - chrono::Duration::seconds(1),
            state: state_,
            detail: detail.to_owned(),
            uptime: (state_ == RunState::Running)
                .then(|| Duration::from_secs(3600 * (i as u64 + 1) + 60 * i as u64)),
            cpu_percent: (state_ == RunState::Running).then_some((i * 7 % 40) as f64 + 0.5),
            mem_bytes: (state_ == RunState::Running).then_some((64 + 37 * i as u64) << 20),
        };
        update(
            &mut state,
            config,
            Msg::Update(Update::ServiceObserved {
                service: id,
                observation,
            }),
        );
    }
    let checks: Vec<CheckId> = state
        .hosts
        .iter()
        .flat_map(|h| h.services.iter())
        .flat_map(|s| s.checks.iter().map(|c| c.id.clone()))
        .collect();
    for id in checks {
        for i in 0..24u64 {
            update(
                &mut state,
                config,
                Msg::Update(Update::CheckResult {
                    result: check_result(&id, i, now),
                    check: id.clone(),
                }),
            );
        }
    }
    backups(&mut state, config);
    deploys(&mut state);
    state
}

/// What changed lately: gamelera's backend went to v2 40 minutes ago, and a deploy of v3
/// failed its gate 12 minutes ago and was rolled back; preventia's api moved yesterday.
pub fn deploys(state: &mut State) {
    use crate::action::deploys::DeployEvent;
    let now = clock();
    let event = |service: &str, mins: i64, from: &str, to: &str, result: &str, back: bool, ms| {
        DeployEvent {
            service: service.into(),
            kind: "deploy".into(),
            at: now - chrono::Duration::minutes(mins),
            user: "ana from 10.0.0.7".into(),
            from: Some(from.into()),
            to: Some(to.into()),
            result: result.into(),
            rolled_back: back,
            duration_ms: Some(ms),
        }
    };
    // Another opsdeck is deploying gamelera's backend right now.
    if let Some(svc) = crate::model::ServiceId::parse("gamelera/backend") {
        state.locks.insert(
            svc,
            Ok(Some(
                "luis from 10.0.0.9 at 2026-11-25 09:40:51 UTC: deploy gamelera/backend v4 (action 2) (opsdeck pid 4242)".into(),
            )),
        );
    }
    // gamelera's backend has three image tags on its engine, v2 running.
    if let Some(svc) = crate::model::ServiceId::parse("gamelera/backend") {
        state.versions.insert(
            svc,
            Ok(crate::action::deploys::Versions {
                available: vec!["v1".into(), "v2".into(), "v3".into()],
                running: Some("v2".into()),
            }),
        );
    }
    state.deploy_history = vec![
        event(
            "preventia/api",
            26 * 60,
            "v1",
            "v2",
            "succeeded",
            false,
            4_100,
        ),
        event(
            "gamelera/backend",
            40,
            "v1",
            "v2",
            "succeeded",
            false,
            3_200,
        ),
        event("gamelera/backend", 12, "v2", "v3", "failed", true, 23_100),
    ];
}

/// Listings of the fixture's backup sets, through the real grouping and evaluation:
/// gamelera's newest is under half the one before it, epagal cannot be listed (its host is
/// down), triboka's newest is 30 h old (stale), preventia's have three parts each.
pub fn backups(state: &mut State, config: &Config) {
    use crate::backup::listing::{Entry, parse_local};
    use crate::backup::{Layout, Offsite, SetStatus};
    let now = clock();
    for set in &config.file.backups {
        let name = set.name.get_ref().clone();
        let (hours, files): (i64, &[(&str, &str, u64)]) = match name.as_str() {
            "gamelera-mongodb" => (2, &[("/tmp/bovine-backups", "mongodb-", 180_000)]),
            "triboka-sqlite" => (30, &[("/home/rootpanel/backups", "triboka_backup_", 9_400)]),
            "preventia-db" => (
                4,
                &[
                    ("/backups/database", "db_", 2_400_000),
                    ("/backups/files", "exports_", 310_000),
                    ("/backups/configs", "config_", 4_100),
                ],
            ),
            _ => {
                let result = Err("cannot reach the host: epagal is not connected".to_owned());
                update(
                    state,
                    config,
                    Msg::Update(Update::BackupsListed { set: name, result }),
                );
                continue;
            }
        };
        let mut listing = String::new();
        let mut offsite = Vec::new();
        for day in 0..6i64 {
            let at = now - chrono::Duration::hours(hours + 24 * day);
            let key = at.format("%Y%m%d_%H%M%S");
            for (dir, prefix, size) in files {
                let ext = if prefix.starts_with("db_") {
                    "dump"
                } else {
                    "tar.gz"
                };
                // gamelera's newest is a fifth of the usual size.
                let size = if day == 0 && name == "gamelera-mongodb" {
                    size / 5
                } else {
                    *size
                };
                let file = format!("{prefix}{key}.{ext}");
                listing.push_str(&format!("{dir}\t{size}\t{}\t{file}\n", at.timestamp()));
                if name == "gamelera-mongodb" && day > 0 {
                    offsite.push(Entry {
                        path: format!("mongodb/{file}"),
                        name: file.clone(),
                        size,
                        mtime: at,
                    });
                }
            }
        }
        let layout = Layout::of(set);
        let backups = layout.group(&parse_local(&listing).entries, &offsite);
        let off = if set.offsite.is_some() {
            Offsite::Listed(offsite.len())
        } else {
            Offsite::NotConfigured
        };
        let status = SetStatus::evaluate(
            backups,
            set.max_age.as_ref().map(|d| d.get()),
            off,
            vec![],
            now,
        );
        update(
            state,
            config,
            Msg::Update(Update::BackupsListed {
                set: name,
                result: Ok(status),
            }),
        );
    }
    if let Some(b) = state
        .backups
        .iter_mut()
        .find(|b| b.name == "triboka-sqlite")
    {
        b.drill = Some(crate::action::backups::DrillRecord {
            set: b.name.clone(),
            at: now - chrono::Duration::hours(3),
            ok: true,
            summary: "done in 1.4s".into(),
            integrity: Some("ok".into()),
            duration_ms: 1400,
        });
    }
}

/// The `i`th of 24 runs of a check, the last one 10 s before `now`: gamelera's backend
/// fails on its `services` map, minio is slow, mlflow's results are old (stale).
pub fn check_result(id: &CheckId, i: u64, now: DateTime<Utc>) -> CheckResult {
    let name = id.to_string();
    let mut ago = 10 * (24 - i as i64);
    let mut latency = Duration::from_millis(18 + (i * 37 + name.len() as u64 * 11) % 60);
    let (verdict, failures, warnings): (Verdict, Vec<String>, Vec<String>) = match name.as_str() {
        "gamelera/backend/health" if i >= 20 => (
            Verdict::Fail,
            vec![
                "`/status` is `degraded`, expected `healthy`".into(),
                "`/services/mongodb` is `unhealthy`, expected `healthy`".into(),
            ],
            vec![],
        ),
        "gamelera/minio/live" => {
            latency += Duration::from_millis(280);
            let warn = format!(
                "latency {} ms over warn_latency 250 ms",
                latency.as_millis()
            );
            (Verdict::Warn, vec![], vec![warn])
        }
        "gamelera/mlflow/health" => {
            ago += 300;
            (Verdict::Pass, vec![], vec![])
        }
        _ => (Verdict::Pass, vec![], vec![]),
    };
    let summary = failures
        .first()
        .or(warnings.first())
        .cloned()
        .unwrap_or_else(|| match name.as_str() {
            "gamelera/mongodb/ping" => format!("exit 0 in {} ms", latency.as_millis()),
            _ => format!("200 in {} ms", latency.as_millis()),
        });
    CheckResult {
        at: now - chrono::Duration::seconds(ago),
        duration: latency,
        verdict,
        summary,
        failures,
        warnings,
        latency: Some(latency),
        tls_days_left: None,
        attempts: 1,
    }
}

/// A deterministic reading: smooth waves, different per host.
pub fn sample(at: DateTime<Utc>, host: u64, i: u64) -> HostSample {
    let wave = |period: u64, amp: f64, base: f64| {
        base + amp
            * (((i + host * 7) % period) as f64 / period as f64 * std::f64::consts::TAU).sin()
    };
    let total = 8u64 << 30;
    HostSample {
        at,
        cpu_total: Some(wave(30, 20.0, 35.0 + host as f64 * 5.0).clamp(0.0, 100.0)),
        cpu_cores: (0..4)
            .map(|c| wave(20 + c * 5, 30.0, 40.0).clamp(0.0, 100.0))
            .collect(),
        load: [wave(40, 0.5, 1.2), 1.1, 0.9],
        mem_total_bytes: total,
        mem_used_bytes: (total as f64 * wave(60, 0.05, 0.55 + host as f64 * 0.05)) as u64,
        swap_total_bytes: 2 << 30,
        swap_used_bytes: 128 << 20,
        uptime: Duration::from_secs(86_400 * (host + 3) + 3_600 * 5),
        disks: vec![
            DiskUsage {
                mount: "/".into(),
                total_bytes: 80 << 30,
                used_bytes: (30 + host * 12) << 30,
            },
            DiskUsage {
                mount: "/var/lib/docker".into(),
                total_bytes: 200 << 30,
                used_bytes: (150 + host * 10) << 30,
            },
        ],
    }
}

/// A large generated fleet for benchmarks: `hosts` hosts with `per_host` command services.
pub fn big_config(hosts: usize, per_host: usize) -> Config {
    let mut text = String::from("[settings]\nrefresh = \"2s\"\n");
    for h in 0..hosts {
        text.push_str(&format!(
            "\n[[hosts]]\nname = \"host-{h:03}\"\ntransport = \"local\"\ntags = [\"{}\"]\n",
            if h % 5 == 0 { "prod" } else { "staging" }
        ));
        for s in 0..per_host {
            text.push_str(&format!("\n[[hosts.services]]\nname = \"svc-{s:02}\"\nkind = \"command\"\nstatus = [\"true\"]\n"));
        }
    }
    config::parse(Path::new("big.toml"), &text).expect("generated config is valid")
}

/// Gamelera's compose stack as its engine lists it, with two stats readings per running
/// container (CPU comes from the pair) and ten minutes of CPU history.
pub fn containers(state: &mut State, config: &Config) {
    use crate::model::container::{ContainerHealth, ContainerInfo, ContainerSample};
    let now = clock();
    let host = HostId::new("gamelera");
    let container =
        |service: &str, state_: &str, health, image: &str, up_hours: i64| ContainerInfo {
            id: format!("{service}0123456789abcdef"),
            name: format!("gamelera-{service}-1"),
            project: Some("gamelera".into()),
            service: Some(service.into()),
            number: Some(1),
            state: state_.into(),
            health,
            started_at: Some(now - chrono::Duration::hours(up_hours)),
            restarts: if service == "mongodb" { 2 } else { 0 },
            image: image.into(),
            digest: Some("4f2a9c01d3e7".into()),
            ports: vec![],
            pid: None,
            host_network: false,
        };
    let containers = vec![
        container(
            "backend",
            "running",
            ContainerHealth::Healthy,
            "bovine/backend:v1.4.0",
            30,
        ),
        container(
            "minio",
            "running",
            ContainerHealth::None,
            "minio/minio:RELEASE.2024",
            200,
        ),
        container("mlflow", "exited", ContainerHealth::None, "mlflow:2.9", 0),
        container(
            "mongodb",
            "running",
            ContainerHealth::Unhealthy,
            "mongo:7.0",
            200,
        ),
    ];
    let running: Vec<String> = containers
        .iter()
        .filter(|c| c.running())
        .map(|c| c.id.clone())
        .collect();
    let feed = |state: &mut State, u: Update| {
        update(state, config, Msg::Update(u));
    };
    feed(
        state,
        Update::ContainersListed {
            host: host.clone(),
            containers,
        },
    );
    for (n, id) in running.iter().enumerate() {
        let mut cpu_ns = 0;
        for i in 0..121u64 {
            // 5 s apart: 0.1 s of CPU is 2 % of a core.
            cpu_ns += (n as u64 + 1) * 150_000_000 + (i * 7 % 11) * 30_000_000;
            let sample = ContainerSample {
                at: now - chrono::Duration::seconds(5 * (121 - i as i64)),
                cpu_ns,
                mem_bytes: (120 + 90 * n as u64) << 20,
                mem_limit: 2 << 30,
                rx_bytes: 40_000 * i * (n as u64 + 1),
                tx_bytes: 25_000 * i,
                blk_read: 4096 * i,
                blk_write: 65_536 * i * (n as u64 % 2),
            };
            feed(
                state,
                Update::ContainerStats {
                    host: host.clone(),
                    id: id.clone(),
                    sample,
                },
            );
        }
    }
}

mod alerts;
mod incident;
mod prometheus;
pub use alerts::{alerts, alerts_screen, alerts_stale};
pub use incident::{TIMELINE_LOG, open_runbook, open_timeline};
pub use prometheus::{prometheus_down, prometheus_values};
