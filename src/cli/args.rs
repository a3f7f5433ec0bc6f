//! The command line's grammar (clap): the global options, every subcommand, and the exit
//! codes listed under each `--help`. `main.rs` dispatches on what it parses.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The version `--version` prints: the package's, with the git revision it was built from
/// when that was known (see build.rs).
pub const VERSION: &str = env!("OPSDECK_VERSION");

// Exit codes, listed under every command's `--help`.
pub const EXIT_TUI: &str = "Exit status: 0 the console was quit, 1 it stopped on an error, \
                        2 configuration error.";
pub const EXIT_STATUS: &str = "Exit status: 0 all ok, 1 something is down (or the status could \
                           not be gathered), 2 configuration error.";
pub const EXIT_BACKUPS: &str = "Exit status: 0 all fresh, 1 a set is stale or has no off-site \
                            copy within its RPO, 2 a set could not be checked or \
                            configuration error.";
pub const EXIT_CHECK: &str = "Exit status: 0 all checks pass, 1 a check failed, 2 configuration \
                          or connection error.";
pub const EXIT_ACTION: &str = "Exit status: 0 done, 1 a step failed, 2 it could not start \
                           (unknown set, read-only, not confirmed, host unreachable) or \
                           configuration error.";
pub const EXIT_DEPLOY: &str = "Exit status: 0 deployed, 1 the health gate failed and it was rolled \
                           back, 2 the rollback failed too or it could not start (unknown \
                           service or version, lock held, read-only, not confirmed) or \
                           configuration error.";
pub const EXIT_LOCK: &str = "Exit status: 0 released, 1 it failed, 2 it could not start or \
                         configuration error.";
pub const EXIT_CONFIG_CHECK: &str = "Exit status: 0 the configuration is valid, 2 any error in it \
                                 or in a file it includes.";
pub const EXIT_RUN: &str = "Exit status: 0 every step passed, 1 a step failed or a manual step \
     stopped the run (without --yes), 2 it could not start (unknown runbook or variable, a bad \
     configuration).";
pub const EXIT_LIST: &str = "Exit status: 0 listed, 2 the configuration or the audit log could not \
     be read.";
pub const EXIT_PRINT: &str = "Exit status: 0 printed, 1 stdout could not be written.";
pub const EXIT_INIT: &str = "Exit status: 0 every host was read and the file written (or printed), \
     1 some host could not be read (it is written commented out), 2 nothing was written.";

