//! Backup sets against the lab: `opsdeck backups --json` lists the four sets from their
//! hosts' real files and moto's S3; preventia's three files of one timestamp are one
//! backup; an unreachable host is an error, not an empty set; an off-site copy uploaded
//! with rclone shows as `offsite: true` and deleting the copies within the RPO flags the
//! set (the bucket is put back by a guard, even when the test fails). Also prints how long
//! listing all four sets takes, cold and warm.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use opsdeck::config::Config;
use opsdeck::model::HostId;
use opsdeck::transport::{Target, Transports, quote};
use serde_json::Value;

const GAMELERA_DIR: &str = "/tmp/bovine-backups";
const GAMELERA_REMOTE: &str = "labs3:bovine-backups/mongodb";

/// The tests that change gamelera's backups, one at a time.
fn lab_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The real binary: `opsdeck --config CONFIG backups ARGS…`, with a state directory of
/// its own.
fn opsdeck_backups(config: &Path, args: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    opsdeck_backups_in(state.path(), config, args)
}

fn opsdeck_backups_in(state: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(config)
        .arg("backups")
        .args(args)
        .env("XDG_STATE_HOME", state)
        .output()
        .expect("run opsdeck backups")
}

/// `opsdeck backups --json`: the exit code and the document.
fn backups_json(config: &Path) -> (i32, Value) {
    let out = opsdeck_backups(config, &["--json"]);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "opsdeck backups --json printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

fn set<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no set {name} in {doc:#}"))
}

/// A shell command on a lab host with the system ssh client and the lab's key (usable in
/// `Drop`); fails the test with what it printed unless `may_fail`.
fn on_host(config: &Config, host: &str, script: &str, may_fail: bool) -> String {
    let h = config.find_host(&HostId::new(host)).unwrap();
    let mut cmd = Command::new("ssh");
    cmd.args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]);
    if let Some(key) = &h.identity_file {
        cmd.arg("-i").arg(key);
    }
    if let Some(kh) = &h.known_hosts {
        cmd.arg("-o")
            .arg(format!("UserKnownHostsFile={}", kh.display()));
    }
    cmd.arg(format!("root@{}", h.address.as_ref().unwrap().get_ref()))
        .arg(script);
    let out = cmd.output().expect("run ssh");
    assert!(
        may_fail || out.status.success(),
        "`{script}` on {host} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bucket's objects as (name, size, mtime), sorted.
fn remote_objects(config: &Config) -> Vec<(String, u64, String)> {
    let text = on_host(
        config,
        "gamelera",
        &format!("rclone lsjson {GAMELERA_REMOTE}"),
        false,
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut objects: Vec<(String, u64, String)> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["Name"].as_str().unwrap().to_owned(),
                o["Size"].as_u64().unwrap(),
                o["ModTime"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    objects.sort();
    objects
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn the_four_lab_sets_are_listed_with_their_parts() {
    let config = lab_config();
    // preventia's timestamps over its three directories, before and after (other tests
    // may make a backup meanwhile).
    let keys = || {
        let out = on_host(
            &config,
            "preventia",
            "ls /backups/database /backups/files /backups/configs \
             | sed -n 's/^[a-z]*_\\([0-9]\\{8\\}_[0-9]\\{6\\}\\)\\..*/\\1/p' | sort -u | wc -l",
            false,
        );
        out.trim().parse::<u64>().unwrap()
    };
    let keys_before = keys();
    let (code, doc) = backups_json(&lab_hosts_path());
    let keys_after = keys();
    let names: Vec<&str> = doc["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "gamelera-mongodb",
            "epagal-postgres",
            "triboka-sqlite",
            "preventia-db"
        ]
    );
    for s in doc["sets"].as_array().unwrap() {
        assert!(s["error"].is_null(), "{s:#}");
        assert_eq!(s["rpo_s"], 86_400);
        assert!(s["last_drill"].is_null());
        assert!(s["count"].as_u64().unwrap() >= 1, "{s:#}");
        assert!(s["newest"]["size"].as_u64().unwrap() > 0, "{s:#}");
        assert!(s["newest"]["local"].as_bool().unwrap(), "{s:#}");
    }
    assert!(matches!(code, 0 | 1), "exit {code}: {doc:#}");

    // preventia: db_TS.dump, exports_TS.tar.gz and config_TS.tar.gz are one backup.
    let p = set(&doc, "preventia-db");
    let key = p["newest"]["key"].as_str().unwrap();
    let parts: Vec<(&str, &str)> = p["newest"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["part"].as_str().unwrap(), x["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        parts,
        [
            ("file", format!("/backups/database/db_{key}.dump").as_str()),
            (
                "exports",
                format!("/backups/files/exports_{key}.tar.gz").as_str()
            ),
            (
                "configs",
                format!("/backups/configs/config_{key}.tar.gz").as_str()
            ),
        ]
    );
    let count = p["count"].as_u64().unwrap();
    assert!(
        (keys_before.min(keys_after)..=keys_before.max(keys_after)).contains(&count),
        "{count} backups listed, {keys_before}..{keys_after} timestamps on the host"
    );
    // Sets with an off-site listing say where their newest copy is.
    for name in ["gamelera-mongodb", "epagal-postgres"] {
        assert!(set(&doc, name)["newest"]["offsite"].is_boolean());
    }
    assert_eq!(set(&doc, "triboka-sqlite")["newest"]["offsite"], false);

    // A drill on record (as `opsdeck drill` keeps it) is shown beside its set.
    let state = tempfile::tempdir().unwrap();
    opsdeck::action::backups::DrillRecord {
        set: "triboka-sqlite".into(),
        at: Utc::now() - chrono::Duration::hours(3),
        ok: true,
        summary: "drill of triboka-sqlite succeeded".into(),
        integrity: Some("ok".into()),
        duration_ms: 1200,
    }
    .save(&state.path().join("opsdeck/drills.json"))
    .unwrap();
    let out = opsdeck_backups_in(state.path(), &lab_hosts_path(), &["--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let drill = &set(&doc, "triboka-sqlite")["last_drill"];
    assert_eq!(drill["ok"], true, "{drill:#}");
    assert_eq!(drill["integrity"], "ok", "{drill:#}");
    assert!(
        (10_790..10_900).contains(&drill["age_s"].as_u64().unwrap()),
        "{drill:#}"
    );
    assert!(set(&doc, "epagal-postgres")["last_drill"].is_null());
    let text = opsdeck_backups_in(state.path(), &lab_hosts_path(), &[]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("last drill: ok, 3h0m ago, ok"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn an_unreachable_host_is_an_error_not_an_empty_set() {
    let text = std::fs::read_to_string(lab_hosts_path()).unwrap();
    // gamelera's address, one nobody answers on.
    let bad = text.replacen("address = \"10.77.0.10\"", "address = \"10.77.0.99\"", 1);
    assert_ne!(bad, text, "gamelera's address is not 10.77.0.10 any more");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.toml");
    std::fs::write(&path, bad).unwrap();
    let started = Instant::now();
    let (code, doc) = backups_json(&path);
    assert_eq!(code, 2, "{doc:#}");
    let g = set(&doc, "gamelera-mongodb");
    assert!(g["fresh"].is_null() && g["newest"].is_null(), "{g:#}");
    assert!(
        g["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot reach the host"),
        "{g:#}"
    );
    for name in ["epagal-postgres", "triboka-sqlite", "preventia-db"] {
        let s = set(&doc, name);
        assert!(s["error"].is_null() && s["newest"].is_object(), "{s:#}");
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// Puts gamelera's backups back as they were: the test's local backup gone, its copy gone
/// from the bucket, and every seeded copy the test deleted uploaded again (rclone keeps
/// their mtimes), as `backup.sh` does it.
struct RestoreGamelera {
    config: Arc<Config>,
    key: String,
}

impl Drop for RestoreGamelera {
    fn drop(&mut self) {
        let name = format!("mongodb-{}.tar.gz", self.key);
        on_host(
            &self.config,
            "gamelera",
            &format!(
                "rm -f {local}; rclone deletefile {remote} 2>/dev/null; \
                 rclone copy {GAMELERA_DIR} {GAMELERA_REMOTE} --include 'mongodb-*.tar.gz'",
                local = quote(&format!("{GAMELERA_DIR}/{name}")),
                remote = quote(&format!("{GAMELERA_REMOTE}/{name}")),
            ),
            true,
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn an_offsite_copy_shows_and_deleting_the_copies_within_the_rpo_flags_the_set() {
    let _lock = lab_lock();
    let config = lab_config();
    let before = remote_objects(&config);
    let key = Utc::now().format("%Y%m%d_%H%M%S").to_string();
    let name = format!("mongodb-{key}.tar.gz");
    let _restore = RestoreGamelera {
        config: config.clone(),
        key: key.clone(),
    };
    // A new backup on the host (a copy of the newest, made now), not yet off-site.
    on_host(
        &config,
        "gamelera",
        &format!(
            "cp \"$(ls {GAMELERA_DIR}/mongodb-*.tar.gz | sort | tail -n 1)\" {path} && touch {path}",
            path = quote(&format!("{GAMELERA_DIR}/{name}"))
        ),
        false,
    );
    let (_, doc) = backups_json(&lab_hosts_path());
    let g = set(&doc, "gamelera-mongodb");
    assert_eq!(g["newest"]["key"], key.as_str(), "{g:#}");
    assert_eq!(g["newest"]["offsite"], false, "{g:#}");
    assert!(g["newest"]["age_s"].as_u64().unwrap() < 120, "{g:#}");

    // Uploaded through rclone, as backup.sh does: off-site now.
    on_host(
        &config,
        "gamelera",
        &format!(
            "rclone copy {GAMELERA_DIR} {GAMELERA_REMOTE} --include {}",
            quote(&name)
        ),
        false,
    );
    let (_, doc) = backups_json(&lab_hosts_path());
    let g = set(&doc, "gamelera-mongodb");
    assert_eq!(g["newest"]["key"], key.as_str(), "{g:#}");
    assert_eq!(g["newest"]["offsite"], true, "{g:#}");
    assert!(g["flags"].as_array().unwrap().is_empty(), "{g:#}");

    // Every copy within the RPO deleted from the bucket: the set is flagged, exit 1.
    let day_ago = Utc::now() - chrono::Duration::hours(24);
    let recent: Vec<String> = remote_objects(&config)
        .into_iter()
        .filter(|(_, _, mtime)| {
            chrono::DateTime::parse_from_rfc3339(mtime).is_ok_and(|t| t > day_ago)
        })
        .map(|(n, _, _)| n)
        .collect();
    assert!(recent.contains(&name), "{recent:?}");
    let deletes: Vec<String> = recent
        .iter()
        .map(|n| {
            format!(
                "rclone deletefile {}",
                quote(&format!("{GAMELERA_REMOTE}/{n}"))
            )
        })
        .collect();
    on_host(&config, "gamelera", &deletes.join(" && "), false);
    let (code, doc) = backups_json(&lab_hosts_path());
    let g = set(&doc, "gamelera-mongodb");
    assert_eq!(g["newest"]["key"], key.as_str(), "{g:#}");
    assert_eq!(g["newest"]["offsite"], false, "{g:#}");
    assert_eq!(g["fresh"], true, "{g:#}");
    assert_eq!(
        g["flags"],
        serde_json::json!(["no-offsite-within-rpo"]),
        "{g:#}"
    );
    assert_eq!(code, 1, "{doc:#}");
    let stale = opsdeck_backups(&lab_hosts_path(), &["--stale"]);
    let text = String::from_utf8_lossy(&stale.stdout);
    assert!(
        text.contains("gamelera-mongodb") && text.contains("no off-site copy within the RPO"),
        "{text}"
    );

    // The guard puts the bucket back; prove it did.
    drop(_restore);
    assert_eq!(remote_objects(&config), before);
    let listed = on_host(&config, "gamelera", &format!("ls {GAMELERA_DIR}"), false);
    assert!(!listed.contains(&name), "{listed}");
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn time_to_list_all_four_sets() {
    let config = lab_config();
    // The binary: connects every host, lists, exits (each run starts cold for SSH).
    let mut runs = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let out = opsdeck_backups(&lab_hosts_path(), &["--json"]);
        assert!(out.status.code().is_some_and(|c| c <= 1));
        runs.push(started.elapsed());
    }
    // The library over open connections, as the console lists (connect once, list again).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (connect, first, warm) = rt.block_on(async {
        let transports = Transports::default();
        let started = Instant::now();
        for host in ["gamelera", "epagal", "triboka", "preventia"] {
            let conn = ssh(&config, host).await;
            transports.set_ssh(&HostId::new(host), Some(Arc::new(conn)));
        }
        let connect = started.elapsed();
        let list_all = || async {
            let started = Instant::now();
            let all = futures::future::join_all(config.file.backups.iter().map(|set| {
                let target = Target::Ssh(HostId::new(set.host.get_ref()));
                let transports = &transports;
                async move {
                    let started = Instant::now();
                    let status = opsdeck::backup::list_set(
                        set,
                        &target,
                        transports,
                        Duration::from_secs(30),
                        Utc::now(),
                    )
                    .await;
                    (set.name.get_ref().clone(), started.elapsed(), status)
                }
            }))
            .await;
            for (name, _, r) in &all {
                assert!(r.is_ok(), "{name}: {r:?}");
            }
            let each: Vec<String> = all
                .iter()
                .map(|(name, took, _)| format!("{name} {} ms", took.as_millis()))
                .collect();
            (started.elapsed(), each.join(", "))
        };
        let first = list_all().await;
        let mut warm = Vec::new();
        for _ in 0..3 {
            warm.push(list_all().await);
        }
        (connect, first, warm)
    });
    println!(
        "opsdeck backups (4 sets, new SSH masters each run): {}",
        runs.iter()
            .map(|d| format!("{} ms", d.as_millis()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "list_set ×4 over open connections: connect {} ms, first {} ms ({}), warm {}",
        connect.as_millis(),
        first.0.as_millis(),
        first.1,
        warm.iter()
            .map(|d| format!("{} ms", d.0.as_millis()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some((_, each)) = warm.last() {
        println!("  warm, each set: {each}");
    }
}
