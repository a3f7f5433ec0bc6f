//! Doing a runbook step's I/O, and the timeline entries of a run.
//!
//! The engine decides what is due; an [`Executor`] carries out one try of one step and
//! says how it ended. [`FleetExecutor`] is the real one: commands through the transports,
//! actions through the dispatcher (read-only, locks, the plan's confirmation, the audit
//! log) and the executor of `action`, checks through the check engine. The console's
//! effect runner uses it as `opsdeck run` does, answering confirmations with its popup.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::mpsc;

use super::engine::{Event, Outcome, RunState, StepResult};
use super::model::{Filled, Runbook};
use crate::action::Authorized;
use crate::action::audit::AuditLog;
use crate::action::dispatcher::{Answer, refuse_read_only};
use crate::action::execute::{ActionEvent, ExecEnv, execute};
use crate::action::{ActionOutcome, Dispatcher, Plan};
use crate::check::{CheckRunner, CheckSpec, Persistence};
use crate::config::Config;
use crate::config::secret::redact;
use crate::transport::Transports;

pub mod plan;
pub use plan::{Prepared, plan, prepare};

/// Lines of a step's output kept for its result.
const TAIL: usize = 20;

/// Carries out one try of a step (one poll of a `wait until`). `output` receives the
/// step's output line by line as it comes (secrets redacted). Sleeps and manual steps are
/// the engine's and the operator's: an executor is not asked to do them.
// The futures are awaited where they are made (no `Send` bound is needed, none is promised).
#[allow(async_fn_in_trait)]
pub trait Executor {
    async fn execute(
        &mut self,
        runbook: &Runbook,
        step: usize,
        filled: &Filled,
        output: &mpsc::Sender<String>,
    ) -> StepResult;
}

/// The operator's answer to an action's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    Yes,
    /// The text typed for a typed confirmation (the service's name on prod hosts).
    Typed(String),
    /// Not confirmed; why (shown as the step's failure).
    No(String),
}

/// The real executor.
pub struct FleetExecutor<'a> {
    pub config: &'a Config,
    pub transports: &'a Transports,
    pub audit: &'a AuditLog,
    pub known_hosts: &'a Path,
    /// `--read-only` from the command line (the config's own is read too).
    pub read_only: bool,
    /// The console's own dispatcher (its locks are the fleet's), or the command's.
    pub dispatcher: &'a mut Dispatcher,
    /// Asked for every action step's plan, after the plan has been shown to `output`.
    pub confirm: Box<dyn FnMut(&Plan) -> Consent + Send + 'a>,
}

