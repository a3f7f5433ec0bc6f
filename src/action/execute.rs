//! Carries out an authorized plan: audit start, each step with live output, audit end.

use std::time::Instant;

use tokio::sync::mpsc;

use super::audit::AuditLog;
use super::dispatcher::Authorized;
use super::plan::ActionOutcome;
use crate::app::update::Update;
use crate::config::secret::redact;
use crate::transport::Transports;

const OUTPUT_TAIL: usize = 20;

pub async fn execute(
    auth: Authorized,
    audit: AuditLog,
    read_only: bool,
    tx: mpsc::Sender<Update>,
    transports: std::sync::Arc<Transports>,
) {
    let plan = auth.plan().clone();
    let outcome = run(&plan, &audit, read_only, &tx, &transports).await;
    let _ = tx
        .send(Update::ActionFinished {
            action_id: plan.id,
            service: plan.service.clone(),
            outcome,
        })
        .await;
}

async fn run(
    plan: &super::Plan,
    audit: &AuditLog,
    read_only: bool,
    tx: &mpsc::Sender<Update>,
    transports: &Transports,
) -> ActionOutcome {
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
        let _ = tx.try_send(Update::ActionOutput {
            action_id: plan.id,
            line: format!("$ {}", step.command),
        });
        let (line_tx, mut line_rx) = mpsc::channel::<String>(256);
        let forward = {
            let tx = tx.clone();
            let id = plan.id;
            tokio::spawn(async move {
                while let Some(line) = line_rx.recv().await {
                    // The log writer redacts secrets; this is the raw line on purpose.
                    tracing::info!(action_id = id, "output: {line}");
                    let _ = tx
                        .send(Update::ActionOutput {
                            action_id: id,
                            line: redact(&line),
                        })
                        .await;
                }
            })
        };
        let result = transports
            .run_streaming(&step.target, &step.command, step.timeout, Some(line_tx))
            .await;
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
        let _ = tx.try_send(Update::ActionOutput {
            action_id: plan.id,
            line: format!("audit log write failed: {e}"),
        });
    }
    outcome
}

fn last_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(OUTPUT_TAIL)..]
        .iter()
        .map(|l| redact(l))
        .collect()
}
