//! The runbook engine: a state machine over one run of a runbook, with no I/O. Whoever
//! drives it (`opsdeck run`, the console's runbook pane) asks [`Run::next`] what is due,
//! does it (an [`Executor`](super::exec::Executor) carries out steps), and tells the run
//! what happened. Time is always passed in, so the tests need no clock.
//!
//! ```text
//! next(now) ─► GoAhead(i) ─ approve(i) ──┐        Confirm(i) ─ confirm(i, note)
//!          ├─► Execute(i) ─ report(i, result) ─► passed │ retry later (Sleep) │ Failed(i)
//!          ├─► Sleep(until)                              Failed(i) ─ retry(i) │ skip(i, why) │ abort(why)
//!          └─► Finished(status)
//! ```
//!
//! Every transition that belongs in the timeline is queued as an [`Event`]; the driver
//! takes them ([`Run::take_events`]) and writes them to the audit log. The state
//! ([`RunState`]) is plain data, saved after each transition so a run survives a restart.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::model::Runbook;

/// Output lines kept per step in the saved state.
pub const OUTPUT_KEPT: usize = 40;

mod commands;
mod state;
pub use state::*;

/// One run of a runbook: its state and the steps' policies.
#[derive(Debug, Clone)]
pub struct Run {
    state: RunState,
    policies: Vec<Policy>,
    events: Vec<Event>,
}

