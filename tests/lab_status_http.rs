//! `opsdeck status` on the lab's HTTP endpoints (preventia's Prometheus, Alertmanager and
//! node-exporter, the PaaS backend…): an `http` service's status is what its checks find —
//! running when they pass, failed with the reason when the endpoint is not there — never
//! `unknown`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

/// `opsdeck --config CONFIG status --json`: the exit code and the document.
fn status_json(config: &Path) -> (i32, Value) {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(config)
        .args(["status", "--json"])
        .env("XDG_STATE_HOME", state.path())
        .output()
        .expect("run opsdeck status");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "opsdeck status --json printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

/// Every `http` service of the document: `(host/service, state, detail)`.
fn http_services(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for h in doc["hosts"].as_array().expect("hosts") {
        for s in h["services"].as_array().expect("services") {
            if s["kind"] == "http" {
                out.push((
                    format!(
                        "{}/{}",
                        h["name"].as_str().unwrap(),
                        s["name"].as_str().unwrap()
                    ),
                    s["state"].as_str().unwrap_or_default().to_owned(),
                    s["detail"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
    }
    out
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn the_lab_endpoints_are_running_not_unknown() {
    let (_, doc) = status_json(&lab_hosts_path());
    let http = http_services(&doc);
    for name in [
        "preventia/prometheus",
        "preventia/alertmanager",
        "preventia/node-exporter",
        "epagal-paas/backend",
    ] {
        let (_, state, detail) = http
            .iter()
            .find(|(n, ..)| n == name)
            .unwrap_or_else(|| panic!("{name} is not in the status document: {http:?}"));
        assert_eq!(state, "running", "{name}: {detail}");
        assert!(detail.contains("200"), "{name} says what it saw: {detail}");
    }
    assert!(
        http.iter().all(|(_, state, _)| state != "unknown"),
        "no endpoint is unknown: {http:?}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn an_endpoint_that_does_not_answer_is_down_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hosts.toml");
    // Prometheus answers; nothing listens on preventia's port 1.
    std::fs::write(
        &config,
        r#"
[[hosts]]
name = "probe"
transport = "http"
address = "10.77.0.13"

[[hosts.services]]
name = "prometheus"
kind = "http"
url = "http://10.77.0.13:9090/"

[[hosts.services.checks]]
name = "ready"
kind = "http"
url = "http://10.77.0.13:9090/-/ready"
timeout = "5s"

[[hosts.services]]
name = "gone"
kind = "http"
url = "http://10.77.0.13:1/"

[[hosts.services.checks]]
name = "ready"
kind = "http"
url = "http://10.77.0.13:1/"
timeout = "5s"

[[hosts.services]]
name = "unchecked"
kind = "http"
url = "http://10.77.0.13:9090/"
"#,
    )
    .unwrap();
    let (code, doc) = status_json(&config);
    let http = http_services(&doc);
    let find = |n: &str| http.iter().find(|(name, ..)| name == n).cloned().unwrap();
    let (_, state, detail) = find("probe/prometheus");
    assert_eq!(state, "running", "{detail}");
    let (_, state, detail) = find("probe/gone");
    assert_eq!(state, "failed", "{detail}");
    assert!(
        detail.starts_with("ready: "),
        "the failing check is named: {detail}"
    );
    assert!(
        detail.to_lowercase().contains("connect"),
        "the reason: {detail}"
    );
    let (_, state, detail) = find("probe/unchecked");
    assert_eq!(state, "unknown", "nothing checks it: {detail}");
    assert!(detail.contains("no check"), "{detail}");
    assert_eq!(code, 1, "a service is down: exit 1");
    assert_eq!(doc["ok"], false);
}
