//! The check engine: HTTP, command and container checks resolved from the config and run
//! once, with retries, or until a deadline. The console's supervisor and `opsdeck check`
//! both call this module; nothing here knows about the screen.

pub mod command;
pub mod endpoint;
pub mod expect;
pub mod http;
pub mod select;

use std::time::Duration;

use chrono::Utc;
use regex::Regex;

use crate::config::Config;
use crate::config::schema::{Check, CheckKind, Host, Service, TransportKind};
use crate::model::{CheckId, CheckResult, HostId, ServiceId, Verdict};
use crate::transport::{CommandSpec, Target, Transports};
use expect::{HttpExpectations, JsonOp, JsonRule, json_of};

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(2);
pub const DEFAULT_TLS_WARN_DAYS: u32 = 14;

/// A check ready to run: everything from the config resolved and validated.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    pub id: CheckId,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub retry_interval: Duration,
    pub probe: Probe,
    /// Running it may change the host: an HTTP method other than GET or HEAD, or a command,
    /// not marked `read_only_safe`.
    pub changes_host: bool,
    /// The host is read-only here (its own `read_only`, the settings' or `--read-only`).
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub enum Probe {
    Http(http::HttpProbe),
    Command(command::CommandProbe),
    /// Container health comes with the Docker work; until then it reports so.
    Container,
}

impl CheckSpec {
    pub fn from_config(host: &Host, service: &Service, check: &Check) -> Self {
        let host_id = HostId::new(host.name.get_ref());
        let id = CheckId::new(
            &ServiceId::new(&host_id, service.name.get_ref()),
            check.name.get_ref(),
        );
        let timeout = check.timeout.as_ref().map_or(DEFAULT_TIMEOUT, |t| t.get());
        let probe = match check.kind {
            CheckKind::Http => Probe::Http(http::HttpProbe {
                method: check.method.clone().unwrap_or_else(|| "GET".into()),
                url: check
                    .url
                    .as_ref()
                    .expect("validated: http checks have a url")
                    .get_ref()
                    .clone(),
                headers: check
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                ca_file: check.ca_file.as_ref().map(|c| c.get_ref().into()),
                tls_warn_days: check.tls_warn_days.unwrap_or(DEFAULT_TLS_WARN_DAYS),
                expect: HttpExpectations {
                    status: check.expect_status(),
                    json: check
                        .expect_json
                        .iter()
                        .filter_map(|x| {
                            let op = if let Some(v) = &x.equals {
                                JsonOp::Equals(json_of(v))
                            } else if let Some(re) = &x.matches {
                                JsonOp::Matches(expect::Pattern(regex(re.get_ref())))
                            } else if let Some(t) = &x.contains {
                                JsonOp::Contains(t.clone())
                            } else {
                                JsonOp::All(json_of(x.all.as_ref()?))
                            };
                            Some(JsonRule {
                                pointer: x.pointer.get_ref().clone(),
                                op,
                            })
                        })
                        .collect(),
                    body_regex: check.body_regex.as_ref().map(|r| regex(r.get_ref())),
                    warn_latency: check.warn_latency.as_ref().map(|d| d.get()),
                    max_latency: check.max_latency.as_ref().map(|d| d.get()),
                },
            }),
            CheckKind::Command => Probe::Command(command::CommandProbe {
                target: match host.transport {
                    TransportKind::Ssh => Target::Ssh(host_id),
                    // Validation rejects command checks on http-only hosts.
                    TransportKind::Local | TransportKind::Http => Target::Local,
                },
                command: CommandSpec::from_config(
                    check
                        .command
                        .as_ref()
                        .expect("validated: command checks have a command")
                        .get_ref(),
                ),
                stdout_regex: check.stdout_regex.as_ref().map(|r| regex(r.get_ref())),
                warn_latency: check.warn_latency.as_ref().map(|d| d.get()),
                max_latency: check.max_latency.as_ref().map(|d| d.get()),
            }),
            CheckKind::Container => Probe::Container,
        };
        let changes_host = !check.read_only_safe
            && match &probe {
                Probe::Http(p) => !matches!(p.method.to_ascii_uppercase().as_str(), "GET" | "HEAD"),
                Probe::Command(_) => true,
                Probe::Container => false,
            };
        Self {
            id,
            interval: check
                .interval
                .as_ref()
                .map_or(DEFAULT_INTERVAL, |d| d.get())
                .max(Duration::from_secs(1)),
            timeout,
            retries: check.retries.unwrap_or(0),
            retry_interval: check
                .retry_interval
                .as_ref()
                .map_or(DEFAULT_RETRY_INTERVAL, |d| d.get()),
            probe,
            changes_host,
            read_only: host.read_only,
        }
    }

    /// Why this check is not run, when it is not: it could change a read-only host.
    pub fn read_only_refusal(&self) -> Option<String> {
        if !(self.read_only && self.changes_host) {
            return None;
        }
        let what = match &self.probe {
            Probe::Http(p) => format!("an HTTP {}", p.method.to_ascii_uppercase()),
            _ => "a command".to_owned(),
        };
        Some(format!(
            "skipped: {what} could change {}, which is read-only here (mark the check read_only_safe if it changes nothing)",
            self.id.host()
        ))
    }

    /// Every check of the config, in config order.
    pub fn all(config: &Config) -> Vec<Self> {
        config
            .file
            .hosts
            .iter()
            .flat_map(|h| {
                h.services.iter().flat_map(move |s| {
                    s.checks
                        .iter()
                        .map(move |c| CheckSpec::from_config(h, s, c))
                })
            })
            .map(|spec| spec.under(config))
            .collect()
    }

