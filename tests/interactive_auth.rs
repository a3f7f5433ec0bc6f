//! Keys that ask, end to end: the real binary in a pseudo-terminal, a lab host (epagal) that
//! only takes a key with a passphrase no agent holds. OpenSSH's own prompt comes up before
//! the console, the test types at it, and the console then shows the host up; a login that
//! fails or is cancelled leaves the host "needs login" with the reason while the console
//! starts anyway, and `I` suspends the console for the prompt and comes back.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// lab/lib.sh's LAB_PASSPHRASE.
const PASSPHRASE: &str = "opsdeck-lab-passphrase";
const PROMPT: &str = "Enter passphrase for key";
const ROWS: u16 = 30;
const COLS: u16 = 140;

static SERIAL: Mutex<()> = Mutex::new(());

struct Console {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    raw: Arc<Mutex<Vec<u8>>>,
    screen: Arc<Mutex<vt100::Parser>>,
    reader: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
    key: PathBuf,
}

/// The lab's passphrase key, copied where only this test's processes name it.
fn lab_key(dir: &Path) -> PathBuf {
    let state = common::lab_hosts_path()
        .parent()
        .expect("lab dir")
        .join("state");
    let src = state.join("id_passphrase");
    assert!(
        src.exists(),
        "{} is missing: the lab makes it (lab/up; see lab/README.md, the passphrase key)",
        src.display()
    );
    let key = dir.join("key");
    std::fs::copy(&src, &key).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    key
}

fn start(interactive_auth: bool, args: &[&str]) -> Console {
    let dir = tempfile::tempdir().unwrap();
    let key = lab_key(dir.path());
    let known_hosts = common::lab_hosts_path()
        .parent()
        .unwrap()
        .join("state/known_hosts");
    let config = dir.path().join("hosts.toml");
    std::fs::write(
        &config,
        format!(
            "[settings]\nrefresh = \"1s\"\n\n[[hosts]]\nname = \"epagal\"\ntransport = \"ssh\"\n\
             address = \"10.77.0.11\"\nuser = \"root\"\nidentity_file = \"{}\"\n\
             known_hosts = \"{}\"\n{}",
            key.display(),
            known_hosts.display(),
            if interactive_auth {
                "interactive_auth = true\n"
            } else {
                ""
            }
        ),
    )
    .unwrap();
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.arg("--config");
    cmd.arg(&config);
    cmd.args(args);
    cmd.cwd(dir.path());
    cmd.env("XDG_STATE_HOME", dir.path().join("state"));
    cmd.env("TERM", "xterm-256color");
    // No agent: the key's passphrase must be typed.
    cmd.env_remove("SSH_AUTH_SOCK");
    let child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let raw = Arc::new(Mutex::new(Vec::new()));
    let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
    let mut reader = pair.master.try_clone_reader().unwrap();
    let (sink, parser) = (raw.clone(), screen.clone());
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
            parser.lock().unwrap().process(&buf[..n]);
        }
    });
    let writer = pair.master.take_writer().unwrap();
    Console {
        child,
        writer,
        master: pair.master,
        raw,
        screen,
        reader: Some(reader),
        _dir: dir,
        key,
    }
}

impl Console {
    fn raw(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }

    fn screen(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until `pred` holds of the whole output so far.
    fn wait_raw(&self, what: &str, limit: Duration, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if pred(&self.raw()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{what} within {limit:?}; output tail:\n{}",
            tail(&self.raw())
        );
    }

    fn prompts(&self) -> usize {
        self.raw().matches(PROMPT).count()
    }

    /// Waits for the `n`-th passphrase prompt.
    fn wait_prompt(&self, n: usize) {
        self.wait_raw(
            &format!("OpenSSH's passphrase prompt #{n}"),
            Duration::from_secs(20),
            |_| self.prompts() >= n,
        );
    }

    /// Waits until the console's screen shows epagal's row containing every one of `words`.
    fn wait_row(&self, words: &[&str], limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            last = self.screen();
            if last
                .lines()
                .any(|l| l.contains("epagal") && words.iter().all(|w| l.contains(w)))
            {
                return last;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("epagal's row never showed {words:?}; screen:\n{last}");
    }

    fn type_text(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// `q`, and the exit status; the terminal is given back.
    fn quit(mut self) -> (u32, String, PathBuf) {
        self.type_text("q");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "opsdeck did not exit");
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(self.writer);
        drop(self.master);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let raw = String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned();
        (status.exit_code(), raw, self.key.clone())
    }
}

fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(1500);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Pids of ssh processes naming `key` on their command line (this test's masters).
fn masters_using(key: &Path) -> Vec<i32> {
    let key = key.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let args: Vec<String> = c
                    .split(|b| *b == 0)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                args.first().is_some_and(|a| a.ends_with("ssh"))
                    && args.iter().any(|a| a == &key)
                    && args.iter().any(|a| a == "-M")
            })
        })
        .collect()
}