#[derive(Parser)]
#[command(
    name = "opsdeck",
    version = VERSION,
    about = "A terminal operations console for the engineer on call",
    after_help = EXIT_TUI
)]
pub struct Cli {
    /// The fleet description (default: $OPSDECK_CONFIG, then ./hosts.toml, then
    /// $XDG_CONFIG_HOME/opsdeck/hosts.toml).
    #[arg(long, short = 'c', global = true)]
    pub config: Option<PathBuf>,
    /// Colour theme: default, light, high-contrast, or themes/NAME.toml next to the config.
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// Refuse every action that changes something.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Where tracing goes (default: $XDG_STATE_HOME/opsdeck/opsdeck.log).
    #[arg(long, global = true)]
    pub log_file: Option<PathBuf>,
    /// Log SSH hosts in in the plain terminal, with OpenSSH's prompts, before the console
    /// starts: every SSH host, or those named (`--connect-first=web,db`).
    #[arg(long, value_name = "HOST", num_args = 0..=1, require_equals = true, value_delimiter = ',')]
    pub connect_first: Option<Vec<String>>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Alertmanager's alerts, mapped onto hosts and services.
    #[command(after_help = crate::cli::alerts::EXIT_HELP)]
    Alerts {
        #[arg(long)]
        json: bool,
    },
    /// Silence alerts in Alertmanager (through the dispatcher: read-only refuses, audited).
    #[command(after_help = EXIT_ACTION)]
    Silence(crate::cli::alerts::SilenceArgs),
    /// Expire a silence in Alertmanager (through the dispatcher).
    #[command(after_help = EXIT_ACTION)]
    Unsilence {
        id: String,
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        dry_run: bool,
    },
    /// The interactive console (the default).
    #[command(after_help = EXIT_TUI)]
    Tui,
    /// Print the fleet's status once and exit: 0 all ok, 1 something is down, 2 config error.
    #[command(after_help = EXIT_STATUS)]
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// List every backup set with its freshness and exit: 0 all fresh, 1 a set is stale or
    /// has no off-site copy within its RPO, 2 a set could not be checked.
    #[command(after_help = EXIT_BACKUPS)]
    Backups {
        /// Only the sets that are not fresh (or could not be checked).
        #[arg(long)]
        stale: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Run health and smoke checks and exit: 0 all pass, 1 a check failed, 2 configuration
    /// or connection error (see README, "Health checks and `opsdeck check`").
    #[command(after_help = EXIT_CHECK)]
    Check {
        /// Only checks of this host (repeatable).
        #[arg(long)]
        host: Vec<String>,
        /// Only checks of hosts with this tag (repeatable).
        #[arg(long)]
        tag: Vec<String>,
        /// Only checks of this HOST/SERVICE (repeatable).
        #[arg(long)]
        service: Vec<String>,
        /// The checks of a `[[suites]]` entry.
        #[arg(long)]
        suite: Option<String>,
        /// Keep retrying failing checks until all pass or this much time has gone (e.g. 5m).
        #[arg(long, value_parser = humantime::parse_duration)]
        wait: Option<std::time::Duration>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = crate::cli::check::Format::Text)]
        format: crate::cli::check::Format,
    },
    /// Make a backup of SET now, verify it and say where it is: 0 done, 1 a step failed,
    /// 2 it could not start (unknown set, read-only, not confirmed, host unreachable).
    #[command(after_help = EXIT_ACTION)]
    Backup {
        set: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        /// Print the plan and run nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Restore backup KEY (or `latest`) of SET: verify, safety backup, stop, restore, start,
    /// checks. Confirmed by typing the service's name (`--yes --confirm NAME`). Exit codes as
    /// `backup`.
    #[command(after_help = EXIT_ACTION)]
    Restore {
        set: String,
        key: String,
        #[arg(long)]
        yes: bool,
        /// The service's name, as the console asks for it.
        #[arg(long)]
        confirm: Option<String>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Restore the newest backup of SET into a scratch target and check it there, touching
    /// nothing live. Exit codes as `backup`.
    #[command(after_help = EXIT_ACTION)]
    Drill {
        set: String,
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        dry_run: bool,
        /// The drill's result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deploy VERSION of HOST/SERVICE by its recipe: lock, record what runs, deploy, health
    /// gate; a failed gate rolls back to the recorded version. Exit 0 deployed, 1 the gate
    /// failed and it was rolled back, 2 the rollback failed too or it could not start
    /// (unknown service or version, lock held, read-only, not confirmed).
    #[command(after_help = EXIT_DEPLOY)]
    Deploy {
        service: String,
        version: String,
        /// Confirm (it stands for the typed name the console asks for on prod).
        #[arg(long)]
        yes: bool,
        /// Print the plan and the version a failed gate would return to; run nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Return HOST/SERVICE to the version the last successful deploy recorded (or --to).
    /// Exit codes as `deploy`.
    #[command(after_help = EXIT_DEPLOY)]
    Rollback {
        service: String,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        dry_run: bool,
    },
    /// Run N replicas of compose service HOST/SERVICE (its `scale` command), then wait until
    /// exactly N run.
    #[command(after_help = EXIT_ACTION)]
    Scale {
        service: String,
        replicas: u32,
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        dry_run: bool,
    },
    /// Deploy locks on hosts.
    #[command(after_help = EXIT_LOCK)]
    Lock {
        #[command(subcommand)]
        command: LockCommand,
    },
    /// The configuration itself (`config check`).
    #[command(after_help = EXIT_CONFIG_CHECK)]
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print a completion script for SHELL to stdout (e.g. `opsdeck completions bash >
    /// /etc/bash_completion.d/opsdeck`).
    #[command(after_help = EXIT_PRINT)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Run RUNBOOK, printing each step and its output: 0 every step passed, 1 a step failed
    /// (or a manual step stopped it without --yes), 2 it could not start.
    #[command(after_help = EXIT_RUN)]
    Run {
        runbook: String,
        /// A variable of the runbook, NAME=VALUE (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = super::run::parse_var)]
        vars: Vec<(String, String)>,
        /// Print the steps with the variables filled in and run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Confirm actions' plans and manual steps without asking.
        #[arg(long)]
        yes: bool,
        /// The name a typed confirmation asks for (a prod service's; repeatable).
        #[arg(long)]
        confirm: Vec<String>,
        /// Continue the newest unfinished run (after a stop at a manual or failed step).
        #[arg(long)]
        resume: bool,
    },
    /// Write a hosts.toml from ~/.ssh/config and --host, with what each host runs.
    #[command(after_help = EXIT_INIT)]
    Init(crate::cli::init::InitArgs),
    /// List the runbooks and where each comes from.
    #[command(after_help = EXIT_LIST)]
    Runbooks {
        /// Machine-readable output: [{"name", "title", "source", "steps"}].
        #[arg(long)]
        json: bool,
    },
    /// The audit log as an incident timeline: times, who, what, where, outcome, durations.
    #[command(after_help = EXIT_LIST)]
    Timeline {
        /// From this long ago (2h, 30m) or this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Up to this long ago or this time.
        #[arg(long)]
        until: Option<String>,
        /// Only what touched this host.
        #[arg(long)]
        host: Option<String>,
        #[arg(long, value_enum, default_value_t = super::run::TimelineFormat::Markdown)]
        format: super::run::TimelineFormat,
    },
    /// Print the man page (roff) to stdout: `opsdeck man > opsdeck.1`, `opsdeck man | man -l -`.
    #[command(after_help = EXIT_PRINT)]
    Man,
}

#[derive(Subcommand)]
pub enum LockCommand {
    /// Break HOST/SERVICE's deploy lock whoever holds it (a crashed opsdeck's); audited.
    /// Exit 0 released, 1 failed, 2 could not start.
    #[command(after_help = EXIT_LOCK)]
    Release {
        service: String,
        /// The service's name, typed to confirm.
        #[arg(long)]
        confirm: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and every file it includes, contacting nothing, and print
    /// what it describes: for a pre-commit hook or CI. Errors name file:line:column.
    #[command(after_help = EXIT_CONFIG_CHECK)]
    Check {
        /// One JSON document on stdout, errors included (see README).
        #[arg(long)]
        json: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every command, however deep, says under `--help` what its exit codes mean.
    #[test]
    fn every_command_lists_its_exit_codes() {
        fn walk(cmd: &clap::Command, path: &str) {
            let help = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                help.starts_with("Exit status: 0 "),
                "`{path}` has no exit codes in its --help"
            );
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        walk(&Cli::command(), "opsdeck");
    }

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
