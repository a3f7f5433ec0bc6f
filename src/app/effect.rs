//! `Effect`: I/O the reducer asks for; the supervisor carries it out.

use crate::action::Authorized;
use crate::collect::logs::LogSpec;
use crate::model::{HostId, ServiceId};
use crate::transport::Target;

#[derive(Debug)]
pub enum Effect {
    /// Run an action the dispatcher has authorized.
    Execute(Authorized),
    /// Collect everything now instead of waiting for the next interval.
    RefreshNow,
    /// Follow one log source of a service (replacing any stream followed before).
    FollowLogs {
        service: ServiceId,
        source: String,
        spec: LogSpec,
        target: Target,
        tail: usize,
        since: Option<i64>,
    },
    /// Stop following logs.
    StopLogs,
    /// Write the log view to a new file named after `name` in opsdeck's state dir.
    SaveLog { name: String, text: String },
    /// Run a smoke suite's checks once (with their retries) and report each result.
    RunSuite { suite: String },
    /// Add a host's scanned key to opsdeck's known_hosts and reconnect.
    TrustHostKey {
        host: HostId,
        key_lines: Vec<String>,
    },
}
