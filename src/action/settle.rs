//! Steps that act on units and containers and wait for them: Docker and compose verbs
//! through the engine API, waiting until a service has settled in the state asked for, and
//! recording the image of every replica before a deploy.

use std::time::Instant;

use super::execute::{ACTION_STARTED, ExecEnv, Vars};
use super::plan::Lifecycle;
use super::steps::{done, failed};
use crate::model::HostId;
use crate::transport::{CommandOutput, Target, TransportError, Transports};
use tokio::sync::mpsc;

/// Polls until the service is in the state `settle` names, within `timeout`; says how long
/// it took (the text is the note: "triboka-flask.service active after 0.4 s").
pub(super) async fn settle_step(
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
                let docker = docker_client(env.transports, host).await?;
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
                let docker = docker_client(env.transports, host).await?;
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

/// "images before: NAME IMAGE (sha256:…), …" of every container of compose
/// `project`/`service` (or of container `project` when `service` is empty).
pub(super) async fn replica_images(
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

/// `verb` on every container of compose `project`/`service`, found by their labels.
pub(super) async fn compose_step(
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

/// How long a step waits for the host's Docker connection to come back (the collector
/// re-establishes it after the engine dropped it, e.g. while containers were stopped).
const DOCKER_RECONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// The host's Docker client, waiting up to [`DOCKER_RECONNECT_WAIT`] for it to be
/// connected again: a step in the middle of a restore must not fail on a brief reconnect.
async fn docker_client(
    transports: &Transports,
    host: &crate::model::HostId,
) -> Result<bollard::Docker, crate::transport::TransportError> {
    let until = Instant::now() + DOCKER_RECONNECT_WAIT;
    loop {
        if let Some(d) = transports.docker(host) {
            return Ok(d);
        }
        if Instant::now() >= until {
            return Err(crate::transport::TransportError::NotConnected(format!(
                "{host} (Docker API, not back within {}s)",
                DOCKER_RECONNECT_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// A container action through the host's Docker API, reported like a command.
pub(super) async fn docker_step(
    transports: &Transports,
    host: &crate::model::HostId,
    verb: Lifecycle,
    container: &str,
    timeout: std::time::Duration,
) -> Result<crate::transport::CommandOutput, crate::transport::TransportError> {
    use bollard::query_parameters::{RestartContainerOptions, StopContainerOptions};
    let docker = docker_client(transports, host).await?;
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
