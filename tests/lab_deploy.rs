//! Deploys and rollbacks against the lab, through the binary as an operator runs them
//! (`opsdeck deploy|rollback`): the same plans, dispatcher and executor as the console.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use opsdeck::transport::CommandSpec;

/// One deploy at a time in this file: they move the same services.
static LAB: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Ran {
    code: i32,
    out: String,
    took: Duration,
}

fn opsdeck(state: &std::path::Path, args: &[&str]) -> Ran {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(lab_hosts_path())
        .arg("--log-file")
        .arg(state.join("opsdeck.log"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("$ opsdeck {}\n{text}", args.join(" "));
    Ran {
        code: out.status.code().unwrap_or(-1),
        out: text,
        took: started.elapsed(),
    }
}

async fn on(host: &str, args: &[&str]) -> String {
    let lab = lab_config();
    let conn = ssh(&lab, host).await;
    let out = conn
        .run(
            &CommandSpec::argv(args.iter().copied()),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(
        out.success(),
        "{host}: {args:?}: {}{}",
        out.stdout,
        out.stderr
    );
    out.stdout.trim().to_owned()
}

fn audit(state: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(state.join("opsdeck/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn gamelera_deploys_holds_a_good_version_and_rolls_back_a_bad_one() {
    let _lab = LAB.lock().await;
    let state = tempfile::tempdir().unwrap();
    let version = || {
        on(
            "gamelera",
            &["lab-compose", "version", "gamelera", "backend"],
        )
    };
    let start = version().await;
    if start != "v1" {
        on(
            "gamelera",
            &["lab-compose", "deploy", "gamelera", "backend", "v1"],
        )
        .await;
    }

    let good = opsdeck(state.path(), &["deploy", "gamelera/backend", "v2", "--yes"]);
    assert_eq!(good.code, 0, "{}", good.out);
    assert_eq!(version().await, "v2");
    assert!(
        good.out.contains("recorded previous_version: v1"),
        "{}",
        good.out
    );
    // The recipe's backup first and its smoke suite after.
    assert!(
        good.out.contains("backup before the deploy: mongodb-"),
        "{}",
        good.out
    );
    assert!(
        good.out.contains("smoke suite gamelera-post-deploy passed"),
        "{}",
        good.out
    );
    eprintln!(
        "figures: gamelera v1 → v2 healthy in {:.1}s",
        good.took.as_secs_f64()
    );

    let bad = opsdeck(state.path(), &["deploy", "gamelera/backend", "v3", "--yes"]);
    assert_eq!(
        bad.code, 1,
        "the gate failed and it was rolled back: {}",
        bad.out
    );
    assert_eq!(version().await, "v2", "back on the recorded version");
    assert!(bad.out.contains("rolled back to v2"), "{}", bad.out);
    assert!(
        bad.out.contains("degraded"),
        "the gate says why: {}",
        bad.out
    );
    eprintln!(
        "figures: gamelera v2 → v3 rolled back and healthy in {:.1}s",
        bad.took.as_secs_f64()
    );
    let (status, _) = http_get("10.77.0.10:8000", "/api/v1/health");
    assert_eq!(status, 200);

    // The audit has the record (before the change), the gate failure and the rollback.
    let entries = audit(state.path());
    let records: Vec<&str> = entries
        .iter()
        .filter(|e| e["event"] == "record")
        .filter_map(|e| e["note"].as_str())
        .collect();
    assert_eq!(
        records,
        [
            "recorded previous_version: v1",
            "recorded previous_version: v2"
        ]
    );
    // …and the image of every replica, with its id, before each change.
    let images: Vec<&str> = entries
        .iter()
        .filter(|e| e["event"] == "record_images")
        .filter_map(|e| e["note"].as_str())
        .collect();
    assert_eq!(images.len(), 2, "{images:?}");
    assert!(
        images[0].contains("gamelera_backend_1 localhost/opsdeck-lab/app:v1 (sha256:"),
        "{images:?}"
    );
    let last = entries.iter().rev().find(|e| e["event"] == "end").unwrap();
    assert_eq!(last["result"], "failed");
    assert_eq!(last["step_title"], "health gate");
    assert_eq!(last["put_back"], true);

    // A rollback on demand returns to what the last successful deploy recorded: v1.
    let back = opsdeck(state.path(), &["rollback", "gamelera/backend", "--yes"]);
    assert_eq!(back.code, 0, "{}", back.out);
    assert!(back.out.contains("rolling back to v1"), "{}", back.out);
    assert_eq!(version().await, "v1");

    // The dry run names the version a failed gate would return to, and changes nothing.
    let dry = opsdeck(
        state.path(),
        &["deploy", "gamelera/backend", "v2", "--dry-run"],
    );
    assert_eq!(dry.code, 0, "{}", dry.out);
    assert!(dry.out.contains("now running: v1"), "{}", dry.out);
    assert_eq!(version().await, "v1");

    // Versions are one harmless argument.
    let evil = opsdeck(
        state.path(),
        &["deploy", "gamelera/backend", "v1;id", "--yes"],
    );
    assert_eq!(evil.code, 2, "{}", evil.out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_second_deployer_is_refused_by_the_lock_naming_the_holder() {
    let _lab = LAB.lock().await;
    let state = tempfile::tempdir().unwrap();
    // v3 fails its gate: the first deploy holds the lock for the whole gate (~20 s).
    let first = {
        let dir = state.path().to_owned();
        std::thread::spawn(move || opsdeck(&dir, &["deploy", "gamelera/backend", "v3", "--yes"]))
    };
    let lock = opsdeck::action::deploys::lock_path(
        &lab_config(),
        &opsdeck::model::ServiceId::new(&opsdeck::model::HostId::new("gamelera"), "backend"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while on(
        "gamelera",
        &["sh", "-c", &format!("test -e {lock} && echo y || echo n")],
    )
    .await
        != "y"
    {
        assert!(
            Instant::now() < deadline,
            "the first deploy never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // What the console's Deploys screen shows: who holds it.
    {
        let config = lab_config();
        let transports = opsdeck::transport::Transports::for_config(&config);
        let id = opsdeck::model::HostId::new("gamelera");
        let kh = std::env::temp_dir().join("opsdeck-tests-known_hosts");
        let _link = opsdeck::cli::connect_host(&config, &transports, &id, &kh)
            .await
            .unwrap();
        let svc = opsdeck::model::ServiceId::new(&id, "backend");
        let holder = opsdeck::action::deploys::read_lock(&config, &transports, &svc)
            .await
            .unwrap()
            .expect("the lock is held");
        assert!(holder.contains("deploy gamelera/backend v3"), "{holder}");
    }
    let other = tempfile::tempdir().unwrap();
    let second = opsdeck(other.path(), &["deploy", "gamelera/backend", "v2", "--yes"]);
    assert_eq!(second.code, 2, "{}", second.out);
    assert!(
        second.out.contains("deploy lock held by:"),
        "{}",
        second.out
    );
    assert!(
        second.out.contains("deploy gamelera/backend v3"),
        "the holder is named: {}",
        second.out
    );
    let first = first.join().unwrap();
    assert_eq!(first.code, 1, "{}", first.out);
    on("gamelera", &["sh", "-c", &format!("test ! -e {lock}")]).await;
    // The loser's attempt released nothing of the holder's, and said nothing was changed.
    assert!(
        !second.out.lines().any(|l| l.trim() == "lock released"),
        "{}",
        second.out
    );
    assert!(!second.out.contains("rolled back"), "{}", second.out);
    on(
        "gamelera",
        &["lab-compose", "deploy", "gamelera", "backend", "v1"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn preventia_api_moves_both_replicas_and_triboka_rolls_back_a_failing_revision() {
    let _lab = LAB.lock().await;
    let state = tempfile::tempdir().unwrap();
    let replicas = || on("preventia", &["lab-compose", "ps", "preventia"]);
    let moved = opsdeck(state.path(), &["deploy", "preventia/api", "v2", "--yes"]);
    assert_eq!(moved.code, 0, "{}", moved.out);
    let ps = replicas().await;
    let api: Vec<&str> = ps
        .lines()
        .filter(|l| l.starts_with("preventia_api_"))
        .collect();
    assert_eq!(api.len(), 2, "{ps}");
    assert!(
        api.iter().all(|l| l.contains(":v2")),
        "both replicas on v2: {ps}"
    );
    let back = opsdeck(state.path(), &["rollback", "preventia/api", "--yes"]);
    assert_eq!(back.code, 0, "{}", back.out);
    let ps = replicas().await;
    assert!(
        ps.lines()
            .filter(|l| l.starts_with("preventia_api_"))
            .all(|l| l.contains(":v1")),
        "both back on v1: {ps}"
    );

    let rev = || {
        on(
            "triboka",
            &[
                "git",
                "-C",
                "/home/rootpanel/web/app.triboka.com",
                "describe",
                "--tags",
            ],
        )
    };
    let start = rev().await;
    let good = opsdeck(
        state.path(),
        &["deploy", "triboka/triboka-flask", "v1.1.0", "--yes"],
    );
    assert_eq!(good.code, 0, "{}", good.out);
    assert_eq!(rev().await, "v1.1.0");
    let bad = opsdeck(
        state.path(),
        &["deploy", "triboka/triboka-flask", "v1.2.0", "--yes"],
    );
    assert_eq!(bad.code, 1, "{}", bad.out);
    assert_eq!(
        rev().await,
        "v1.1.0",
        "rolled back to the recorded revision"
    );
    assert_eq!(
        on(
            "triboka",
            &["systemctl", "is-active", "triboka-flask.service"]
        )
        .await,
        "active"
    );
    let home = opsdeck(
        state.path(),
        &["rollback", "triboka/triboka-flask", "--to", &start, "--yes"],
    );
    assert_eq!(home.code, 0, "{}", home.out);
    assert_eq!(rev().await, start);
}

/// Seed 003's ECS service against moto's ECS API: a deploy is `update-service` to a task
/// definition, checked through the API; a broken revision's 503 rolls it back to the
/// recorded one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn ecs_deploys_and_rolls_back_through_the_api() {
    let _lab = LAB.lock().await;
    let state = tempfile::tempdir().unwrap();
    let aws = |args: &[&str]| {
        let out = Command::new("/usr/bin/aws")
            .args(["--endpoint-url", "http://10.77.0.14:5000", "ecs"])
            .args(args)
            .env("AWS_CONFIG_FILE", "/var/lib/opsdeck-lab/cloud/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/var/lib/opsdeck-lab/cloud/credentials",
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let task_definition = || {
        aws(&[
            "describe-services",
            "--cluster",
            "conductores-cluster",
            "--services",
            "conductores-backend",
            "--query",
            "services[0].taskDefinition",
            "--output",
            "text",
        ])
    };
    let start = task_definition();
    assert!(start.ends_with("conductores-backend:42"), "{start}");

    let good = opsdeck(
        state.path(),
        &[
            "deploy",
            "control/conductores-ecs",
            "conductores-backend:43",
            "--yes",
        ],
    );
    assert_eq!(good.code, 0, "{}", good.out);
    assert_eq!(task_definition(), "conductores-backend:43");

    let bad = opsdeck(
        state.path(),
        &[
            "deploy",
            "control/conductores-ecs",
            "conductores-backend:44",
            "--yes",
        ],
    );
    assert_eq!(bad.code, 1, "{}", bad.out);
    assert!(
        bad.out.contains("status 503"),
        "the gate saw the broken revision: {}",
        bad.out
    );
    assert_eq!(
        task_definition(),
        "conductores-backend:43",
        "rolled back through the API"
    );

    let back = opsdeck(
        state.path(),
        &["rollback", "control/conductores-ecs", "--yes"],
    );
    assert_eq!(back.code, 0, "{}", back.out);
    assert_eq!(
        task_definition(),
        start,
        "back on the ARN recorded before the first deploy"
    );
}

/// The version picker's lists: the image tags on gamelera's engine, the git tags of
/// triboka's checkout, each with the running one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn versions_come_from_the_engine_and_from_git() {
    let _lab = LAB.lock().await;
    let config = lab_config();
    let transports = opsdeck::transport::Transports::for_config(&config);
    let kh = std::env::temp_dir().join("opsdeck-tests-known_hosts");
    let mut links = Vec::new();
    for host in ["gamelera", "triboka"] {
        let id = opsdeck::model::HostId::new(host);
        links.push(
            opsdeck::cli::connect_host(&config, &transports, &id, &kh)
                .await
                .unwrap(),
        );
    }
    let svc = |s: &str| opsdeck::model::ServiceId::parse(s).unwrap();
    let g = opsdeck::action::deploys::list_versions(&config, &transports, &svc("gamelera/backend"))
        .await
        .unwrap();
    assert!(
        ["v1", "v2", "v3"]
            .iter()
            .all(|v| g.available.contains(&v.to_string())),
        "{g:?}"
    );
    assert_eq!(g.running.as_deref(), Some("v1"));
    let t = opsdeck::action::deploys::list_versions(
        &config,
        &transports,
        &svc("triboka/triboka-flask"),
    )
    .await
    .unwrap();
    assert_eq!(t.available, ["v1.0.0", "v1.1.0", "v1.2.0"]);
    assert_eq!(t.running.as_deref(), Some("v1.0.0"));
}

/// Seed 004's scaling through the dispatcher: 4 replicas, then back to 2, each counted
/// through the engine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn preventia_api_scales_to_four_and_back_to_two() {
    let _lab = LAB.lock().await;
    let state = tempfile::tempdir().unwrap();
    let running = || async {
        on("preventia", &["lab-compose", "ps", "preventia"])
            .await
            .lines()
            .filter(|l| l.starts_with("preventia_api_") && l.contains("Up"))
            .count()
    };
    let up = opsdeck(state.path(), &["scale", "preventia/api", "4", "--yes"]);
    assert_eq!(up.code, 0, "{}", up.out);
    assert!(up.out.contains("4/4 replicas running"), "{}", up.out);
    assert_eq!(running().await, 4);
    let down = opsdeck(state.path(), &["scale", "preventia/api", "2", "--yes"]);
    assert_eq!(down.code, 0, "{}", down.out);
    assert!(down.out.contains("2/2 replicas running"), "{}", down.out);
    assert_eq!(running().await, 2);
    let too_many = opsdeck(state.path(), &["scale", "preventia/api", "500", "--yes"]);
    assert_eq!(too_many.code, 2, "{}", too_many.out);
}
