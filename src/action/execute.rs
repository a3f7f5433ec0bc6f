//! Carries out an authorized plan: audit start, each step with live output, audit end.
//! Progress goes to an [`ActionEvent`] channel: the console's effect runner turns it into
//! updates, a command-line caller prints it.

use std::time::Instant;

use tokio::sync::mpsc;

use std::path::Path;

use super::audit::AuditLog;
use super::dispatcher::{Authorized, refuse_read_only};
use super::plan::{ActionOutcome, Lifecycle, PlanStep, StepOp};
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
type Vars = Vec<(String, String)>;

/// The kept value holding when the action began (RFC 3339).
const ACTION_STARTED: &str = "action_started";

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

/// Makes a step's HTTP request; the status decides (its `expect_status`, or 2xx). Runtime
/// values (`{previous_version}`) are filled in the URL and body first.
async fn http_step(
    h: &super::plan::HttpStep,
    timeout: std::time::Duration,
    vars: &Vars,
) -> Result<CommandOutput, TransportError> {
    let started = Instant::now();
    let values: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let fill = |t: &str| {
        crate::transport::CommandSpec::argv([t])
            .substitute_all(&values)
            .expose_argv()[0]
            .clone()
    };
    // Only to the address in the config: no proxy from the environment.
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| TransportError::Io(std::io::Error::other(e.to_string())))?;
    let method = reqwest::Method::from_bytes(h.method.as_bytes())
        .map_err(|e| TransportError::Io(std::io::Error::other(e.to_string())))?;
    let mut req = client.request(method, fill(&h.url.0));
    for (k, real, _) in &h.headers {
        req = req.header(k.as_str(), real.as_str());
    }
    if let Some((body, _)) = &h.body {
        req = req.body(fill(body));
    }
    let shown_url = fill(&h.url.1);
    let out = match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect::<String>();
            let ok = match h.expect_status {
                Some(want) => status == want,
                None => (200..300).contains(&status),
            };
            let line = redact(&format!("{} {shown_url} → {status} {first}", h.method));
            if ok {
                done(format!("{line}\n"))
            } else {
                let want = h.expect_status.map_or("2xx".to_owned(), |s| s.to_string());
                failed(format!("{line} (expected {want})"))
            }
        }
        Err(e) => failed(redact(&format!("{} {shown_url} failed: {e}", h.method))),
    };
    Ok(CommandOutput {
        duration: started.elapsed(),
        ..out
    })
}

/// "images before: NAME IMAGE (sha256:…), …" of every container of compose
/// `project`/`service` (or of container `project` when `service` is empty).
async fn replica_images(
    transports: &Transports,
    host: &HostId,
    project: &str,
    service: &str,
) -> Result<String, String> {
    use bollard::query_parameters::ListContainersOptions;
    let docker = transports
        .docker(host)
        .ok_or_else(|| format!("{host}'s Docker engine is not connected"))?;
    let filters = if service.is_empty() {
        std::collections::HashMap::from([("name".to_owned(), vec![project.to_owned()])])
    } else {
        std::collections::HashMap::from([(
            "label".to_owned(),
            vec![
                format!("com.docker.compose.project={project}"),
                format!("com.docker.compose.service={service}"),
            ],
        )])
    };
    let list = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(|e| format!("cannot list the containers: {e}"))?;
    if list.is_empty() {
        return Err("no containers to record".into());
    }
    let mut parts: Vec<String> = list
        .iter()
        .map(|c| {
            let name = c
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map_or("?", |n| n.trim_start_matches('/'));
            let id = c.image_id.as_deref().unwrap_or("?");
            let short = id.get(..19).unwrap_or(id);
            format!("{name} {} ({short})", c.image.as_deref().unwrap_or("?"))
        })
        .collect();
    parts.sort();
    Ok(format!("images before: {}", parts.join(", ")))
}

