//! Carries out an authorized plan: audit start, each step with live output, audit end.
//! Progress goes to an [`ActionEvent`] channel: the console's effect runner turns it into
//! updates, a command-line caller prints it.

use std::time::Instant;

use tokio::sync::mpsc;

use std::path::Path;

use super::audit::AuditLog;
use super::dispatcher::{Authorized, refuse_read_only};
use super::outcome::ActionOutcome;
use super::plan::{PlanStep, StepOp};
use super::settle::*;
use super::steps::*;
use crate::config::Config;
use crate::config::secret::redact;
use crate::transport::{TransportError, Transports};

/// What an action reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionEvent {
    /// Step `n` (from 0) begins.
    Step(usize),
    /// A line of a step's output (secrets redacted), or the command line a step runs.
    Output(String),
}

/// What carrying out a plan needs besides the plan.
pub struct ExecEnv<'a> {
    pub config: &'a Config,
    pub audit: &'a AuditLog,
    /// `--read-only` from the command line.
    pub read_only: bool,
    pub transports: &'a Transports,
    /// opsdeck's own known_hosts, the only file a trusted key is written to.
    pub known_hosts: &'a Path,
}

/// Runs every step of the plan in order and says how it ended.
pub async fn execute(
    auth: &Authorized,
    env: &ExecEnv<'_>,
    events: &mpsc::Sender<ActionEvent>,
) -> ActionOutcome {
    let plan = auth.plan();
    let (audit, transports) = (env.audit, env.transports);
    // The dispatcher already refused; this guards against a plan smuggled in by a bug, and
    // sees the host's own `read_only` as it is now.
    if let Err(refusal) = refuse_read_only(env.config, env.read_only, plan.host()) {
        return ActionOutcome::Refused {
            reason: refusal.to_string(),
        };
    }
    let started = Instant::now();
    let (log, p) = (audit.clone(), plan.clone());
    match tokio::task::spawn_blocking(move || log.record_start(&p)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return ActionOutcome::Refused {
                reason: format!("cannot write the audit log {}: {e}", audit.path().display()),
            };
        }
        Err(e) => {
            return ActionOutcome::Refused {
                reason: format!("audit task failed: {e}"),
            };
        }
    }

    let mut outcome = ActionOutcome::Succeeded {
        duration_ms: 0,
        notes: vec![],
    };
    let mut notes: Vec<String> = Vec::new();
    // What `Record` steps kept (`{previous_version}`), for the steps after them; and when
    // the action began (containers "newly started" are started after it).
    let mut vars: Vars = vec![(ACTION_STARTED.to_owned(), chrono::Utc::now().to_rfc3339())];
    // Steps whose `undo` must run if the action stops now (what they stopped is stopped).
    let mut to_undo: Vec<usize> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let _ = events.send(ActionEvent::Step(i)).await;
        let ran = run_step(env, plan, step, events, &mut notes, &mut vars).await;
        let failure = match ran {
            Ok(None) => {
                if step.undo.is_some() {
                    to_undo.push(i);
                }
                if let Some(j) = step.undoes {
                    to_undo.retain(|&k| k != j);
                }
                continue;
            }
            Ok(Some(failure)) => failure,
            Err(e) if lost(transports, &step.target).await => {
                notes.extend(step.if_cut.iter().map(|s| format!("left: {s}")));
                outcome = ActionOutcome::Interrupted {
                    step: i,
                    step_title: step.title.clone(),
                    reason: format!("the connection to the host was lost ({e})"),
                    duration_ms: started.elapsed().as_millis() as u64,
                    notes: std::mem::take(&mut notes),
                };
                break;
            }
            Err(e) => StepFailure {
                exit_code: None,
                error: e.to_string(),
                tail: vec![],
            },
        };
        // What this step may have half done is undone too (a stop that stopped one of two).
        if step.undo.is_some() && step.undo_own_failure && !to_undo.contains(&i) {
            to_undo.push(i);
        }
        let undone = undo(env, plan, &to_undo, events, &mut vars).await;
        let put_back = (!to_undo.is_empty()).then_some(undone.is_empty());
        match (put_back, &step.if_cut) {
            (Some(true), _) if to_undo.iter().any(|&k| plan.steps[k].undo_note.is_some()) => {
                let values: Vec<(&str, &str)> =
                    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                for &k in &to_undo {
                    if let Some(note) = &plan.steps[k].undo_note {
                        let filled = crate::transport::CommandSpec::argv([note.as_str()])
                            .substitute_all(&values);
                        notes.push(format!("left: {}", filled.expose_argv()[0]));
                    }
                }
            }
            (Some(true), _) => {
                let what: Vec<&str> = to_undo
                    .iter()
                    .filter_map(|&k| plan.steps[k].undo.as_deref().map(|u| u.title.as_str()))
                    .collect();
                notes.push(format!("left: put back ({})", what.join("; ")));
            }
            (Some(false), _) => notes.push(format!(
                "left: putting things back FAILED at: {} — see the output above",
                undone.join("; ")
            )),
            (None, Some(state)) => notes.push(format!("left: {state}")),
            (None, None) => {}
        }
        outcome = ActionOutcome::Failed {
            step: i,
            step_title: step.title.clone(),
            command: step.command.to_string(),
            exit_code: failure.exit_code,
            error: failure.error,
            output_tail: failure.tail,
            duration_ms: started.elapsed().as_millis() as u64,
            notes: std::mem::take(&mut notes),
            put_back,
        };
        break;
    }
    if let ActionOutcome::Succeeded {
        duration_ms,
        notes: kept,
    } = &mut outcome
    {
        *duration_ms = started.elapsed().as_millis() as u64;
        *kept = notes;
    }
    for note in outcome.notes() {
        let _ = events.try_send(ActionEvent::Output(format!("» {note}")));
    }
    let (log, p, o) = (audit.clone(), plan.clone(), outcome.clone());
    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || log.record_end(&p, &o)).await {
        tracing::error!(
            "cannot write the end of action {} to the audit log: {e}",
            plan.id
        );
        let _ = events.try_send(ActionEvent::Output(format!("audit log write failed: {e}")));
    }
    outcome
}

