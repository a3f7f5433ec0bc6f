//! Carries out an authorized plan: audit start, each step with live output, audit end.
//! Progress goes to an [`ActionEvent`] channel: the console's effect runner turns it into
//! updates, a command-line caller prints it.

use std::time::Instant;

use tokio::sync::mpsc;

use super::audit::AuditLog;
use super::dispatcher::Authorized;
use super::plan::{ActionOutcome, StepOp};
use crate::config::secret::redact;
use crate::transport::Transports;

const OUTPUT_TAIL: usize = 20;

/// What an action reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionEvent {
    /// A line of a step's output (secrets redacted), or the command line a step runs.
    Output(String),
}

/// Runs every step of the plan in order and says how it ended.
pub async fn execute(
    auth: &Authorized,
    audit: &AuditLog,
    read_only: bool,
    transports: &Transports,
    events: &mpsc::Sender<ActionEvent>,
) -> ActionOutcome {
    let plan = auth.plan();
    // The dispatcher already refused; this guards against a plan smuggled in by a bug.
    if read_only {
        return ActionOutcome::Refused {
            reason: "opsdeck is read-only".into(),
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

    let mut outcome = ActionOutcome::Succeeded { duration_ms: 0 };
    let mut tail: Vec<String> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let _ = events.try_send(ActionEvent::Output(format!("$ {}", step.command)));
        let (line_tx, mut line_rx) = mpsc::channel::<String>(256);
        let forward = {
            let events = events.clone();
            let id = plan.id;
            tokio::spawn(async move {
                while let Some(line) = line_rx.recv().await {
                    // The log writer redacts secrets; this is the raw line on purpose.
                    tracing::info!(action_id = id, "output: {line}");
                    let _ = events.send(ActionEvent::Output(redact(&line))).await;
                }
            })
        };
        let result = match &step.command {
            StepOp::Command(spec) => {
                transports
                    .run_streaming(&step.target, spec, step.timeout, Some(line_tx))
                    .await
            }
            StepOp::Docker { verb, container } => {
                drop(line_tx);
                docker_step(
                    transports,
                    &plan.service.host,
                    *verb,
                    container,
                    step.timeout,
                )
                .await
            }
        };
        let _ = forward.await;
        let (exit_code, error) = match result {
            Ok(out) => {
                tail = last_lines(&format!("{}{}", out.stdout, out.stderr));
                if out.success() {
                    continue;
                }
                (
                    out.exit_code,
                    out.exit_code.map_or("killed by a signal".to_owned(), |c| {
                        format!("exit code {c}")
                    }),
                )
            }
            Err(e) => (None, e.to_string()),
        };
        outcome = ActionOutcome::Failed {
            step: i,
            step_title: step.title.clone(),
            command: step.command.to_string(),
            exit_code,
            error,
            output_tail: tail.clone(),
            duration_ms: started.elapsed().as_millis() as u64,
        };
        break;
    }
    if let ActionOutcome::Succeeded { duration_ms } = &mut outcome {
        *duration_ms = started.elapsed().as_millis() as u64;
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

/// A container action through the host's Docker API, reported like a command.
async fn docker_step(
    transports: &Transports,
    host: &crate::model::HostId,
    verb: super::ActionKind,
    container: &str,
    timeout: std::time::Duration,
) -> Result<crate::transport::CommandOutput, crate::transport::TransportError> {
    use bollard::query_parameters::{RestartContainerOptions, StopContainerOptions};
    let docker = transports.docker(host).ok_or_else(|| {
        crate::transport::TransportError::NotConnected(format!("{host} (Docker API)"))
    })?;
    let started = Instant::now();
    let grace = Some(10);
    let call = async {
        match verb {
            super::ActionKind::Restart => {
                docker
                    .restart_container(
                        container,
                        Some(RestartContainerOptions {
                            t: grace,
                            ..Default::default()
                        }),
                    )
                    .await
            }
            super::ActionKind::Stop => {
                docker
                    .stop_container(
                        container,
                        Some(StopContainerOptions {
                            t: grace,
                            ..Default::default()
                        }),
                    )
                    .await
            }
            super::ActionKind::Start => {
                docker
                    .start_container(
                        container,
                        None::<bollard::query_parameters::StartContainerOptions>,
                    )
                    .await
            }
        }
    };
    let (exit_code, stderr) = match tokio::time::timeout(timeout, call).await {
        Ok(Ok(())) => (Some(0), String::new()),
        Ok(Err(e)) => (Some(1), e.to_string()),
        Err(_) => return Err(crate::transport::TransportError::Timeout(timeout)),
    };
    Ok(crate::transport::CommandOutput {
        exit_code,
        stdout: if exit_code == Some(0) {
            format!("{container}: {verb} done\n")
        } else {
            String::new()
        },
        stderr,
        duration: started.elapsed(),
    })
}

fn last_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(OUTPUT_TAIL)..]
        .iter()
        .map(|l| redact(l))
        .collect()
}
