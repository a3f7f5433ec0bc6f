//! `opsdeck run RUNBOOK`, `opsdeck runbooks` and `opsdeck timeline`: runbooks without the
//! console — the same engine, executor, dispatcher and audit log.
//!
//! `run` prints each step and its output as it goes. Invoking it is the go-ahead for its
//! steps; an action step still asks for its plan's confirmation (`--yes`, and for typed
//! confirmations `--confirm NAME`), and a manual step stops the run unless `--yes`. The
//! run's state is saved in `runs/` of the state directory after every step.
//!
//! Exit codes: 0 every step passed (or was skipped); 1 a step failed, the run stopped at a
//! manual step, or it was interrupted; 2 it could not start (unknown runbook or variable,
//! a reference that does not resolve, an unreachable host).

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc;

use super::act::{EXIT_FAILED, EXIT_NOT_STARTED, EXIT_OK};
use crate::action::audit::AuditLog;
use crate::action::{Confirmation, Dispatcher, Plan};
use crate::check::CheckSpec;
use crate::config::Config;
use crate::config::schema::TransportKind;
use crate::model::HostId;
use crate::runbook::engine::{Event, Outcome};
use crate::runbook::exec::{self, Consent, StepFacts};
use crate::runbook::store::RunStore;
use crate::runbook::timeline;
use crate::runbook::{self as rb, Executor, Filled, FleetExecutor, Next, Run, RunStatus};
use crate::transport::Transports;

pub use super::runbooks::{TimelineFormat, list, timeline};

pub struct RunOptions<'a> {
    pub known_hosts: &'a Path,
    pub audit: AuditLog,
    /// Where runs are saved (`runs/` under it).
    pub state_dir: &'a Path,
    pub vars: Vec<(String, String)>,
    pub dry_run: bool,
    /// Confirm actions' y/n plans and manual steps.
    pub yes: bool,
    /// Typed confirmations (a prod service's name), as many as the runbook's actions need.
    pub confirm: Vec<String>,
    /// Continue the newest unfinished run of the runbook (its variables, its steps done)
    /// instead of starting a new one; a step that failed or was cut short is tried again.
    pub resume: bool,
}

/// `k=v` from `--var`.
pub fn parse_var(text: &str) -> Result<(String, String), String> {
    let (k, v) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: write --var NAME=VALUE"))?;
    if k.is_empty() {
        return Err(format!("`{text}`: the variable has no name"));
    }
    Ok((k.to_owned(), v.to_owned()))
}

