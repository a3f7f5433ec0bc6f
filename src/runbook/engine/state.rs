//! What the engine knows of a run: each step's policy and state, the run's state (saved
//! after each transition), what is due next, step results and the events for the timeline.

use crate::runbook::model::{Runbook, StepKind, WaitFor};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// How the engine treats a step: derived from the runbook, not saved (a resumed run gets
/// it from the runbook again).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub auto: bool,
    pub retries: u32,
    pub retry_interval: Duration,
    /// One try's limit (`None`: the executor's own limits only).
    pub timeout: Option<Duration>,
    pub mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// The executor carries it out once per try.
    Execute,
    /// Passes by itself after this long.
    Sleep(Duration),
    /// The executor probes once per poll until it passes or `timeout` has gone.
    Poll { timeout: Duration },
    /// The operator carries it out and confirms; `note` asks for typed text.
    Manual { note: bool },
}

impl Policy {
    pub fn of(runbook: &Runbook) -> Vec<Policy> {
        runbook
            .steps
            .iter()
            .map(|s| Policy {
                auto: s.auto,
                retries: s.retries,
                retry_interval: s.retry_interval,
                timeout: s.timeout,
                mode: match &s.kind {
                    StepKind::Wait(WaitFor::Duration(d)) => Mode::Sleep(*d),
                    StepKind::Wait(WaitFor::Check(_)) => Mode::Poll {
                        timeout: s
                            .timeout
                            .unwrap_or(crate::runbook::model::DEFAULT_WAIT_TIMEOUT),
                    },
                    StepKind::Manual { note, .. } => Mode::Manual { note: *note },
                    _ => Mode::Execute,
                },
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not begun; waits for the go-ahead unless the step is `auto`.
    Pending,
    /// The operator said go.
    Approved,
    /// A try (or a poll, or a pause) is under way.
    Running,
    /// Between tries or polls, until `not_before`.
    Waiting,
    Passed,
    Failed,
    Skipped,
}

impl StepStatus {
    /// The run may move past it.
    pub fn settled(self) -> bool {
        matches!(self, StepStatus::Passed | StepStatus::Skipped)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepState {
    pub title: String,
    pub status: StepStatus,
    /// Tries (polls, for `wait until`) begun so far.
    pub attempts: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The current try must end by then (a `wait until`: the whole wait).
    pub deadline: Option<DateTime<Utc>>,
    /// Nothing happens before then (a retry's pause, the next poll, a wait's end).
    pub not_before: Option<DateTime<Utc>>,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// The end of what it printed.
    pub output: Vec<String>,
    /// The operator's note when confirming a manual step.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum RunStatus {
    Running,
    /// Every step passed or was skipped.
    Completed,
    Aborted {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub text: String,
}

/// A run as saved in `runs/<runbook>-<id>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    pub id: String,
    pub runbook: String,
    /// The step titles and kinds the run was made for: a resumed run whose runbook has
    /// changed since is refused.
    pub fingerprint: String,
    pub vars: BTreeMap<String, String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub status: RunStatus,
    pub steps: Vec<StepState>,
    #[serde(default)]
    pub notes: Vec<Note>,
}

/// What the driver should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Step `i` waits for the operator's go-ahead: [`Run::approve`] (or skip, abort).
    GoAhead(usize),
    /// Carry out step `i` once (one poll, for `wait until`) and [`Run::report`] the result.
    Execute(usize),
    /// A try of step `i` is under way: wait for its report (or its deadline).
    Busy(usize),
    /// Manual step `i`: the operator does it and [`Run::confirm`]s.
    Confirm(usize),
    /// Nothing is due before then: call `next` again at that time.
    Sleep(DateTime<Utc>),
    /// Step `i` failed: [`Run::retry`], [`Run::skip`] or [`Run::abort`].
    Failed(usize),
    Finished(RunStatus),
}

/// How one try of a step ended, as the executor saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    pub passed: bool,
    /// Why it failed (or a short note of what passed: "2 checks passed").
    pub detail: String,
    /// The end of the output, for the saved state.
    pub output: Vec<String>,
}

impl StepResult {
    pub fn passed(detail: impl Into<String>) -> Self {
        Self {
            passed: true,
            detail: detail.into(),
            output: vec![],
        }
    }

    pub fn failed(detail: impl Into<String>) -> Self {
        Self {
            passed: false,
            detail: detail.into(),
            output: vec![],
        }
    }

    pub fn with_output(mut self, output: Vec<String>) -> Self {
        self.output = output;
        self
    }
}

/// What a step's end was, as the timeline records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
}

/// The transitions the timeline records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    RunStarted,
    StepStarted {
        step: usize,
        attempt: u32,
    },
    StepEnded {
        step: usize,
        attempt: u32,
        outcome: Outcome,
        detail: String,
        duration: Duration,
    },
    Note {
        step: Option<usize>,
        text: String,
    },
    RunEnded {
        status: RunStatus,
        duration: Duration,
    },
}

/// Why an operator's command does not apply now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("step {0} is not the current step")]
    NotCurrent(usize),
    #[error("step {step} is {status:?}: {what}")]
    Wrong {
        step: usize,
        status: StepStatus,
        what: &'static str,
    },
    #[error("a skip needs a reason")]
    NoReason,
    #[error("this step asks for a note")]
    NoteRequired,
    #[error("the run has ended")]
    Ended,
    #[error("the runbook changed since this run began ({0}); start a new run")]
    Changed(String),
}
