//! The real binary in a pseudo-terminal: on every exit path the alternate screen is left
//! and the cursor shown again.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ENTER_ALT: &str = "\x1b[?1049h";
const LEAVE_ALT: &str = "\x1b[?1049l";
const SHOW_CURSOR: &str = "\x1b[?25h";

struct Run {
    output: String,
    exit_code: u32,
}

fn run_in_pty(
    panic_mode: Option<&str>,
    interact: impl FnOnce(&mut dyn Write, u32, &dyn Fn(&str) -> bool),
) -> Run {
    let state = tempfile::tempdir().unwrap();
    let envs: Vec<(&str, &str)> = panic_mode
        .map(|m| ("OPSDECK_TEST_PANIC", m))
        .into_iter()
        .collect();
    run_with(
        "tests/fixtures/local-only.toml",
        &envs,
        state.path(),
        interact,
    )
}

fn run_with(
    config: &str,
    envs: &[(&str, &str)],
    state: &std::path::Path,
    interact: impl FnOnce(&mut dyn Write, u32, &dyn Fn(&str) -> bool),
) -> Run {
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(["--config", config]);
    cmd.cwd(env!("CARGO_MANIFEST_DIR"));
    cmd.env("XDG_STATE_HOME", state);
    cmd.env("TERM", "xterm-256color");
    cmd.env("RUST_BACKTRACE", "0");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let pid = child.process_id().unwrap();
    let output = Arc::new(Mutex::new(Vec::new()));
    let mut reader = pair.master.try_clone_reader().unwrap();
    let sink = output.clone();
    let reader_thread = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let mut writer = pair.master.take_writer().unwrap();
    let seen = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if String::from_utf8_lossy(&output.lock().unwrap()).contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    };
    interact(&mut writer, pid, &seen);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "opsdeck did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(writer);
    drop(pair.master);
    let _ = reader_thread.join();
    let output = String::from_utf8_lossy(&output.lock().unwrap()).into_owned();
    Run {
        output,
        exit_code: status.exit_code(),
    }
}

fn assert_restored(run: &Run) {
    let entered = run
        .output
        .rfind(ENTER_ALT)
        .expect("the UI entered the alternate screen");
    let after = &run.output[entered..];
    assert!(
        after.contains(LEAVE_ALT),
        "alternate screen not left; tail: {:?}",
        tail(&run.output)
    );
    assert!(
        after.contains(SHOW_CURSOR),
        "cursor not shown again; tail: {:?}",
        tail(&run.output)
    );
}

fn tail(s: &str) -> &str {
    &s[s.len().saturating_sub(400)..]
}

#[test]
fn normal_quit_restores_the_terminal() {
    let run = run_in_pty(None, |w, _, seen| {
        assert!(seen("always-up"), "the fleet was drawn");
        w.write_all(b"q").unwrap();
    });
    assert_restored(&run);
    assert_eq!(run.exit_code, 0);
}

#[test]
fn ctrl_c_restores_the_terminal() {
    let run = run_in_pty(None, |w, _, seen| {
        assert!(seen("always-up"));
        w.write_all(b"\x03").unwrap();
    });
    assert_restored(&run);
    assert_eq!(run.exit_code, 0);
}

#[test]
fn sigterm_restores_the_terminal() {
    let run = run_in_pty(None, |_, pid, seen| {
        assert!(seen("always-up"));
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid as i32).unwrap(),
            rustix::process::Signal::TERM,
        )
        .unwrap();
    });
    assert_restored(&run);
    assert_eq!(run.exit_code, 0);
}

#[test]
fn sighup_restores_the_terminal() {
    let run = run_in_pty(None, |_, pid, seen| {
        assert!(seen("always-up"));
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid as i32).unwrap(),
            rustix::process::Signal::HUP,
        )
        .unwrap();
    });
    assert_restored(&run);
}

fn signal(pid: u32, sig: rustix::process::Signal) {
    rustix::process::kill_process(rustix::process::Pid::from_raw(pid as i32).unwrap(), sig)
        .unwrap();
}

#[test]
fn sigint_and_sigquit_from_outside_restore_the_terminal() {
    for sig in [rustix::process::Signal::INT, rustix::process::Signal::QUIT] {
        let run = run_in_pty(None, |_, pid, seen| {
            assert!(seen("always-up"));
            signal(pid, sig);
        });
        assert_restored(&run);
        assert_eq!(run.exit_code, 0, "{sig:?}");
    }
}

