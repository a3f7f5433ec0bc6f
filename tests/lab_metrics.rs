//! Metrics from the lab's Prometheus (preventia :9090, scraping preventia's node-exporter):
//! preventia read through Prometheus agrees with preventia read over SSH; Prometheus
//! stopped (lab/break prometheus-stop) marks what it feeds stale with the reason while the
//! SSH-fed host keeps updating, and started again it is fresh within a refresh; a deploy
//! whose metrics gate fails on a lab query is rolled back. Prometheus is started again at
//! the end of the test even when it fails.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use opsdeck::collect::remote::{PollState, parse_poll, poll_command};
use opsdeck::model::HostId;
use opsdeck::monitor::{PromClient, host_metrics};
use opsdeck::protocol::{MonitorUpdate, Update};

/// These tests stop the lab's Prometheus: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The window over which the SSH poll and Prometheus both measure CPU.
const WINDOW: Duration = Duration::from_secs(15);

/// Starts Prometheus again when dropped, whatever happened.
struct Restore;
impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::process::Command::new(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/break"),
        )
        .args(["prometheus-start", "preventia"])
        .status();
    }
}

fn prometheus_url(config: &opsdeck::config::Config) -> String {
    config
        .file
        .monitoring
        .prometheus_url()
        .expect("the lab config has [monitoring] prometheus (lab/gen-hosts-toml)")
        .to_owned()
}

