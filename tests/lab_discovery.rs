//! Discovery against the lab: hosts with `discover` and no services list what they run
//! (gamelera's compose services, triboka's units, not the system's own), and `opsdeck
//! init` writes a hosts.toml that loads and whose `status` reaches every lab host, with
//! strict host keys: a host whose key is unknown is reported with its fingerprint and
//! written commented out, and no key is trusted.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use opsdeck::app::state::State;
use opsdeck::config::Config;
use opsdeck::model::HostId;
use opsdeck::model::container::GroupKey;
use opsdeck::protocol::Update;

const LAB_HOSTS: [&str; 4] = ["gamelera", "epagal", "triboka", "preventia"];

/// (address, identity file, known_hosts) of a lab host, from the lab's own config.
fn lab_host(config: &Config, name: &str) -> (String, PathBuf, PathBuf) {
    let h = config.find_host(&HostId::new(name)).unwrap();
    (
        h.address.as_ref().unwrap().get_ref().clone(),
        h.identity_file.clone().unwrap(),
        h.known_hosts.clone().unwrap(),
    )
}

fn discovered_names(state: &State, host: &str) -> Vec<String> {
    let h = state.host(&HostId::new(host)).unwrap();
    let mut names: Vec<String> = h
        .services
        .iter()
        .filter(|s| s.discovered)
        .map(|s| s.id.name.to_string())
        .collect();
    if let Some(d) = &h.docker {
        names.extend(d.discovered.iter().map(|k| match k {
            GroupKey::Compose { service, .. } => service.clone(),
            GroupKey::Plain { name } => name.clone(),
        }));
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn hosts_without_services_list_what_they_run() {
    let lab = lab_config();
    let mut text = String::from("[settings]\nrefresh = \"1s\"\n");
    for (name, docker) in [("gamelera", true), ("triboka", false)] {
        let (address, key, known) = lab_host(&lab, name);
        let socket = lab
            .find_host(&HostId::new(name))
            .unwrap()
            .docker_socket()
            .unwrap_or("/var/run/docker.sock")
            .to_owned();
        text.push_str(&format!(
            "\n[[hosts]]\nname = \"{name}\"\ntransport = \"ssh\"\naddress = \"{address}\"\nuser = \"root\"\n\
             identity_file = \"{}\"\nknown_hosts = \"{}\"\n{}discover = [\"compose\", \"systemd\", \"containers\"]\n",
            key.display(),
            known.display(),
            if docker {
                format!("docker_socket = \"{socket}\"\n")
            } else {
                String::new()
            }
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.toml");
    std::fs::write(&path, &text).unwrap();
    let config = Arc::new(opsdeck::config::load(&path).unwrap_or_else(|e| panic!("{e}")));
    let mut run = Run::start(config);
    run.until(
        Duration::from_secs(30),
        "gamelera's and triboka's services",
        |_, s| {
            let g = discovered_names(s, "gamelera");
            let t = discovered_names(s, "triboka");
            ["backend", "mongodb", "minio", "mlflow"]
                .iter()
                .all(|n| g.iter().any(|x| x == n))
                && ["triboka-flask", "triboka-agro-frontend"]
                    .iter()
                    .all(|n| t.iter().any(|x| x == n))
        },
    )
    .await;
    // A few more rounds: the list stays, and never holds the system's own units.
    let mut rounds = 0;
    run.until(Duration::from_secs(10), "more rounds of triboka", |u, _| {
        if matches!(u, Update::UnitsDiscovered { host, .. } if host.as_str() == "triboka") {
            rounds += 1;
        }
        rounds >= 2
    })
    .await;
    let t = discovered_names(&run.state, "triboka");
    for system in ["ssh", "dbus", "systemd-journald", "systemd-logind"] {
        assert!(!t.iter().any(|x| x == system), "{system} listed: {t:?}");
    }
    let flask = run
        .state
        .host(&HostId::new("triboka"))
        .unwrap()
        .services
        .iter()
        .find(|s| &*s.id.name == "triboka-flask")
        .unwrap();
    let obs = flask.observation.as_ref().expect("observed");
    assert_eq!(obs.state, opsdeck::model::RunState::Running, "{obs:?}");
    assert!(obs.detail.contains("pid"), "{obs:?}");
}

/// A temporary ssh config naming every lab host, with the lab's key and `known`.
fn ssh_config(dir: &Path, lab: &Config, known: &Path) -> PathBuf {
    let mut text = String::new();
    for name in LAB_HOSTS {
        let (address, key, _) = lab_host(lab, name);
        text.push_str(&format!(
            "Host {name}\n  HostName {address}\n  IdentityFile {}\n",
            key.display()
        ));
    }
    text.push_str(&format!(
        "Host *\n  User root\n  UserKnownHostsFile {}\n",
        known.display()
    ));
    let path = dir.join("ssh_config");
    std::fs::write(&path, text).unwrap();
    path
}

fn opsdeck(state: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.env("XDG_STATE_HOME", state)
        .env("XDG_CONFIG_HOME", state.join("config"));
    cmd
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn init_dry_run_writes_a_file_that_loads_and_reaches_every_host() {
    let lab = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let (_, _, known) = lab_host(&lab, "gamelera");
    let ssh = ssh_config(dir.path(), &lab, &known);
    let started = std::time::Instant::now();
    let out = opsdeck(dir.path())
        .args(["init", "--dry-run", "--ssh-config"])
        .arg(&ssh)
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    eprintln!("figures: init of 4 lab hosts took {took:?}\n{stderr}");
    let path = dir.path().join("hosts.toml");
    std::fs::write(&path, &text).unwrap();
    let config = opsdeck::config::load(&path).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let names: Vec<&str> = config
        .file
        .hosts
        .iter()
        .map(|h| h.name.get_ref().as_str())
        .collect();
    assert_eq!(names, LAB_HOSTS);
    let services = |host: &str| -> Vec<String> {
        config
            .find_host(&HostId::new(host))
            .unwrap()
            .services
            .iter()
            .map(|s| s.name.get_ref().clone())
            .collect()
    };
    for s in ["backend", "mongodb", "minio", "mlflow"] {
        assert!(services("gamelera").contains(&s.to_owned()), "{text}");
    }
    for s in ["triboka-flask", "triboka-agro-frontend"] {
        assert!(services("triboka").contains(&s.to_owned()), "{text}");
    }
    assert!(!services("triboka").contains(&"ssh".to_owned()), "{text}");
    // A well-known endpoint that answers became a check (epagal's backend: /health).
    assert!(text.contains(":8081/health\""), "{text}");
    assert!(
        !dir.path().join("config/opsdeck/hosts.toml").exists(),
        "a dry run wrote"
    );

    let status = opsdeck(dir.path())
        .args(["status", "--json", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&status.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&status.stdout)));
    let text = doc.to_string();
    for host in LAB_HOSTS {
        assert!(text.contains(host), "{host} missing: {text}");
    }
    assert!(!text.contains("unreachable"), "{text}");
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn an_unknown_host_key_is_reported_not_trusted() {
    let lab = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let (triboka, _, lab_known) = lab_host(&lab, "triboka");
    // The lab's known_hosts without triboka's key.
    let all = std::fs::read_to_string(&lab_known).unwrap();
    let without: String = all
        .lines()
        .filter(|l| {
            !l.split_whitespace()
                .next()
                .unwrap_or("")
                .split(',')
                .any(|h| h == triboka || h == format!("[{triboka}]:22"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(
        without, all,
        "triboka's key was not in the lab's known_hosts"
    );
    let known = dir.path().join("known_hosts");
    std::fs::write(&known, &without).unwrap();
    let ssh = ssh_config(dir.path(), &lab, &known);
    let output = dir.path().join("out/hosts.toml");
    let out = opsdeck(dir.path())
        .args(["init", "--ssh-config"])
        .arg(&ssh)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("triboka:"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        line.contains("host key unknown (SHA256:") && line.contains("not trusted"),
        "{line}"
    );
    // Nothing was trusted: neither file holds triboka's key now.
    assert_eq!(std::fs::read_to_string(&known).unwrap(), without);
    let trusted =
        std::fs::read_to_string(dir.path().join("opsdeck/known_hosts")).unwrap_or_default();
    assert!(!trusted.contains(&triboka), "{trusted}");
    // The file was written, triboka commented out, the others in it; it loads.
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(
        text.contains("# triboka — not written: host key unknown"),
        "{text}"
    );
    let config = opsdeck::config::load(&output).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let names: Vec<&str> = config
        .file
        .hosts
        .iter()
        .map(|h| h.name.get_ref().as_str())
        .collect();
    assert_eq!(names, ["gamelera", "epagal", "preventia"]);

    // A second run does not overwrite it without --force.
    std::fs::write(&output, "# mine\n").unwrap();
    let again = opsdeck(dir.path())
        .args(["init", "--ssh-config"])
        .arg(&ssh)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "# mine\n");
}