/// Why a step failed: its exit code, what went wrong and the end of what it printed.
struct StepFailure {
    exit_code: Option<i32>,
    error: String,
    tail: Vec<String>,
}

/// Runs one step with its output streamed to `events`; `Ok(None)` when it succeeded,
/// `Err` when it could not be carried out at all (no connection, a timeout).
/// Values kept by `Record` steps, by placeholder name.
pub(super) type Vars = Vec<(String, String)>;

/// The kept value holding when the action began (RFC 3339).
pub(super) const ACTION_STARTED: &str = "action_started";

/// Placeholders whose values are only known while an action runs (kept by `Record`).
pub const RUNTIME_PLACEHOLDERS: &[&str] = &["previous_version"];

/// `spec` with the kept values filled in; a runtime placeholder whose value was never kept
/// is an error, not a literal `{previous_version}` handed to a command.
fn with_vars(
    spec: &crate::transport::CommandSpec,
    vars: &Vars,
) -> Result<crate::transport::CommandSpec, String> {
    let values: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let filled = spec.substitute_all(&values);
    for arg in filled.expose_argv() {
        if let Some(name) =
            crate::config::schema::placeholders(arg).find(|n| RUNTIME_PLACEHOLDERS.contains(n))
        {
            return Err(format!(
                "{{{name}}} has no value: the step that records it did not run"
            ));
        }
    }
    Ok(filled)
}

