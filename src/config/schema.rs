//! The `hosts.toml` format, as serde reads it. Every table denies unknown keys; the
//! cross-field rules (kinds, references, names) live in `validate.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

pub use super::discover::DiscoverKind;
use super::duration::HumanDuration;
pub use super::port::Port;
use super::secret::ConfigString;
use super::size::ByteSize;

mod backup;
mod runbook;
pub use backup::*;
pub use runbook::*;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// More files holding hosts, backups, deploys, runbooks and suites: paths or globs
    /// (`fleet.d/*.toml`) relative to this file. Only the main file may include.
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    #[serde(default)]
    pub settings: Settings,
    /// Key bindings merged over the embedded defaults: `"ctrl-r" = "refresh"`.
    #[serde(default)]
    pub keys: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub hosts: Vec<Host>,
    #[serde(default)]
    pub backups: Vec<BackupSet>,
    #[serde(default)]
    pub deploys: Vec<DeployRecipe>,
    #[serde(default)]
    pub runbooks: Vec<Runbook>,
    #[serde(default)]
    pub suites: Vec<SmokeSuite>,
    /// Prometheus and Alertmanager (src/config/monitoring.rs).
    #[serde(default)]
    pub monitoring: super::monitoring::MonitoringConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// How often host metrics and command statuses are collected.
    pub refresh: HumanDuration,
    pub theme: Spanned<String>,
    pub read_only: bool,
    /// Hosts contacted at once.
    pub connect_concurrency: Spanned<u64>,
    pub log_buffer_lines: Spanned<u64>,
    /// Where the audit log goes; default `$XDG_STATE_HOME/opsdeck/audit.jsonl`.
    pub audit_log: Option<PathBuf>,
    /// Where deploy locks live on every host (default `/var/lib/opsdeck/locks`).
    pub lock_dir: Option<String>,
    /// Default timeout of a remote or local command.
    pub command_timeout: HumanDuration,
    /// A command's collected output is cut beyond this, and the cut is marked.
    pub max_output: ByteSize,
    /// A single line of a stream (a log, an action's output) is cut beyond this.
    pub max_line: ByteSize,
    /// SSH channels of a host that log streams may hold, so that a merged view of many
    /// sources never starves status polls or an action (sshd allows 10 per connection).
    pub log_channels: Spanned<u64>,
    /// Where Markdown (`*.md`) and TOML (`*.toml`) runbooks are read from, relative to the
    /// config file; default `runbooks/` beside it (read when it exists).
    pub runbooks_dir: Option<Spanned<PathBuf>>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            refresh: HumanDuration::secs(2),
            theme: Spanned::new(0..0, "default".into()),
            read_only: false,
            connect_concurrency: Spanned::new(0..0, 32),
            log_buffer_lines: Spanned::new(0..0, 100_000),
            audit_log: None,
            lock_dir: None,
            command_timeout: HumanDuration::secs(30),
            max_output: ByteSize::mib(8),
            max_line: ByteSize::kib(64),
            log_channels: Spanned::new(0..0, 4),
            runbooks_dir: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TransportKind {
    #[default]
    Local,
    Ssh,
    Http,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    #[default]
    Strict,
    AcceptNew,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub name: Spanned<String>,
    #[serde(default)]
    pub transport: TransportKind,
    /// ssh: host name, address or `~/.ssh/config` alias; http: base URL.
    pub address: Option<Spanned<String>>,
    pub port: Option<Spanned<Port>>,
    pub user: Option<Spanned<String>>,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    #[serde(default = "strict_host_key")]
    pub host_key: Spanned<HostKeyPolicy>,
    /// ssh: the master is opened in the plain terminal before the console starts, with
    /// OpenSSH's own prompts (a key's passphrase, keyboard-interactive, a security key).
    pub interactive_auth: Option<Spanned<bool>>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    #[serde(default)]
    pub read_only: bool,
    /// `none`, `local`, `ssh`, `unix:///path` or `tcp://host:port`.
    pub docker: Option<Spanned<String>>,
    pub docker_socket: Option<Spanned<String>>,
    /// The environment of every command opsdeck runs on the host. Values may be `${ENV}`
    /// secrets: they are passed on the command's stdin, never on a command line.
    #[serde(default)]
    pub env: BTreeMap<Spanned<String>, Spanned<ConfigString>>,
    #[serde(default)]
    pub services: Vec<Service>,
    /// Host-level log sources, such as nginx's access log.
    #[serde(default)]
    pub logs: Vec<LogSource>,
    /// What to list as discovered services beside the configured ones.
    #[serde(default)]
    pub discover: Vec<DiscoverKind>,
    /// `ssh` (read on the host) or `prometheus` (node-exporter series).
    #[serde(default = "super::monitoring::default_metrics")]
    pub metrics: Spanned<super::monitoring::MetricsSource>,
    /// The host's node-exporter `instance` label value; default `ADDRESS:9100`.
    pub instance: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    Compose,
    Container,
    Systemd,
    Http,
    Command,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: Spanned<String>,
    pub kind: ServiceKind,
    /// compose: the compose project.
    pub project: Option<Spanned<String>>,
    /// compose: the service inside the project; defaults to `name`.
    pub compose_service: Option<Spanned<String>>,
    /// container: the container name.
    pub container: Option<Spanned<String>>,
    /// systemd: the unit.
    pub unit: Option<Spanned<String>>,
    /// http: the endpoint.
    pub url: Option<Spanned<ConfigString>>,
    /// command: how to ask for status (exit 0 = running) and how to act.
    pub status: Option<Spanned<CommandLine>>,
    pub start: Option<Spanned<CommandLine>>,
    pub stop: Option<Spanned<CommandLine>>,
    pub restart: Option<Spanned<CommandLine>>,
    pub deploy: Option<Spanned<CommandLine>>,
    pub rollback: Option<Spanned<CommandLine>>,
    /// compose: how to run N replicas; `{replicas}` is the number (seed 004:
    /// `docker-compose up -d --scale api={replicas} api` in the project's directory).
    pub scale: Option<Spanned<CommandLine>>,
    /// Run the command lines above through `sh -c` (they are then single strings).
    #[serde(default)]
    pub shell: bool,
    pub timeout: Option<HumanDuration>,
    /// The status command changes nothing: it may run under read-only.
    #[serde(default)]
    pub read_only_safe: bool,
    #[serde(default)]
    pub checks: Vec<Check>,
    #[serde(default)]
    pub logs: Vec<LogSource>,
    /// PromQL values shown with the service; their thresholds feed its health.
    #[serde(default)]
    pub promql: Vec<super::monitoring::ServicePromql>,
}

