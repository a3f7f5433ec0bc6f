//! Carries out an authorized plan: audit start, each step with live output, audit end.
//! Progress goes to an [`ActionEvent`] channel: the console's effect runner turns it into
//! updates, a command-line caller prints it.

use std::time::Instant;

use tokio::sync::mpsc;

use std::path::Path;

use super::audit::AuditLog;
use super::dispatcher::{Authorized, refuse_read_only};
use super::plan::{ActionOutcome, Lifecycle, StepOp};
use crate::config::Config;
use crate::config::secret::redact;
use crate::model::HostId;
use crate::transport::{CommandOutput, Target, TransportError, Transports};

const OUTPUT_TAIL: usize = 20;

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

    let mut outcome = ActionOutcome::Succeeded { duration_ms: 0 };
    let mut tail: Vec<String> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let _ = events.send(ActionEvent::Step(i)).await;
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
                docker_step(transports, plan.host(), *verb, container, step.timeout).await
            }
            StepOp::TrustKey {
                fingerprint,
                key_lines,
            } => {
                drop(line_tx);
                trust_step(env, plan.host(), fingerprint, key_lines).await
            }
        };
        let _ = forward.await;
        let (exit_code, error) = match result {
            Ok(out) => {
                tail = last_lines(&format!("{}{}", out.stdout, out.stderr));
                if out.success() {
                    continue;
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
                (out.exit_code, error)
            }
            Err(e) if lost(transports, &step.target).await => {
                outcome = ActionOutcome::Interrupted {
                    step: i,
                    step_title: step.title.clone(),
                    reason: format!("the connection to the host was lost ({e})"),
                    duration_ms: started.elapsed().as_millis() as u64,
                };
                break;
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

/// The step's host went away: its SSH master is gone or no longer answers.
async fn lost(transports: &Transports, target: &Target) -> bool {
    match target {
        Target::Local => false,
        Target::Ssh(host) => match transports.ssh(host) {
            Some(conn) => !conn.is_alive().await,
            None => true,
        },
    }
}

/// Writes the key `host` offers now to opsdeck's own known_hosts — only when its
/// fingerprint is the one the operator saw and confirmed.
async fn trust_step(
    env: &ExecEnv<'_>,
    host: &HostId,
    seen: &str,
    _key_lines: &[String],
) -> Result<CommandOutput, TransportError> {
    let started = Instant::now();
    let target = env
        .config
        .find_host(host)
        .and_then(|h| crate::transport::ssh::SshTarget::from_config(h, env.known_hosts))
        .ok_or_else(|| TransportError::NotConnected(format!("{host} is not an SSH host")))?;
    let refused = |stderr: String| CommandOutput {
        exit_code: Some(1),
        stdout: String::new(),
        stderr,
        duration: started.elapsed(),
    };
    let (now, lines) = match crate::transport::ssh::scan_host_key(&target).await {
        Ok(k) => k,
        Err(e) => {
            return Ok(refused(format!(
                "cannot read the key {host} offers now: {e}"
            )));
        }
    };
    if now != seen {
        return Ok(refused(format!(
            "{host} now offers {now}, not the {seen} that was confirmed: nothing trusted"
        )));
    }
    let written =
        tokio::task::spawn_blocking(move || crate::transport::ssh::trust(&target, &lines)).await;
    match written {
        Ok(Ok(())) => Ok(CommandOutput {
            exit_code: Some(0),
            stdout: format!("{now} added to {}\n", env.known_hosts.display()),
            stderr: String::new(),
            duration: started.elapsed(),
        }),
        Ok(Err(e)) => Ok(refused(format!(
            "cannot write {}: {e}",
            env.known_hosts.display()
        ))),
        Err(e) => Ok(refused(format!("trust task failed: {e}"))),
    }
}

/// A container action through the host's Docker API, reported like a command.
async fn docker_step(
    transports: &Transports,
    host: &crate::model::HostId,
    verb: Lifecycle,
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
            Lifecycle::Restart => {
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
            Lifecycle::Stop => {
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
            Lifecycle::Start => {
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
