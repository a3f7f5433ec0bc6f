//! 500 hosts with `metrics = "prometheus"` and 10 services each (two PromQL values per
//! service), answered by a real Prometheus from synthetic node-exporter series
//! (lab/hostfiles/preventia/scale-exporter.py, scraped with honor_labels). The real binary
//! runs in a pseudo-terminal; this process measures the first full screen, key-to-frame
//! latency while updates arrive (typing a filter: every key re-filters 5,500 rows), idle
//! CPU at the 2 s refresh, RSS, and the queries per refresh, counted at a small proxy
//! between opsdeck and Prometheus.
//!   cargo bench --bench prometheus_scale                 # its own Prometheus on loopback
//!   SCALE_PROM=http://10.77.0.13:9090 cargo bench --bench prometheus_scale   # the lab's
//! SCALE_HOSTS (500), SCALE_KEYS (200), IDLE_SECS (30) change the run.

#[path = "support/process.rs"]
mod process;
use process::{cpu_ticks, percentile, rss_kib};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 40;
const COLS: u16 = 120;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Children killed when the benchmark ends.
struct Kill(Vec<Child>);
impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The synthetic exporter and a Prometheus scraping it, on loopback; Prometheus' address.
fn local_prometheus(root: &Path, hosts: usize, dir: &Path, kill: &mut Kill) -> String {
    let exporter = free_port();
    kill.0.push(
        Command::new("python3")
            .arg(root.join("lab/hostfiles/preventia/scale-exporter.py"))
            .args(["--listen", &format!("127.0.0.1:{exporter}")])
            .args(["--instances", &hosts.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3"),
    );
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{ scrape_interval: 5s }}\nscrape_configs:\n  - job_name: scale\n    honor_labels: true\n    static_configs: [ {{ targets: [\"127.0.0.1:{exporter}\"] }} ]\n"
        ),
    )
    .unwrap();
    let port = free_port();
    kill.0.push(
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus"),
    );
    format!("127.0.0.1:{port}")
}

/// One HTTP/1.0 GET; the body.
fn get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    Some(buf.split_once("\r\n\r\n")?.1.to_owned())
}

fn scalar(addr: &str, query: &str) -> f64 {
    let q: String = query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    get(addr, &format!("/api/v1/query?query={q}"))
        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
        .and_then(|v| v["data"]["result"][0]["value"][1].as_str()?.parse().ok())
        .unwrap_or(0.0)
}

/// A TCP proxy to `upstream` that counts the API requests passing through it.
fn counting_proxy(upstream: String, count: Arc<AtomicU64>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let count = count.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                let needle = b"POST /api/v1/";
                let mut carry: Vec<u8> = Vec::new();
                while let Ok(n) = c_read.read(&mut buf) {
                    if n == 0 || s_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    carry.extend_from_slice(&buf[..n]);
                    let found = carry.windows(needle.len()).filter(|w| w == needle).count();
                    count.fetch_add(found as u64, Ordering::Relaxed);
                    let keep = carry.len().min(needle.len() - 1);
                    carry.drain(..carry.len() - keep);
                }
                let _ = s_write.shutdown(std::net::Shutdown::Both);
            });
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    port
}

struct Screen {
    parser: vt100::Parser,
    rx: mpsc::Receiver<Vec<u8>>,
}

