//! The cost of watching a Docker engine with many idle containers (issue targets: engine
//! CPU added by opsdeck's stats polling ≤ 2 % of a core with 80 containers). Measures, on
//! lab host epagal with 80 extra idle containers, over DOCKER_SECS (default 60) each, the
//! engine alone (baseline), with opsdeck (`docker = "ssh"`, stats every 5 s, staggered) and
//! with oxker when an `oxker` binary is on PATH or in OXKER_BIN; it reports engine CPU, the
//! client's CPU and RSS.
//!   lab/up && cargo bench --bench docker_load

#[path = "support/process.rs"]
mod process;
use process::{cpu_ticks as ticks, rss_kib};

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, RemoveContainerOptions,
};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const CONTAINERS: usize = 80;
const HOST: &str = "epagal";

/// CPU % of a core used by each pid over `secs`.
fn measure(pids: &[u32], secs: u64) -> Vec<f64> {
    let hz = rustix::param::clock_ticks_per_second() as f64;
    let before: Vec<u64> = pids.iter().map(|p| ticks(*p)).collect();
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let wall = t0.elapsed().as_secs_f64();
    pids.iter()
        .zip(before)
        .map(|(p, b)| (ticks(*p) - b) as f64 / hz / wall * 100.0)
        .collect()
}

fn engine_pid() -> u32 {
    std::fs::read_to_string(format!("/run/opsdeck-lab/{HOST}/podman.pid"))
        .expect("lab is up")
        .trim()
        .parse()
        .unwrap()
}

fn spawn_in_pty(mut cmd: CommandBuilder) -> (Box<dyn portable_pty::Child + Send + Sync>, u32) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 50,
            cols: 160,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    cmd.env("TERM", "xterm-256color");
    let child = pair.slave.spawn_command(cmd).unwrap();
    let pid = child.process_id().unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    std::thread::spawn(move || {
        let _keep = pair.master;
        let mut buf = [0u8; 16384];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    (child, pid)
}

async fn setup(docker: &Docker) {
    cleanup(docker).await;
    for i in 0..CONTAINERS {
        let name = format!("opsdeck-bench-{i:03}");
        let body = ContainerCreateBody {
            image: Some("localhost/opsdeck-lab/app:v1".into()),
            cmd: Some(vec![
                "sh".into(),
                "-c".into(),
                "trap 'exit 0' TERM; while :; do sleep 60 & wait $!; done".into(),
            ]),
            labels: Some(HashMap::from([(
                "opsdeck.bench".to_owned(),
                "1".to_owned(),
            )])),
            ..Default::default()
        };
        docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(name.clone()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .unwrap();
        docker
            .start_container(
                &name,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .unwrap();
    }
}

async fn cleanup(docker: &Docker) {
    let all = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await
        .unwrap();
    for c in all {
        if c.labels
            .as_ref()
            .is_some_and(|l| l.contains_key("opsdeck.bench"))
        {
            let _ = docker
                .remove_container(
                    c.id.as_deref().unwrap(),
                    Some(RemoveContainerOptions {
                        force: true,
                        ..Default::default()
                    }),
                )
                .await;
        }
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs: u64 = std::env::var("DOCKER_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let engine = engine_pid();
    let socket = PathBuf::from(format!("/proc/{engine}/root/run/podman/podman.sock"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let docker =
        Docker::connect_with_unix(&socket.to_string_lossy(), 30, bollard::API_DEFAULT_VERSION)
            .unwrap();
    rt.block_on(setup(&docker));
    std::thread::sleep(Duration::from_secs(5));

    let base = measure(&[engine], secs)[0];
    println!("{CONTAINERS} idle containers on {HOST}, {secs} s windows");
    println!("engine alone:            engine {base:5.2} % of a core");

    // opsdeck, through the host's SSH master, no configured services (all rows discovered).
    let lab = opsdeck::config::load(std::path::Path::new("lab/hosts.toml")).unwrap();
    let h = lab.find_host(&opsdeck::model::HostId::new(HOST)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "[[hosts]]\nname = \"{HOST}\"\ntransport = \"ssh\"\naddress = \"{}\"\nuser = \"root\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\ndocker = \"ssh\"\ndocker_socket = \"/run/docker.sock\"\n",
            h.address.as_ref().unwrap().get_ref(),
            h.identity_file.as_ref().unwrap().display(),
            h.known_hosts.as_ref().unwrap().display()
        ),
    )
    .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(["--config", config.to_str().unwrap()]);
    cmd.env("XDG_STATE_HOME", dir.path());
    let (mut child, pid) = spawn_in_pty(cmd);
    std::thread::sleep(Duration::from_secs(8));
    let r = measure(&[engine, pid], secs);
    println!(
        "with opsdeck:            engine {:5.2} % (+{:.2}), opsdeck {:5.2} %, RSS {} KiB",
        r[0],
        r[0] - base,
        r[1],
        rss_kib(pid)
    );
    let _ = child.kill();

    let oxker = std::env::var_os("OXKER_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join("oxker"))
                    .find(|p| p.exists())
            })
        });
    match oxker {
        Some(bin) => {
            let mut cmd = CommandBuilder::new(bin);
            cmd.env("DOCKER_HOST", format!("unix://{}", socket.display()));
            let (mut child, pid) = spawn_in_pty(cmd);
            std::thread::sleep(Duration::from_secs(8));
            let r = measure(&[engine, pid], secs);
            println!(
                "with oxker:              engine {:5.2} % (+{:.2}), oxker   {:5.2} %, RSS {} KiB",
                r[0],
                r[0] - base,
                r[1],
                rss_kib(pid)
            );
            let _ = child.kill();
        }
        None => println!("with oxker:              skipped (no oxker binary; set OXKER_BIN)"),
    }
    rt.block_on(cleanup(&docker));
}