/// A command as written in the config: an argument list, or with `shell = true` a script.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandLine {
    Argv(Vec<ConfigString>),
    Script(ConfigString),
}

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = CommandLine;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an argument list like [\"systemctl\", \"restart\", \"nginx\"]")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CommandLine, E> {
                ConfigString::expand(v, |n| std::env::var(n).ok())
                    .map(CommandLine::Script)
                    .map_err(E::custom)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<CommandLine, A::Error> {
                let mut argv = Vec::new();
                while let Some(arg) = seq.next_element::<ConfigString>()? {
                    argv.push(arg);
                }
                Ok(CommandLine::Argv(argv))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    Http,
    Command,
    Container,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: Spanned<String>,
    pub kind: CheckKind,
    pub url: Option<Spanned<ConfigString>>,
    pub method: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, ConfigString>,
    pub expect_status: Option<Spanned<i64>>,
    #[serde(default)]
    pub expect_json: Vec<JsonExpectation>,
    pub body_regex: Option<Spanned<String>>,
    pub warn_latency: Option<HumanDuration>,
    pub max_latency: Option<HumanDuration>,
    pub command: Option<Spanned<CommandLine>>,
    pub stdout_regex: Option<Spanned<String>>,
    pub interval: Option<HumanDuration>,
    pub timeout: Option<HumanDuration>,
    pub retries: Option<u32>,
    pub retry_interval: Option<HumanDuration>,
    pub tls_warn_days: Option<u32>,
    /// A PEM CA certificate to trust for this check (self-signed endpoints); absolute path.
    pub ca_file: Option<Spanned<String>>,
    /// The check changes nothing (a POST to a dry-run endpoint, a read-only command): it
    /// may run under read-only. GET and HEAD are always allowed.
    #[serde(default)]
    pub read_only_safe: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonExpectation {
    /// RFC 6901 pointer into the body, e.g. `/services/mongodb`.
    pub pointer: Spanned<String>,
    pub equals: Option<toml::Value>,
    pub contains: Option<String>,
    /// Every value under the pointer equals this (e.g. every entry of `services` is "healthy").
    pub all: Option<toml::Value>,
    /// The string under the pointer matches this regex (`^healthy` for seed 000's
    /// `"ml_models": "healthy (7/7 loaded)"`); with `all`-style objects, use one rule each.
    pub matches: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogKind {
    Docker,
    Journald,
    File,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSource {
    pub name: Spanned<String>,
    pub kind: LogKind,
    pub unit: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub container: Option<Spanned<String>>,
    /// Lines fetched when the log is opened.
    pub tail: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployRecipe {
    pub name: Spanned<String>,
    /// `host/service` this recipe deploys.
    pub service: Spanned<String>,
    /// Prints the version running now (recorded before deploying, used for rollback).
    pub current_version: Option<Spanned<CommandLine>>,
    /// Prints the deployable versions, one per line or separated by spaces (git tags,
    /// task definitions). Compose and container services list their image's tags on the
    /// host's engine without it.
    pub versions: Option<Spanned<CommandLine>>,
    pub steps: Vec<DeployStep>,
    /// `host/service/check` that must pass after the steps.
    pub health_gate: Option<Spanned<String>>,
    pub gate_retries: Option<u32>,
    pub gate_interval: Option<HumanDuration>,
    /// Steps run when the gate fails; `{previous_version}` is substituted.
    #[serde(default)]
    pub rollback: Vec<DeployStep>,
    /// A backup set backed up (and verified) before anything changes.
    pub backup_before: Option<Spanned<String>>,
    /// A smoke suite run after the gate; its failure rolls back like the gate's.
    pub smoke_after: Option<Spanned<String>>,
    /// PromQL thresholds held after the health gate; a failure rolls back.
    #[serde(default)]
    pub metrics_gate: Vec<super::monitoring::GateThreshold>,
}

/// An HTTP request a deploy step makes; `{version}` and `{previous_version}` are
/// substituted in the URL and the body; headers may hold `${ENV}` secrets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    /// POST unless given.
    pub method: Option<Spanned<String>>,
    pub url: Spanned<ConfigString>,
    #[serde(default)]
    pub headers: BTreeMap<String, ConfigString>,
    pub body: Option<ConfigString>,
    /// Any 2xx unless given.
    pub expect_status: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployStep {
    pub title: Spanned<String>,
    /// Host the command runs on; defaults to the deployed service's host.
    pub host: Option<Spanned<String>>,
    /// `{version}` and `{previous_version}` are substituted. Or `request`.
    pub run: Option<Spanned<CommandLine>>,
    /// An HTTP request instead of a command: a PaaS deploy hook (seed 001).
    pub request: Option<HttpRequest>,
    #[serde(default)]
    pub shell: bool,
    pub timeout: Option<HumanDuration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokeSuite {
    pub name: Spanned<String>,
    /// `host/service/check` references.
    pub checks: Vec<Spanned<String>>,
}

impl Settings {
    pub fn connect_concurrency(&self) -> usize {
        (*self.connect_concurrency.get_ref()).clamp(1, 1024) as usize
    }

    pub fn log_buffer_lines(&self) -> usize {
        *self.log_buffer_lines.get_ref() as usize
    }

    pub fn log_channels(&self) -> usize {
        (*self.log_channels.get_ref()).clamp(1, 5) as usize
    }

    pub fn theme(&self) -> &str {
        self.theme.get_ref()
    }
}

fn strict_host_key() -> Spanned<HostKeyPolicy> {
    Spanned::new(0..0, HostKeyPolicy::Strict)
}

impl Host {
    /// The port, once validated (1 to 65535).
    pub fn port(&self) -> Option<u16> {
        self.port
            .as_ref()
            .and_then(|p| u16::try_from(p.get_ref().0).ok())
    }

    pub fn interactive_auth(&self) -> bool {
        self.interactive_auth.as_ref().is_some_and(|b| *b.get_ref())
    }

    pub fn docker_socket(&self) -> Option<&str> {
        self.docker_socket.as_ref().map(|s| s.get_ref().as_str())
    }
}

impl Check {
    /// The expected status, once validated (100 to 599).
    pub fn expect_status(&self) -> Option<u16> {
        self.expect_status
            .as_ref()
            .and_then(|s| u16::try_from(*s.get_ref()).ok())
    }
}

/// The `{name}` placeholders in a template argument, in order. A name is a lowercase ASCII
/// letter or `_`, then lowercase letters, digits and `_`; any other brace is plain text
/// (`find -exec {} +`, `awk '{ print $1 }'`).
pub fn placeholders(arg: &str) -> impl Iterator<Item = &str> {
    let mut rest = arg;
    std::iter::from_fn(move || {
        loop {
            let open = rest.find('{')?;
            let after = &rest[open + 1..];
            let len = after
                .bytes()
                .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
                .count();
            let name = &after[..len];
            let starts_well = name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
            if starts_well && after[len..].starts_with('}') {
                rest = &after[len + 1..];
                return Some(name);
            }
            rest = after;
        }
    })
}
