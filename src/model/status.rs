//! What is known about a host or a service, and since when.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HostStatus {
    /// Not heard from yet.
    Connecting,
    Up,
    /// Reached only through its HTTP endpoints: there is no host to connect to.
    HttpOnly,
    Unreachable {
        since: DateTime<Utc>,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Unknown,
    Running,
    Degraded,
    Stopped,
    Failed,
    /// Stopped, and its status says it simply has not been started yet (a `command`
    /// service whose status prints `not started …`): not counted as down.
    NotStarted,
}

impl RunState {
    pub fn label(self) -> &'static str {
        match self {
            RunState::Unknown => "unknown",
            RunState::Running => "running",
            RunState::Degraded => "degraded",
            RunState::Stopped => "stopped",
            RunState::Failed => "failed",
            RunState::NotStarted => "not started",
        }
    }
    pub fn is_down(self) -> bool {
        matches!(self, RunState::Stopped | RunState::Failed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// No check configured or none has run.
    Unknown,
    Healthy,
    Warning,
    Failing,
    /// The last result is older than twice its interval.
    Stale,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Unknown => "—",
            Health::Healthy => "healthy",
            Health::Warning => "warning",
            Health::Failing => "failing",
            Health::Stale => "stale",
        }
    }
}

/// One observation of a service by a collector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceObservation {
    pub at: DateTime<Utc>,
    pub state: RunState,
    /// First line of what the status probe printed, or why it failed.
    pub detail: String,
    #[serde(skip)]
    pub uptime: Option<Duration>,
    pub cpu_percent: Option<f64>,
    pub mem_bytes: Option<u64>,
}