pub async fn run(
    config: &Config,
    name: &str,
    opts: &RunOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let book = match rb::find(config, name) {
        Ok(b) => b,
        Err(e) => {
            writeln!(out, "error: {}", super::shown(&e))?;
            return Ok(EXIT_NOT_STARTED);
        }
    };
    let store = RunStore::new(opts.state_dir);
    let saved = if opts.resume {
        match store.unfinished(&book.name) {
            Some(s) if opts.vars.is_empty() => Some(s),
            Some(_) => {
                writeln!(
                    out,
                    "error: a resumed run keeps its variables: leave out --var"
                )?;
                return Ok(EXIT_NOT_STARTED);
            }
            None => {
                writeln!(
                    out,
                    "error: no unfinished run of {} in {}",
                    book.name,
                    store.dir().display()
                )?;
                return Ok(EXIT_NOT_STARTED);
            }
        }
    } else {
        None
    };
    let vars = match &saved {
        Some(s) => s.vars.clone(),
        None => match book.resolve_vars(&opts.vars) {
            Ok(v) => v,
            Err(e) => {
                writeln!(out, "error: {}", super::shown(&e))?;
                return Ok(EXIT_NOT_STARTED);
            }
        },
    };
    let filled = match exec::fill_all(&book, config, &vars) {
        Ok(f) => f,
        Err(e) => {
            writeln!(out, "error: {}", super::shown(&e))?;
            return Ok(EXIT_NOT_STARTED);
        }
    };
    writeln!(out, "runbook {} — {}", book.name, super::shown(&book.title))?;
    writeln!(out, "  from {}", super::shown(&book.source.to_string()))?;
    let objectives: Vec<String> = [("RTO", book.rto), ("RPO", book.rpo)]
        .iter()
        .filter_map(|(k, d)| d.map(|d| format!("{k} {}", humantime::format_duration(d))))
        .collect();
    if !objectives.is_empty() {
        writeln!(out, "  {}", objectives.join(", "))?;
    }
    if !vars.is_empty() {
        let shown: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "  variables: {}", super::shown(&shown.join(" ")))?;
    }
    if opts.dry_run {
        for (i, (step, f)) in book.steps.iter().zip(&filled).enumerate() {
            let auto = if step.auto { ", auto" } else { "" };
            writeln!(
                out,
                "  {}. [{}{auto}] {}",
                i + 1,
                step.kind.label(),
                super::shown(&step.title)
            )?;
            match f {
                // A script block: its lines as written, then the values it receives.
                Filled::Run { host, command, .. }
                    if command.program() == "sh"
                        && command.args().first().is_some_and(|a| a == "-c") =>
                {
                    let args = command.args();
                    writeln!(out, "     on {host}: sh -c SCRIPT")?;
                    for l in args.get(1).map_or("", String::as_str).lines() {
                        writeln!(out, "     | {}", super::shown(l))?;
                    }
                    for (n, v) in args.iter().skip(3).enumerate() {
                        writeln!(
                            out,
                            "     ${} = {}",
                            n + 1,
                            super::shown(&crate::transport::quote(v))
                        )?;
                    }
                }
                _ => writeln!(out, "     {}", super::shown(&f.describe()))?,
            }
            if let Filled::Manual {
                commands: Some(c), ..
            } = f
            {
                for l in c.lines() {
                    writeln!(out, "     | {}", super::shown(l))?;
                }
            }
        }
        writeln!(out, "dry run: nothing was run")?;
        return Ok(EXIT_OK);
    }

    let transports = Arc::new(Transports::for_config(config));
    let mut links = Vec::new();
    for host in hosts_to_connect(config, &filled) {
        match super::connect_host(config, &transports, &host, opts.known_hosts).await {
            Ok(l) => links.push(l),
            Err(e) => {
                writeln!(out, "error: cannot reach {host}: {}", super::shown(&e))?;
                return Ok(EXIT_NOT_STARTED);
            }
        }
    }
    let now = Utc::now();
    let mut run = match saved {
        Some(state) => match Run::resume(&book, state, now) {
            Ok(r) => {
                let (done, all) = r.progress();
                writeln!(
                    out,
                    "  resuming run {}: {done}/{all} steps done",
                    r.state().id
                )?;
                r
            }
            Err(e) => {
                writeln!(out, "error: {e}")?;
                return Ok(EXIT_NOT_STARTED);
            }
        },
        None => Run::new(&book, store.new_id(&book.name, now), vars, now),
    };
    // On resume, a failed step is tried again once (resuming is the operator's go-ahead).
    let mut retried = !opts.resume;
    let facts = exec::facts(config, &filled);
    writeln!(
        out,
        "  run {} (saved in {})",
        run.state().id,
        store.dir().display()
    )?;

    let mut typed = opts.confirm.clone();
    let yes = opts.yes;
    let mut dispatcher = Dispatcher::new(config.file.settings.read_only);
    let mut executor = FleetExecutor {
        config,
        transports: &transports,
        audit: &opts.audit,
        known_hosts: opts.known_hosts,
        read_only: config.file.settings.read_only,
        dispatcher: &mut dispatcher,
        confirm: Box::new(move |plan: &Plan| consent(plan, yes, &mut typed)),
    };
    let total = book.steps.len();
    let code = loop {
        let next = run.next(Utc::now());
        flush(&opts.audit, &book, &mut run, &facts, &store, total, out)?;
        match next {
            // Invoking `opsdeck run` is the go-ahead for its steps.
            Next::GoAhead(i) => {
                let _ = run.approve(i);
            }
            Next::Execute(i) => {
                let (tx, mut rx) = mpsc::channel::<String>(256);
                let limit = exec::await_limit(run.policy(i).timeout);
                let printer = async {
                    while let Some(line) = rx.recv().await {
                        let _ = writeln!(out, "   {}", super::shown(&line));
                        let _ = out.flush();
                    }
                };
                let work = async {
                    let fut = executor.execute(&book, i, &filled[i], &tx);
                    let result = tokio::select! {
                        r = async {
                            match limit {
                                Some(l) => tokio::time::timeout(l, fut).await.ok(),
                                None => Some(fut.await),
                            }
                        } => Some(r),
                        _ = tokio::signal::ctrl_c() => None,
                    };
                    drop(tx);
                    result
                };
                let (result, ()) = tokio::join!(work, printer);
                match result {
                    Some(Some(r)) => {
                        let _ = run.report(i, r, Utc::now());
                    }
                    Some(None) => {
                        let _ = run.report(i, rb::StepResult::failed("timed out"), Utc::now());
                    }
                    None => {
                        let _ = run.abort("interrupted (Ctrl-C)", Utc::now());
                        flush(&opts.audit, &book, &mut run, &facts, &store, total, out)?;
                        writeln!(
                            out,
                            "✘ interrupted: what the step did on the host is not known"
                        )?;
                        break EXIT_FAILED;
                    }
                }
            }
            Next::Busy(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Next::Confirm(i) => {
                if let Filled::Manual {
                    text,
                    commands,
                    note,
                } = &filled[i]
                {
                    for l in text.lines() {
                        writeln!(out, "   {}", super::shown(l))?;
                    }
                    if let Some(c) = commands {
                        writeln!(out, "   run this yourself, then confirm:")?;
                        for l in c.lines() {
                            writeln!(out, "   | {}", super::shown(l))?;
                        }
                    }
                    if !yes {
                        writeln!(
                            out,
                            "■ stopped at manual step {}: carry it out, then confirm it in the console or with opsdeck run {} --resume --yes",
                            i + 1,
                            book.name
                        )?;
                        break EXIT_FAILED;
                    }
                    let note = note.then(|| "confirmed with --yes".to_owned());
                    let _ = run.confirm(i, note, Utc::now());
                }
            }
            Next::Sleep(until) => {
                let wait = (until - Utc::now()).to_std().unwrap_or_default();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = tokio::signal::ctrl_c() => {
                        let _ = run.abort("interrupted (Ctrl-C)", Utc::now());
                    }
                }
            }
            Next::Failed(i) if !retried => {
                retried = true;
                let _ = run.retry(i);
            }
            Next::Failed(i) => {
                writeln!(
                    out,
                    "✘ stopped: step {} failed; retry it (opsdeck run {} --resume) or skip it in the console",
                    i + 1,
                    book.name
                )?;
                break EXIT_FAILED;
            }
            Next::Finished(RunStatus::Completed) => {
                let (done, all) = run.progress();
                writeln!(
                    out,
                    "✔ {} completed: {done}/{all} steps in {}",
                    book.name,
                    timeline::human(run.elapsed(Utc::now()).as_millis() as u64)
                )?;
                break EXIT_OK;
            }
            Next::Finished(RunStatus::Aborted { reason }) => {
                writeln!(out, "✘ aborted: {}", super::shown(&reason))?;
                break EXIT_FAILED;
            }
            Next::Finished(RunStatus::Running) => unreachable!("a finished run is not running"),
        }
    };
    flush(&opts.audit, &book, &mut run, &facts, &store, total, out)?;
    drop(links);
    Ok(code)
}

