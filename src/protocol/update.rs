//! `Update`: a fact reported by a collector or an action.

use crate::action::{ActionOutcome, Subject};
use crate::model::container::{ContainerInfo, ContainerSample};
use crate::model::{
    CheckId, CheckResult, HostId, HostSample, LogLine, ServiceId, ServiceObservation,
};

#[derive(Debug, Clone)]
pub enum Update {
    /// A backup set was listed (or could not be: the host is not reachable, a command
    /// failed).
    BackupsListed {
        set: String,
        result: Result<crate::backup::SetStatus, String>,
    },
    /// A drill ended; its record was kept.
    DrillRecorded(crate::action::backups::DrillRecord),
    /// The versions a service can be deployed to (newest last) and the one running, or why
    /// they could not be listed.
    VersionsListed {
        service: crate::model::ServiceId,
        result: Result<crate::action::deploys::Versions, String>,
    },
    /// A note was written to the audit log (or could not be).
    Noted {
        result: Result<(), String>,
    },
    /// Who holds a service's deploy lock (`None`: nobody), or why it could not be read.
    LockRead {
        service: crate::model::ServiceId,
        holder: Result<Option<String>, String>,
    },
    /// Deploys and rollbacks to add to the history (from the audit log at start, or one
    /// that just ended).
    DeploysRecorded(Vec<crate::action::deploys::DeployEvent>),
    HostSampled {
        host: HostId,
        sample: HostSample,
    },
    HostUnreachable {
        host: HostId,
        reason: String,
    },
    /// A host logged in in the terminal cannot be reached without its prompts (its master
    /// was lost, or the login failed): it waits for `I` / `:login HOST`, not retrying.
    HostNeedsLogin {
        host: HostId,
        reason: String,
    },
    /// The host answered, its resources read elsewhere (`metrics = "prometheus"`).
    HostReached {
        host: HostId,
    },
    /// From the Prometheus collector (src/collect/prometheus.rs).
    Monitor(crate::protocol::MonitorUpdate),
    /// The host offered a key nobody trusts yet; `:trust HOST` writes these lines.
    HostKeyUnknown {
        host: HostId,
        fingerprint: String,
        key_lines: Vec<String>,
    },
    ServiceObserved {
        service: ServiceId,
        observation: ServiceObservation,
    },
    /// Every unit worth listing on a host that discovers its systemd units, each round.
    UnitsDiscovered {
        host: HostId,
        units: Vec<crate::model::discovered::DiscoveredUnit>,
    },
    /// The full container list of a host's engine (after a change or a resync).
    ContainersListed {
        host: HostId,
        containers: Vec<ContainerInfo>,
    },
    ContainerStats {
        host: HostId,
        id: String,
        sample: ContainerSample,
    },
    /// The engine is not answering (restart, lost connection); it reconnects by itself.
    DockerGap {
        host: HostId,
        reason: String,
    },
    /// New lines of a followed log source: `source` indexes the sources of log view `view`.
    LogLines {
        view: u64,
        source: usize,
        lines: Vec<LogLine>,
    },
    /// A log view was written to a file (or could not be).
    LogSaved {
        result: Result<(std::path::PathBuf, usize), String>,
    },
    /// A log stream stopped (host lost, command ended); it resumes by itself.
    LogGap {
        view: u64,
        source: usize,
        reason: String,
    },
    /// A windowed log stream (one with an end time) was read to its end.
    LogEnd {
        view: u64,
        source: usize,
    },
    /// Step `step` (from 0) of an action begins.
    ActionStep {
        action_id: u64,
        step: usize,
    },
    ActionOutput {
        action_id: u64,
        line: String,
    },
    ActionFinished {
        action_id: u64,
        subject: Subject,
        outcome: ActionOutcome,
    },
    /// A runbook opened with `:runbook`, or why it could not be.
    RunbookOpened(Result<Box<crate::protocol::OpenedRunbook>, String>),
    /// A line of what a runbook step printed.
    RunbookOutput {
        run_id: String,
        step: usize,
        line: String,
    },
    /// One try of a runbook step ended.
    RunbookStepDone {
        run_id: String,
        step: usize,
        result: crate::runbook::StepResult,
    },
    /// What an action step's plan needs was looked up (or could not be).
    RunbookPrepared {
        run_id: String,
        step: usize,
        result: Result<crate::runbook::exec::Prepared, String>,
    },
    /// A run's transitions could not be written or the run not saved.
    RunbookNotSaved {
        run_id: String,
        error: String,
    },
    /// The audit log read as a timeline, and how many lines were not entries.
    TimelineLoaded(Result<(Vec<crate::runbook::timeline::Row>, usize), String>),
    /// Alertmanager's alerts and silences, or why they could not be read.
    Alerts(crate::protocol::AlertsUpdate),
    /// A health or smoke check finished a run.
    CheckResult {
        check: CheckId,
        result: CheckResult,
    },
    /// Every check of a smoke suite started with `:smoke` has a result.
    SuiteFinished {
        suite: String,
        results: Vec<(CheckId, CheckResult)>,
    },
    /// A background task panicked (named after what it did, with the host it served);
    /// collectors are started again after `restart_in`.
    TaskPanicked {
        task: String,
        host: Option<HostId>,
        message: String,
        restart_in: Option<std::time::Duration>,
    },
}
