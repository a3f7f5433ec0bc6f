//! `Effect`: I/O the reducer asks for; the effect runner carries it out.

use super::logs::{FollowSource, Window};
use crate::action::Authorized;

#[derive(Debug)]
pub enum Effect {
    /// Run an action the dispatcher has authorized.
    Execute(Authorized),
    /// Collect everything now instead of waiting for the next interval.
    RefreshNow,
    /// Follow sources of log view `view` (each with its index there), narrowed by `window`
    /// where they can be (replacing whatever was followed before).
    FollowLogs {
        view: u64,
        sources: Vec<(usize, FollowSource)>,
        window: Window,
    },
    /// Stop following logs.
    StopLogs,
    /// Write the log view to a new file named after `name` in opsdeck's state dir.
    SaveLog { name: String, text: String },
    /// Run a smoke suite's checks once (with their retries) and report each result.
    RunSuite { suite: String },
    /// List a backup set now (after a backup, restore or drill).
    ListBackups { set: String },
    /// List the versions a service can be deployed to, and the one running.
    ListVersions { service: crate::model::ServiceId },
    /// Write the operator's note (`:note TEXT`) to the audit log: the incident timeline.
    Note { text: String },
    /// Read who holds the service's deploy lock on its host, if anyone.
    ReadLock { service: crate::model::ServiceId },
}
