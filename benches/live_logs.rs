//! Key-to-frame latency on the log screen while a lab host floods it (target p99 ≤ 50 ms at
//! 50k lines/s). The real binary runs in a pseudo-terminal and follows a file on the lab
//! host gamelera over SSH (`tail -F`); this process appends to that file at the given
//! rate, presses keys (search typing, esc, pause with k, follow with G) and times each one
//! from the write to the pty until a frame showing its effect has been read back.
//!   lab/up && cargo bench --bench live_logs
//! LIVE_RATE (lines/s, default 50000), LIVE_KEYS (default 300) change the run.

#[path = "support/process.rs"]
mod process;
use process::{cpu_ticks, percentile, rss_kib};

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 40;
const COLS: u16 = 120;
/// Where gamelera sees the lab's state directory (the same path inside the host).
const FLOOD_DIR: &str = "/var/lib/opsdeck-lab/hosts/gamelera/log";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// gamelera's `[[hosts]]` block from the lab's generated config, with one service whose
/// log is the flood file.
fn bench_config(lab: &Path, flood: &Path, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(lab)
        .unwrap_or_else(|e| panic!("{}: {e} (run lab/up first)", lab.display()));
    let start = text
        .find("name = \"gamelera\"")
        .expect("gamelera in the lab config");
    let block: String = text[start..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| !l.starts_with("docker"))
        .map(|l| format!("{l}\n"))
        .collect();
    let config = format!(
        "[settings]\nrefresh = \"2s\"\nlog_buffer_lines = 100000\n\n[[hosts]]\n{block}docker = \"none\"\n\n\
         [[hosts.services]]\nname = \"flood\"\nkind = \"command\"\nstatus = [\"true\"]\n\n\
         [[hosts.services.logs]]\nname = \"flood\"\nkind = \"file\"\npath = \"{}\"\ntail = 100\n",
        flood.display()
    );
    let path = dir.join("hosts.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// Appends `rate` lines a second in 1 ms steps until told to stop; counts what it wrote.
fn flood(path: PathBuf, rate: u64, stop: Arc<AtomicBool>, written: Arc<AtomicU64>) {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let start = Instant::now();
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let due = start.elapsed().as_micros() as u64 * rate / 1_000_000;
        while seq < due {
            let level = ["INFO", "INFO", "WARN", "INFO", "ERROR"][(seq % 5) as usize];
            writeln!(
                out,
                "2026-11-25 10:00:00,000 - {level} - flood seq={seq:010} payload {}",
                "x".repeat(40)
            )
            .unwrap();
            seq += 1;
        }
        out.flush().unwrap();
        written.store(seq, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What the screen must show once a key has taken effect.
type Check = Box<dyn Fn(&Screen) -> bool>;

struct Screen {
    parser: vt100::Parser,
    rx: mpsc::Receiver<Vec<u8>>,
}

impl Screen {
    fn row(&self, r: u16) -> String {
        self.parser
            .screen()
            .rows(0, COLS)
            .nth(r as usize)
            .unwrap_or_default()
    }

    /// Reads frames until `pred` holds for the screen; the time it first held.
    fn until(&mut self, limit: Duration, pred: impl Fn(&Screen) -> bool) -> Option<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            if pred(self) {
                return Some(Instant::now());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.rx.recv_timeout(left) {
                Ok(bytes) => {
                    self.parser.process(&bytes);
                    // Everything already read belongs to the same moment.
                    while let Ok(more) = self.rx.try_recv() {
                        self.parser.process(&more);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    fn status(&self) -> String {
        self.row(ROWS - 1)
    }

    fn title(&self) -> String {
        self.row(1)
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rate: u64 = env_or("LIVE_RATE", 50_000);
    let keys: usize = env_or("LIVE_KEYS", 300);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let flood_path = Path::new(FLOOD_DIR).join(format!("opsdeck-flood-{}.log", std::process::id()));
    std::fs::write(&flood_path, "").expect("the lab's state directory (run lab/up first)");
    let config = bench_config(&root.join("lab/hosts.toml"), &flood_path, dir.path());

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
    cmd.env("XDG_STATE_HOME", dir.path());
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    let pid = child.process_id().unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut keyboard = pair.master.take_writer().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = Screen {
        parser: vt100::Parser::new(ROWS, COLS, 0),
        rx,
    };
    let mut press = |k: &str| {
        keyboard.write_all(k.as_bytes()).unwrap();
        keyboard.flush().unwrap();
        Instant::now()
    };

    // The fleet, then the flood service's log (the host row is first, the service second).
    screen
        .until(Duration::from_secs(15), |s| {
            s.parser.screen().contents().contains("flood")
        })
        .expect("fleet screen");
    press("j");
    std::thread::sleep(Duration::from_millis(200));
    press("L");
    screen
        .until(Duration::from_secs(15), |s| {
            s.title().contains("logs · gamelera/flood")
        })
        .expect("log screen");

    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (path, stop, written) = (flood_path.clone(), stop.clone(), written.clone());
        std::thread::spawn(move || flood(path, rate, stop, written))
    };
    // Steady state: lines flowing and the buffer filling.
    screen
        .until(Duration::from_secs(20), |s| {
            s.parser.screen().contents().contains("flood seq=")
        })
        .expect("flood lines on screen");
    std::thread::sleep(Duration::from_secs(3));

    let mut latencies = Vec::with_capacity(keys);
    let mut missed = 0;
    let ticks_per_sec = rustix::param::clock_ticks_per_second() as f64;
    let (c0, t0) = (cpu_ticks(pid), Instant::now());
    let word = "error - fl";
    let mut typed = String::new();
    let mut step = 0usize;
    while latencies.len() + missed < keys {
        // A cycle: `/`, type the word, esc, k (pause), G (follow).
        let cycle = word.len() + 4;
        let at = step % cycle;
        step += 1;
        let (key, check): (String, Check) = match at {
            0 => {
                typed.clear();
                (
                    "/".into(),
                    Box::new(|s: &Screen| s.status().contains("smart case")),
                )
            }
            i if i <= word.len() => {
                let c = &word[i - 1..i];
                typed.push_str(c);
                let want = format!("/{typed}");
                (
                    c.into(),
                    Box::new(move |s: &Screen| s.status().trim_start().starts_with(&want)),
                )
            }
            i if i == word.len() + 1 => (
                "\x1b".into(),
                Box::new(|s: &Screen| !s.status().contains("smart case")),
            ),
            i if i == word.len() + 2 => (
                "k".into(),
                Box::new(|s: &Screen| s.title().contains("paused")),
            ),
            _ => (
                "G".into(),
                Box::new(|s: &Screen| s.title().contains("following")),
            ),
        };
        // Esc alone is ambiguous to a terminal reader until the next byte or a pause.
        let pressed = press(&key);
        match screen.until(Duration::from_secs(2), |s| check(s)) {
            Some(t) => latencies.push(t - pressed),
            None => missed += 1,
        }
        std::thread::sleep(Duration::from_millis(60 + (step as u64 * 37) % 90));
    }
    let cpu = (cpu_ticks(pid) - c0) as f64 / ticks_per_sec / t0.elapsed().as_secs_f64() * 100.0;
    let title = screen.title();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let lines = written.load(Ordering::Relaxed);
    let elapsed_keys = t0.elapsed();
    let rss = rss_kib(pid);
    let _ = child.kill();
    let _ = std::fs::remove_file(&flood_path);
    latencies.sort();
    println!(
        "live_logs: {rate} lines/s from gamelera over ssh, {} keys in {:.1} s: key-to-frame p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {missed} without a frame in 2 s",
        latencies.len(),
        elapsed_keys.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.9).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
    // The ring is full by now: what arrived is what it holds plus what it dropped.
    let dropped: u64 = title
        .find(" dropped")
        .and_then(|end| title[..end].split_whitespace().last()?.parse().ok())
        .unwrap_or(0);
    let received = dropped + if dropped > 0 { 100_000 } else { 0 };
    println!(
        "live_logs: {lines} lines written, {received} shown or dropped by the ring ({:.1} %); opsdeck used {cpu:.1} % of a core, RSS {rss} KiB",
        received as f64 * 100.0 / lines.max(1) as f64
    );
}
