//! Latency of a trivial command over the multiplexed master (target p50 ≤ 15 ms), and time
//! to the first full status of N hosts, cold (new masters) and warm (masters open)
//! (targets ≤ 3 s and ≤ 0.5 s for N = 50).
//!   lab/up && lab/scale up 50 && cargo bench --bench ssh_latency

#[path = "support/process.rs"]
mod process;
use process::percentile;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::collect::remote::{parse_poll, poll_command};
use opsdeck::config::Config;
use opsdeck::transport::CommandSpec;
use opsdeck::transport::ssh::{SshConnection, SshTarget, connect};

fn targets(config: &Config) -> Vec<SshTarget> {
    let trusted = std::env::temp_dir().join("opsdeck-bench-known_hosts");
    config
        .file
        .hosts
        .iter()
        .filter_map(|h| SshTarget::from_config(h, &trusted))
        .collect()
}

async fn full_status(conns: &[Arc<SshConnection>]) {
    let polls = conns.iter().map(|c| async move {
        let out = c
            .run(&poll_command(&[]), Duration::from_secs(10))
            .await
            .expect("poll");
        parse_poll(&out.stdout, &mut None, chrono::Utc::now());
    });
    futures::future::join_all(polls).await;
}

async fn connect_all(targets: &[SshTarget], cap: usize) -> Vec<Arc<SshConnection>> {
    let slots = Arc::new(tokio::sync::Semaphore::new(cap));
    let tasks = targets.iter().cloned().map(|t| {
        let slots = slots.clone();
        async move {
            let _s = slots.acquire().await.unwrap();
            Arc::new(
                connect(&t)
                    .await
                    .unwrap_or_else(|e| panic!("{}: {e}", t.name)),
            )
        }
    });
    futures::future::join_all(tasks).await
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let lab = opsdeck::config::load(Path::new("lab/hosts.toml")).expect("lab/hosts.toml: run lab/up");
        let t = targets(&lab).into_iter().find(|t| t.name == "gamelera").unwrap();
        let conn = connect(&t).await.unwrap();
        let cmd = CommandSpec::argv(["true"]);
        for _ in 0..20 {
            conn.run(&cmd, Duration::from_secs(5)).await.unwrap();
        }
        let mut samples: Vec<Duration> = Vec::new();
        for _ in 0..500 {
            let t0 = Instant::now();
            conn.run(&cmd, Duration::from_secs(5)).await.unwrap();
            samples.push(t0.elapsed());
        }
        samples.sort();
        println!(
            "trivial command over the mux (gamelera, n=500): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms",
            percentile(&samples, 0.5).as_secs_f64() * 1e3,
            percentile(&samples, 0.9).as_secs_f64() * 1e3,
            percentile(&samples, 0.99).as_secs_f64() * 1e3
        );

        let Ok(scale) = opsdeck::config::load(Path::new("lab/hosts-scale.toml")) else {
            println!("fleet status: skipped (run `lab/scale up 50` for it)");
            return;
        };
        let scale_targets = targets(&scale);
        let n = scale_targets.len();
        let cap = scale.file.settings.connect_concurrency();
        let t0 = Instant::now();
        let conns = connect_all(&scale_targets, cap).await;
        full_status(&conns).await;
        let cold = t0.elapsed();
        let t1 = Instant::now();
        full_status(&conns).await;
        let warm = t1.elapsed();
        println!("first full status of {n} hosts (cap {cap}): cold {:.2} s, warm {:.3} s", cold.as_secs_f64(), warm.as_secs_f64());
    });
}
