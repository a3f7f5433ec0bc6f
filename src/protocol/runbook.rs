//! What the console's runbook pane and timeline screen carry between the reducer and the
//! effect runner: a runbook opened with its steps filled, one step to carry out, a run's
//! transitions to record and save.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::runbook::engine::RunState;
use crate::runbook::exec::StepFacts;
use crate::runbook::{Filled, Runbook};

/// A runbook read and filled for a run in the console.
#[derive(Debug, Clone)]
pub struct OpenedRunbook {
    pub book: Arc<Runbook>,
    /// Every step, filled with `vars` (or the saved run's variables).
    pub filled: Arc<Vec<Filled>>,
    pub facts: Arc<Vec<StepFacts>>,
    pub vars: BTreeMap<String, String>,
    /// The id a new run gets.
    pub new_id: String,
    /// The newest unfinished run of it, which the pane offers to resume.
    pub saved: Option<RunState>,
}
