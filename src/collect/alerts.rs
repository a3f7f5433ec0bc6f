//! Alertmanager, asked every `monitoring.alerts_refresh` (and at once on a refresh) for its
//! alerts and silences. When it does not answer, the console is told why, and it is asked
//! again after an exponential backoff capped at the refresh interval — so it is fresh
//! again within one refresh of coming back.

use std::time::Duration;

use super::context::Context;
use crate::monitor::{Alertmanager, map_all};
use crate::protocol::{AlertsUpdate, Update};

/// The first retry after a failure; doubled each time, up to the refresh interval.
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// How long to wait after `failures` failures in a row (0: none), at most `cap`.
pub fn backoff_delay(failures: u32, cap: Duration) -> Duration {
    if failures == 0 {
        return cap;
    }
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(factor).min(cap)
}

/// Polls until the console goes; nothing when no Alertmanager is configured.
pub async fn run(ctx: Context) {
    let config = ctx.config().clone();
    let m = &config.file.monitoring;
    let Some(url) = m.alertmanager.as_ref().map(|u| u.get_ref().clone()) else {
        return;
    };
    let refresh = m.alerts_refresh.get();
    let client = match Alertmanager::new(&url, m.timeout.get()) {
        Ok(c) => c,
        Err(e) => {
            let reason = e.to_string();
            ctx.send(Update::Alerts(AlertsUpdate::Unavailable { reason }))
                .await;
            return;
        }
    };
    let mut failures = 0u32;
    loop {
        let update = match poll(&client).await {
            Ok((alerts, silences)) => {
                failures = 0;
                AlertsUpdate::Listed {
                    alerts: map_all(&config.file, alerts),
                    silences,
                }
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::debug!("alertmanager: {e}");
                AlertsUpdate::Unavailable {
                    reason: e.to_string(),
                }
            }
        };
        if !ctx.send(Update::Alerts(update)).await {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff_delay(failures, refresh)) => {}
            _ = ctx.refresh_requested() => {}
        }
    }
}

async fn poll(
    client: &Alertmanager,
) -> Result<(Vec<crate::monitor::Alert>, Vec<crate::monitor::Silence>), crate::monitor::AmError> {
    let (alerts, silences) = tokio::join!(client.alerts(), client.silences());
    Ok((alerts?, silences?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_the_refresh() {
        let cap = Duration::from_secs(15);
        let d: Vec<u64> = (0..8)
            .map(|f| backoff_delay(f, cap).as_millis() as u64)
            .collect();
        assert_eq!(d, [15_000, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
        assert_eq!(backoff_delay(u32::MAX, cap), cap);
    }
}
