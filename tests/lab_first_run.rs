//! The first run: no hosts.toml anywhere (an empty XDG config dir, a directory without
//! one), the real binary in a pseudo-terminal. The screen shows this machine with what its
//! Docker engine runs, discovered, and the hint on how to add hosts. The engine is a real
//! one — the lab's gamelera podman service, reached as this machine's `DOCKER_HOST`.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// gamelera's engine socket through its init process's root: the lab keeps each host's
/// files in its own mount namespace.
fn gamelera_engine() -> String {
    let run = std::env::var("OPSDECK_LAB_RUN").unwrap_or_else(|_| "/run/opsdeck-lab".into());
    let pid = std::fs::read_to_string(format!("{run}/gamelera/init.pid"))
        .unwrap_or_else(|e| panic!("the lab is not up ({run}/gamelera/init.pid: {e}); lab/up"));
    let sock = format!("/proc/{}/root/run/podman/podman.sock", pid.trim());
    assert!(
        std::path::Path::new(&sock).exists(),
        "{sock} is missing: is gamelera's podman up? (lab/status)"
    );
    format!("unix://{sock}")
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn the_first_run_shows_this_machines_discovered_services() {
    let engine = gamelera_engine();
    let home = tempfile::tempdir().unwrap();
    let config_dir = home.path().join("config");
    let cwd = home.path().join("cwd");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::create_dir_all(&cwd).unwrap();
    let pty = native_pty_system();
    let (rows, cols) = (30, 120);
    let pair = pty
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.cwd(&cwd);
    cmd.env_remove("OPSDECK_CONFIG");
    cmd.env("HOME", home.path());
    cmd.env("XDG_CONFIG_HOME", &config_dir);
    cmd.env("XDG_STATE_HOME", home.path().join("state"));
    cmd.env("DOCKER_HOST", &engine);
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
    let mut reader = pair.master.try_clone_reader().unwrap();
    let sink = parser.clone();
    let reader_thread = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().process(&buf[..n]);
        }
    });
    let mut writer = pair.master.take_writer().unwrap();
    let screen = || parser.lock().unwrap().screen().contents();
    let deadline = Instant::now() + Duration::from_secs(30);
    let wanted = ["backend", "mongodb", "minio", "mlflow"];
    let shown = loop {
        let text = screen();
        let rows_found = wanted
            .iter()
            .all(|w| text.lines().any(|l| l.contains('~') && l.contains(w)));
        if rows_found && text.contains("no hosts.toml") {
            break text;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the discovered services were not shown:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(shown.contains("compose?"), "{shown}");
    assert!(shown.contains("opsdeck init"), "{shown}");
    assert!(
        !std::fs::exists(config_dir.join("opsdeck/hosts.toml")).unwrap(),
        "a file was written"
    );
    std::io::Write::write_all(&mut writer, b"q").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "opsdeck did not quit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.exit_code(), 0);
    drop(writer);
    drop(pair.master);
    let _ = reader_thread.join();
}
