//! The terminal window closed under the console. A test binary of its own: a child that
//! another test spawns at the same moment could inherit the pty's master and keep the
//! terminal from going away.

use std::io::Read;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn signal(pid: u32, sig: rustix::process::Signal) {
    rustix::process::kill_process(rustix::process::Pid::from_raw(pid as i32).unwrap(), sig)
        .unwrap();
}

/// The terminal window closed: the pty is gone when SIGHUP arrives. opsdeck ends without
/// a panic (exit code 101) even though nothing can be written any more.
#[test]
fn a_vanished_terminal_ends_without_a_panic() {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(["--config", "tests/fixtures/local-only.toml"]);
    cmd.cwd(env!("CARGO_MANIFEST_DIR"));
    cmd.env("XDG_STATE_HOME", state.path());
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let pid = child.process_id().unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&seen).contains("always-up") && Instant::now() < deadline {
        let mut buf = [0u8; 4096];
        let n = reader.read(&mut buf).unwrap_or(0);
        seen.extend_from_slice(&buf[..n]);
    }
    drop(reader);
    drop(pair.master);
    signal(pid, rustix::process::Signal::HUP);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "opsdeck did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_ne!(status.exit_code(), 101, "opsdeck panicked on its way out");
    let log = std::fs::read_to_string(state.path().join("opsdeck/opsdeck.log")).unwrap_or_default();
    assert!(!log.contains("panic"), "{log}");
}
