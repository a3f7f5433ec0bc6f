//! The `opsdeck` command line: the console (default), `status`, `check`, `backups`,
//! `config check`, `completions`, `man`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser};

use opsdeck::action::audit::AuditLog;
use opsdeck::cli::args::{Cli, Command, ConfigCommand, LockCommand};
use opsdeck::config::{Config, xdg_dir};
use opsdeck::console::terminal;
use opsdeck::console::{RunOptions, run};
use opsdeck::{cli, logging};

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
