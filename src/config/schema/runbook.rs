//! `[[runbooks]]`: runbooks written in TOML, their variables and steps.

use super::*;

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
