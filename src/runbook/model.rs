//! A runbook as opsdeck runs it, whether it came from `[[runbooks]]`, a `runbooks/*.toml`
//! file or a Markdown document: its variables, its steps and what each step does. Values
//! may hold `{{name}}` placeholders; [`Runbook::fill`] resolves them for one run.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::config::schema::{
    CommandLine, Runbook as RunbookConfig, RunbookStep as StepConfig, RunbookStepKind,
};
use crate::model::{CheckId, HostId, ServiceId};
use crate::transport::{CommandSpec, PositionalScript, Target};

/// The pause between the tries of a failing step, unless the step says otherwise.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(5);
/// How long a `wait until` waits for its check, unless the step says otherwise.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(300);
/// A command step's timeout when neither the step nor the settings give one.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(300);

/// Where a runbook was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `[[runbooks]]` in the config file.
    Config(PathBuf),
    /// A file of its own (Markdown or TOML).
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Config(p) => write!(f, "{} [[runbooks]]", p.display()),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    pub name: String,
    pub title: String,
    pub description: String,
    pub source: Source,
    pub rto: Option<Duration>,
    pub rpo: Option<Duration>,
    pub variables: Vec<Variable>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// Without a default the variable must be given (`--var name=value`).
    pub default: Option<String>,
    /// When not empty, the value must be one of these.
    pub choices: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub title: String,
    /// The headings above it in a Markdown runbook (`Recovery › Restore`).
    pub section: Option<String>,
    /// Prose shown with the step: what it is for, what to look at.
    pub text: String,
    pub kind: StepKind,
    /// Runs without the operator's go-ahead.
    pub auto: bool,
    /// Tries after a failure before the step counts as failed.
    pub retries: u32,
    /// Between tries; for `wait until`, between polls.
    pub retry_interval: Duration,
    /// How long one try may take (a `wait until`: how long to wait in all).
    pub timeout: Option<Duration>,
    /// The line the step was written on (Markdown: its fence), 0 when not known.
    pub line: usize,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// A command on a host, passing on its expected exit code and, if given, when its
    /// output matches a regex.
    Run {
        host: String,
        command: Template,
        expect: i32,
        output_regex: Option<String>,
    },
    /// An action through the dispatcher, with its confirmation and audit.
    Action {
        verb: Verb,
        target: String,
        backup: Option<String>,
        /// Deploy and rollback: the version (`{{version}}` in a runbook with that variable).
        version: Option<String>,
    },
    /// A check or a smoke suite that must pass.
    Check(CheckTarget),
    /// A pause, or waiting until a check passes (within the step's timeout).
    Wait(WaitFor),
    /// Something the operator does and confirms; `commands` is a block to run by hand.
    Manual {
        note: bool,
        commands: Option<String>,
    },
}

/// A command template: an argument vector whose arguments each take placeholders in place
/// (each stays one argument), or a shell script whose placeholders are positional
/// parameters (see [`PositionalScript`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    Argv(CommandSpec),
    Script(PositionalScript),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    Restart,
    Stop,
    Start,
    Deploy,
    Rollback,
    Backup,
    Restore,
    Drill,
}