async fn run_step(
    env: &ExecEnv<'_>,
    plan: &super::plan::Plan,
    step: &PlanStep,
    events: &mpsc::Sender<ActionEvent>,
    notes: &mut Vec<String>,
    vars: &mut Vars,
) -> Result<Option<StepFailure>, TransportError> {
    let (action_id, host) = (plan.id, plan.host());
    let transports = env.transports;
    // The command as it runs: with what earlier steps recorded filled in.
    let shown = match &step.command {
        StepOp::Command(spec) if !vars.is_empty() => with_vars(spec, vars)
            .map(|s| s.to_string())
            .unwrap_or_else(|_| step.command.to_string()),
        op => op.to_string(),
    };
    let _ = events.try_send(ActionEvent::Output(format!("$ {shown}")));
    let (line_tx, mut line_rx) = mpsc::channel::<String>(256);
    let forward = {
        let events = events.clone();
        tokio::spawn(async move {
            while let Some(line) = line_rx.recv().await {
                // The log writer redacts secrets; this is the raw line on purpose.
                tracing::info!(action_id, "output: {line}");
                let _ = events.send(ActionEvent::Output(redact(&line))).await;
            }
        })
    };
    let result = match &step.command {
        StepOp::Command(spec) => match with_vars(spec, vars) {
            Ok(spec) => {
                transports
                    .run_streaming(&step.target, &spec, step.timeout, Some(line_tx))
                    .await
            }
            Err(e) => Ok(failed(e)),
        },
        StepOp::Record {
            command,
            var,
            audited,
        } => {
            let out = transports
                .run_streaming(&step.target, command, step.timeout, Some(line_tx))
                .await?;
            let value = out
                .stdout
                .trim()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_owned();
            if !out.success() || value.is_empty() {
                Ok(if out.success() {
                    failed(format!("`{command}` printed nothing to record"))
                } else {
                    out
                })
            } else if !audited {
                vars.retain(|(k, _)| k != var);
                vars.push((var.clone(), value));
                Ok(out)
            } else {
                let note = format!("recorded {var}: {value}");
                // On disk before anything changes: rollback returns here, even after a crash.
                let (log, p, n) = (env.audit.clone(), plan.clone(), note.clone());
                match tokio::task::spawn_blocking(move || log.record_note(&p, "record", &n)).await {
                    Ok(Ok(())) => {
                        notes.push(note);
                        vars.retain(|(k, _)| k != var);
                        vars.push((var.clone(), value));
                        Ok(out)
                    }
                    Ok(Err(e)) => Ok(failed(format!(
                        "cannot write the record to the audit log: {e}"
                    ))),
                    Err(e) => Ok(failed(format!("audit task failed: {e}"))),
                }
            }
        }
        StepOp::Gate {
            check,
            attempts,
            interval,
        } => gate_step(env, check, *attempts, *interval, line_tx).await,
        StepOp::MetricsGate {
            prometheus,
            timeout,
            rules,
        } => super::steps::metrics_gate_step(prometheus, *timeout, rules, line_tx).await,
        StepOp::RecordImages { project, service } => {
            drop(line_tx);
            match replica_images(env.transports, host, project, service).await {
                Ok(note) => {
                    let (log, p, n) = (env.audit.clone(), plan.clone(), note.clone());
                    match tokio::task::spawn_blocking(move || {
                        log.record_note(&p, "record_images", &n)
                    })
                    .await
                    {
                        Ok(Ok(())) => {
                            notes.push(note.clone());
                            Ok(done(note))
                        }
                        Ok(Err(e)) => Ok(failed(format!(
                            "cannot write the record to the audit log: {e}"
                        ))),
                        Err(e) => Ok(failed(format!("audit task failed: {e}"))),
                    }
                }
                Err(e) => Ok(failed(e)),
            }
        }
        StepOp::Http(h) => {
            let out = http_step(h, step.timeout, vars).await?;
            let said = if out.success() {
                &out.stdout
            } else {
                &out.stderr
            };
            // Sent, then the sender goes: the forwarder below ends with it.
            let tx = line_tx;
            let _ = tx.send(said.trim().to_owned()).await;
            drop(tx);
            Ok(out)
        }
        StepOp::Settle(settle) => {
            drop(line_tx);
            let out = settle_step(env, host, &step.target, settle, step.timeout, vars).await?;
            if out.success() {
                notes.push(out.stdout.trim().to_owned());
            }
            Ok(out)
        }
        StepOp::Docker { verb, container } => {
            drop(line_tx);
            docker_step(transports, host, *verb, container, step.timeout).await
        }
        StepOp::Compose {
            verb,
            project,
            service,
        } => {
            compose_step(
                transports,
                host,
                *verb,
                project,
                service,
                step.timeout,
                line_tx,
            )
            .await
        }
        StepOp::TrustKey {
            fingerprint,
            key_lines,
        } => {
            drop(line_tx);
            trust_step(env, host, fingerprint, key_lines).await
        }
        op @ (StepOp::Silence { .. } | StepOp::ExpireSilence { .. }) => {
            drop(line_tx);
            let out = super::silences::silence_step(op, step.timeout).await;
            if out.success() {
                notes.push(out.stdout.trim().to_owned());
            }
            Ok(out)
        }
        StepOp::Suite { name } => {
            let out = suite_step(env, name, line_tx).await?;
            if out.success() {
                notes.push(out.stdout.trim().to_owned());
            }
            Ok(out)
        }
        StepOp::Checks { service } => {
            let out = checks_step(env, service, line_tx).await?;
            if out.success() && !out.stdout.is_empty() {
                notes.push(out.stdout.trim().to_owned());
            }
            Ok(out)
        }
        StepOp::NewestBackup { set, after, role } => {
            let found =
                super::backups::newest_verified(env.config, transports, set, *after, line_tx).await;
            match found {
                Ok(note) => {
                    notes.push(format!("{role}: {note}"));
                    Ok(done(format!("{role}: {note}")))
                }
                Err(e) => Ok(failed(e)),
            }
        }
        StepOp::Integrity { command, expect } => {
            let out = transports
                .run_streaming(&step.target, command, step.timeout, Some(line_tx))
                .await?;
            let printed = out.stdout.trim().lines().last().unwrap_or("").to_owned();
            match (out.success(), expect.unmet(&out.stdout)) {
                (true, None) => {
                    notes.push(format!("integrity: {}", redact(&printed)));
                    Ok(out)
                }
                (true, Some(why)) => Ok(failed(format!("integrity: {}", redact(&why)))),
                (false, _) => Ok(out),
            }
        }
    };
    let _ = forward.await;
    let out = result?;
    if out.success() {
        return Ok(None);
    }
    let how = out.exit_code.map_or("killed by a signal".to_owned(), |c| {
        format!("exit code {c}")
    });
    // What it said last on stderr is usually why.
    let said = out
        .stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty());
    let error = match said {
        Some(line) => format!("{how}: {}", redact(line)),
        None => how,
    };
    Ok(Some(StepFailure {
        exit_code: out.exit_code,
        error,
        tail: last_lines(&format!("{}{}", out.stdout, out.stderr)),
    }))
}

