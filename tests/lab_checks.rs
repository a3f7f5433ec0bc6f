//! Health checks and `opsdeck check` against the running lab: a JSON health document that
//! degrades, an endpoint that goes away and comes back, JUnit output a CI reads, and an
//! HTTPS endpoint whose certificate expires in days. Every fault is undone by a guard, even
//! when the test panics.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::*;
use opsdeck::check::{CheckRunner, CheckSpec, Persistence, Probe};
use opsdeck::config::Config;
use opsdeck::model::{CheckId, CheckResult, HostId, Verdict};
use opsdeck::transport::Transports;
use quick_xml::events::Event;

const BACKEND_HEALTH: &str = "gamelera/backend/health";
const BACKEND_ADDR: &str = "10.77.0.10:8000";
const BACKEND_CONTAINER: &str = "gamelera_backend_1";

/// The tests below break the same endpoint; one at a time.
fn lab_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn run_check(config: &Config, id: &str) -> CheckResult {
    let spec = CheckSpec::find(config, &CheckId::parse(id).unwrap())
        .unwrap_or_else(|| panic!("no check {id} in the lab config"));
    run_spec(spec)
}

fn run_spec(spec: CheckSpec) -> CheckResult {
    runtime().block_on(async {
        CheckRunner::new(spec)
            .run(&Transports::default(), Persistence::Once)
            .await
    })
}

/// The real binary against the lab config.
fn opsdeck_check(args: &[&str]) -> Output {
    let config = lab_hosts_path();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.arg("--config").arg(&config).arg("check").args(args);
    run_binary(cmd)
}

