//! How an action ended, as the popup, the notice and the audit log tell it.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ActionOutcome {
    Succeeded {
        duration_ms: u64,
        /// What the operator needs to know after it: where a new backup is, rows counted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
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
        /// What was put back, what state the service is in, where the safety backup is.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
        /// Whether what the failed action had changed was put back (a deploy rolled back,
        /// stopped services started): `None` when there was nothing to put back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        put_back: Option<bool>,
    },
    /// A step was cut short from outside: the connection to the host was lost, or opsdeck
    /// was ended. What the step did on the host is not known.
    Interrupted {
        step: usize,
        step_title: String,
        reason: String,
        duration_ms: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// Nothing ran (read-only, audit log not writable, the key on offer changed).
    Refused { reason: String },
}

impl ActionOutcome {
    pub fn summary(&self) -> String {
        match self {
            ActionOutcome::Succeeded { duration_ms, .. } => {
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

    /// What the action left to say, in order.
    pub fn notes(&self) -> &[String] {
        match self {
            ActionOutcome::Succeeded { notes, .. }
            | ActionOutcome::Failed { notes, .. }
            | ActionOutcome::Interrupted { notes, .. } => notes,
            ActionOutcome::Refused { .. } => &[],
        }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self, ActionOutcome::Succeeded { .. })
    }
}