impl Executor for FleetExecutor<'_> {
    async fn execute(
        &mut self,
        runbook: &Runbook,
        step: usize,
        filled: &Filled,
        output: &mpsc::Sender<String>,
    ) -> StepResult {
        let timeout = runbook.steps[step]
            .timeout
            .unwrap_or(self.config.file.settings.command_timeout.get());
        match filled {
            Filled::Run {
                host,
                target,
                command,
                expect,
                output_regex,
            } => {
                if let Err(r) = refuse_read_only(self.config, self.read_only, host) {
                    return StepResult::failed(format!(
                        "{r}: a runbook command could change the host"
                    ));
                }
                let _ = output.send(format!("$ {command}")).await;
                let (tx, mut rx) = mpsc::channel::<String>(256);
                let forward = async {
                    let mut kept = Vec::new();
                    while let Some(line) = rx.recv().await {
                        let line = redact(&line);
                        let _ = output.send(line.clone()).await;
                        kept.push(line);
                    }
                    kept
                };
                let run = self
                    .transports
                    .run_streaming(target, command, timeout, Some(tx));
                let (result, lines) = tokio::join!(run, forward);
                let tail = tail(&lines);
                match result {
                    Err(e) => StepResult::failed(e.to_string()).with_output(tail),
                    Ok(out) => {
                        let code = out.exit_code;
                        let mut text = lines.join("\n");
                        // Whatever was not streamed (a non-streaming transport) counts too.
                        for extra in [&out.stdout, &out.stderr] {
                            if !extra.is_empty() && !text.contains(extra.trim()) {
                                text.push('\n');
                                text.push_str(&redact(extra));
                            }
                        }
                        let tail = if tail.is_empty() {
                            self::tail(&text.lines().map(str::to_owned).collect::<Vec<_>>())
                        } else {
                            tail
                        };
                        if code != Some(*expect) {
                            let got = code
                                .map_or("killed by a signal".to_owned(), |c| format!("exit {c}"));
                            return StepResult::failed(format!("{got}, expected exit {expect}"))
                                .with_output(tail);
                        }
                        if let Some(re) = output_regex
                            && !re.is_match(&text)
                        {
                            return StepResult::failed(format!(
                                "exit {expect}, but the output does not match /{re}/"
                            ))
                            .with_output(tail);
                        }
                        StepResult::passed(format!("exit {expect}")).with_output(tail)
                    }
                }
            }
            Filled::Service { .. } | Filled::Set { .. } | Filled::Deploy { .. } => {
                let planned = match self.plan_step(filled, output).await {
                    Some(Ok(p)) => p,
                    Some(Err(e)) => return StepResult::failed(e),
                    None => unreachable!("service and set steps are actions"),
                };
                self.act(planned, output).await
            }

            Filled::Checks { checks, .. } => {
                let mut failed = Vec::new();
                for id in checks {
                    let Some(spec) = CheckSpec::find(self.config, id) else {
                        failed.push(format!("{id}: not in the config"));
                        continue;
                    };
                    let r = CheckRunner::new(spec)
                        .run(self.transports, Persistence::Retries)
                        .await;
                    let verdict = format!("{:?}", r.verdict).to_lowercase();
                    let _ = output
                        .send(format!("{id}: {verdict} — {}", redact(&r.summary)))
                        .await;
                    for f in &r.failures {
                        let _ = output.send(format!("  {}", redact(f))).await;
                    }
                    if !r.verdict.passed() {
                        failed.push(format!("{id}: {}", redact(&r.summary)));
                    }
                }
                if failed.is_empty() {
                    StepResult::passed(format!("{} passed", plural(checks.len(), "check")))
                } else {
                    StepResult::failed(format!("failed: {}", failed.join("; ")))
                }
            }
            Filled::WaitCheck(id) => {
                let Some(spec) = CheckSpec::find(self.config, id) else {
                    return StepResult::failed(format!("{id}: not in the config"));
                };
                let r = CheckRunner::new(spec).run_once(self.transports).await;
                let _ = output.send(format!("{id}: {}", redact(&r.summary))).await;
                if r.verdict.passed() {
                    StepResult::passed(format!("{id} passed"))
                } else {
                    StepResult::failed(format!("{id}: {}", redact(&r.summary)))
                }
            }
            Filled::Sleep(_) | Filled::Manual { .. } => {
                StepResult::failed("not an executor's step (the engine or the operator does it)")
            }
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn tail(lines: &[String]) -> Vec<String> {
    lines[lines.len().saturating_sub(TAIL)..].to_vec()
}

impl FleetExecutor<'_> {
    /// The dispatcher's plan for an action step (`None`: not an action step): what the
    /// console shows in its plan popup before asking. A restore or drill lists the set to
    /// find its backup first.
    pub async fn plan_step(
        &mut self,
        filled: &Filled,
        output: &mpsc::Sender<String>,
    ) -> Option<Result<Plan, String>> {
        if !filled.is_action() {
            return None;
        }
        let prepared = match plan::prepare(self.config, self.transports, self.audit, filled).await {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        if let (Some(b), Filled::Set { set, .. }) = (&prepared.backup, filled) {
            let _ = output.send(format!("backup {} of {set}", b.key)).await;
        }
        plan::plan(self.dispatcher, self.config, filled, &prepared, Utc::now())
    }

    /// Shows the plan, asks for consent, lets the dispatcher authorize it, executes it.
    async fn act(&mut self, plan: Plan, output: &mpsc::Sender<String>) -> StepResult {
        let _ = output
            .send(format!("{} — on {}", plan.title(), plan.location))
            .await;
        for (i, s) in plan.steps.iter().enumerate() {
            let _ = output
                .send(format!("  {}. {}: {}", i + 1, s.title, s.command))
                .await;
        }
        let consent = (self.confirm)(&plan);
        let answer = match &consent {
            Consent::Yes => Answer::Yes,
            Consent::Typed(t) => Answer::Typed(t),
            Consent::No(why) => return StepResult::failed(format!("not confirmed: {why}")),
        };
        let auth = match self.dispatcher.confirm(self.config, plan, answer) {
            Ok(a) => a,
            Err(r) => return StepResult::failed(format!("refused: {r}")),
        };
        self.execute_authorized(auth, output).await
    }

    /// Carries out a plan the dispatcher authorized (the console confirms in its popup,
    /// then calls this), releases its lock, and says how the step ended.
    pub async fn execute_authorized(
        &mut self,
        auth: Authorized,
        output: &mpsc::Sender<String>,
    ) -> StepResult {
        let env = ExecEnv {
            config: self.config,
            audit: self.audit,
            read_only: self.read_only,
            transports: self.transports,
            known_hosts: self.known_hosts,
        };
        let (tx, mut rx) = mpsc::channel(256);
        let titles: Vec<String> = auth.plan().steps.iter().map(|s| s.title.clone()).collect();
        let forward = async {
            let mut kept = Vec::new();
            while let Some(ev) = rx.recv().await {
                let line = match ev {
                    ActionEvent::Step(i) => {
                        format!("── {}", titles.get(i).map_or("", String::as_str))
                    }
                    ActionEvent::Output(l) => l,
                };
                let _ = output.send(line.clone()).await;
                kept.push(line);
            }
            kept
        };
        let (outcome, kept) = tokio::join!(
            async {
                let o = execute(&auth, &env, &tx).await;
                drop(tx);
                o
            },
            forward
        );
        self.dispatcher.finished(&auth.plan().subject);
        let mut out = tail(&kept);
        if let ActionOutcome::Failed { output_tail, .. } = &outcome {
            out.extend(output_tail.iter().cloned());
        }
        let summary = outcome.summary();
        if outcome.succeeded() {
            StepResult::passed(summary).with_output(out)
        } else {
            StepResult::failed(summary).with_output(out)
        }
    }
}

/// What the timeline needs to know of each step beyond the engine's events.
#[derive(Debug, Clone, Default)]
pub struct StepFacts {
    pub host: Option<String>,
    /// What it does, filled: the command line, the action.
    pub what: String,
}

/// Blocking: writes the engine's events to the audit log (`runbook`, `runbook_step` and
/// `note` entries). `facts[i]` describes step `i`.
pub fn record_events(
    audit: &AuditLog,
    runbook: &Runbook,
    state: &RunState,
    facts: &[StepFacts],
    events: &[Event],
) -> std::io::Result<()> {
    let base = |event: &str| {
        json!({
            "event": event,
            "run_id": state.id,
            "runbook": runbook.name,
        })
    };
    for ev in events {
        let (kind, mut body) = match ev {
            Event::RunStarted => {
                let mut b = base("start");
                b["title"] = runbook.title.clone().into();
                b["vars"] = json!(state.vars);
                b["steps"] = runbook.steps.len().into();
                if let Some(rto) = runbook.rto {
                    b["rto_s"] = rto.as_secs().into();
                }
                ("runbook", b)
            }
            Event::RunEnded { status, duration } => {
                let mut b = base("end");
                b["title"] = runbook.title.clone().into();
                b["duration_ms"] = (duration.as_millis() as u64).into();
                match status {
                    super::RunStatus::Completed => b["outcome"] = "completed".into(),
                    super::RunStatus::Aborted { reason } => {
                        b["outcome"] = "aborted".into();
                        b["detail"] = reason.clone().into();
                    }
                    super::RunStatus::Running => b["outcome"] = "running".into(),
                }
                ("runbook", b)
            }
            Event::StepStarted { step, attempt } => {
                let mut b = step_body(base("start"), runbook, facts, *step);
                b["attempt"] = (*attempt).into();
                ("runbook_step", b)
            }
            Event::StepEnded {
                step,
                attempt,
                outcome,
                detail,
                duration,
            } => {
                let mut b = step_body(base("end"), runbook, facts, *step);
                b["attempt"] = (*attempt).into();
                b["outcome"] = json!(outcome);
                b["detail"] = detail.clone().into();
                b["duration_ms"] = (duration.as_millis() as u64).into();
                if *outcome == Outcome::Failed
                    && let Some(s) = state.steps.get(*step)
                {
                    b["output_tail"] =
                        json!(s.output.iter().rev().take(5).rev().collect::<Vec<_>>());
                }
                ("runbook_step", b)
            }
            Event::Note { step, text } => {
                let mut b = json!({ "run_id": state.id, "runbook": runbook.name, "text": text });
                if let Some(i) = step {
                    b = step_body(b, runbook, facts, *i);
                }
                ("note", b)
            }
        };
        if let serde_json::Value::Object(m) = &mut body {
            m.retain(|_, v| !v.is_null());
        }
        audit.record(kind, &body)?;
    }
    Ok(())
}

fn step_body(
    mut b: serde_json::Value,
    runbook: &Runbook,
    facts: &[StepFacts],
    i: usize,
) -> serde_json::Value {
    let step = &runbook.steps[i];
    b["step"] = (i + 1).into();
    b["title"] = step.title.clone().into();
    b["step_kind"] = step.kind.label().into();
    if let Some(f) = facts.get(i) {
        if let Some(h) = &f.host {
            b["host"] = h.clone().into();
        }
        b["what"] = f.what.clone().into();
    }
    b
}

/// Every step filled with `vars`: what a run needs before it starts (and what a dry run
/// prints). The first step that cannot be filled is the error.
pub fn fill_all(
    runbook: &Runbook,
    config: &Config,
    vars: &BTreeMap<String, String>,
) -> Result<Vec<Filled>, String> {
    (0..runbook.steps.len())
        .map(|i| {
            runbook
                .fill(i, config, vars)
                .map_err(|e| format!("step {} ({}): {e}", i + 1, runbook.steps[i].title))
        })
        .collect()
}

/// The facts of filled steps, for [`record_events`].
pub fn facts(config: &Config, filled: &[Filled]) -> Vec<StepFacts> {
    filled
        .iter()
        .map(|f| StepFacts {
            host: f.host(config),
            what: f.describe(),
        })
        .collect()
}

/// A timeout for awaiting one try: the step's own, plus a margin for the transport to
/// report its own timeout first.
pub fn await_limit(step_timeout: Option<Duration>) -> Option<Duration> {
    step_timeout.map(|t| t + Duration::from_secs(5))
}
