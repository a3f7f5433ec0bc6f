//! Against the running lab (real sshd, podman's Docker API, systemd, PostgreSQL,
//! Prometheus): the smoke test of every host, and the SSH features that do not break
//! anything.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::*;
use opsdeck::action::audit::AuditLog;
use opsdeck::action::dispatcher::Answer;
use opsdeck::action::execute::{ExecEnv, execute};
use opsdeck::action::{ActionKind, ActionOutcome, Dispatcher};
use opsdeck::collect::logs::{LogSpec, Position, Reader};
use opsdeck::collect::remote::{PollState, parse_poll, poll_command};
use opsdeck::model::{HostId, RunState, ServiceId};
use opsdeck::transport::{CommandSpec, Transports};
use tokio::sync::mpsc;

const SSH_HOSTS: [&str; 4] = ["gamelera", "epagal", "triboka", "preventia"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn smoke_every_host_answers_over_ssh() {
    let config = lab_config();
    for host in SSH_HOSTS {
        let conn = ssh(&config, host).await;
        let out = conn
            .run(&CommandSpec::argv(["hostname"]), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(out.stdout.trim(), host, "hostname of {host}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn smoke_docker_api_over_ssh_lists_compose_containers() {
    let config = lab_config();
    for (host, services) in [
        ("gamelera", vec!["backend", "mongodb", "minio", "mlflow"]),
        (
            "preventia",
            vec!["api", "frontend", "analytics_service", "postgres", "redis"],
        ),
    ] {
        let conn = ssh(&config, host).await;
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("docker.sock");
        conn.forward_unix(&local, std::path::Path::new("/run/docker.sock"))
            .await
            .unwrap();
        let docker = bollard::Docker::connect_with_unix(
            local.to_str().unwrap(),
            20,
            bollard::API_DEFAULT_VERSION,
        )
        .unwrap();
        let list = docker
            .list_containers(Some(bollard::query_parameters::ListContainersOptions {
                all: true,
                ..Default::default()
            }))
            .await
            .unwrap_or_else(|e| panic!("Docker API of {host} over ssh: {e}"));
        let labels: Vec<String> = list
            .iter()
            .filter_map(|c| {
                c.labels
                    .as_ref()?
                    .get("com.docker.compose.service")
                    .cloned()
            })
            .collect();
        for s in services {
            assert!(
                labels.iter().any(|l| l == s),
                "{host}: no container for compose service {s} in {labels:?}"
            );
        }
        if host == "preventia" {
            assert_eq!(
                labels.iter().filter(|l| *l == "api").count(),
                2,
                "preventia runs api at 2 replicas"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn smoke_systemd_postgres_prometheus_alertmanager() {
    let config = lab_config();
    let triboka = ssh(&config, "triboka").await;
    let out = triboka
        .run(
            &CommandSpec::argv(["systemctl", "is-active", "triboka-flask"]),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout.trim(), "active");

    let epagal = ssh(&config, "epagal").await;
    let q = [
        "psql",
        "-h",
        "/run/postgresql",
        "-U",
        "postgres",
        "-d",
        "epagal",
        "-tAc",
        "select count(*) from incidencias",
    ];
    let out = epagal
        .run(&CommandSpec::argv(q), Duration::from_secs(10))
        .await
        .unwrap();
    assert!(out.success(), "psql: {}", out.stderr);
    let rows: u64 = out
        .stdout
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("psql printed {:?}", out.stdout));
    assert!(rows > 0, "incidencias is empty");

    let (status, body) = http_get("10.77.0.13:9090", "/api/v1/query?query=up");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"success\""), "{body}");
    let (status, body) = http_get("10.77.0.13:9093", "/api/v2/alerts");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("LabAlwaysFiring") && body.contains("active"),
        "no firing alert: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn remote_metrics_and_unit_status_in_one_round_trip() {
    let config = lab_config();
    let conn = ssh(&config, "triboka").await;
    let units = vec![
        "triboka-flask.service".to_owned(),
        "triboka-agro-frontend.service".to_owned(),
    ];
    let mut st = PollState::default();
    let first = conn
        .run(&poll_command(&units), Duration::from_secs(10))
        .await
        .unwrap();
    parse_poll(&first.stdout, &mut st.prev_cpu, Utc::now());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = conn
        .run(&poll_command(&units), Duration::from_secs(10))
        .await
        .unwrap();
    let r = parse_poll(&out.stdout, &mut st.prev_cpu, Utc::now());
    assert!(
        r.sample.cpu_total.is_some() && r.sample.mem_total_bytes > 0 && !r.sample.disks.is_empty(),
        "{:?}",
        r.sample
    );
    assert!(r.sample.uptime > Duration::ZERO);
    assert_eq!(r.units.len(), 2);
    for u in &r.units {
        assert_eq!(u.run_state(), RunState::Running, "{u:?}");
        assert!(u.main_pid > 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn restart_a_systemd_unit_through_the_dispatcher() {
    let config = lab_config();
    let unit = "triboka-agro-frontend.service".to_owned();
    let conn = Arc::new(ssh(&config, "triboka").await);
    let read = |c: Arc<opsdeck::transport::ssh::SshConnection>, u: String| async move {
        let out = c
            .run(&poll_command(&[u]), Duration::from_secs(10))
            .await
            .unwrap();
        parse_poll(&out.stdout, &mut None, Utc::now())
            .units
            .remove(0)
    };
    let before = read(conn.clone(), unit.clone()).await;
    assert_eq!(before.run_state(), RunState::Running);

    let transports = Arc::new(Transports::default());
    let host = HostId::new("triboka");
    transports.set_ssh(&host, Some(conn.clone()));
    let service = ServiceId::new(&host, "triboka-agro-frontend");
    let mut d = Dispatcher::new(false);
    let plan = d.plan(&config, ActionKind::Restart, &service, &[]).unwrap();
    // Noting when the unit last became active, the restart, then the wait for it.
    assert_eq!(
        plan.steps[1].command.to_string(),
        "systemctl restart -- triboka-agro-frontend.service"
    );
    assert!(
        plan.location.starts_with("ssh root@10.77.0.12"),
        "{}",
        plan.location
    );
    assert_eq!(
        plan.confirmation,
        opsdeck::action::Confirmation::TypeName("triboka-agro-frontend".into())
    );
    assert!(
        d.confirm(&config, plan.clone(), Answer::Yes).is_err(),
        "prod needs the typed name"
    );
    let auth = d
        .confirm(&config, plan, Answer::Typed("triboka-agro-frontend"))
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let audit = AuditLog::new(dir.path().join("audit.jsonl"));
    let (tx, _rx) = mpsc::channel(64);
    let outcome = execute(
        &auth,
        &ExecEnv {
            config: &config,
            audit: &audit,
            read_only: false,
            transports: &transports,
            known_hosts: &std::env::temp_dir().join("opsdeck-test-known_hosts"),
        },
        &tx,
    )
    .await;
    assert!(
        matches!(outcome, ActionOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    let after = read(conn.clone(), unit.clone()).await;
    assert_eq!(after.run_state(), RunState::Running);
    assert!(
        after.active_enter_monotonic_us > before.active_enter_monotonic_us,
        "ActiveEnterTimestamp did not change: {before:?} {after:?}"
    );
    assert_ne!(after.main_pid, before.main_pid);
    let audit_text = std::fs::read_to_string(audit.path()).unwrap();
    let events: Vec<serde_json::Value> = audit_text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[0]["event"].as_str(), events[1]["event"].as_str()),
        (Some("start"), Some("end"))
    );
    assert_eq!(events[1]["result"], "succeeded");
    assert_eq!(
        events[0]["location"].as_str().unwrap().split(' ').next(),
        Some("ssh")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn journal_follow_shows_a_line_written_after_it_started() {
    let config = lab_config();
    let conn = ssh(&config, "triboka").await;
    let spec = LogSpec::Journald {
        unit: "triboka-flask.service".into(),
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let command = spec.command(&Position::Start, 5, &Default::default());
    let follow = tokio::spawn(async move {
        let _ = conn.stream(&command, tx).await;
    });
    let mut reader = Reader::new(spec);
    // Let the follow start, then make the service write a line we can recognise.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let probe = format!("opsdeck-probe-{}", std::process::id());
    let (status, _) = http_get("10.77.0.12:5003", &format!("/api/health?probe={probe}"));
    assert_eq!(status, 200);
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(raw) = rx.recv().await {
            if let Some(line) = reader.line(&raw)
                && line.message.contains(&probe)
            {
                return line;
            }
        }
        panic!("journal stream ended");
    })
    .await
    .expect("the new journal line arrived within 15 s");
    assert!(found.at.is_some(), "journal lines carry their timestamp");
    assert!(matches!(reader.position, Position::JournalCursor(_)));
    follow.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn injection_round_trip_is_byte_identical() {
    let config = lab_config();
    let conn = Arc::new(ssh(&config, "gamelera").await);
    let strings = generated_strings(1000);
    let mut tasks = Vec::new();
    for chunk in strings.chunks(125) {
        let conn = conn.clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            for s in chunk {
                let out = conn
                    .run(
                        &CommandSpec::argv(["printf", "%s", s.as_str()]),
                        Duration::from_secs(10),
                    )
                    .await
                    .unwrap();
                assert_eq!(out.stdout, s, "round trip changed {s:?}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Strings built to break naive quoting: quotes, `$`, backticks, `;`, newlines, unicode.
fn generated_strings(n: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "'", "\"", "$", "$(id)", "${HOME}", "`id`", ";", "&&", "|", "\n", "\t", "\\", "\\'", "*",
        "?", "[a]", "~", "#", "!", "<", ">", "(", ")", "{", "}", "é", "日本", "🦀", " ", "  ",
        "-n", "--", "%s", "%%", "\r", "\u{7f}", "a", "Z9",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n)
        .map(|i| {
            let len = 1 + (next() % 12) as usize;
            let mut s: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            if i % 10 == 0 {
                s.push('\'');
            }
            s
        })
        .collect()
}