/// Writes the run's new events to the audit log and the terminal, and saves its state.
fn flush(
    audit: &AuditLog,
    book: &rb::Runbook,
    run: &mut Run,
    facts: &[StepFacts],
    store: &RunStore,
    total: usize,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let events = run.take_events();
    if events.is_empty() {
        return Ok(());
    }
    for ev in &events {
        match ev {
            Event::StepStarted { step, attempt } => {
                let s = &book.steps[*step];
                let again = if *attempt > 1 {
                    format!(" (try {attempt})")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "── step {}/{total}: {} [{}]{again}",
                    step + 1,
                    super::shown(&s.title),
                    s.kind.label()
                )?;
            }
            Event::StepEnded {
                outcome,
                detail,
                duration,
                ..
            } => {
                let mark = match outcome {
                    Outcome::Passed => "✔",
                    Outcome::Failed => "✘",
                    Outcome::Skipped => "↷",
                };
                writeln!(
                    out,
                    "   {mark} {} ({}) {}",
                    format!("{outcome:?}").to_lowercase(),
                    timeline::human(duration.as_millis() as u64),
                    super::shown(detail)
                )?;
            }
            Event::Note { text, .. } => writeln!(out, "   note: {}", super::shown(text))?,
            Event::RunStarted | Event::RunEnded { .. } => {}
        }
    }
    if let Err(e) = exec::record_events(audit, book, run.state(), facts, &events) {
        writeln!(
            out,
            "warning: cannot write the audit log {}: {e}",
            audit.path().display()
        )?;
    }
    if let Err(e) = store.save(run.state()) {
        writeln!(
            out,
            "warning: cannot save the run in {}: {e}",
            store.dir().display()
        )?;
    }
    out.flush()
}

