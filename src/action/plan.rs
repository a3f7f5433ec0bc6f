//! What an action will do, shown to the operator before it runs.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::model::ServiceId;
use crate::transport::{CommandSpec, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Restart,
    Stop,
    Start,
}

impl ActionKind {
    pub fn verb(self) -> &'static str {
        match self {
            ActionKind::Restart => "restart",
            ActionKind::Stop => "stop",
            ActionKind::Start => "start",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// What one step does: a command, or a Docker API call on a container.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOp {
    Command(CommandSpec),
    Docker { verb: ActionKind, container: String },
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
    pub service: ServiceId,
    /// Where the commands run, for the operator: `local (this machine)`, `ssh root@10.77.0.10`.
    pub location: String,
    pub steps: Vec<PlanStep>,
    pub confirmation: Confirmation,
    pub prod: bool,
}

impl Plan {
    pub fn title(&self) -> String {
        format!("{} {}", self.kind, self.service)
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
    /// Nothing ran (read-only, audit log not writable).
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
            ActionOutcome::Refused { reason } => format!("refused: {reason}"),
        }
    }
}