    pub fn find(config: &Config, id: &CheckId) -> Option<Self> {
        let (host, service) = config.find_service(&id.service)?;
        let check = service
            .checks
            .iter()
            .find(|c| c.name.get_ref().as_str() == &*id.name)?;
        Some(Self::from_config(host, service, check).under(config))
    }

    /// With the config's read-only settings applied (`--read-only` sets them at start).
    fn under(mut self, config: &Config) -> Self {
        self.read_only |= config.file.settings.read_only;
        self
    }

    pub fn kind_label(&self) -> &'static str {
        match self.probe {
            Probe::Http(_) => "http",
            Probe::Command(_) => "command",
            Probe::Container => "container",
        }
    }

    /// The SSH host a command check needs connected, if any.
    pub fn ssh_host(&self) -> Option<&HostId> {
        match &self.probe {
            Probe::Command(command::CommandProbe {
                target: Target::Ssh(h),
                ..
            }) => Some(h),
            _ => None,
        }
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("validated: regexes compile")
}

/// When to stop retrying a failing check.
#[derive(Debug, Clone, Copy)]
pub enum Persistence {
    /// One attempt (the console: the next interval is the retry).
    Once,
    /// The check's own `retries`, `retry_interval` apart.
    Retries,
    /// Until it passes or this moment passes (`opsdeck check --wait`).
    Until(tokio::time::Instant),
}

/// Runs checks, keeping what is worth keeping between runs (the HTTP client with its pool).
pub struct CheckRunner {
    pub spec: CheckSpec,
    client: Option<Result<reqwest::Client, String>>,
}

impl CheckRunner {
    pub fn new(spec: CheckSpec) -> Self {
        Self { spec, client: None }
    }

    /// One attempt.
    pub async fn run_once(&mut self, transports: &Transports) -> CheckResult {
        let at = Utc::now();
        let started = std::time::Instant::now();
        let timeout = self.spec.timeout;
        if let Some(why) = self.spec.read_only_refusal() {
            return CheckResult::skipped(at, why);
        }
        match &self.spec.probe {
            Probe::Http(p) => {
                let client = self.client.get_or_insert_with(|| p.client(timeout)).clone();
                match client {
                    Ok(client) => p.run(&client, timeout, at).await,
                    Err(e) => CheckResult::error(at, started.elapsed(), e),
                }
            }
            Probe::Command(p) => p.run(transports, timeout, at).await,
            Probe::Container => CheckResult::error(
                at,
                started.elapsed(),
                "container health checks are not available yet (they arrive with Docker support)",
            ),
        }
    }

    /// Attempts until the check passes or `persistence` says stop; the result of the last
    /// attempt, with the attempts counted and the whole time as its duration.
    pub async fn run(&mut self, transports: &Transports, persistence: Persistence) -> CheckResult {
        let started = std::time::Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let mut result = self.run_once(transports).await;
            // An error (bad config, no connection, unsupported kind) does not heal by waiting.
            let give_up = result.verdict.passed()
                || matches!(result.verdict, Verdict::Error | Verdict::Skipped)
                || match persistence {
                    Persistence::Once => true,
                    Persistence::Retries => attempts > self.spec.retries,
                    Persistence::Until(deadline) => {
                        tokio::time::Instant::now() + self.spec.retry_interval >= deadline
                    }
                };
            if give_up {
                result.attempts = attempts;
                result.duration = started.elapsed();
                return result;
            }
            tokio::time::sleep(self.spec.retry_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(host_read_only: bool, settings_read_only: bool) -> Vec<CheckSpec> {
        let text = format!(
            r#"
[settings]
read_only = {settings_read_only}

[[hosts]]
name = "box"
transport = "local"
read_only = {host_read_only}

[[hosts.services]]
name = "api"
kind = "command"
status = ["true"]

[[hosts.services.checks]]
name = "get"
kind = "http"
url = "http://127.0.0.1:9/"

[[hosts.services.checks]]
name = "head"
kind = "http"
method = "head"
url = "http://127.0.0.1:9/"

[[hosts.services.checks]]
name = "post"
kind = "http"
method = "POST"
url = "http://127.0.0.1:9/"

[[hosts.services.checks]]
name = "dry-run-post"
kind = "http"
method = "POST"
url = "http://127.0.0.1:9/"
read_only_safe = true

[[hosts.services.checks]]
name = "cmd"
kind = "command"
command = ["true"]
"#
        );
        let config = crate::config::parse(std::path::Path::new("t.toml"), &text).unwrap();
        CheckSpec::all(&config)
    }

    fn refused(specs: &[CheckSpec]) -> Vec<&str> {
        specs
            .iter()
            .filter(|s| s.read_only_refusal().is_some())
            .map(|s| &*s.id.name)
            .collect()
    }

    #[test]
    fn read_only_hosts_run_only_what_cannot_change_them() {
        assert!(refused(&specs(false, false)).is_empty());
        assert_eq!(refused(&specs(true, false)), ["post", "cmd"]);
        assert_eq!(refused(&specs(false, true)), ["post", "cmd"]);
        let why = specs(true, false)[2].read_only_refusal().unwrap();
        assert!(why.contains("an HTTP POST could change box"), "{why}");
    }

    #[tokio::test]
    async fn a_refused_check_is_skipped_without_running() {
        let spec = specs(true, false).remove(4);
        let result = CheckRunner::new(spec)
            .run(&Transports::default(), Persistence::Retries)
            .await;
        assert_eq!(result.verdict, Verdict::Skipped);
        assert!(
            !result.verdict.passed(),
            "a skipped check never passes a gate"
        );
    }
}