fn assert_no_master_left(key: &Path) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !masters_using(key).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the login master outlived the console: {:?}",
            masters_using(key)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn assert_left_the_screen(raw: &str) {
    let entered = raw
        .rfind("\x1b[?1049h")
        .expect("the console took the screen");
    let after = &raw[entered..];
    assert!(
        after.contains("\x1b[?1049l") && after.contains("\x1b[?25h"),
        "the terminal was not given back; tail: {:?}",
        tail(raw)
    );
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn an_interactive_host_asks_for_its_passphrase_before_the_console_and_is_then_up() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut console = start(true, &[]);
    console.wait_prompt(1);
    assert!(
        !console.raw().contains("\x1b[?1049h"),
        "the prompt comes before the console takes the screen"
    );
    console.type_text(&format!("{PASSPHRASE}\r"));
    console.wait_row(&["● up"], Duration::from_secs(30));
    let (code, raw, key) = console.quit();
    assert_eq!(code, 0);
    assert!(raw.contains("opsdeck: epagal: logged in"), "{}", tail(&raw));
    assert_left_the_screen(&raw);
    assert_no_master_left(&key);
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn connect_first_logs_a_host_in_that_is_not_marked_interactive() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut console = start(false, &["--connect-first"]);
    console.wait_prompt(1);
    console.type_text(&format!("{PASSPHRASE}\r"));
    console.wait_row(&["● up"], Duration::from_secs(30));
    let (code, _, key) = console.quit();
    assert_eq!(code, 0);
    assert_no_master_left(&key);
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn a_wrong_passphrase_thrice_leaves_the_host_needing_login_and_the_console_starts() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut console = start(true, &[]);
    for n in 1..=3 {
        console.wait_prompt(n);
        console.type_text("not-the-passphrase\r");
    }
    console.wait_row(
        &["needs login", "I logs in", "login failed"],
        Duration::from_secs(30),
    );
    let (code, raw, _) = console.quit();
    assert_eq!(code, 0);
    assert!(
        raw.contains("opsdeck: epagal: not logged in: login failed:"),
        "{}",
        tail(&raw)
    );
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn ctrl_c_at_the_prompt_skips_the_host_and_i_logs_it_in_from_the_console() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut console = start(true, &[]);
    console.wait_prompt(1);
    console.type_text("\x03");
    console.wait_row(
        &["needs login", "login cancelled at the prompt"],
        Duration::from_secs(30),
    );
    // `I` on the row: the console steps aside, OpenSSH asks again in the plain terminal.
    console.type_text("I");
    console.wait_prompt(2);
    console.type_text(&format!("{PASSPHRASE}\r"));
    console.wait_row(&["● up"], Duration::from_secs(30));
    let (code, raw, key) = console.quit();
    assert_eq!(code, 0);
    assert_left_the_screen(&raw);
    assert_no_master_left(&key);
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn a_lost_login_master_says_needs_login_and_i_brings_it_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut console = start(true, &[]);
    console.wait_prompt(1);
    console.type_text(&format!("{PASSPHRASE}\r"));
    console.wait_row(&["● up"], Duration::from_secs(30));
    // The master goes (as when the connection is cut): BatchMode cannot get back in.
    let masters = masters_using(&console.key);
    assert_eq!(masters.len(), 1, "one login master: {masters:?}");
    for pid in masters {
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid).unwrap(),
            rustix::process::Signal::TERM,
        )
        .unwrap();
    }
    console.wait_row(&["needs login", "Permission"], Duration::from_secs(40));
    console.type_text("I");
    console.wait_prompt(2);
    console.type_text(&format!("{PASSPHRASE}\r"));
    console.wait_row(&["● up"], Duration::from_secs(30));
    let (code, _, key) = console.quit();
    assert_eq!(code, 0);
    assert_no_master_left(&key);
}
