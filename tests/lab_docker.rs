//! The Docker engines of the lab (podman's API service behind each host's sshd): inventory
//! over SSH and locally, events, engine restarts, logs and stats. Mutating tests create
//! their own containers on preventia and remove them afterwards.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use common::*;
use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Mode, Row, State};
use opsdeck::collect::logs::{FollowSource, LogSpec};
use opsdeck::config::Config;
use opsdeck::model::Action;
use opsdeck::model::container::rates;
use opsdeck::model::{HostId, RunState, ServiceId};
use opsdeck::protocol::{Effect, Update};
use opsdeck::transport::Target;
use opsdeck::transport::docker::{DockerEndpoint, connect};
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

/// The engine socket of a lab host, reached from this machine's own filesystem view.
fn local_socket(host: &str) -> PathBuf {
    let pid = std::fs::read_to_string(format!("/run/opsdeck-lab/{host}/podman.pid"))
        .unwrap_or_else(|e| panic!("the lab is not up (no podman pid for {host}: {e})"));
    PathBuf::from(format!("/proc/{}/root/run/podman/podman.sock", pid.trim()))
}

async fn engine(host: &str) -> Docker {
    let dir = tempfile::tempdir().unwrap();
    connect(&DockerEndpoint::Unix(local_socket(host)), None, dir.path())
        .await
        .expect("lab engine answers")
}

/// A test container on preventia running `script`, labelled as compose service `service`.
/// Test containers left by an earlier, failed run are removed first.
async fn test_container(docker: &Docker, name: &str, service: &str, script: &str) {
    let all = docker
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await
        .unwrap();
    for c in all {
        if let Some(n) = c
            .names
            .iter()
            .flatten()
            .find(|n| n.trim_start_matches('/').starts_with("opsdeck-test-"))
        {
            remove(docker, n.trim_start_matches('/')).await;
        }
    }
    let labels = HashMap::from([
        (
            "com.docker.compose.project".to_owned(),
            "opsdeck-test".to_owned(),
        ),
        ("com.docker.compose.service".to_owned(), service.to_owned()),
        (
            "com.docker.compose.container-number".to_owned(),
            "1".to_owned(),
        ),
    ]);
    let body = ContainerCreateBody {
        image: Some("localhost/opsdeck-lab/app:v1".into()),
        cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
        labels: Some(labels),
        ..Default::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.into()),
                ..Default::default()
            }),
            body,
        )
        .await
        .expect("create test container");
    docker
        .start_container(
            name,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
        .expect("start test container");
}