/// Ended by a signal while an action runs: the audit log's end entry for it says
/// `interrupted`, with the step it was in.
#[test]
fn an_action_cut_short_by_a_signal_is_audited_as_interrupted() {
    let state = tempfile::tempdir().unwrap();
    let run = run_with(
        "tests/fixtures/slow-restart.toml",
        &[],
        state.path(),
        |w, pid, seen| {
            assert!(seen("slow"));
            // Down to the service row, restart, confirm.
            w.write_all(b"j").unwrap();
            w.flush().unwrap();
            std::thread::sleep(Duration::from_millis(200));
            w.write_all(b"r").unwrap();
            w.flush().unwrap();
            assert!(seen("Run it?"), "the plan popup asks");
            w.write_all(b"y").unwrap();
            w.flush().unwrap();
            assert!(seen("running…"), "the step runs");
            // The audit's start entry is written before the step begins.
            std::thread::sleep(Duration::from_millis(500));
            signal(pid, rustix::process::Signal::TERM);
        },
    );
    assert_restored(&run);
    let audit = std::fs::read_to_string(state.path().join("opsdeck/audit.jsonl")).unwrap();
    let end = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["event"] == "end")
        .expect("an end entry was written");
    assert_eq!(end["result"], "interrupted", "{end}");
    assert_eq!(end["step_title"], "restart");
    assert!(end["reason"].as_str().unwrap().contains("SIGTERM"), "{end}");
}

#[test]
fn panic_in_render_restores_the_terminal() {
    let run = run_in_pty(Some("render"), |_, _, seen| {
        assert!(
            seen("deliberate panic in render"),
            "the panic message is printed after restoring"
        );
    });
    assert_restored(&run);
    assert_ne!(run.exit_code, 0);
    let leave = run.output.rfind(LEAVE_ALT).unwrap();
    assert!(
        run.output[leave..].contains("deliberate panic in render"),
        "message printed on the normal screen"
    );
}

#[test]
fn a_panic_message_never_shows_a_secret() {
    // Shapes: quote and backslash (escaped in Debug and JSON forms), non-ASCII.
    const SECRET: &str = r#"pa"ni\c-S3NT-ü9"#;
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("hosts.toml");
    std::fs::write(
        &config,
        "[[hosts]]\nname = \"box\"\ntransport = \"local\"\nenv = { TOKEN = \"${OPSDECK_SENT}\" }\n",
    )
    .unwrap();
    let detail = format!(": {SECRET} {SECRET:?}");
    let run = run_with(
        config.to_str().unwrap(),
        &[
            ("OPSDECK_SENT", SECRET),
            ("OPSDECK_TEST_PANIC", "render"),
            ("OPSDECK_TEST_PANIC_DETAIL", &detail),
        ],
        state.path(),
        |_, _, seen| assert!(seen("deliberate panic in render"), "the panic is printed"),
    );
    assert_restored(&run);
    assert!(
        run.output.contains(r#": *** "***""#),
        "{}",
        tail(&run.output)
    );
    assert!(!run.output.contains("S3NT"), "{}", tail(&run.output));
    let log = std::fs::read_to_string(state.path().join("opsdeck/opsdeck.log")).unwrap_or_default();
    assert!(
        log.contains("deliberate panic") && !log.contains("S3NT"),
        "{log}"
    );
}

#[test]
fn a_panicking_background_task_is_reported_and_the_console_goes_on() {
    let run = run_in_pty(Some("task"), |w, _, seen| {
        assert!(
            seen("deliberate panic in a background task"),
            "the notice names the dead task"
        );
        // Still alive and answering keys: quit normally.
        w.write_all(b"q").unwrap();
        w.flush().unwrap();
    });
    assert_restored(&run);
    assert_eq!(run.exit_code, 0, "a task's panic does not end the console");
    assert!(
        !run.output.contains("thread 'tokio"),
        "nothing is printed over the screen"
    );
}

#[test]
fn a_panicking_collector_is_started_again_and_its_row_says_so() {
    let run = run_in_pty(Some("collector"), |w, _, seen| {
        assert!(seen("panicked"), "the host row says its collector panicked");
        assert!(seen("restarted"), "and that it was started again");
        // The restarted collector reads the host again (its uptime column fills in).
        assert!(seen("always-up"));
        w.write_all(b"q").unwrap();
        w.flush().unwrap();
    });
    assert_restored(&run);
    assert_eq!(run.exit_code, 0);
}
