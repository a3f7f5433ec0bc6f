//! Idle CPU of the running console on the local host at the 2 s refresh (target ≤ 0.5 %
//! of a core). Runs the release binary in a pseudo-terminal for IDLE_SECS (default 60)
//! and reads its utime+stime from /proc/PID/stat.
//! `cargo bench --bench idle_cpu`

#[path = "support/process.rs"]
mod process;
use process::{cpu_ticks, rss_kib};

use std::io::Read;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn main() {
    // `cargo test --benches` runs benches with no arguments but `--bench` absent; skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs: u64 = std::env::var("IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(["--config", "hosts.toml"]);
    cmd.cwd(env!("CARGO_MANIFEST_DIR"));
    cmd.env("XDG_STATE_HOME", state.path());
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    let pid = child.process_id().unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    // Let it start and take its first readings before measuring.
    std::thread::sleep(Duration::from_secs(3));
    let ticks_per_sec = rustix::param::clock_ticks_per_second() as f64;
    let (t0, c0) = (Instant::now(), cpu_ticks(pid));
    std::thread::sleep(Duration::from_secs(secs));
    let (elapsed, c1) = (t0.elapsed().as_secs_f64(), cpu_ticks(pid));
    let percent = (c1 - c0) as f64 / ticks_per_sec / elapsed * 100.0;
    println!(
        "idle_cpu: {percent:.3} % of a core over {elapsed:.1} s (refresh 2 s, local host), RSS {} KiB",
        rss_kib(pid)
    );
    let _ = child.kill();
}
