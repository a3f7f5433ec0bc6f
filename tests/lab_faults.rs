//! Breaking lab hosts on purpose: dead sshd, dead network, changed and unknown host keys.
//! These tests change shared lab state, so they run one at a time.

mod common;

use std::time::{Duration, Instant};

use common::*;
use opsdeck::action::audit::AuditLog;
use opsdeck::collect::logs::{FollowSource, LogSpec};
use opsdeck::model::HostId;
use opsdeck::protocol::{Effect, Update};
use opsdeck::runner::{self, CoreOptions};
use opsdeck::transport::Target;
use opsdeck::transport::ssh::{SshError, connect, scan_host_key, trust};
use tokio::sync::{Mutex, mpsc};

static SERIAL: Mutex<()> = Mutex::const_new(());

fn sha(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn changed_host_key_is_refused_and_nothing_is_trusted() {
    let _serial = SERIAL.lock().await;
    let config = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let trusted = dir.path().join("opsdeck-known_hosts");
    let t = target(&config, "preventia", &trusted);
    let lab_known = t.known_hosts.clone().unwrap();
    let before = sha(&lab_known);

    lab_break(&["hostkey-change", "preventia"]);
    let result = connect(&t).await;
    let (new_fp, _) = scan_host_key(&t).await.unwrap();
    lab_break(&["hostkey-restore", "preventia"]);

    match result {
        Err(SshError::ChangedHostKey { fingerprint }) => {
            assert_eq!(
                fingerprint, new_fp,
                "the message shows the new key's fingerprint"
            );
            let msg = SshError::ChangedHostKey { fingerprint }.to_string();
            assert!(
                msg.contains("HOST KEY CHANGED") && msg.contains(&new_fp),
                "{msg}"
            );
        }
        Err(e) => panic!("expected a changed-key refusal, got: {e}"),
        Ok(_) => panic!("connected despite a changed host key"),
    }
    assert_eq!(
        sha(&lab_known),
        before,
        "the lab's known_hosts was modified"
    );
    assert!(!trusted.exists(), "opsdeck's known_hosts was written");
    connect(&t)
        .await
        .expect("the restored key is accepted again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn unknown_host_key_is_refused_until_trusted() {
    let _serial = SERIAL.lock().await;
    let config = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let trusted = dir.path().join("opsdeck-known_hosts");
    let mut t = target(&config, "gamelera", &trusted);
    t.known_hosts = Some(dir.path().join("empty-known_hosts"));
    std::fs::write(t.known_hosts.as_ref().unwrap(), "").unwrap();

    let Err(SshError::UnknownHostKey {
        fingerprint,
        key_lines,
        ..
    }) = connect(&t).await
    else {
        panic!("an unknown key must be refused");
    };
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    assert!(!trusted.exists());
    trust(&t, &key_lines).unwrap();
    let written = std::fs::read_to_string(&trusted).unwrap();
    assert!(written.starts_with("10.77.0.10 ssh-ed25519 "), "{written}");
    let conn = connect(&t).await.expect("trusted key connects");
    assert!(conn.is_alive().await);
}

struct Watch {
    rx: mpsc::Receiver<Update>,
    log: Vec<String>,
    gaps: usize,
    recent: Vec<String>,
}

impl Watch {
    /// Waits for an update matching `pred`, collecting log lines on the way.
    async fn until(
        &mut self,
        limit: Duration,
        what: &str,
        mut pred: impl FnMut(&Update) -> bool,
    ) -> Duration {
        let start = Instant::now();
        loop {
            let left = limit
                .checked_sub(start.elapsed())
                .unwrap_or_else(|| panic!("{what}: not within {limit:?}"));
            let u = tokio::time::timeout(left, self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{what}: not within {limit:?}; last updates: {:?}",
                        self.recent
                    )
                })
                .expect("the supervisor is alive");
            self.recent
                .push(format!("{u:?}").chars().take(160).collect());
            if self.recent.len() > 8 {
                self.recent.remove(0);
            }
            match &u {
                Update::LogLines { lines, .. } => {
                    self.log.extend(lines.iter().map(|l| l.message.clone()))
                }
                Update::LogGap { .. } => self.gaps += 1,
                _ => {}
            }
            if pred(&u) {
                return start.elapsed();
            }
        }
    }
}

