//! The runbook pane's state: the runbook open beside the fleet, its run (the engine's pure
//! state machine) and what the console is waiting for on its behalf.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::History;
use crate::runbook::engine::{Next, RunState};
use crate::runbook::exec::StepFacts;
use crate::runbook::timeline::Row;
use crate::runbook::{Filled, Run, Runbook};

/// Output lines of the current step kept for the pane.
pub const PANE_OUTPUT_LINES: usize = 200;

#[derive(Debug)]
pub struct RunbookPane {
    pub book: Arc<Runbook>,
    pub filled: Arc<Vec<Filled>>,
    pub facts: Arc<Vec<StepFacts>>,
    /// `None` while the pane offers to resume `offer`.
    pub run: Option<Run>,
    /// An unfinished run of this runbook from before, with the id a new run would get.
    pub offer: Option<(RunState, String)>,
    /// What the console waits for on the run's behalf.
    pub waiting: Option<Waiting>,
    /// The step whose output `output` holds.
    pub output_step: Option<usize>,
    pub output: History<String>,
    /// Keys go to the pane (tab switches between it and the fleet).
    pub focused: bool,
    /// The last thing the engine refused, or a save that failed.
    pub error: Option<String>,
}

/// What the console waits for on a run's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// A try of a step (not an action) is under way in the runner.
    Step(usize),
    /// An action step's plan is being looked up.
    Plan(usize),
    /// An action step's plan is in the popup or running as action `action_id`.
    Action { step: usize, action_id: u64 },
}

impl Waiting {
    pub fn step(self) -> usize {
        match self {
            Waiting::Step(s) | Waiting::Plan(s) | Waiting::Action { step: s, .. } => s,
        }
    }
}

/// What typed text is for, in the pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneInput {
    /// Why the current step is skipped.
    Skip,
    /// Why the run is aborted.
    Abort,
    /// A note for the run's timeline.
    Note,
    /// The note a manual step asks for when it is confirmed.
    Confirm,
}

impl PaneInput {
    pub fn prompt(self) -> &'static str {
        match self {
            PaneInput::Skip => "skip: why? ",
            PaneInput::Abort => "abort the run: why? ",
            PaneInput::Note => "note: ",
            PaneInput::Confirm => "done — your note: ",
        }
    }
}

impl RunbookPane {
    pub fn run_id(&self) -> Option<&str> {
        self.run.as_ref().map(|r| r.state().id.as_str())
    }

    /// What the run waits for now (without moving it on: a clone is asked).
    pub fn next(&self, now: DateTime<Utc>) -> Option<Next> {
        self.run.clone().map(|mut r| r.next(now))
    }

    /// Whether the run is over (completed or aborted).
    pub fn finished(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|r| r.state().status != crate::runbook::RunStatus::Running)
    }
}

/// The `:timeline` screen: the audit log's rows, newest last, scrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineView {
    /// `None` while it is read.
    pub rows: Option<Result<Vec<Row>, String>>,
    /// Lines of the audit log that were not entries.
    pub bad: usize,
    pub since: Option<String>,
    /// Rows scrolled up from the end.
    pub scroll: usize,
}