/// Runs the `undo` of each step in `pending`, last first; the titles of those that failed
/// (empty when all of them worked).
async fn undo(
    env: &ExecEnv<'_>,
    plan: &super::plan::Plan,
    pending: &[usize],
    events: &mpsc::Sender<ActionEvent>,
    vars: &mut Vars,
) -> Vec<String> {
    let steps = &plan.steps;
    let mut failed_undos = Vec::new();
    // An undo may be a chain (each step's own `undo` runs after it).
    let mut undos: Vec<&PlanStep> = Vec::new();
    for &i in pending.iter().rev() {
        let mut next = steps[i].undo.as_deref();
        while let Some(u) = next {
            undos.push(u);
            next = u.undo.as_deref();
        }
    }
    for undo in undos {
        let _ = events.try_send(ActionEvent::Output(format!(
            "» putting back: {}",
            undo.title
        )));
        let mut ignored = Vec::new();
        match run_step(env, plan, undo, events, &mut ignored, vars).await {
            Ok(None) => {}
            Ok(Some(f)) => {
                failed_undos.push(undo.title.clone());
                let _ = events.try_send(ActionEvent::Output(format!(
                    "» {} failed: {}",
                    undo.title, f.error
                )));
            }
            Err(e) => {
                failed_undos.push(undo.title.clone());
                let _ =
                    events.try_send(ActionEvent::Output(format!("» {} failed: {e}", undo.title)));
            }
        }
    }
    failed_undos
}
