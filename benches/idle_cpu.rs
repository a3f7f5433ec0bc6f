//! Idle CPU of the running console at the 2 s refresh, read from /proc over IDLE_SECS
//! (default 60) after it has settled:
//!
//! - the local host (`hosts.toml`, 120×40; target ≤ 0.5 % of a core):
//!   `cargo bench --bench idle_cpu`
//! - N bare SSH hosts of the lab (`lab/hosts-scale.toml`, 200×60; targets ≤ 0.5 % at 50
//!   hosts, ≤ 2 % at 200), with the console's `ssh` masters counted separately (CPU and PSS):
//!   `lab/up && lab/scale up 50 && IDLE_HOSTS=50 cargo bench --bench idle_cpu`

#[path = "support/process.rs"]
mod process;
use process::{cpu_ticks, pss_kib, rss_kib};

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn main() {
    // `cargo test --benches` runs benches with no arguments but `--bench` absent; skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs: u64 = env_num("IDLE_SECS").unwrap_or(60);
    let hosts: Option<u64> = env_num("IDLE_HOSTS");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (config, (cols, rows)) = match hosts {
        Some(n) => {
            let config = root.join("lab/hosts-scale.toml");
            let text = std::fs::read_to_string(&config)
                .unwrap_or_else(|e| panic!("{}: {e} — run lab/scale up {n}", config.display()));
            let configured = text.matches("[[hosts]]").count() as u64;
            assert_eq!(
                configured, n,
                "lab/hosts-scale.toml has {configured} hosts: run lab/scale up {n}"
            );
            (config, (200, 60))
        }
        None => (root.join("hosts.toml"), (120, 40)),
    };
    let pair = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.arg("--config");
    cmd.arg(&config);
    cmd.cwd(root);
    cmd.env("XDG_STATE_HOME", state.path());
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    let pid = child.process_id().unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    // Let it connect every host and take its first readings before measuring.
    match hosts {
        Some(n) => {
            let deadline = Instant::now() + Duration::from_secs(120);
            while (ssh_children(pid).len() as u64) < n && Instant::now() < deadline {
                std::thread::sleep(Duration::from_secs(1));
            }
            std::thread::sleep(Duration::from_secs(8));
        }
        None => std::thread::sleep(Duration::from_secs(3)),
    }
    let ticks_per_sec = rustix::param::clock_ticks_per_second() as f64;
    let masters = ssh_children(pid);
    let t0 = Instant::now();
    let (c0, s0) = (cpu_ticks(pid), sum_ticks(&masters));
    std::thread::sleep(Duration::from_secs(secs));
    let elapsed = t0.elapsed().as_secs_f64();
    let (c1, s1) = (cpu_ticks(pid), sum_ticks(&masters));
    let percent = |a: u64, b: u64| (b - a) as f64 / ticks_per_sec / elapsed * 100.0;
    match hosts {
        None => println!(
            "idle_cpu: {:.3} % of a core over {elapsed:.1} s (refresh 2 s, local host), RSS {} KiB",
            percent(c0, c1),
            rss_kib(pid)
        ),
        Some(n) => {
            let pss: u64 = masters.iter().map(|p| pss_kib(*p)).sum();
            println!(
                "idle_cpu: {n} ssh hosts, {cols}×{rows}: console {:.3} % of a core, RSS {} KiB; \
                 {} ssh masters {:.3} % of a core together, PSS {} KiB together ({} KiB each) \
                 over {elapsed:.1} s",
                percent(c0, c1),
                rss_kib(pid),
                masters.len(),
                percent(s0, s1),
                pss,
                pss / masters.len().max(1) as u64
            );
        }
    }
    let _ = child.kill();
}

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

/// The `ssh` processes the console started (its master connections).
fn ssh_children(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let Some(close) = stat.rfind(')') else {
                return false;
            };
            let comm = stat
                .split_once('(')
                .map_or("", |(_, r)| &r[..r.rfind(')').unwrap_or(0)]);
            let ppid = stat[close + 2..].split_whitespace().nth(1);
            comm == "ssh" && ppid == Some(&pid.to_string())
        })
        .collect()
}

fn sum_ticks(pids: &[u32]) -> u64 {
    pids.iter().map(|p| cpu_ticks(*p)).sum()
}