impl Screen {
    fn until(&mut self, limit: Duration, pred: impl Fn(&vt100::Screen) -> bool) -> Option<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            if pred(self.parser.screen()) {
                return Some(Instant::now());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.rx.recv_timeout(left) {
                Ok(bytes) => {
                    self.parser.process(&bytes);
                    while let Ok(more) = self.rx.try_recv() {
                        self.parser.process(&more);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Takes in whatever arrived, without waiting.
    fn drain(&mut self) {
        while let Ok(more) = self.rx.try_recv() {
            self.parser.process(&more);
        }
    }
}

fn row(s: &vt100::Screen, r: u16) -> String {
    s.rows(0, COLS).nth(r as usize).unwrap_or_default()
}

/// Every host row on screen has its CPU %, and every service row its values' verdict.
fn full(s: &vt100::Screen) -> bool {
    let rows: Vec<String> = s.rows(0, COLS).collect();
    let hosts = rows.iter().filter(|r| r.contains("scale-0"));
    let services: Vec<&String> = rows.iter().filter(|r| r.contains("svc-")).collect();
    hosts.clone().count() > 0
        && hosts.into_iter().all(|r| r.contains('%'))
        && !services.is_empty()
        && services.iter().all(|r| {
            ["healthy", "warning", "failing"]
                .iter()
                .any(|h| r.contains(h))
        })
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let hosts: usize = env_or("SCALE_HOSTS", 500);
    let keys: usize = env_or("SCALE_KEYS", 200);
    let idle_secs: u64 = env_or("IDLE_SECS", 30);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut kill = Kill(vec![]);
    let upstream = match std::env::var("SCALE_PROM") {
        Ok(url) => url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned(),
        Err(_) => local_prometheus(root, hosts, dir.path(), &mut kill),
    };
    // Two scrapes of every instance, so that rate() has an answer.
    let ready = Instant::now() + Duration::from_secs(90);
    loop {
        let n = scalar(
            &upstream,
            "count(count_over_time(node_load1{instance=~\"scale-.*\"}[1m]) >= 2)",
        );
        if n as usize >= hosts {
            break;
        }
        assert!(
            Instant::now() < ready,
            "Prometheus at {upstream} has {n} of {hosts} scale instances scraped twice"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let count = Arc::new(AtomicU64::new(0));
    let proxy = counting_proxy(upstream.clone(), count.clone());
    let config = dir.path().join("hosts.toml");
    let out = Command::new(root.join("lab/gen-scale-prometheus"))
        .args([hosts.to_string(), format!("http://127.0.0.1:{proxy}")])
        .output()
        .expect("lab/gen-scale-prometheus");
    assert!(out.status.success());
    std::fs::write(&config, out.stdout).unwrap();

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
    let started = Instant::now();
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
    let Some(at) = screen.until(Duration::from_secs(30), full) else {
        panic!(
            "no full first screen within 30 s:\n{}",
            screen.parser.screen().contents()
        );
    };
    let first = at - started;

    // Keys while updates arrive: type a filter one key at a time, then clear it.
    let mut press = |k: &str| {
        keyboard.write_all(k.as_bytes()).unwrap();
        keyboard.flush().unwrap();
        Instant::now()
    };
    let word = "svc-05";
    let mut lat = Vec::with_capacity(keys);
    while lat.len() < keys {
        screen.drain();
        let t = press("/");
        screen
            .until(Duration::from_secs(5), |s| row(s, ROWS - 1).contains('/'))
            .expect("the filter prompt");
        lat.push(Instant::now() - t);
        for i in 1..=word.len() {
            let typed = &word[..i];
            let t = press(&word[i - 1..i]);
            let at = screen
                .until(Duration::from_secs(5), |s| {
                    row(s, ROWS - 1).contains(&format!("/{typed}"))
                })
                .expect("the typed filter on screen");
            lat.push(at - t);
        }
        let t = press("\x1b");
        let at = screen
            .until(Duration::from_secs(5), |s| {
                !row(s, ROWS - 1).contains("/svc")
            })
            .expect("the filter cleared");
        lat.push(at - t);
        let t = press("\x1b");
        screen.until(Duration::from_millis(300), |_| false);
        let _ = t;
    }
    lat.sort();

    // Idle at the 2 s refresh: CPU and queries over the window.
    std::thread::sleep(Duration::from_secs(3));
    let (c0, q0, t0) = (
        cpu_ticks(pid),
        count.load(Ordering::Relaxed),
        Instant::now(),
    );
    let deadline = t0 + Duration::from_secs(idle_secs);
    while Instant::now() < deadline {
        screen.until(deadline - Instant::now(), |_| false);
    }
    let (c1, q1) = (cpu_ticks(pid), count.load(Ordering::Relaxed));
    let secs = t0.elapsed().as_secs_f64();
    let tick = 100.0; // USER_HZ
    let cpu = (c1 - c0) as f64 / tick / secs * 100.0;
    let refreshes = secs / 2.0;
    let rss = rss_kib(pid);
    println!(
        "prometheus_scale: {hosts} hosts × 10 services via {}: first full screen {:.2} s; \
         key-to-frame p50 {:.1} ms, p99 {:.1} ms ({} keys); idle {:.2} % of a core over {secs:.0} s; \
         RSS {:.1} MB; {:.1} queries per refresh ({} in {refreshes:.0} refreshes)",
        if std::env::var("SCALE_PROM").is_ok() {
            "the lab's Prometheus"
        } else {
            "a loopback Prometheus"
        },
        first.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        lat.len(),
        cpu,
        rss as f64 / 1024.0,
        (q1 - q0) as f64 / refreshes,
        q1 - q0,
    );
    let _ = child.kill();
}
