//! The `opsdeck` command line: the console (default), `status`, `check`, `backups`,
//! `config check`, `completions`, `man`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

use opsdeck::action::audit::AuditLog;
use opsdeck::config::{Config, xdg_dir};
use opsdeck::console::terminal;
use opsdeck::console::{RunOptions, run};
use opsdeck::{cli, logging};

/// The version `--version` prints: the package's, with the git revision it was built from
/// when that was known (see build.rs).
const VERSION: &str = env!("OPSDECK_VERSION");

// Exit codes, listed under every command's `--help`.
const EXIT_TUI: &str = "Exit status: 0 the console was quit, 1 it stopped on an error, \
                        2 configuration error.";
const EXIT_STATUS: &str = "Exit status: 0 all ok, 1 something is down (or the status could \
                           not be gathered), 2 configuration error.";
const EXIT_BACKUPS: &str = "Exit status: 0 all fresh, 1 a set is stale or has no off-site \
                            copy within its RPO, 2 a set could not be checked or \
                            configuration error.";
const EXIT_CHECK: &str = "Exit status: 0 all checks pass, 1 a check failed, 2 configuration \
                          or connection error.";
const EXIT_ACTION: &str = "Exit status: 0 done, 1 a step failed, 2 it could not start \
                           (unknown set, read-only, not confirmed, host unreachable) or \
                           configuration error.";
const EXIT_DEPLOY: &str = "Exit status: 0 deployed, 1 the health gate failed and it was rolled \
                           back, 2 the rollback failed too or it could not start (unknown \
                           service or version, lock held, read-only, not confirmed) or \
                           configuration error.";
const EXIT_LOCK: &str = "Exit status: 0 released, 1 it failed, 2 it could not start or \
                         configuration error.";
const EXIT_CONFIG_CHECK: &str = "Exit status: 0 the configuration is valid, 2 any error in it \
                                 or in a file it includes.";
const EXIT_RUN: &str = "Exit status: 0 every step passed, 1 a step failed or a manual step \
     stopped the run (without --yes), 2 it could not start (unknown runbook or variable, a bad \
     configuration).";
const EXIT_LIST: &str = "Exit status: 0 listed, 2 the configuration or the audit log could not \
     be read.";
const EXIT_PRINT: &str = "Exit status: 0 printed, 1 stdout could not be written.";
const EXIT_INIT: &str = "Exit status: 0 every host was read and the file written (or printed), \
     1 some host could not be read (it is written commented out), 2 nothing was written.";

#[derive(Parser)]
#[command(
    name = "opsdeck",
    version = VERSION,
    about = "A terminal operations console for the engineer on call",
    after_help = EXIT_TUI
)]
struct Cli {
    /// The fleet description (default: $OPSDECK_CONFIG, then ./hosts.toml, then
    /// $XDG_CONFIG_HOME/opsdeck/hosts.toml).
    #[arg(long, short = 'c', global = true)]
    config: Option<PathBuf>,
    /// Colour theme: default, light, high-contrast, or themes/NAME.toml next to the config.
    #[arg(long, global = true)]
    theme: Option<String>,
    /// Refuse every action that changes something.
    #[arg(long, global = true)]
    read_only: bool,
    /// Where tracing goes (default: $XDG_STATE_HOME/opsdeck/opsdeck.log).
    #[arg(long, global = true)]
    log_file: Option<PathBuf>,
    /// Log SSH hosts in in the plain terminal, with OpenSSH's prompts, before the console
    /// starts: every SSH host, or those named (`--connect-first=web,db`).
    #[arg(long, value_name = "HOST", num_args = 0..=1, require_equals = true, value_delimiter = ',')]
    connect_first: Option<Vec<String>>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Alertmanager's alerts, mapped onto hosts and services.
    #[command(after_help = cli::alerts::EXIT_HELP)]
    Alerts {
        #[arg(long)]
        json: bool,
    },
    /// Silence alerts in Alertmanager (through the dispatcher: read-only refuses, audited).
    #[command(after_help = EXIT_ACTION)]
    Silence(cli::alerts::SilenceArgs),
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
        #[arg(long, value_enum, default_value_t = cli::check::Format::Text)]
        format: cli::check::Format,
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
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = cli::run::parse_var)]
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
    Init(cli::init::InitArgs),
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
        #[arg(long, value_enum, default_value_t = cli::run::TimelineFormat::Markdown)]
        format: cli::run::TimelineFormat,
    },
    /// Print the man page (roff) to stdout: `opsdeck man > opsdeck.1`, `opsdeck man | man -l -`.
    #[command(after_help = EXIT_PRINT)]
    Man,
}

