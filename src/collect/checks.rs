//! Health checks in the console: each check in its own task, every interval (or at once
//! on refresh), one attempt per run — the next interval is the retry.

use std::time::Duration;

use super::context::Context;
use crate::check::{CheckRunner, CheckSpec, Persistence};
use crate::protocol::Update;

pub async fn run(ctx: Context, spec: CheckSpec, delay: Duration) {
    tokio::time::sleep(delay).await;
    let interval = spec.interval;
    let mut runner = CheckRunner::new(spec);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = ctx.refresh_requested() => {}
        }
        // Until its host is connected a command check has nothing to say; the host row
        // shows why, and an old result turns stale.
        if let Some(host) = runner.spec.ssh_host()
            && ctx.transports().ssh(host).is_none()
        {
            continue;
        }
        let result = runner.run(ctx.transports(), Persistence::Once).await;
        let update = Update::CheckResult {
            check: runner.spec.id.clone(),
            result,
        };
        if !ctx.send(update).await {
            return;
        }
    }
}

/// Each check's first run, spread over one interval (at most 30 s) so that checks do not
/// all fire at once.
pub fn stagger(index: usize, count: usize, interval: Duration) -> Duration {
    interval.min(Duration::from_secs(30)) * index as u32 / count.max(1) as u32
}