/// The titles and kinds of the steps, in order: what a saved run must still match.
pub fn fingerprint(runbook: &Runbook) -> String {
    runbook
        .steps
        .iter()
        .map(|s| format!("{}:{}", s.kind.label(), s.title))
        .collect::<Vec<_>>()
        .join("\n")
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn since(from: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    from.and_then(|f| (now - f).to_std().ok())
        .unwrap_or_default()
}

impl Run {
    pub fn new(
        runbook: &Runbook,
        id: impl Into<String>,
        vars: BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Self {
        let state = RunState {
            id: id.into(),
            runbook: runbook.name.clone(),
            fingerprint: fingerprint(runbook),
            vars,
            started_at: now,
            ended_at: None,
            status: RunStatus::Running,
            steps: runbook
                .steps
                .iter()
                .map(|s| StepState {
                    title: s.title.clone(),
                    status: StepStatus::Pending,
                    attempts: 0,
                    started_at: None,
                    ended_at: None,
                    deadline: None,
                    not_before: None,
                    reason: None,
                    output: vec![],
                    note: None,
                })
                .collect(),
            notes: vec![],
        };
        Self {
            state,
            policies: Policy::of(runbook),
            events: vec![Event::RunStarted],
        }
    }

    /// A saved run, for the runbook it was made for. A try that was under way when opsdeck
    /// stopped is not known to have finished: it fails ("interrupted") and may be retried.
    pub fn resume(
        runbook: &Runbook,
        mut state: RunState,
        now: DateTime<Utc>,
    ) -> Result<Self, EngineError> {
        let now_fp = fingerprint(runbook);
        if state.runbook != runbook.name || state.fingerprint != now_fp {
            return Err(EngineError::Changed(format!(
                "{} steps then, {} now",
                state.steps.len(),
                runbook.steps.len()
            )));
        }
        let policies = Policy::of(runbook);
        let mut events = vec![];
        for (i, s) in state.steps.iter_mut().enumerate() {
            let sleeping = matches!(policies[i].mode, Mode::Sleep(_) | Mode::Poll { .. });
            if s.status == StepStatus::Running && !sleeping {
                s.status = StepStatus::Failed;
                s.reason = Some("interrupted: opsdeck stopped while it ran".into());
                s.ended_at = Some(now);
                events.push(Event::StepEnded {
                    step: i,
                    attempt: s.attempts,
                    outcome: Outcome::Failed,
                    detail: s.reason.clone().unwrap_or_default(),
                    duration: since(s.started_at, now),
                });
            }
        }
        Ok(Self {
            state,
            policies,
            events,
        })
    }

    pub fn state(&self) -> &RunState {
        &self.state
    }

    pub fn policy(&self, i: usize) -> &Policy {
        &self.policies[i]
    }

    /// The transitions since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The first step not passed or skipped (`None`: all are).
    pub fn current(&self) -> Option<usize> {
        self.state.steps.iter().position(|s| !s.status.settled())
    }

    /// (settled steps, all steps).
    pub fn progress(&self) -> (usize, usize) {
        let done = self
            .state
            .steps
            .iter()
            .filter(|s| s.status.settled())
            .count();
        (done, self.state.steps.len())
    }

    /// What is due at `now`; moves the run on by itself where no one has to act (a pause
    /// that has ended, a try past its deadline, a retry's pause over).
    pub fn next(&mut self, now: DateTime<Utc>) -> Next {
        loop {
            if self.state.status != RunStatus::Running {
                return Next::Finished(self.state.status.clone());
            }
            let Some(i) = self.current() else {
                self.state.status = RunStatus::Completed;
                self.state.ended_at = Some(now);
                self.events.push(Event::RunEnded {
                    status: RunStatus::Completed,
                    duration: since(Some(self.state.started_at), now),
                });
                continue;
            };
            let policy = self.policies[i].clone();
            let step = &mut self.state.steps[i];
            match (step.status, policy.mode) {
                (StepStatus::Pending, Mode::Manual { .. })
                | (StepStatus::Approved, Mode::Manual { .. }) => {
                    if step.started_at.is_none() {
                        step.started_at = Some(now);
                        step.attempts = 1;
                        self.events.push(Event::StepStarted {
                            step: i,
                            attempt: 1,
                        });
                    }
                    return Next::Confirm(i);
                }
                (StepStatus::Pending, _) if !policy.auto => return Next::GoAhead(i),
                (StepStatus::Pending | StepStatus::Approved, _) => {
                    self.begin(i, now);
                    let step = &mut self.state.steps[i];
                    match policy.mode {
                        Mode::Sleep(d) => {
                            let until = now + to_chrono(d);
                            step.not_before = Some(until);
                            return Next::Sleep(until);
                        }
                        Mode::Poll { timeout } => {
                            step.deadline = Some(now + to_chrono(timeout));
                        }
                        Mode::Execute => {
                            step.deadline = policy.timeout.map(|t| now + to_chrono(t));
                        }
                        Mode::Manual { .. } => unreachable!("handled above"),
                    }
                    return Next::Execute(i);
                }
                (StepStatus::Running, Mode::Sleep(_)) => match step.not_before {
                    Some(t) if now < t => return Next::Sleep(t),
                    _ => {
                        self.end(i, Outcome::Passed, "waited".into(), now);
                        continue;
                    }
                },
                (StepStatus::Running, _) => match step.deadline {
                    Some(d) if now >= d && !matches!(policy.mode, Mode::Poll { .. }) => {
                        let t = policy.timeout.unwrap_or_default();
                        self.tried(
                            i,
                            false,
                            format!("timed out after {}", humantime::format_duration(t)),
                            vec![],
                            now,
                        );
                        continue;
                    }
                    _ => return Next::Busy(i),
                },
                (StepStatus::Waiting, _) => match step.not_before {
                    Some(t) if now < t => return Next::Sleep(t),
                    _ => {
                        step.not_before = None;
                        step.status = StepStatus::Running;
                        step.attempts += 1;
                        let attempt = step.attempts;
                        if let Mode::Execute = policy.mode {
                            step.deadline = policy.timeout.map(|t| now + to_chrono(t));
                        }
                        self.events.push(Event::StepStarted { step: i, attempt });
                        return Next::Execute(i);
                    }
                },
                (StepStatus::Failed, _) => return Next::Failed(i),
                (StepStatus::Passed | StepStatus::Skipped, _) => unreachable!("not current"),
            }
        }
    }

    fn begin(&mut self, i: usize, now: DateTime<Utc>) {
        let step = &mut self.state.steps[i];
        step.status = StepStatus::Running;
        step.attempts += 1;
        step.reason = None;
        if step.started_at.is_none() {
            step.started_at = Some(now);
        }
        let attempt = step.attempts;
        self.events.push(Event::StepStarted { step: i, attempt });
    }

    fn end(&mut self, i: usize, outcome: Outcome, detail: String, now: DateTime<Utc>) {
        let step = &mut self.state.steps[i];
        step.status = match outcome {
            Outcome::Passed => StepStatus::Passed,
            Outcome::Failed => StepStatus::Failed,
            Outcome::Skipped => StepStatus::Skipped,
        };
        step.ended_at = Some(now);
        step.deadline = None;
        step.not_before = None;
        if outcome != Outcome::Passed {
            step.reason = Some(detail.clone());
        }
        self.events.push(Event::StepEnded {
            step: i,
            attempt: step.attempts,
            outcome,
            detail,
            duration: since(step.started_at, now),
        });
    }

    /// A try ended: passed, or failed and retried later, or failed for good.
    fn tried(
        &mut self,
        i: usize,
        passed: bool,
        detail: String,
        output: Vec<String>,
        now: DateTime<Utc>,
    ) {
        let policy = self.policies[i].clone();
        let step = &mut self.state.steps[i];
        if !output.is_empty() {
            step.output = output;
            let cut = step.output.len().saturating_sub(OUTPUT_KEPT);
            step.output.drain(..cut);
        }
        if passed {
            self.end(i, Outcome::Passed, detail, now);
            return;
        }
        let retry_at = now + to_chrono(policy.retry_interval);
        let again = match policy.mode {
            Mode::Poll { .. } => step.deadline.is_some_and(|d| retry_at < d),
            _ => step.attempts <= policy.retries,
        };
        if again {
            step.status = StepStatus::Waiting;
            step.not_before = Some(retry_at);
            step.reason = Some(detail.clone());
            // Each try is a line of the timeline; a poll that fails is just waiting.
            if matches!(policy.mode, Mode::Execute) {
                let (attempt, started) = (step.attempts, step.started_at);
                self.events.push(Event::StepEnded {
                    step: i,
                    attempt,
                    outcome: Outcome::Failed,
                    detail: format!("{detail} (tries again)"),
                    duration: since(started, now),
                });
            }
        } else if let Mode::Poll { timeout } = policy.mode {
            let why = format!(
                "did not pass within {} ({} polls; last: {detail})",
                humantime::format_duration(timeout),
                step.attempts
            );
            self.end(i, Outcome::Failed, why, now);
        } else {
            self.end(i, Outcome::Failed, detail, now);
        }
    }

    /// Time since the run began (against the RTO).
    pub fn elapsed(&self, now: DateTime<Utc>) -> Duration {
        since(
            Some(self.state.started_at),
            self.state.ended_at.unwrap_or(now),
        )
    }

    fn current_step(&self, i: usize) -> Result<&StepState, EngineError> {
        if self.state.status != RunStatus::Running {
            return Err(EngineError::Ended);
        }
        if self.current() != Some(i) {
            return Err(EngineError::NotCurrent(i));
        }
        Ok(&self.state.steps[i])
    }
}

#[cfg(test)]
mod tests;