#[derive(Subcommand)]
enum LockCommand {
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
enum ConfigCommand {
    /// Validate the configuration and every file it includes, contacting nothing, and print
    /// what it describes: for a pre-commit hook or CI. Errors name file:line:column.
    #[command(after_help = EXIT_CONFIG_CHECK)]
    Check {
        /// One JSON document on stdout, errors included (see README).
        #[arg(long)]
        json: bool,
    },
}

const EXIT_CONFIG: u8 = 2;

/// `eprintln!` that never panics: stderr may be a terminal that has gone (SIGHUP after the
/// window closed), and exiting must not end in a panic then.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Where the console and the commands keep the audit log.
fn audit_path(config: &Config, state_dir: &std::path::Path) -> PathBuf {
    config
        .file
        .settings
        .audit_log
        .clone()
        .unwrap_or_else(|| state_dir.join("audit.jsonl"))
}

/// `opsdeck backup`, `restore`, `drill`, `deploy`, `rollback` and `lock release`.
/// What `act_options` borrows: opsdeck's known_hosts and drill record.
fn act_paths(state_dir: &std::path::Path) -> (PathBuf, PathBuf) {
    (
        state_dir.join("known_hosts"),
        state_dir.join(opsdeck::action::backups::DRILLS_FILE),
    )
}

fn act_options<'a>(
    config: &Config,
    state_dir: &std::path::Path,
    (known_hosts, drills): &'a (PathBuf, PathBuf),
    (yes, confirm, dry_run, json): (bool, Option<String>, bool, bool),
) -> cli::act::ActOptions<'a> {
    cli::act::ActOptions {
        known_hosts,
        audit: AuditLog::new(audit_path(config, state_dir)),
        drills,
        yes,
        confirm,
        dry_run,
        json,
    }
}

