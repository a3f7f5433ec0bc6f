//! The step kinds of an action other than a plain command: HTTP requests, waiting for a
//! service to settle, health gates, suites and checks, Docker and compose verbs, trusting a
//! host key, recording replica images. `execute` runs a plan's steps; each kind's work is
//! here.

use std::time::Instant;

use tokio::sync::mpsc;

use super::execute::{ExecEnv, Vars};
use crate::config::secret::redact;
use crate::model::HostId;
use crate::transport::{CommandOutput, Target, TransportError, Transports};

const OUTPUT_TAIL: usize = 20;

/// Makes a step's HTTP request; the status decides (its `expect_status`, or 2xx). Runtime
/// values (`{previous_version}`) are filled in the URL and body first.
pub(super) async fn http_step(
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

/// The gate: `check` run until it passes, at most `attempts` times, `interval` apart; each
/// attempt one line.
pub(super) async fn gate_step(
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

/// The metrics gate: every PromQL threshold held over its window (monitor::gate).
pub(super) async fn metrics_gate_step(
    prometheus: &str,
    timeout: std::time::Duration,
    rules: &[crate::monitor::gate::Rule],
    lines: mpsc::Sender<String>,
) -> Result<CommandOutput, TransportError> {
    let client = match crate::monitor::PromClient::new(prometheus, timeout) {
        Ok(c) => c,
        Err(e) => return Ok(failed(e.to_string())),
    };
    let (out, line) = match crate::monitor::gate::evaluate(&client, rules, &lines).await {
        Ok(held) => (done(held.clone()), held),
        Err(why) => {
            let why = format!("the metrics gate failed: {why}");
            (failed(why.clone()), why)
        }
    };
    let _ = lines.send(line).await;
    Ok(out)
}

pub(super) fn done(stdout: String) -> CommandOutput {
    CommandOutput {
        exit_code: Some(0),
        stdout,
        stderr: String::new(),
        duration: std::time::Duration::ZERO,
    }
}

pub(super) fn failed(stderr: String) -> CommandOutput {
    CommandOutput {
        exit_code: Some(1),
        stdout: String::new(),
        stderr,
        duration: std::time::Duration::ZERO,
    }
}

/// A smoke suite's checks once each, with their retries; one line each.
pub(super) async fn suite_step(
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
pub(super) const CHECKS_SETTLE: std::time::Duration = std::time::Duration::from_secs(60);

/// The service's checks, retried until they pass or [`CHECKS_SETTLE`] has gone (what was
/// just started needs a moment), one line each; fails if any does not pass.
pub(super) async fn checks_step(
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

/// The step's host went away: its SSH master is gone or no longer answers.
pub(super) async fn lost(transports: &Transports, target: &Target) -> bool {
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
pub(super) async fn trust_step(
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

pub(super) fn last_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(OUTPUT_TAIL)..]
        .iter()
        .map(|l| redact(l))
        .collect()
}