fn run_binary(mut cmd: Command) -> Output {
    let state = tempfile::tempdir().unwrap();
    cmd.env("XDG_STATE_HOME", state.path())
        .output()
        .expect("run opsdeck")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Restores gamelera's health document when dropped.
struct DegradedHealth;

impl DegradedHealth {
    fn new() -> Self {
        lab_break(&["health-degrade", "gamelera", "mongodb"]);
        DegradedHealth
    }
}

impl Drop for DegradedHealth {
    fn drop(&mut self) {
        lab_break(&["health-restore", "gamelera"]);
    }
}

/// A command on gamelera with the system ssh client and the lab's key (usable in `Drop`).
fn gamelera_ssh(config: &Config, args: &[&str]) -> Output {
    let host = config.find_host(&HostId::new("gamelera")).unwrap();
    let mut cmd = Command::new("ssh");
    cmd.arg("-o")
        .arg("BatchMode=yes")
        .arg("-o")
        .arg("ConnectTimeout=10");
    if let Some(key) = &host.identity_file {
        cmd.arg("-i").arg(key);
    }
    if let Some(kh) = &host.known_hosts {
        cmd.arg("-o")
            .arg(format!("UserKnownHostsFile={}", kh.display()));
    }
    cmd.arg(format!("root@{}", host.address.as_ref().unwrap().get_ref()));
    cmd.args(args);
    cmd.output().expect("run ssh")
}

/// Stops gamelera's backend container; starts it again (and waits for its health) on drop.
struct StoppedBackend {
    config: std::sync::Arc<Config>,
    started: bool,
}

impl StoppedBackend {
    fn new(config: std::sync::Arc<Config>) -> Self {
        let out = gamelera_ssh(&config, &["podman", "stop", "-t", "2", BACKEND_CONTAINER]);
        assert!(
            out.status.success(),
            "podman stop {BACKEND_CONTAINER} on gamelera failed — is the lab up? {}",
            text(&out.stderr)
        );
        StoppedBackend {
            config,
            started: false,
        }
    }

    fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        let out = gamelera_ssh(&self.config, &["podman", "start", BACKEND_CONTAINER]);
        assert!(
            out.status.success(),
            "podman start {BACKEND_CONTAINER}: {}",
            text(&out.stderr)
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect_timeout(
                &BACKEND_ADDR.parse().unwrap(),
                Duration::from_secs(1),
            )
            .is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("gamelera's backend did not come back on {BACKEND_ADDR}");
    }
}

impl Drop for StoppedBackend {
    fn drop(&mut self) {
        self.start();
    }
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn json_health_passes_then_names_the_unhealthy_service() {
    let _lock = lab_lock();
    let config = lab_config();
    let healthy = run_check(&config, BACKEND_HEALTH);
    assert_eq!(
        healthy.verdict,
        Verdict::Pass,
        "gamelera's backend should be healthy before the test: {healthy:?}"
    );
    assert!(healthy.failures.is_empty());

    let _degraded = DegradedHealth::new();
    let failed = run_check(&config, BACKEND_HEALTH);
    assert_eq!(failed.verdict, Verdict::Fail, "{failed:?}");
    assert!(
        failed
            .failures
            .iter()
            .any(|f| f == "`/services/mongodb` is `unhealthy`, expected `healthy`"),
        "the failure must name the pointer and both values: {:?}",
        failed.failures
    );
    assert!(
        failed
            .failures
            .iter()
            .any(|f| f == "`/status` is `degraded`, expected `healthy`"),
        "{:?}",
        failed.failures
    );

    // The same through the binary: exit 1, the expectation spelled out on stdout.
    let out = opsdeck_check(&["--service", "gamelera/backend"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("`/services/mongodb` is `unhealthy`, expected `healthy`"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn stopped_endpoint_is_a_check_failure_exit_1() {
    let _lock = lab_lock();
    let config = lab_config();
    let _stopped = StoppedBackend::new(config.clone());
    let result = run_check(&config, BACKEND_HEALTH);
    assert_eq!(result.verdict, Verdict::Fail, "{result:?}");
    assert!(
        result.summary.contains("Connection refused"),
        "{}",
        result.summary
    );
    let out = opsdeck_check(&["--service", "gamelera/backend", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "connection refused is a failed check (exit 1): {}",
        text(&out.stdout)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["checks"][0]["verdict"], "fail");
    assert_eq!(doc["checks"][0]["id"], BACKEND_HEALTH);
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn wait_passes_once_the_endpoint_recovers() {
    let _lock = lab_lock();
    let config = lab_config();
    let mut stopped = StoppedBackend::new(config.clone());
    let started = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    let state = tempfile::tempdir().unwrap();
    cmd.arg("--config")
        .arg(lab_hosts_path())
        .args(["check", "--host", "gamelera", "--wait", "40s"])
        .env("XDG_STATE_HOME", state.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("start opsdeck check --wait");
    std::thread::sleep(Duration::from_secs(4));
    stopped.start();
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "--wait should pass once the backend is back:\n{stdout}{}",
        text(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.contains(BACKEND_HEALTH))
        .unwrap_or_else(|| panic!("no line for {BACKEND_HEALTH}:\n{stdout}"));
    assert!(line.starts_with("PASS"), "{line}");
    assert!(
        line.contains("attempts)"),
        "it took more than one attempt: {line}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn junit_is_well_formed_with_a_testcase_per_check() {
    let _lock = lab_lock();
    let _degraded = DegradedHealth::new();
    let out = opsdeck_check(&["--host", "gamelera", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let xml = text(&out.stdout);
    let config = lab_config();
    let expected_cases = config
        .find_host(&HostId::new("gamelera"))
        .unwrap()
        .services
        .iter()
        .map(|s| s.checks.len())
        .sum::<usize>();

    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut stack: Vec<String> = Vec::new();
    let (mut suites, mut cases, mut failures) = (0, 0, 0);
    let mut root_attrs = None;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{xml}"));
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(_) => {
                stack.pop();
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        let Some(e) = start else { continue };
        let name = e.name().into_inner().to_owned();
        let attrs: std::collections::HashMap<String, String> = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    a.key.into_inner().to_owned(),
                    a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect();
        let parent = stack.last().map(String::as_str);
        let need = |list: &[&str]| {
            for a in list {
                assert!(attrs.contains_key(*a), "<{name}> lacks `{a}`:\n{xml}");
            }
        };
        match name.as_str() {
            "testsuites" => {
                assert_eq!(parent, None);
                need(&["name", "tests", "failures", "errors", "time"]);
                root_attrs = Some(attrs.clone());
            }
            "testsuite" => {
                assert_eq!(parent, Some("testsuites"));
                need(&["name", "tests", "failures", "errors", "time"]);
                assert_eq!(attrs["name"], "gamelera");
                suites += 1;
            }
            "testcase" => {
                assert_eq!(parent, Some("testsuite"));
                need(&["name", "classname", "time"]);
                attrs["time"].parse::<f64>().expect("time is a number");
                cases += 1;
            }
            "failure" | "error" => {
                assert_eq!(parent, Some("testcase"));
                need(&["message", "type"]);
                if name == "failure" {
                    failures += 1;
                    assert!(
                        attrs["message"].contains("expected `healthy`"),
                        "{}",
                        attrs["message"]
                    );
                }
            }
            "system-out" => assert_eq!(parent, Some("testcase")),
            other => panic!("unexpected element <{other}> in JUnit output:\n{xml}"),
        }
        if !empty {
            stack.push(name);
        }
    }
    let root = root_attrs.expect("a <testsuites> root");
    assert_eq!(suites, 1);
    assert_eq!(cases, expected_cases, "{xml}");
    assert_eq!(root["tests"], cases.to_string());
    assert_eq!(failures, 1, "only the backend's health fails:\n{xml}");
    assert_eq!(root["failures"], "1");
    assert_eq!(root["errors"], "0");
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn certificate_expiring_in_five_days_warns() {
    let config = lab_config();
    let id = "preventia/tls-health/health";
    let spec = CheckSpec::find(&config, &CheckId::parse(id).unwrap()).unwrap_or_else(|| {
        panic!("no {id} in the lab config: re-run lab/up (it adds the TLS endpoint)")
    });
    let result = run_spec(spec.clone());
    assert_eq!(result.verdict, Verdict::Warn, "{result:?}");
    let days = result
        .tls_days_left
        .expect("days to expiry of the certificate");
    assert!((4..=5).contains(&days), "{days} days left");
    assert_eq!(
        result.warnings,
        [format!(
            "TLS certificate expires in {days} days (warning under 14)"
        )]
    );

    // Without the lab CA the certificate is not trusted: the check fails, saying why.
    let mut untrusted = spec;
    if let Probe::Http(p) = &mut untrusted.probe {
        p.ca_file = None;
    }
    let result = run_spec(untrusted);
    assert_eq!(result.verdict, Verdict::Fail, "{result:?}");
    assert!(
        result.summary.to_lowercase().contains("certificate"),
        "{}",
        result.summary
    );
}

/// The exit-code rule's other half: a command check whose SSH host cannot be reached, and
/// a configuration that does not load, are errors (2), not failures.
#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn unreachable_ssh_host_and_bad_config_exit_2() {
    let config = lab_config();
    let gamelera = config.find_host(&HostId::new("gamelera")).unwrap();
    let key = gamelera
        .identity_file
        .as_ref()
        .unwrap()
        .display()
        .to_string();
    let kh = gamelera.known_hosts.as_ref().unwrap().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.toml");
    // Port 1 on a lab address refuses at once; the real sshd on :22 runs the passing check.
    std::fs::write(
        &path,
        format!(
            r#"
[[hosts]]
name = "gone"
transport = "ssh"
address = "10.77.0.10"
port = 1
user = "root"
identity_file = "{key}"
known_hosts = "{kh}"

[[hosts.services]]
name = "app"
kind = "command"
status = ["true"]

[[hosts.services.checks]]
name = "ping"
kind = "command"
command = ["true"]

[[hosts]]
name = "gamelera"
transport = "ssh"
address = "10.77.0.10"
user = "root"
identity_file = "{key}"
known_hosts = "{kh}"

[[hosts.services]]
name = "os"
kind = "command"
status = ["true"]

[[hosts.services.checks]]
name = "hostname"
kind = "command"
command = ["hostname"]
stdout_regex = "^gamelera$"
"#
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
        cmd.arg("--config").arg(&path).arg("check").args(args);
        run_binary(cmd)
    };
    let ok = run(&["--host", "gamelera"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "a command check over ssh passes: {}",
        text(&ok.stdout)
    );
    let gone = run(&["--host", "gone"]);
    assert_eq!(gone.status.code(), Some(2), "{}", text(&gone.stdout));
    assert!(
        text(&gone.stdout).contains("cannot reach gone over ssh"),
        "{}",
        text(&gone.stdout)
    );
    let unknown = run(&["--suite", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("unknown suite `nope`"));

    let mut bad = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    bad.arg("--config")
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/config_errors/45_check_ca_file_relative.toml"),
        )
        .arg("check");
    let bad = run_binary(bad);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("is not an absolute path"),
        "{}",
        text(&bad.stderr)
    );
}

/// `--suite` runs exactly the suite's checks; the lab suite passes when the lab is healthy.
#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn suite_runs_its_checks() {
    let _lock = lab_lock();
    let config = lab_config();
    let suite = config
        .file
        .suites
        .iter()
        .find(|s| s.name.get_ref() == "lab")
        .expect("the lab suite in lab/hosts.toml");
    let out = opsdeck_check(&["--suite", "lab", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}", text(&out.stdout)));
    let ids: Vec<&str> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = suite.checks.iter().map(|c| c.get_ref().as_str()).collect();
    assert_eq!(ids, want);
    assert_eq!(
        out.status.code(),
        Some(0),
        "every lab check passes: {}",
        text(&out.stdout)
    );
}