/// The SSH hosts the steps need: run steps' hosts, actions' hosts, command checks' hosts.
fn hosts_to_connect(config: &Config, filled: &[Filled]) -> Vec<HostId> {
    let mut hosts = BTreeSet::new();
    for f in filled {
        match f {
            Filled::Checks { checks, .. } => {
                for c in checks {
                    if let Some(h) = CheckSpec::find(config, c).and_then(|s| s.ssh_host().cloned())
                    {
                        hosts.insert(h);
                    }
                }
            }
            Filled::WaitCheck(c) => {
                if let Some(h) = CheckSpec::find(config, c).and_then(|s| s.ssh_host().cloned()) {
                    hosts.insert(h);
                }
            }
            other => {
                if let Some(h) = other.host(config) {
                    hosts.insert(HostId::new(&h));
                }
            }
        }
    }
    hosts
        .into_iter()
        .filter(|h| {
            config
                .find_host(h)
                .is_some_and(|x| x.transport != TransportKind::Http)
        })
        .collect()
}

/// The answer to an action's plan: from `--yes` / `--confirm`, or asked on the terminal.
fn consent(plan: &Plan, yes: bool, typed: &mut Vec<String>) -> Consent {
    let interactive = std::io::stdin().is_terminal();
    match &plan.confirmation {
        Confirmation::YesNo if yes => Consent::Yes,
        Confirmation::TypeName(name) if typed.contains(name) => {
            typed.retain(|t| t != name);
            Consent::Typed(name.clone())
        }
        Confirmation::TypeName(name) if !interactive => Consent::No(format!(
            "{} asks for its name to be typed: give --confirm {name}",
            plan.title()
        )),
        Confirmation::YesNo if !interactive => Consent::No("give --yes to confirm actions".into()),
        Confirmation::YesNo => {
            eprint!("run it? [y/N] ");
            let line = read_line();
            if matches!(line.trim(), "y" | "Y" | "yes") {
                Consent::Yes
            } else {
                Consent::No("answered no".into())
            }
        }
        Confirmation::TypeName(name) => {
            eprint!("type `{name}` to confirm: ");
            Consent::Typed(read_line().trim().to_owned())
        }
    }
}

fn read_line() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line
}
