//! What an action will do, shown to the operator before it runs.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::model::{HostId, ServiceId};
use crate::transport::{CommandSpec, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Restart,
    Stop,
    Start,
    /// Trust the host key a host offered, the one the operator saw.
    TrustHostKey,
}

impl ActionKind {
    pub fn verb(self) -> &'static str {
        match self {
            ActionKind::Restart => "restart",
            ActionKind::Stop => "stop",
            ActionKind::Start => "start",
            ActionKind::TrustHostKey => "trust the host key of",
        }
    }

    /// The name the audit log and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Restart => "restart",
            ActionKind::Stop => "stop",
            ActionKind::Start => "start",
            ActionKind::TrustHostKey => "trust_host_key",
        }
    }

    /// Restart, stop and start as a unit or container verb.
    pub fn lifecycle(self) -> Option<Lifecycle> {
        match self {
            ActionKind::Restart => Some(Lifecycle::Restart),
            ActionKind::Stop => Some(Lifecycle::Stop),
            ActionKind::Start => Some(Lifecycle::Start),
            ActionKind::TrustHostKey => None,
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// What a unit or a container is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    Restart,
    Stop,
    Start,
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lifecycle::Restart => "restart",
            Lifecycle::Stop => "stop",
            Lifecycle::Start => "start",
        })
    }
}

/// What an action acts on; at most one action runs on a subject at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Service(ServiceId),
    Host(HostId),
}

impl Subject {
    pub fn host(&self) -> &HostId {
        match self {
            Subject::Service(s) => &s.host,
            Subject::Host(h) => h,
        }
    }

    pub fn service(&self) -> Option<&ServiceId> {
        match self {
            Subject::Service(s) => Some(s),
            Subject::Host(_) => None,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Service(s) => write!(f, "{s}"),
            Subject::Host(h) => write!(f, "{h}"),
        }
    }
}

/// What one step does: a command, a Docker API call on a container, or writing a host key.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOp {
    Command(CommandSpec),
    Docker {
        verb: Lifecycle,
        container: String,
    },
    /// Add the key the host offers to opsdeck's own known_hosts — only if its fingerprint
    /// is still the one the operator saw.
    TrustKey {
        fingerprint: String,
        key_lines: Vec<String>,
    },
}

/// Shown as the equivalent command line, so the plan reads the same either way.
impl fmt::Display for StepOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepOp::Command(c) => write!(f, "{c}"),
            StepOp::Docker { verb, container } => write!(
                f,
                "docker {verb} {}  (Docker API)",
                crate::transport::quote(container)
            ),
            StepOp::TrustKey { fingerprint, .. } => {
                write!(
                    f,
                    "add {fingerprint} to opsdeck's known_hosts (if it is still offered)"
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanStep {
    pub title: String,
    pub target: Target,
    pub command: StepOp,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Answer y or n.
    YesNo,
    /// Type this name (services on `prod` hosts, restores).
    TypeName(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: u64,
    pub kind: ActionKind,
    pub subject: Subject,
    /// Where the commands run, for the operator: `local (this machine)`, `ssh root@10.77.0.10`.
    pub location: String,
    pub steps: Vec<PlanStep>,
    pub confirmation: Confirmation,
    pub prod: bool,
}

impl Plan {
    pub fn title(&self) -> String {
        format!("{} {}", self.kind, self.subject)
    }

    pub fn host(&self) -> &HostId {
        self.subject.host()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ActionOutcome {
    Succeeded {
        duration_ms: u64,
    },
    /// A step ran and failed (non-zero exit, timeout, could not start).
    Failed {
        step: usize,
        step_title: String,
        command: String,
        exit_code: Option<i32>,
        error: String,
        output_tail: Vec<String>,
        duration_ms: u64,
    },
    /// A step was cut short from outside: the connection to the host was lost, or opsdeck
    /// was ended. What the step did on the host is not known.
    Interrupted {
        step: usize,
        step_title: String,
        reason: String,
        duration_ms: u64,
    },
    /// Nothing ran (read-only, audit log not writable, the key on offer changed).
    Refused {
        reason: String,
    },
}

impl ActionOutcome {
    pub fn summary(&self) -> String {
        match self {
            ActionOutcome::Succeeded { duration_ms } => {
                format!("done in {:.1}s", *duration_ms as f64 / 1000.0)
            }
            ActionOutcome::Failed {
                step,
                step_title,
                error,
                ..
            } => {
                format!("step {} ({step_title}) failed: {error}", step + 1)
            }
            ActionOutcome::Interrupted {
                step,
                step_title,
                reason,
                ..
            } => format!(
                "interrupted in step {} ({step_title}): {reason}; what it did on the host is not known",
                step + 1
            ),
            ActionOutcome::Refused { reason } => format!("refused: {reason}"),
        }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self, ActionOutcome::Succeeded { .. })
    }
}
