//! Finding the lab and talking to it from tests. The lab is started by `scripts/test`
//! (or `lab/up`). Lab tests are ignored unless the `lab` feature is on (`scripts/test`
//! turns it on); with it, a test whose lab is not up fails with a message saying so.

#![allow(dead_code)]

pub mod agreement;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use opsdeck::action::audit::AuditLog;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::State;
use opsdeck::protocol::Update;
use opsdeck::runner::{self, CoreOptions, EffectRunner};
use tokio::sync::mpsc;

use opsdeck::config::Config;
use opsdeck::model::HostId;
use opsdeck::transport::ssh::{SshConnection, SshTarget, connect};

pub fn lab_hosts_path() -> PathBuf {
    std::env::var_os("OPSDECK_LAB_HOSTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/hosts.toml"))
}

pub fn lab_config() -> Arc<Config> {
    let path = lab_hosts_path();
    if !path.exists() {
        panic!(
            "the lab is not up: {} is missing. Start it with `lab/up` (scripts/test does this), \
             or point OPSDECK_LAB_HOSTS at a lab config.",
            path.display()
        );
    }
    Arc::new(
        opsdeck::config::load(&path).unwrap_or_else(|e| panic!("lab config does not load:\n{e}")),
    )
}

pub fn target(config: &Config, host: &str, trusted: &Path) -> SshTarget {
    let h = config
        .find_host(&HostId::new(host))
        .unwrap_or_else(|| panic!("no host {host} in the lab config"));
    SshTarget::from_config(h, trusted).unwrap()
}

pub async fn ssh(config: &Config, host: &str) -> SshConnection {
    let trusted = std::env::temp_dir().join("opsdeck-tests-known_hosts");
    let t = target(config, host, &trusted);
    connect(&t).await.unwrap_or_else(|e| {
        panic!(
            "ssh to lab host {host} ({}) failed: {e} — is the lab up? (lab/status)",
            t.destination
        )
    })
}

/// `lab/break VERB HOST`, failing the test with its output when it fails.
pub fn lab_break(args: &[&str]) {
    let out = std::process::Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/break"))
        .args(args)
        .output()
        .expect("run lab/break");
    assert!(
        out.status.success(),
        "lab/break {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A plain HTTP/1.0 GET to a lab address; returns (status, body).
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr.parse().expect("ip:port"), Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    (status, body)
}

/// The app without a terminal: the supervisor collecting from the lab, updates applied to
/// the state by the reducer, effects carried out — what the event loop does.
pub struct Run {
    pub sup: EffectRunner,
    pub rx: mpsc::Receiver<Update>,
    pub state: State,
    pub config: Arc<Config>,
    pub dir: tempfile::TempDir,
}

impl Run {
    pub fn start(config: Arc<Config>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel(4096);
        let opts = CoreOptions {
            audit: AuditLog::new(dir.path().join("audit.jsonl")),
            read_only: false,
            known_hosts: dir.path().join("kh"),
        };
        let sup = runner::start(config.clone(), tx, opts);
        let mut state = State::new(&config, false, vec!["default".into()], 0, Utc::now());
        state.size = (160, 50);
        Run {
            sup,
            rx,
            state,
            config,
            dir,
        }
    }

    /// Applies updates to the state until `pred` holds for one of them.
    pub async fn until(
        &mut self,
        limit: Duration,
        what: &str,
        mut pred: impl FnMut(&Update, &State) -> bool,
    ) -> Update {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("{what}: not within {limit:?}"));
            let u = tokio::time::timeout(left, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("{what}: not within {limit:?}"))
                .unwrap();
            update(&mut self.state, &self.config, Msg::Tick(Utc::now()));
            if std::env::var_os("LAB_DEBUG").is_some() {
                match &u {
                    Update::ContainersListed { containers, .. } => eprintln!(
                        "{:?} listed {:?}",
                        Instant::now(),
                        containers
                            .iter()
                            .map(|c| (&c.name, c.started_at))
                            .collect::<Vec<_>>()
                    ),
                    Update::ContainerStats { .. } | Update::HostSampled { .. } => {}
                    other => eprintln!("{:?} {other:?}", Instant::now()),
                }
            }
            for e in update(&mut self.state, &self.config, Msg::Update(u.clone())) {
                self.sup.perform(e);
            }
            if pred(&u, &self.state) {
                return u;
            }
        }
    }

    pub fn audit(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.path().join("audit.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}