fn exit_with(result: std::io::Result<i32>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            say!("error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

fn act(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    state_dir: &std::path::Path,
    what: cli::act::What<'_>,
    flags: (bool, Option<String>, bool, bool),
) -> ExitCode {
    let paths = act_paths(state_dir);
    let opts = act_options(config, state_dir, &paths, flags);
    let result = runtime.block_on(cli::act::run(config, what, &opts, &mut std::io::stdout()));
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            say!("error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        say!("warning: {e}");
    }
    terminal::install_panic_hook();
    let cli = Cli::parse();

    // Commands that need no configuration, or load it themselves to report on it.
    match &cli.command {
        Some(Command::Completions { shell }) => return completions(*shell),
        Some(Command::Man) => return man_page(),
        Some(Command::Init(args)) => {
            let trusted = xdg_dir("XDG_STATE_HOME", ".local/state").join("known_hosts");
            return ExitCode::from(cli::init::main(args, &trusted));
        }
        Some(Command::Config {
            command: ConfigCommand::Check { json },
        }) => return config_check(cli.config.as_deref(), *json),
        _ => {}
    }

    let (config, hint) = match cli::first_run::load_or_discover(
        cli.config.as_deref(),
        matches!(cli.command, None | Some(Command::Tui)),
    ) {
        // `--read-only` is the settings' `read_only` for everything that reads the config:
        // the dispatcher, the executor, checks and status probes alike.
        Ok((mut c, hint)) => {
            c.file.settings.read_only |= cli.read_only;
            (Arc::new(c), hint)
        }
        Err(msg) => {
            say!("{msg}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // A theme named on the command line must exist whatever the command (the config's own
    // theme is checked when the config loads).
    if let Some(name) = &cli.theme
        && let Err(e) = opsdeck::config::theme::ThemeSpec::load(name, Some(config.dir()))
    {
        say!("error: --theme: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let state_dir = xdg_dir("XDG_STATE_HOME", ".local/state");
    let log_path = cli
        .log_file
        .clone()
        .unwrap_or_else(|| state_dir.join("opsdeck.log"));
    if let Err(e) = logging::init(&log_path) {
        say!("warning: cannot log to {}: {e}", log_path.display());
    }
    tracing::info!(config = %config.path.display(), hosts = config.file.hosts.len(), "opsdeck starting");

    // The console's loop runs on the main thread (`block_on`), its I/O on two workers: the
    // panic hook tells the two apart by thread.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            say!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.unwrap_or(Command::Tui) {
        Command::Alerts { json } => {
            exit_with(runtime.block_on(cli::alerts::list(&config, json, &mut std::io::stdout())))
        }
        Command::Silence(args) => {
            let paths = act_paths(&state_dir);
            let flags = (args.yes, None, args.dry_run, false);
            let opts = act_options(&config, &state_dir, &paths, flags);
            exit_with(runtime.block_on(cli::alerts::silence_cmd(
                &config,
                &args,
                &opts,
                &mut std::io::stdout(),
            )))
        }
        Command::Unsilence { id, yes, dry_run } => {
            let paths = act_paths(&state_dir);
            let opts = act_options(&config, &state_dir, &paths, (yes, None, dry_run, false));
            exit_with(runtime.block_on(cli::alerts::unsilence(
                &config,
                &id,
                &opts,
                &mut std::io::stdout(),
            )))
        }
        Command::Status { json } => {
            match runtime.block_on(cli::status::run(
                &config,
                &state_dir.join("known_hosts"),
                json,
                &mut std::io::stdout(),
            )) {
                Ok(code) => ExitCode::from(code as u8),
                Err(e) => {
                    say!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Backups { stale, json } => {
            let result = runtime.block_on(cli::backups::run(
                &config,
                &state_dir.join("known_hosts"),
                &state_dir.join("drills.json"),
                stale,
                json,
                &mut std::io::stdout(),
            ));
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            match result {
                Ok(code) => ExitCode::from(code as u8),
                Err(e) => {
                    say!("error: {e}");
                    ExitCode::from(EXIT_CONFIG)
                }
            }
        }
        Command::Check {
            host,
            tag,
            service,
            suite,
            wait,
            format,
        } => {
            let opts = cli::check::CheckOptions {
                selection: opsdeck::check::select::Selection {
                    hosts: host,
                    tags: tag,
                    services: service,
                    suite,
                },
                wait,
                format,
            };
            let result = runtime.block_on(cli::check::run(
                &config,
                &state_dir.join("known_hosts"),
                &opts,
                &mut std::io::stdout(),
            ));
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            match result {
                Ok(code) => ExitCode::from(code as u8),
                Err(e) => {
                    say!("error: {e}");
                    ExitCode::from(EXIT_CONFIG)
                }
            }
        }
        Command::Backup { set, yes, dry_run } => act(
            &runtime,
            &config,
            &state_dir,
            cli::act::What::Backup { set: &set },
            (yes, None, dry_run, false),
        ),
        Command::Deploy {
            service,
            version,
            yes,
            dry_run,
        } => act(
            &runtime,
            &config,
            &state_dir,
            cli::act::What::Deploy {
                service: &service,
                version: &version,
            },
            (yes, None, dry_run, false),
        ),
        Command::Rollback {
            service,
            to,
            yes,
            dry_run,
        } => act(
            &runtime,
            &config,
            &state_dir,
            cli::act::What::Rollback {
                service: &service,
                to: to.as_deref(),
            },
            (yes, None, dry_run, false),
        ),
        Command::Scale {
            service,
            replicas,
            yes,
            dry_run,
        } => act(
            &runtime,
            &config,
            &state_dir,
            cli::act::What::Scale {
                service: &service,
                replicas,
            },
            (yes, None, dry_run, false),
        ),
        Command::Lock {
            command: LockCommand::Release { service, confirm },
        } => act(
            &runtime,
            &config,
            &state_dir,
            cli::act::What::LockRelease { service: &service },
            (confirm.is_some(), confirm, false, false),
        ),
        Command::Restore {
            set,
            key,
            yes,
            confirm,
            dry_run,
        } => act(
            &runtime,
            &config,
            &state_dir,
            cli::act::What::Restore {
                set: &set,
                key: &key,
            },
            (yes, confirm, dry_run, false),
        ),
        Command::Drill {
            set,
            yes,
            dry_run,
            json,
        } => act(
            &runtime,
            &config,
            &state_dir,
            cli::act::What::Drill { set: &set },
            (yes, None, dry_run, json),
        ),
        Command::Completions { .. } | Command::Man | Command::Config { .. } | Command::Init(_) => {
            unreachable!("handled before the configuration is loaded")
        }
        Command::Run {
            runbook,
            vars,
            dry_run,
            yes,
            confirm,
            resume,
        } => {
            let opts = cli::run::RunOptions {
                resume,
                known_hosts: &state_dir.join("known_hosts"),
                audit: AuditLog::new(audit_path(&config, &state_dir)),
                state_dir: &state_dir,
                vars,
                dry_run,
                yes,
                confirm,
            };
            let result = runtime.block_on(cli::run::run(
                &config,
                &runbook,
                &opts,
                &mut std::io::stdout(),
            ));
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            match result {
                Ok(code) => ExitCode::from(code as u8),
                Err(e) => {
                    say!("error: {e}");
                    ExitCode::from(EXIT_CONFIG)
                }
            }
        }
        Command::Runbooks { json } => match cli::run::list(&config, json, &mut std::io::stdout()) {
            Ok(code) => ExitCode::from(code as u8),
            Err(e) => {
                say!("error: {e}");
                ExitCode::from(EXIT_CONFIG)
            }
        },
        Command::Timeline {
            since,
            until,
            host,
            format,
        } => {
            let audit = AuditLog::new(audit_path(&config, &state_dir));
            match cli::run::timeline(
                &audit,
                since.as_deref(),
                until.as_deref(),
                host,
                format,
                &mut std::io::stdout(),
            ) {
                Ok(code) => ExitCode::from(code as u8),
                Err(e) => {
                    say!("error: {e}");
                    ExitCode::from(EXIT_CONFIG)
                }
            }
        }
        Command::Tui => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let wanted = cli
                .theme
                .clone()
                .unwrap_or_else(|| config.file.settings.theme().to_owned());
            let (themes, theme) = match cli::themes::load_themes(&config, &wanted, no_color) {
                Ok(t) => t,
                Err(e) => {
                    say!("error: {e}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            let audit_path = audit_path(&config, &state_dir);
            let opts = RunOptions {
                read_only: cli.read_only,
                themes,
                theme,
                audit: AuditLog::new(audit_path),
                known_hosts: state_dir.join("known_hosts"),
                hint,
                connect_first: cli.connect_first.clone(),
            };
            let result = runtime.block_on(run(config, opts));
            terminal::restore();
            // Tasks blocked in I/O must not hold the exit.
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("opsdeck stopped: {e}");
                    say!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `opsdeck completions SHELL`.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "opsdeck", &mut out);
    print_out(&out)
}

/// `opsdeck man`: one page, the subcommands listed in it.
fn man_page() -> ExitCode {
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
        say!("error: cannot render the man page: {e}");
        return ExitCode::FAILURE;
    }
    print_out(&out)
}

/// Writes a generated document to stdout; a closed pipe (`| head`) is not a panic.
fn print_out(bytes: &[u8]) -> ExitCode {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            say!("error: cannot write to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `opsdeck config check [--json]`.
fn config_check(explicit: Option<&Path>, json: bool) -> ExitCode {
    use std::io::IsTerminal as _;
    // The summary goes to stdout and the errors to stderr: colour when both are terminals.
    let terminal = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
    let colour = !json && cli::colour(terminal);
    let code = cli::config_check::run(
        explicit,
        json,
        colour,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    match code {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            say!("error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
