//! A real Prometheus and node-exporter on loopback, in a temporary directory, for tests
//! that need no lab: node-exporter reads this machine's /proc, Prometheus scrapes it every
//! second. Stopped (and its data kept) or started again on demand.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct LocalPrometheus {
    pub dir: tempfile::TempDir,
    pub prom_port: u16,
    pub node_port: u16,
    prom: Option<Child>,
    node: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_http(port: u16, path: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

impl LocalPrometheus {
    /// `None` when the binaries are not installed (lab/install installs them).
    pub fn start() -> LocalPrometheus {
        for bin in ["prometheus", "prometheus-node-exporter"] {
            assert!(
                Command::new("sh")
                    .args(["-c", &format!("command -v {bin}")])
                    .stdout(Stdio::null())
                    .status()
                    .unwrap()
                    .success(),
                "{bin} is not installed (apt-get install prometheus prometheus-node-exporter; lab/install does it)"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let node_port = free_port();
        let node = Command::new("prometheus-node-exporter")
            .args([
                format!("--web.listen-address=127.0.0.1:{node_port}"),
                "--collector.disable-defaults".into(),
                "--collector.cpu".into(),
                "--collector.meminfo".into(),
                "--collector.loadavg".into(),
                "--collector.filesystem".into(),
                "--collector.time".into(),
                "--collector.stat".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node-exporter");
        assert!(
            wait_http(node_port, "/metrics", Duration::from_secs(10)),
            "node-exporter did not come up"
        );
        std::fs::write(
            dir.path().join("prometheus.yml"),
            format!(
                "global: {{ scrape_interval: 1s, evaluation_interval: 1s }}\n\
                 scrape_configs:\n  - job_name: node\n    static_configs: [ {{ targets: [\"127.0.0.1:{node_port}\"] }} ]\n"
            ),
        )
        .unwrap();
        let mut p = LocalPrometheus {
            dir,
            prom_port: free_port(),
            node_port,
            prom: None,
            node,
        };
        p.start_prometheus();
        p
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.prom_port)
    }

    pub fn instance(&self) -> String {
        format!("127.0.0.1:{}", self.node_port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts Prometheus (again, on the same port and data) and waits until it is ready.
    pub fn start_prometheus(&mut self) {
        let child = Command::new("prometheus")
            .args([
                format!(
                    "--config.file={}",
                    self.dir.path().join("prometheus.yml").display()
                ),
                format!("--storage.tsdb.path={}", self.data().display()),
                format!("--web.listen-address=127.0.0.1:{}", self.prom_port),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        self.prom = Some(child);
        assert!(
            wait_http(self.prom_port, "/-/ready", Duration::from_secs(30)),
            "prometheus did not become ready"
        );
    }

    pub fn stop_prometheus(&mut self) {
        if let Some(mut c) = self.prom.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Waits until Prometheus has `n` scrapes of node-exporter (rate() needs two).
    pub fn wait_scraped(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let path = "/api/v1/query?query=count_over_time(up%5B1m%5D)";
        while Instant::now() < deadline {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.prom_port)) {
                use std::io::{Read, Write};
                let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n");
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if let Some(body) = buf.split("\r\n\r\n").nth(1)
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(body)
                    && let Some(n) = v["data"]["result"][0]["value"][1].as_str()
                    && n.parse::<f64>().unwrap_or(0.0) >= 3.0
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("Prometheus did not scrape node-exporter three times within {limit:?}");
    }
}

impl Drop for LocalPrometheus {
    fn drop(&mut self) {
        self.stop_prometheus();
        let _ = self.node.kill();
        let _ = self.node.wait();
    }
}
