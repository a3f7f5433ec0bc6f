//! Metrics from a real Prometheus scraping a real node-exporter on loopback (both started
//! here, in a temporary directory): this machine read through Prometheus agrees with its
//! own /proc; Prometheus stopped marks only what it feeds stale while the rest keeps
//! updating, and started again it is fresh within a refresh; a deploy whose metrics gate
//! fails is rolled back. The lab versions of these are in tests/lab_metrics.rs.

mod common;
#[path = "support/local_prometheus.rs"]
mod local_prometheus;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use local_prometheus::LocalPrometheus;
use opsdeck::collect::host_metrics::LocalSampler;
use opsdeck::model::HostId;
use opsdeck::monitor::PromClient;
use opsdeck::monitor::host_metrics;
use opsdeck::protocol::{MonitorUpdate, Update};

/// Prometheus and node-exporter are processes of this test binary: one test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn config(text: &str) -> Arc<opsdeck::config::Config> {
    let dir = std::env::temp_dir();
    let path = dir.join(format!("opsdeck-metrics-{}.toml", std::process::id()));
    Arc::new(opsdeck::config::parse(&path, text).unwrap_or_else(|e| panic!("{e}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_machine_through_prometheus_agrees_with_its_own_proc() {
    let _serial = SERIAL.lock().await;
    let prom = LocalPrometheus::start();
    prom.wait_scraped(Duration::from_secs(30));
    let client = PromClient::new(&prom.url(), Duration::from_secs(5)).unwrap();
    let instances: HashMap<String, &str> = [(prom.instance(), "me")].into();
    let results = host_metrics::fetch(&client, "instance", Duration::from_secs(10))
        .await
        .expect("the five queries");
    let mut from_prom = host_metrics::split(results, "instance", &instances);
    let p = from_prom.remove("me").expect("this machine's series");

    let mut sampler = LocalSampler::default();
    sampler.sample().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let s = sampler.sample().unwrap();

    // A 10 s rate against a 2 s window; uptime within 5 s.
    common::agreement::assert_readings_agree(&p, &s, "/proc", 5.0);
    assert_eq!(p.swap_total_bytes, s.swap_total_bytes, "swap total");
    for d in &p.disks {
        if let Some(local) = s.disks.iter().find(|x| x.mount == d.mount) {
            assert_eq!(d.total_bytes, local.total_bytes, "size of {}", d.mount);
        }
    }
    assert!(
        p.disks
            .iter()
            .any(|d| s.disks.iter().any(|x| x.mount == d.mount)),
        "no mount in common: prometheus {:?} vs /proc {:?}",
        p.disks,
        s.disks
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_stopped_marks_its_data_stale_and_started_again_is_fresh() {
    let _serial = SERIAL.lock().await;
    let mut prom = LocalPrometheus::start();
    prom.wait_scraped(Duration::from_secs(30));
    let cfg = config(&format!(
        r#"
[settings]
refresh = "2s"

[monitoring]
prometheus = "{url}"
timeout = "1s"
rate_window = "10s"

[[hosts]]
name = "via-prometheus"
transport = "local"
metrics = "prometheus"
instance = "{instance}"

[[hosts.services]]
name = "scraper"
kind = "http"
url = "{url}"

[[hosts.services.promql]]
name = "node_up"
expr = 'min(up{{job="node"}})'
bad = "below"
fail = 1

[[hosts]]
name = "via-proc"
transport = "local"
"#,
        url = prom.url(),
        instance = prom.instance()
    ));
    let mut run = common::Run::start(cfg);
    let promhost = HostId::new("via-prometheus");
    let prochost = HostId::new("via-proc");
    run.until(Duration::from_secs(15), "a reading from Prometheus", |u, _| {
        matches!(u, Update::Monitor(MonitorUpdate::Read(r)) if r.hosts.iter().any(|(h, _)| *h == promhost))
    })
    .await;
    {
        let h = run.state.host(&promhost).unwrap();
        assert!(h.last_sample.is_some() && h.metrics_gap.is_none());
        let v = &h.services[0].values[0];
        assert_eq!(v.value(), Some(1.0), "node_up");
    }

    prom.stop_prometheus();
    run.until(
        Duration::from_secs(10),
        "Prometheus reported down",
        |u, _| matches!(u, Update::Monitor(MonitorUpdate::Down { .. })),
    )
    .await;
    // The host read from /proc keeps updating meanwhile.
    let before = run
        .state
        .host(&prochost)
        .unwrap()
        .last_sample
        .as_ref()
        .unwrap()
        .at;
    run.until(Duration::from_secs(10), "via-proc read again", |u, s| {
        matches!(u, Update::HostSampled { host, .. } if *host == prochost)
            && s.host(&prochost).unwrap().last_sample.as_ref().unwrap().at > before
    })
    .await;
    {
        let h = run.state.host(&promhost).unwrap();
        let gap = h.metrics_gap.as_ref().expect("metrics marked stale");
        assert!(
            gap.reason.starts_with("Prometheus unreachable: "),
            "reason: {}",
            gap.reason
        );
        assert!(gap.label(run.state.now).starts_with("stale "));
        let v = &h.services[0].values[0];
        assert!(v.gap.is_some(), "the PromQL value is stale too");
        assert_eq!(
            run.state.service_health(&h.services[0]),
            opsdeck::model::Health::Stale
        );
        let other = run.state.host(&prochost).unwrap();
        assert!(
            other.metrics_gap.is_none(),
            "the /proc host is not affected"
        );
        assert_eq!(other.status, opsdeck::model::HostStatus::Up);
    }

    // A few failed attempts so that the backoff has grown past a refresh.
    tokio::time::sleep(Duration::from_secs(5)).await;
    prom.start_prometheus();
    let ready = Instant::now();
    run.until(Duration::from_secs(15), "fresh again", |u, s| {
        matches!(u, Update::Monitor(MonitorUpdate::Read(_)))
            && s.host(&promhost).unwrap().metrics_gap.is_none()
    })
    .await;
    let took = ready.elapsed();
    assert!(
        took <= Duration::from_secs(3),
        "fresh {took:?} after Prometheus was ready: more than one refresh (2 s) and a knock"
    );
    let h = run.state.host(&promhost).unwrap();
    assert!(h.services[0].values[0].gap.is_none());
}

#[test]
fn a_deploy_whose_metrics_gate_fails_is_rolled_back() {
    let _serial = SERIAL.blocking_lock();
    let prom = LocalPrometheus::start();
    prom.wait_scraped(Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("version");
    std::fs::write(&marker, "v1\n").unwrap();
    let recipe = |name: &str, threshold: f64| {
        format!(
            r#"
[[deploys]]
name = "{name}"
service = "box/{name}"
current_version = ["cat", "{m}"]
[[deploys.steps]]
title = "write the version"
run = ["sh", "-c", "echo $0 > {m}", "{{version}}"]
[[deploys.rollback]]
title = "write the previous version back"
run = ["sh", "-c", "echo $0 > {m}", "{{previous_version}}"]
[[deploys.metrics_gate]]
name = "node_up"
expr = 'min(up{{job="node"}})'
bad = "below"
threshold = {threshold}
hold = "3s"
every = "1s"
"#,
            m = marker.display()
        )
    };
    let text = format!(
        r#"
[monitoring]
prometheus = "{url}"

[[hosts]]
name = "box"
transport = "local"

[[hosts.services]]
name = "holds"
kind = "command"
status = ["true"]

[[hosts.services]]
name = "fails"
kind = "command"
status = ["true"]
{a}{b}"#,
        url = prom.url(),
        a = recipe("holds", 1.0),
        b = recipe("fails", 2.0),
    );
    let cfg = dir.path().join("hosts.toml");
    std::fs::write(&cfg, text).unwrap();
    let deploy = |service: &str, version: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .arg("--config")
            .arg(&cfg)
            .args(["deploy", service, version, "--yes"])
            .env("XDG_STATE_HOME", dir.path())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("$ opsdeck deploy {service} {version}\n{text}");
        (out.status.code(), text)
    };
    let (code, out) = deploy("box/holds", "v2");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("node_up held ≥ 1 for"), "{out}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), "v2");

    let (code, out) = deploy("box/fails", "v3");
    assert_eq!(
        code,
        Some(1),
        "a failed gate that rolled back exits 1: {out}"
    );
    assert!(
        out.contains("the metrics gate failed: node_up = 1 < 2"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap().trim(),
        "v2",
        "rolled back to the recorded version"
    );
}