async fn remove(docker: &Docker, name: &str) {
    let _ = docker
        .remove_container(
            name,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
}

/// A one-host config for preventia (from the lab's) with a compose service for `service`.
fn preventia_config(service: &str, docker: &str) -> Arc<Config> {
    let lab = lab_config();
    let h = lab.find_host(&HostId::new("preventia")).unwrap();
    let text = format!(
        r#"
[settings]
refresh = "1s"

[[hosts]]
name = "preventia"
transport = "ssh"
address = "{}"
user = "root"
identity_file = "{}"
known_hosts = "{}"
tags = ["prod"]
docker = "{docker}"
docker_socket = "/run/docker.sock"

[[hosts.services]]
name = "scratch"
kind = "compose"
project = "opsdeck-test"
compose_service = "{service}"

[[hosts.services]]
name = "api"
kind = "compose"
project = "preventia"
"#,
        h.address.as_ref().unwrap().get_ref(),
        h.identity_file.as_ref().unwrap().display(),
        h.known_hosts.as_ref().unwrap().display(),
    );
    Arc::new(
        opsdeck::config::parse(Path::new("preventia-test.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

fn listed(u: &Update, host: &str) -> bool {
    matches!(u, Update::ContainersListed { host: h, .. } if h.as_str() == host)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn compose_inventory_over_ssh_groups_replicas() {
    let config = lab_config();
    let mut run = Run::start(config);
    for host in ["gamelera", "preventia"] {
        run.until(
            Duration::from_secs(20),
            &format!("{host} containers listed"),
            |u, _| listed(u, host),
        )
        .await;
    }
    let preventia = run
        .state
        .hosts
        .iter()
        .find(|h| h.id.as_str() == "preventia")
        .unwrap();
    let api = preventia
        .services
        .iter()
        .find(|s| &*s.id.name == "api")
        .unwrap();
    let obs = api.observation.as_ref().unwrap();
    assert_eq!(obs.state, RunState::Running);
    assert!(obs.detail.starts_with("2/2 running"), "{}", obs.detail);
    for name in ["frontend", "analytics_service", "postgres", "redis"] {
        let s = preventia
            .services
            .iter()
            .find(|s| &*s.id.name == name)
            .unwrap();
        assert_eq!(
            s.observation.as_ref().map(|o| o.state),
            Some(RunState::Running),
            "preventia/{name}"
        );
    }
    let gamelera = run
        .state
        .hosts
        .iter()
        .find(|h| h.id.as_str() == "gamelera")
        .unwrap();
    assert!(gamelera.services.iter().all(|s| {
        s.observation
            .as_ref()
            .is_some_and(|o| o.state == RunState::Running)
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn compose_inventory_through_a_local_socket() {
    let sock = local_socket("preventia");
    // `docker = "local"` autodetects through DOCKER_HOST first.
    // SAFETY: this test binary reads DOCKER_HOST nowhere else concurrently.
    unsafe { std::env::set_var("DOCKER_HOST", format!("unix://{}", sock.display())) };
    let dir = tempfile::tempdir().unwrap();
    let docker = connect(&DockerEndpoint::Local, None, dir.path())
        .await
        .expect("local autodetect");
    let list = docker
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await
        .unwrap();
    let api = list
        .iter()
        .filter(|c| {
            c.labels
                .as_ref()
                .and_then(|l| l.get("com.docker.compose.service"))
                .is_some_and(|s| s == "api")
        })
        .count();
    assert_eq!(api, 2);

    // The whole collector path with a unix:// endpoint on this machine.
    let text = format!(
        "[[hosts]]\nname = \"preventia\"\ntransport = \"local\"\ndocker = \"unix://{}\"\n\n[[hosts.services]]\nname = \"api\"\nkind = \"compose\"\nproject = \"preventia\"\n",
        sock.display()
    );
    let config = Arc::new(opsdeck::config::parse(Path::new("local.toml"), &text).unwrap());
    let mut run = Run::start(config);
    run.until(Duration::from_secs(10), "listed locally", |u, _| {
        listed(u, "preventia")
    })
    .await;
    let obs = run.state.hosts[0].services[0].observation.clone().unwrap();
    assert!(obs.detail.starts_with("2/2 running"), "{}", obs.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn restart_updates_the_row_from_events_and_is_audited() {
    let _serial = SERIAL.lock().await;
    let docker = engine("preventia").await;
    let service = format!("scratch-{}", std::process::id());
    let name = format!("opsdeck-test-{service}");
    test_container(
        &docker,
        &name,
        &service,
        "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done",
    )
    .await;
    let config = preventia_config(&service, "ssh");
    let mut run = Run::start(config.clone());
    let started = |s: &State| {
        s.hosts[0].docker.as_ref().and_then(|d| {
            d.containers
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.started_at)
        })
    };
    run.until(Duration::from_secs(20), "test container listed", |u, s| {
        listed(u, "preventia") && started(s).is_some()
    })
    .await;
    let before = started(&run.state).unwrap();

    run.state.selected = run
        .state
        .rows()
        .iter()
        .position(|r| *r == Row::Service(0, 0))
        .unwrap();
    update(&mut run.state, &config, Msg::Action(Action::RestartService));
    assert!(
        matches!(run.state.mode, Mode::Action(_)),
        "{:?}",
        run.state.notice
    );
    for c in "scratch".chars() {
        update(&mut run.state, &config, Msg::Input(TextInput::Char(c)));
    }
    let effects = update(&mut run.state, &config, Msg::Input(TextInput::Submit));
    assert!(matches!(effects.as_slice(), [Effect::Execute(_)]));
    let t0 = Instant::now();
    for e in effects {
        run.sup.perform(e);
    }
    run.until(Duration::from_secs(20), "restart finished", |u, _| {
        matches!(u, Update::ActionFinished { .. })
    })
    .await;
    // Events, not the 30 s resync, bring the new start time.
    if started(&run.state).is_none_or(|t| t <= before) {
        run.until(Duration::from_secs(5), "row updated by events", |u, s| {
            listed(u, "preventia") && started(s).is_some_and(|t| t > before)
        })
        .await;
    }
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "restart to updated row took {took:?}"
    );
    let audit = run.audit();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0]["event"], "start");
    assert_eq!(audit[1]["result"], "succeeded");
    assert!(audit[0]["commands"][0].as_str().unwrap().contains(&name));
    remove(&docker, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn engine_restart_shows_a_gap_then_resumes_logs_without_loss_or_repeat() {
    let _serial = SERIAL.lock().await;
    let docker = engine("preventia").await;
    let service = format!("counter-{}", std::process::id());
    let name = format!("opsdeck-test-{service}");
    // Ten numbered lines a second: several share each one-second timestamp.
    test_container(
        &docker,
        &name,
        &service,
        "i=0; while :; do i=$((i+1)); echo \"seq $i\"; sleep 0.1; done",
    )
    .await;
    let config = preventia_config(&service, "ssh");
    let mut run = Run::start(config.clone());
    run.until(Duration::from_secs(20), "listed", |u, _| {
        listed(u, "preventia")
    })
    .await;
    run.sup.perform(Effect::FollowLogs {
        view: 1,
        sources: vec![(
            0,
            FollowSource {
                host: HostId::new("preventia"),
                spec: LogSpec::Docker {
                    containers: vec![name.clone()],
                },
                target: Target::Ssh(HostId::new("preventia")),
                tail: 5,
                label: String::new(),
            },
        )],
        window: Default::default(),
    });
    let mut seqs: Vec<u64> = Vec::new();
    let mut collect = |u: &Update| {
        if let Update::LogLines { lines, .. } = u {
            seqs.extend(
                lines
                    .iter()
                    .filter_map(|l| l.message.strip_prefix("seq ")?.parse::<u64>().ok()),
            );
        }
    };
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) {
        run.until(Duration::from_secs(5), "log lines", |u, _| {
            matches!(u, Update::LogLines { .. })
        })
        .await
        .pipe(|u| collect(&u));
    }
    lab_break(&["podman-restart", "preventia"]);
    let answered = Instant::now();
    let mut gap = false;
    loop {
        let u = run
            .until(
                Duration::from_secs(5),
                "containers listed again within 5 s",
                |u, _| {
                    listed(u, "preventia")
                        || matches!(
                            u,
                            Update::DockerGap { .. }
                                | Update::LogLines { .. }
                                | Update::LogGap { .. }
                        )
                },
            )
            .await;
        collect(&u);
        if matches!(u, Update::DockerGap { .. } | Update::LogGap { .. }) {
            gap = true;
        }
        if gap && listed(&u, "preventia") {
            break;
        }
        assert!(
            answered.elapsed() < Duration::from_secs(5),
            "engine back but no re-list within 5 s"
        );
    }
    assert!(gap, "the engine restart was shown as a gap");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        let u = run
            .until(
                Duration::from_secs(5),
                "log lines after the restart",
                |u, _| matches!(u, Update::LogLines { .. }),
            )
            .await;
        collect(&u);
    }
    remove(&docker, &name).await;
    assert!(seqs.len() > 30, "{seqs:?}");
    for w in seqs.windows(2) {
        assert_eq!(
            w[1],
            w[0] + 1,
            "lost or repeated lines around the engine restart: {seqs:?}"
        );
    }
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

fn proc_cpu_ticks(pid: i64) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn stats_cpu_of_a_busy_container_matches_proc() {
    let _serial = SERIAL.lock().await;
    let docker = engine("preventia").await;
    let service = format!("busy-{}", std::process::id());
    let name = format!("opsdeck-test-{service}");
    test_container(&docker, &name, &service, "while :; do :; done").await;
    let pid = docker
        .inspect_container(&name, None)
        .await
        .unwrap()
        .state
        .unwrap()
        .pid
        .unwrap();
    let config = preventia_config(&service, "ssh");
    let mut run = Run::start(config);
    let id = loop {
        let u = run
            .until(Duration::from_secs(20), "listed", |u, _| {
                listed(u, "preventia")
            })
            .await;
        if let Update::ContainersListed { containers, .. } = u
            && let Some(c) = containers.iter().find(|c| c.name == name)
        {
            break c.id.clone();
        }
    };
    let is_ours = |u: &Update| matches!(u, Update::ContainerStats { id: i, .. } if *i == id);
    let hz = 100.0;
    let mut first = None;
    let (ours, procs) = loop {
        let u = run
            .until(
                Duration::from_secs(15),
                "stats of the busy container",
                |u, _| is_ours(u),
            )
            .await;
        let Update::ContainerStats { sample, .. } = u else {
            unreachable!()
        };
        let ticks = proc_cpu_ticks(pid);
        match first.take() {
            None => first = Some((sample, ticks, Instant::now())),
            Some((s0, t0, i0)) => {
                let r = rates(&s0, &sample).unwrap();
                let procs = (ticks - t0) as f64 / hz / i0.elapsed().as_secs_f64() * 100.0;
                break (r.cpu_percent, procs);
            }
        }
    };
    remove(&docker, &name).await;
    println!("busy container: opsdeck {ours:.1} %, /proc {procs:.1} %");
    assert!(procs > 20.0, "the busy loop did not run: {procs:.1} %");
    assert!(
        (ours - procs).abs() <= 15.0,
        "opsdeck says {ours:.1} %, /proc says {procs:.1} %"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn merged_logs_of_both_api_replicas_are_in_time_order() {
    let config = preventia_config("none", "ssh");
    let mut run = Run::start(config);
    run.until(Duration::from_secs(20), "listed", |u, _| {
        listed(u, "preventia")
    })
    .await;
    let service = ServiceId::new(&HostId::new("preventia"), "api");
    run.sup.perform(Effect::FollowLogs {
        view: 1,
        sources: vec![(
            0,
            FollowSource {
                host: HostId::new("preventia"),
                spec: LogSpec::Docker {
                    containers: vec!["preventia_api_1".into(), "preventia_api_2".into()],
                },
                target: Target::Ssh(HostId::new("preventia")),
                tail: 20,
                label: String::new(),
            },
        )],
        window: Default::default(),
    });
    let mut view = opsdeck::app::state::LogView::new(1, service.to_string(), 10_000);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(4) {
        let u = run
            .until(Duration::from_secs(5), "api log lines", |u, _| {
                matches!(u, Update::LogLines { .. })
            })
            .await;
        if let Update::LogLines { lines, .. } = u {
            view.push(lines);
        }
    }
    let entries: Vec<_> = view
        .ring
        .iter()
        .map(|(_, e)| {
            (
                e.at().expect("docker lines carry timestamps"),
                view.ring.origin(e).to_owned(),
            )
        })
        .collect();
    assert!(entries.len() >= 8, "{} lines", entries.len());
    for w in entries.windows(2) {
        assert!(w[0].0 <= w[1].0, "out of order: {:?} then {:?}", w[0], w[1]);
    }
    for replica in ["preventia_api_1", "preventia_api_2"] {
        assert!(
            entries.iter().any(|(_, o)| o == replica),
            "no line from {replica}"
        );
    }
}