fn sampled(u: &Update, host: &str) -> bool {
    matches!(u, Update::HostSampled { host: h, .. } if h.as_str() == host)
}

fn unreachable(u: &Update, host: &str) -> bool {
    matches!(u, Update::HostUnreachable { host: h, .. } if h.as_str() == host)
}

/// The `(ciclo N)` counters of triboka's app log must run on without repeats or holes.
fn assert_contiguous(lines: &[String]) {
    let numbers: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.rsplit_once("(ciclo ")?.1.strip_suffix(')')?.parse().ok())
        .collect();
    assert!(numbers.len() > 5, "too few log lines: {lines:?}");
    for w in numbers.windows(2) {
        assert_eq!(
            w[1],
            w[0] + 1,
            "log lines repeated or lost at the resume point: {numbers:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn dead_sshd_and_dead_network_are_detected_and_recovered() {
    let _serial = SERIAL.lock().await;
    let config = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = mpsc::channel(4096);
    let opts = CoreOptions {
        audit: AuditLog::new(dir.path().join("audit.jsonl")),
        read_only: true,
        known_hosts: dir.path().join("kh"),
    };
    let sup = runner::start(config.clone(), tx, opts);
    let mut w = Watch {
        rx,
        log: vec![],
        gaps: 0,
        recent: vec![],
    };
    for host in ["triboka", "gamelera", "epagal"] {
        w.until(Duration::from_secs(20), &format!("{host} up"), |u| {
            sampled(u, host)
        })
        .await;
    }
    let triboka = HostId::new("triboka");
    sup.perform(Effect::FollowLogs {
        view: 1,
        sources: vec![(
            0,
            FollowSource {
                host: triboka.clone(),
                spec: LogSpec::File {
                    path: "/var/log/triboka/app.log".into(),
                },
                target: Target::Ssh(triboka.clone()),
                tail: 20,
                label: String::new(),
            },
        )],
        window: Default::default(),
    });
    w.until(Duration::from_secs(15), "first app.log lines", |u| {
        matches!(u, Update::LogLines { .. })
    })
    .await;

    // sshd dies with its sessions.
    lab_break(&["sshd-kill", "triboka"]);
    let detected = w
        .until(Duration::from_secs(10), "triboka unreachable", |u| {
            unreachable(u, "triboka")
        })
        .await;
    // The rest of the fleet keeps updating meanwhile.
    w.until(Duration::from_secs(6), "gamelera still sampled", |u| {
        sampled(u, "gamelera")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    lab_break(&["sshd-start", "triboka"]);
    let back = w
        .until(Duration::from_secs(5), "triboka back within 5 s", |u| {
            sampled(u, "triboka")
        })
        .await;
    // Let the log stream resume and run on past the resume point.
    w.until(Duration::from_secs(15), "app.log resumes", |u| {
        matches!(u, Update::LogLines { .. })
    })
    .await;
    let resumed_at = w.log.len();
    w.until(Duration::from_secs(10), "more app.log lines", |u| {
        matches!(u, Update::LogLines { .. })
    })
    .await;
    assert!(w.gaps >= 1, "the gap was reported");
    assert!(w.log.len() > resumed_at);
    assert_contiguous(&w.log);
    println!("sshd-kill: unreachable after {detected:?}, back {back:?} after sshd-start");

    // The network dies: no RST, only silence. ServerAlive notices it.
    lab_break(&["net-down", "epagal"]);
    let detected = w
        .until(
            Duration::from_secs(10),
            "epagal unreachable within 10 s (net down)",
            |u| unreachable(u, "epagal"),
        )
        .await;
    lab_break(&["net-up", "epagal"]);
    let back = w
        .until(Duration::from_secs(6), "epagal back", |u| {
            sampled(u, "epagal")
        })
        .await;
    println!("net-down: unreachable after {detected:?}, back {back:?} after net-up");
}
