//! `Effect`: I/O the reducer asks for; the supervisor carries it out.

use crate::action::Authorized;
use crate::model::HostId;

#[derive(Debug)]
pub enum Effect {
    /// Run an action the dispatcher has authorized.
    Execute(Authorized),
    /// Collect everything now instead of waiting for the next interval.
    RefreshNow,
    /// Add a host's scanned key to opsdeck's known_hosts and reconnect.
    TrustHostKey {
        host: HostId,
        key_lines: Vec<String>,
    },
}