/// preventia as an SSH host whose metrics come from Prometheus, and triboka read over SSH.
fn two_hosts_config(
    lab: &opsdeck::config::Config,
    dir: &std::path::Path,
) -> Arc<opsdeck::config::Config> {
    let block = |name: &str, metrics: &str| {
        let h = lab.find_host(&HostId::new(name)).unwrap();
        format!(
            "[[hosts]]\nname = \"{name}\"\ntransport = \"ssh\"\naddress = \"{}\"\nuser = \"root\"\n\
             identity_file = \"{}\"\nknown_hosts = \"{}\"\nmetrics = \"{metrics}\"\n\n",
            h.address.as_ref().unwrap().get_ref(),
            h.identity_file.as_ref().unwrap().display(),
            h.known_hosts.as_ref().unwrap().display(),
        )
    };
    let text = format!(
        "[settings]\nrefresh = \"2s\"\n\n[monitoring]\nprometheus = \"{}\"\ntimeout = \"1s\"\nrate_window = \"30s\"\n\n{}{}\
         [[hosts.services]]\nname = \"scraper\"\nkind = \"http\"\nurl = \"{0}\"\n\n\
         [[hosts.services.promql]]\nname = \"node_up\"\nexpr = 'min(up{{job=\"node\"}})'\nbad = \"below\"\nfail = 1\n",
        prometheus_url(lab),
        block("triboka", "ssh"),
        block("preventia", "prometheus"),
    );
    let path = dir.join("hosts.toml");
    std::fs::write(&path, &text).unwrap();
    Arc::new(opsdeck::config::load(&path).unwrap_or_else(|e| panic!("{e}\n{text}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn preventia_through_prometheus_agrees_with_preventia_over_ssh() {
    let _serial = SERIAL.lock().await;
    let lab = lab_config();
    let conn = ssh(&lab, "preventia").await;
    let mut state = PollState::default();
    let read = |out: &str, state: &mut PollState| parse_poll(out, &mut state.prev_cpu, Utc::now());
    let first = conn
        .run(&poll_command(&[]), Duration::from_secs(10))
        .await
        .unwrap();
    read(&first.stdout, &mut state);
    // Both sides measure CPU over the same 15 s: the SSH poll from /proc/stat deltas between
    // two polls, Prometheus as a 15 s rate (three 5 s scrapes) read right after. A shorter
    // poll window against a longer rate compared a quiet moment with an earlier test's burst.
    tokio::time::sleep(WINDOW).await;
    let second = conn
        .run(&poll_command(&[]), Duration::from_secs(10))
        .await
        .unwrap();
    let s = read(&second.stdout, &mut state).sample;

    let client = PromClient::new(&prometheus_url(&lab), Duration::from_secs(5)).unwrap();
    let address = lab
        .find_host(&HostId::new("preventia"))
        .unwrap()
        .address
        .as_ref()
        .unwrap()
        .get_ref()
        .clone();
    let instances: HashMap<String, &str> = [(format!("{address}:9100"), "preventia")].into();
    let results = host_metrics::fetch(&client, "instance", WINDOW)
        .await
        .expect("the five queries");
    let p = host_metrics::split(results, "instance", &instances)
        .remove("preventia")
        .expect("preventia's node-exporter series");

    // CPU over the same 15 s, scrapes up to 5 s apart; uptime within 10 s (a 5 s scrape
    // interval).
    agreement::assert_readings_agree(&p, &s, "ssh", 10.0);
    assert!(
        p.disks.iter().any(|d| s
            .disks
            .iter()
            .any(|x| x.mount == d.mount && x.total_bytes.abs_diff(d.total_bytes) < 1 << 20)),
        "no disk in common: prometheus {:?} vs ssh {:?}",
        p.disks,
        s.disks
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn prometheus_stopped_is_stale_the_rest_updates_started_again_is_fresh() {
    let _serial = SERIAL.lock().await;
    let lab = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let config = two_hosts_config(&lab, dir.path());
    let mut run = Run::start(config);
    let preventia = HostId::new("preventia");
    let triboka = HostId::new("triboka");
    run.until(Duration::from_secs(30), "preventia read from Prometheus", |u, _| {
        matches!(u, Update::Monitor(MonitorUpdate::Read(r)) if r.hosts.iter().any(|(h, _)| *h == preventia))
    })
    .await;
    run.until(
        Duration::from_secs(30),
        "preventia reached over SSH",
        |_, s| s.host(&preventia).unwrap().status == opsdeck::model::HostStatus::Up,
    )
    .await;

    let _restore = Restore;
    lab_break(&["prometheus-stop", "preventia"]);
    run.until(
        Duration::from_secs(15),
        "Prometheus reported down",
        |u, _| matches!(u, Update::Monitor(MonitorUpdate::Down { .. })),
    )
    .await;
    let before = run
        .state
        .host(&triboka)
        .unwrap()
        .last_sample
        .as_ref()
        .unwrap()
        .at;
    run.until(
        Duration::from_secs(15),
        "triboka read again over SSH",
        |u, s| {
            matches!(u, Update::HostSampled { host, .. } if *host == triboka)
                && s.host(&triboka).unwrap().last_sample.as_ref().unwrap().at > before
        },
    )
    .await;
    {
        let h = run.state.host(&preventia).unwrap();
        let gap = h.metrics_gap.as_ref().expect("preventia's metrics stale");
        assert!(
            gap.reason.starts_with("Prometheus unreachable: "),
            "{}",
            gap.reason
        );
        assert_eq!(
            h.status,
            opsdeck::model::HostStatus::Up,
            "its SSH status is unaffected"
        );
        assert!(
            h.services[0].values[0].gap.is_some(),
            "the PromQL value is stale"
        );
        assert!(run.state.host(&triboka).unwrap().metrics_gap.is_none());
    }

    tokio::time::sleep(Duration::from_secs(5)).await;
    lab_break(&["prometheus-start", "preventia"]);
    let ready = Instant::now();
    run.until(Duration::from_secs(20), "fresh again", |u, s| {
        matches!(u, Update::Monitor(MonitorUpdate::Read(_)))
            && s.host(&preventia).unwrap().metrics_gap.is_none()
    })
    .await;
    let took = ready.elapsed();
    assert!(
        took <= Duration::from_secs(3),
        "fresh {took:?} after Prometheus was ready: more than a refresh (2 s) and a knock"
    );
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn a_deploy_whose_metrics_gate_fails_on_a_lab_query_rolls_back() {
    let _serial = SERIAL.blocking_lock();
    let lab = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("version");
    std::fs::write(&marker, "v1\n").unwrap();
    let text = format!(
        r#"
[monitoring]
prometheus = "{url}"

[[hosts]]
name = "control"
transport = "local"

[[hosts.services]]
name = "canary"
kind = "command"
status = ["true"]

[[deploys]]
name = "canary"
service = "control/canary"
current_version = ["cat", "{m}"]
[[deploys.steps]]
title = "write the version"
run = ["sh", "-c", "echo $0 > {m}", "{{version}}"]
[[deploys.rollback]]
title = "write the previous version back"
run = ["sh", "-c", "echo $0 > {m}", "{{previous_version}}"]
# Seed 003's canary rule in shape: fail above a threshold, held over a window. preventia's
# node-exporter is up (1): "up must stay below 0.5" fails at the first reading.
[[deploys.metrics_gate]]
name = "node_up"
expr = 'min(up{{job="node"}})'
threshold = 0.5
hold = "10s"
every = "2s"
"#,
        url = prometheus_url(&lab),
        m = marker.display()
    );
    let cfg = dir.path().join("hosts.toml");
    std::fs::write(&cfg, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(&cfg)
        .args(["deploy", "control/canary", "v2", "--yes"])
        .env("XDG_STATE_HOME", dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the metrics gate failed: node_up = 1 > 0.5"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap().trim(),
        "v1",
        "{text}"
    );
}
