//! The `hosts.toml` format, as serde reads it. Every table denies unknown keys; the
//! cross-field rules (kinds, references, names) live in `validate.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::duration::HumanDuration;
use super::secret::ConfigString;
use super::size::ByteSize;

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
    /// `[monitoring]`: Prometheus and Alertmanager.
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

/// A backup set: where its backups live (files in directories on its host, and/or an
/// off-site listing), how old the newest may be, and how to make, verify, restore and drill
/// one. Templates take placeholders, each replaced by one whole argument: `{file}` (the
/// backup's file in `dir`), `{key}` (what its files share), `{NAME}` (the file of the part
/// called NAME) and, in a drill, `{scratch}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSet {
    pub name: Spanned<String>,
    pub host: Spanned<String>,
    pub service: Option<Spanned<String>>,
    /// The directory on the host holding the backups' main files (`{file}`).
    pub dir: Option<Spanned<String>>,
    /// Which files of `dir` are backups (a `find -name` pattern); default `*`.
    pub glob: Option<Spanned<String>>,
    /// More files of each backup, in other directories or under other names (seed 004: the
    /// exports and configs tarballs beside the database dump).
    #[serde(default)]
    pub parts: Vec<BackupPart>,
    /// A regex over file names whose named group `key` says which backup a file belongs
    /// to; files with the same key are one backup. Without it each file is a backup.
    pub pattern: Option<Spanned<String>>,
    /// A command on the host listing the off-site copies as JSON (`rclone lsjson REMOTE:PATH`,
    /// `aws s3api list-objects-v2 --output json`); objects match the parts' globs by name.
    pub offsite: Option<Spanned<CommandLine>>,
    /// What `offsite` prints; told apart by its shape when not given.
    pub offsite_format: Option<Spanned<OffsiteFormat>>,
    /// The RPO: the newest backup may be this old.
    pub max_age: Option<HumanDuration>,
    /// Makes a backup now.
    pub create: Option<Spanned<CommandLine>>,
    /// Restores the chosen backup.
    pub restore: Option<Spanned<CommandLine>>,
    /// Checks a backup can be read (`pg_restore --list {file}`, `tar -tzf {file}`).
    pub verify: Option<Spanned<CommandLine>>,
    /// Services stopped before a restore and started after it.
    #[serde(default)]
    pub stop_during_restore: Vec<Spanned<String>>,
    /// The query run after a restore, and what its output must be.
    pub integrity: Option<Integrity>,
    /// How to restore into a scratch target without touching the live service.
    pub drill: Option<Drill>,
}

/// Files of a backup beyond its main one; `name` is its placeholder (`{exports}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupPart {
    pub name: Spanned<String>,
    pub dir: Spanned<String>,
    pub glob: Spanned<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OffsiteFormat {
    /// `rclone lsjson`: an array of `{Path, Name, Size, ModTime, IsDir}`.
    RcloneLsjson,
    /// `aws s3api list-objects-v2 --output json`: `{Contents: [{Key, Size, LastModified}]}`,
    /// nothing at all for an empty bucket.
    S3ListObjectsV2,
}

/// A command whose output says whether restored data is whole: a row count, `PRAGMA
/// integrity_check`. At most one expectation; with none, exit 0 is enough (the output is
/// still shown, "42 rows").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrity {
    pub command: Spanned<CommandLine>,
    /// The output, trimmed, is exactly this (`ok`).
    pub expect: Option<Spanned<String>>,
    /// The output, trimmed, matches this regex.
    pub expect_regex: Option<Spanned<String>>,
    /// The output is a number at least this large (a row count).
    pub at_least: Option<Spanned<i64>>,
}

/// What `{scratch}` is in a drill: made by opsdeck before `prepare` and removed after
/// `cleanup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScratchKind {
    /// A new empty directory on the host (`mktemp -d`): tarballs are unpacked there.
    #[default]
    Dir,
    /// A path in a new temporary directory, the file itself not yet there (SQLite).
    File,
    /// A fresh name, letters, digits and `_` only (a temporary database for PostgreSQL,
    /// made by `prepare`, dropped by `cleanup`).
    Name,
}

/// A restore drill: the newest backup restored into `{scratch}`, its integrity checked
/// there (against the set's `integrity` expectation), the live service untouched.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drill {
    #[serde(default)]
    pub scratch: ScratchKind,
    pub prepare: Option<Spanned<CommandLine>>,
    pub restore: Spanned<CommandLine>,
    pub integrity: Option<Spanned<CommandLine>>,
    /// Run whatever happened before it (a drill never leaves a database behind).
    pub cleanup: Option<Spanned<CommandLine>>,
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

