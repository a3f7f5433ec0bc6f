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
    /// Append an entry of `kind` to the audit log (what the console saw change: a check
    /// failing or passing again, a host unreachable or back). Failures are logged, not shown.
    Audit {
        kind: &'static str,
        body: serde_json::Value,
    },
    /// Read a runbook and fill its steps with `vars` (`:runbook NAME k=v…`); find its
    /// unfinished run, if any.
    OpenRunbook {
        name: String,
        vars: Vec<(String, String)>,
    },
    /// Carry out one try of step `step` of run `run_id` (not an action: those go through
    /// the popup), streaming its output.
    RunbookStep {
        run_id: String,
        step: usize,
        book: std::sync::Arc<crate::runbook::Runbook>,
        filled: std::sync::Arc<Vec<crate::runbook::Filled>>,
    },
    /// Look up what action step `step` needs for its plan (a backup, a rollback's version).
    RunbookPrepare {
        run_id: String,
        step: usize,
        filled: std::sync::Arc<Vec<crate::runbook::Filled>>,
    },
    /// Write a run's transitions to the audit log and save the run (to resume it later).
    RunbookSave {
        book: std::sync::Arc<crate::runbook::Runbook>,
        state: Box<crate::runbook::RunState>,
        facts: std::sync::Arc<Vec<crate::runbook::exec::StepFacts>>,
        events: Vec<crate::runbook::Event>,
    },
    /// Read the audit log as a timeline (`:timeline [SINCE]`).
    LoadTimeline { since: Option<String> },
    /// Suspend the console and open the host's master in the plain terminal, with
    /// OpenSSH's prompts (`I`, `:login HOST`); the console carries it out, not the runner.
    Login { host: crate::model::HostId },
    /// Read who holds the service's deploy lock on its host, if anyone.
    ReadLock { service: crate::model::ServiceId },
}
