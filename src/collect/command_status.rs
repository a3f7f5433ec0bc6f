//! Status of `command` services: run the configured status command, exit 0 means running.

use std::time::Duration;

use chrono::Utc;

use crate::model::{RunState, ServiceObservation};
use crate::transport::{CommandSpec, Target, Transports};

/// A status command not run: the host is read-only and the command is not marked safe.
pub fn not_probed() -> ServiceObservation {
    ServiceObservation {
        at: Utc::now(),
        state: RunState::Unknown,
        detail: "not probed: read-only (mark the service read_only_safe if its status command changes nothing)".into(),
        uptime: None,
        cpu_percent: None,
        mem_bytes: None,
    }
}

/// A status line that says the service has only not been started yet (`not started yet:
/// S starts it`), rather than that it went down.
pub fn says_not_started(line: &str) -> bool {
    line.trim_start().to_lowercase().starts_with("not started")
}

pub async fn probe(
    target: &Target,
    transports: &Transports,
    spec: &CommandSpec,
    timeout: Duration,
) -> ServiceObservation {
    let (state, detail) = match transports.run_streaming(target, spec, timeout, None).await {
        Ok(out) => {
            let text = if out.stdout.trim().is_empty() {
                &out.stderr
            } else {
                &out.stdout
            };
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_owned();
            match out.exit_code {
                Some(0) => (RunState::Running, first),
                Some(_) if says_not_started(&first) => (RunState::NotStarted, first),
                Some(code) => (
                    RunState::Stopped,
                    if first.is_empty() {
                        format!("exit {code}")
                    } else {
                        first
                    },
                ),
                None => (
                    RunState::Unknown,
                    "status command killed by a signal".into(),
                ),
            }
        }
        Err(e) => (RunState::Unknown, format!("status probe failed: {e}")),
    };
    ServiceObservation {
        at: Utc::now(),
        state,
        detail: crate::config::secret::redact(&detail),
        uptime: None,
        cpu_percent: None,
        mem_bytes: None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn not_started_is_told_apart_from_down() {
        assert!(super::says_not_started("not started yet: S starts it"));
        assert!(super::says_not_started("  Not started — S runs lab/up"));
        assert!(!super::says_not_started("exit 1"));
        assert!(!super::says_not_started("crashed; not started again"));
    }
}