/// A runbook: ordered steps an operator walks through during an incident or a deploy.
/// `{{name}}` placeholders in commands, hosts, services, sets and backup keys are its
/// variables, filled when it runs; each is substituted as data, never as shell text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    pub name: Spanned<String>,
    /// What the pane and `opsdeck runbooks` show; defaults to the name.
    pub title: Option<String>,
    pub description: Option<String>,
    /// The recovery time objective: elapsed time is shown against it.
    pub rto: Option<HumanDuration>,
    /// The recovery point objective, as the document states it.
    pub rpo: Option<HumanDuration>,
    #[serde(default)]
    pub variables: Vec<RunbookVariable>,
    pub steps: Vec<RunbookStep>,
}

/// A variable of a runbook: `--var name=value`, else its default; with `choices`, the
/// value must be one of them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookVariable {
    pub name: Spanned<String>,
    pub default: Option<Spanned<String>>,
    #[serde(default)]
    pub choices: Vec<Spanned<String>>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunbookStepKind {
    /// A command on a host (`run` and `command` are the same kind).
    #[serde(alias = "run")]
    Command,
    Action,
    Check,
    Wait,
    Manual,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookStep {
    pub title: Spanned<String>,
    pub kind: RunbookStepKind,
    pub host: Option<Spanned<String>>,
    pub command: Option<Spanned<CommandLine>>,
    #[serde(default)]
    pub shell: bool,
    /// For `command`: the exit code that passes (default 0).
    pub expect: Option<Spanned<i64>>,
    /// For `command`: a regex the output (stdout and stderr) must match.
    pub output_regex: Option<Spanned<String>>,
    /// How long the step may take (a command, an action, a `wait until`).
    pub timeout: Option<HumanDuration>,
    /// Tries after a failure before the step counts as failed.
    pub retries: Option<u32>,
    /// The pause between tries (default 5s); for `wait until`, between polls.
    pub retry_interval: Option<HumanDuration>,
    /// Runs without the operator's go-ahead.
    #[serde(default)]
    pub auto: bool,
    /// For `action`: restart, stop, start, deploy, rollback, backup, restore, drill.
    pub action: Option<Spanned<String>>,
    /// `host/service` for restart, stop, start, deploy and rollback.
    pub service: Option<Spanned<String>>,
    /// The backup set of backup, restore and drill.
    pub set: Option<Spanned<String>>,
    /// For restore: the backup's key, or `latest` (the default).
    /// deploy: the version to deploy; rollback: the version to return to (default: what
    /// the last successful deploy recorded).
    pub version: Option<Spanned<String>>,
    pub backup: Option<Spanned<String>>,
    /// `host/service/check` for checks, and for `wait` until it passes.
    pub check: Option<Spanned<String>>,
    /// A `[[suites]]` entry for checks.
    pub suite: Option<Spanned<String>>,
    /// For `wait`: how long.
    pub duration: Option<HumanDuration>,
    /// What the operator is asked to do and confirm, for `manual` steps.
    pub text: Option<String>,
    /// For `manual`: the operator types a note when confirming.
    #[serde(default)]
    pub note: bool,
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

/// A port as written: a number (validated to 1–65535 with the rest of the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(pub i64);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Port;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a port number, 1 to 65535")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Port, E> {
                Ok(Port(n))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Port, E> {
                Ok(Port(i64::try_from(n).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Port, E> {
                match v.trim().parse::<i64>() {
                    Ok(n) => Err(E::custom(format!(
                        "a port is a number: write port = {n}, without quotes"
                    ))),
                    Err(_) => Err(E::custom(format!(
                        "`{}` is not a port: a port is a number, 1 to 65535",
                        super::error::echo(v)
                    ))),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Host {
    /// The port, once validated (1 to 65535).
    pub fn port(&self) -> Option<u16> {
        self.port
            .as_ref()
            .and_then(|p| u16::try_from(p.get_ref().0).ok())
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

impl BackupSet {
    /// The placeholders every template of the set knows: `{file}`, `{key}` and one per part.
    pub fn placeholder_names(&self) -> Vec<&str> {
        let mut names = vec!["file", "key"];
        names.extend(self.parts.iter().map(|p| p.name.get_ref().as_str()));
        names
    }
}