/// Polls until the service is in the state `settle` names, within `timeout`; says how long
/// it took (the text is the note: "triboka-flask.service active after 0.4 s").
async fn settle_step(
    env: &ExecEnv<'_>,
    host: &HostId,
    target: &Target,
    settle: &super::plan::Settle,
    timeout: std::time::Duration,
    vars: &Vars,
) -> Result<CommandOutput, TransportError> {
    use super::plan::Settle;
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let var = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mut last: String;
    loop {
        let state = match settle {
            Settle::UnitActive { unit, .. } | Settle::UnitStopped { unit } => {
                let spec = crate::transport::CommandSpec::argv([
                    "systemctl",
                    "show",
                    "-p",
                    "ActiveState",
                    "-p",
                    "ActiveEnterTimestampMonotonic",
                    "--",
                    unit.as_str(),
                ]);
                let out = env
                    .transports
                    .run_streaming(target, &spec, std::time::Duration::from_secs(10), None)
                    .await?;
                let field = |k: &str| {
                    out.stdout
                        .lines()
                        .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                        .unwrap_or("")
                        .to_owned()
                };
                let (active, since) =
                    (field("ActiveState"), field("ActiveEnterTimestampMonotonic"));
                last = format!("{unit} is {active}");
                match settle {
                    Settle::UnitActive { before_var, .. } => {
                        let before: u64 = var(before_var).and_then(|v| v.parse().ok()).unwrap_or(0);
                        let since: u64 = since.parse().unwrap_or(0);
                        (active == "active" && since > before).then(|| format!("{unit} active"))
                    }
                    _ => (active != "active" && active != "deactivating")
                        .then(|| format!("{unit} {active}")),
                }
            }
            Settle::Replicas {
                project,
                service,
                count,
            } => {
                use bollard::query_parameters::ListContainersOptions;
                let Some(docker) = env.transports.docker(host) else {
                    return Err(TransportError::NotConnected(format!("{host} (Docker API)")));
                };
                let filters = std::collections::HashMap::from([(
                    "label".to_owned(),
                    vec![
                        format!("com.docker.compose.project={project}"),
                        format!("com.docker.compose.service={service}"),
                    ],
                )]);
                let running = docker
                    .list_containers(Some(ListContainersOptions {
                        all: false,
                        filters: Some(filters),
                        ..Default::default()
                    }))
                    .await
                    .map(|l| l.len() as u32)
                    .unwrap_or(u32::MAX);
                last = format!("{running}/{count} running");
                (running == *count).then(|| format!("{count}/{count} replicas running"))
            }
            Settle::ContainersRunning { names } | Settle::ContainersStopped { names } => {
                let Some(docker) = env.transports.docker(host) else {
                    return Err(TransportError::NotConnected(format!("{host} (Docker API)")));
                };
                let began: Option<chrono::DateTime<chrono::Utc>> =
                    var(ACTION_STARTED).and_then(|v| v.parse().ok());
                let want_running = matches!(settle, Settle::ContainersRunning { .. });
                let mut pending = Vec::new();
                for name in names {
                    let inspect = docker
                        .inspect_container(
                            name,
                            None::<bollard::query_parameters::InspectContainerOptions>,
                        )
                        .await;
                    let ok = match inspect {
                        Ok(info) => {
                            let st = info.state.unwrap_or_default();
                            let running = st.running.unwrap_or(false);
                            let fresh = st
                                .started_at
                                .as_deref()
                                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                                .zip(began)
                                // Second resolution on some engines: a second of slack.
                                .is_some_and(|(t, b)| {
                                    t.with_timezone(&chrono::Utc) + chrono::Duration::seconds(1)
                                        >= b
                                });
                            if want_running {
                                running && fresh
                            } else {
                                !running
                            }
                        }
                        Err(_) => false,
                    };
                    if !ok {
                        pending.push(name.as_str());
                    }
                }
                last = format!("waiting for {}", pending.join(", "));
                pending.is_empty().then(|| {
                    if want_running {
                        format!(
                            "{} running",
                            if names.len() == 1 {
                                names[0].clone()
                            } else {
                                format!("{} containers", names.len())
                            }
                        )
                    } else {
                        format!("{} stopped", names.join(", "))
                    }
                })
            }
        };
        if let Some(what) = state {
            return Ok(done(format!(
                "{what} after {:.1} s",
                started.elapsed().as_secs_f64()
            )));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(failed(format!(
                "not settled within {:.0} s: {last}",
                timeout.as_secs_f64()
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The gate: `check` run until it passes, at most `attempts` times, `interval` apart; each
/// attempt one line.
async fn gate_step(
    env: &ExecEnv<'_>,
    check: &crate::model::CheckId,
    attempts: u32,
    interval: std::time::Duration,
    lines: mpsc::Sender<String>,
) -> Result<CommandOutput, TransportError> {
    use crate::check::{CheckRunner, CheckSpec, Persistence};
    let Some(spec) = CheckSpec::find(env.config, check) else {
        return Ok(failed(format!("no check {check} in the config")));
    };
    let started = Instant::now();
    let mut runner = CheckRunner::new(spec);
    let mut last = String::new();
    for attempt in 1..=attempts.max(1) {
        let result = runner.run(env.transports, Persistence::Once).await;
        last = format!("{}: {}", result.verdict.label(), result.summary);
        let _ = lines
            .send(format!("gate {attempt}/{attempts}: {last}"))
            .await;
        if result.verdict.passed() {
            return Ok(done(format!(
                "health ok after {:.1}s ({attempt} attempt{})",
                started.elapsed().as_secs_f64(),
                if attempt == 1 { "" } else { "s" }
            )));
        }
        if attempt < attempts {
            tokio::time::sleep(interval).await;
        }
    }
    Ok(failed(format!(
        "the gate did not pass in {attempts} attempts over {:.0}s: {last}",
        started.elapsed().as_secs_f64()
    )))
}

fn done(stdout: String) -> CommandOutput {
    CommandOutput {
        exit_code: Some(0),
        stdout,
        stderr: String::new(),
        duration: std::time::Duration::ZERO,
    }
}

fn failed(stderr: String) -> CommandOutput {
    CommandOutput {
        exit_code: Some(1),
        stdout: String::new(),
        stderr,
        duration: std::time::Duration::ZERO,
    }
}

/// A smoke suite's checks once each, with their retries; one line each.
async fn suite_step(
    env: &ExecEnv<'_>,
    name: &str,
    lines: mpsc::Sender<String>,
) -> Result<CommandOutput, TransportError> {
    use crate::check::{CheckRunner, Persistence};
    let specs = match crate::check::select::suite(env.config, name) {
        Ok(s) => s,
        Err(e) => return Ok(failed(format!("smoke suite {name}: {e}"))),
    };
    let mut failing = Vec::new();
    for spec in specs {
        let id = spec.id.clone();
        let r = CheckRunner::new(spec)
            .run(env.transports, Persistence::Retries)
            .await;
        let _ = lines
            .send(format!("{} {id}: {}", r.verdict.label(), r.summary))
            .await;
        if !r.verdict.passed() {
            failing.push(format!("{id}: {}", r.summary));
        }
    }
    Ok(if failing.is_empty() {
        done(format!("smoke suite {name} passed"))
    } else {
        failed(format!("smoke suite {name} failed: {}", failing.join("; ")))
    })
}

/// How long the checks after a restore may take to pass: the services were just started.
const CHECKS_SETTLE: std::time::Duration = std::time::Duration::from_secs(60);

/// The service's checks, retried until they pass or [`CHECKS_SETTLE`] has gone (what was
/// just started needs a moment), one line each; fails if any does not pass.
async fn checks_step(
    env: &ExecEnv<'_>,
    service: &crate::model::ServiceId,
    lines: mpsc::Sender<String>,
) -> Result<CommandOutput, TransportError> {
    use crate::check::{CheckRunner, CheckSpec, Persistence};
    let specs: Vec<CheckSpec> = CheckSpec::all(env.config)
        .into_iter()
        .filter(|s| &s.id.service == service)
        .collect();
    if specs.is_empty() {
        let _ = lines.send(format!("{service} has no checks")).await;
        return Ok(done(String::new()));
    }
    let mut failing = Vec::new();
    let started = Instant::now();
    for spec in specs {
        let id = spec.id.clone();
        let until = tokio::time::Instant::now() + CHECKS_SETTLE;
        let result = CheckRunner::new(spec)
            .run(env.transports, Persistence::Until(until))
            .await;
        let _ = lines
            .send(format!(
                "{} {id}: {}",
                result.verdict.label(),
                result.summary
            ))
            .await;
        if !result.verdict.passed() {
            failing.push(format!("{id}: {}", result.summary));
        }
    }
    Ok(if failing.is_empty() {
        done(format!(
            "health ok after {:.1} s",
            started.elapsed().as_secs_f64()
        ))
    } else {
        failed(format!("checks failed: {}", failing.join("; ")))
    })
}

/// `verb` on every container of compose `project`/`service`, found by their labels.
async fn compose_step(
    transports: &Transports,
    host: &HostId,
    verb: Lifecycle,
    project: &str,
    service: &str,
    timeout: std::time::Duration,
    lines: mpsc::Sender<String>,
) -> Result<CommandOutput, TransportError> {
    use bollard::query_parameters::ListContainersOptions;
    let docker = transports
        .docker(host)
        .ok_or_else(|| TransportError::NotConnected(format!("{host} (Docker API)")))?;
    let filters = std::collections::HashMap::from([(
        "label".to_owned(),
        vec![
            format!("com.docker.compose.project={project}"),
            format!("com.docker.compose.service={service}"),
        ],
    )]);
    let listed = tokio::time::timeout(
        timeout,
        docker.list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        })),
    )
    .await
    .map_err(|_| TransportError::Timeout(timeout))?;
    let names: Vec<String> = match listed {
        Ok(list) => list
            .into_iter()
            .filter_map(|c| {
                c.names?
                    .first()
                    .map(|n| n.trim_start_matches('/').to_owned())
            })
            .collect(),
        Err(e) => return Ok(failed(format!("cannot list the containers: {e}"))),
    };
    if names.is_empty() {
        return Ok(failed(format!(
            "no containers of compose {project}/{service}"
        )));
    }
    for name in names {
        let out = docker_step(transports, host, verb, &name, timeout).await?;
        let _ = lines
            .send(format!(
                "{name}: {}",
                if out.success() {
                    "done"
                } else {
                    out.stderr.trim()
                }
            ))
            .await;
        if !out.success() {
            return Ok(out);
        }
    }
    Ok(done(String::new()))
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