impl Verb {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "restart" => Verb::Restart,
            "stop" => Verb::Stop,
            "start" => Verb::Start,
            "deploy" => Verb::Deploy,
            "rollback" => Verb::Rollback,
            "backup" => Verb::Backup,
            "restore" => Verb::Restore,
            "drill" => Verb::Drill,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Verb::Restart => "restart",
            Verb::Stop => "stop",
            Verb::Start => "start",
            Verb::Deploy => "deploy",
            Verb::Rollback => "rollback",
            Verb::Backup => "backup",
            Verb::Restore => "restore",
            Verb::Drill => "drill",
        }
    }

    /// Acts on a backup set rather than on a service.
    pub fn on_set(self) -> bool {
        matches!(self, Verb::Backup | Verb::Restore | Verb::Drill)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckTarget {
    /// `host/service/check`.
    Check(String),
    Suite(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum WaitFor {
    Duration(Duration),
    /// Until `host/service/check` passes.
    Check(String),
}

impl StepKind {
    pub fn label(&self) -> &'static str {
        match self {
            StepKind::Run { .. } => "run",
            StepKind::Action { .. } => "action",
            StepKind::Check(_) => "check",
            StepKind::Wait(_) => "wait",
            StepKind::Manual { .. } => "manual",
        }
    }
}

/// The `{{name}}` placeholders in a value, in order (spaces inside the braces allowed).
pub fn placeholders(value: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        names.push(after[..close].trim().to_owned());
        rest = &after[close + 2..];
    }
    names
}

/// `value` with every `{{name}}` replaced by its value, in one pass (a value holding
/// `{{other}}` is not substituted again). Unknown names are an error.
pub fn fill(value: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| format!("`{{{{` without a closing `}}}}` in `{value}`"))?;
        let name = after[..close].trim();
        let v = vars
            .get(name)
            .ok_or_else(|| format!("unknown variable `{name}`"))?;
        out.push_str(v);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A step with its variables filled in and its references resolved: ready to carry out
/// (or to show in a dry run).
#[derive(Debug, Clone)]
pub enum Filled {
    Run {
        host: HostId,
        target: Target,
        command: CommandSpec,
        expect: i32,
        output_regex: Option<regex::Regex>,
    },
    /// Restart, stop or start a service.
    Service {
        verb: Verb,
        service: ServiceId,
    },
    /// Deploy `version` of a service, or roll it back (to `version`, or to what its last
    /// successful deploy recorded).
    Deploy {
        verb: Verb,
        service: ServiceId,
        version: Option<String>,
    },
    /// Back up, restore (`backup` = a key or `latest`) or drill a set.
    Set {
        verb: Verb,
        set: String,
        backup: String,
    },
    Checks {
        label: String,
        checks: Vec<CheckId>,
    },
    Sleep(Duration),
    WaitCheck(CheckId),
    Manual {
        text: String,
        commands: Option<String>,
        note: bool,
    },
}

impl Filled {
    /// The host it touches, when it touches one (for the timeline).
    pub fn host(&self, config: &Config) -> Option<String> {
        match self {
            Filled::Run { host, .. } => Some(host.to_string()),
            Filled::Service { service, .. } | Filled::Deploy { service, .. } => {
                Some(service.host.to_string())
            }
            Filled::Set { set, .. } => config
                .file
                .backups
                .iter()
                .find(|b| b.name.get_ref() == set)
                .map(|b| b.host.get_ref().clone()),
            Filled::WaitCheck(c) => Some(c.host().to_string()),
            Filled::Checks { checks, .. } => checks.first().map(|c| c.host().to_string()),
            Filled::Sleep(_) | Filled::Manual { .. } => None,
        }
    }

    /// An action through the dispatcher (its plan is confirmed before it runs).
    pub fn is_action(&self) -> bool {
        matches!(
            self,
            Filled::Service { .. } | Filled::Set { .. } | Filled::Deploy { .. }
        )
    }

    /// What it does, in one line: the command, the action, the checks.
    pub fn describe(&self) -> String {
        match self {
            Filled::Run {
                host,
                command,
                expect,
                output_regex,
                ..
            } => {
                let mut s = format!("on {host}: $ {command}");
                if *expect != 0 {
                    s.push_str(&format!("  (expect exit {expect})"));
                }
                if let Some(re) = output_regex {
                    s.push_str(&format!("  (output ~ /{re}/)"));
                }
                s
            }
            Filled::Service { verb, service } => format!("{} {service}", verb.name()),
            Filled::Deploy {
                verb,
                service,
                version,
            } => match version {
                Some(v) => format!("{} {service} {v}", verb.name()),
                None => format!(
                    "{} {service} (to what its last deploy recorded)",
                    verb.name()
                ),
            },
            Filled::Set { verb, set, backup } if *verb == Verb::Restore => {
                format!("restore backup {backup} of {set}")
            }
            Filled::Set { verb, set, .. } => format!("{} {set}", verb.name()),
            Filled::Checks { label, .. } => format!("check {label}"),
            Filled::Sleep(d) => format!("wait {}", humantime::format_duration(*d)),
            Filled::WaitCheck(c) => format!("wait until {c} passes"),
            Filled::Manual { text, .. } => format!("manual: {}", first_line(text)),
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

mod resolve;

#[cfg(test)]
mod tests;
