//! The console's actions without the console: `opsdeck backup SET`, `restore SET KEY|latest`,
//! `drill SET`, `deploy HOST/SERVICE VERSION`, `rollback HOST/SERVICE`, `lock release
//! HOST/SERVICE` — the same plans, the same dispatcher (read-only, locks, confirmation,
//! the audit log) and the same executor.
//!
//! Exit codes: 0 the action succeeded; 1 a step failed (or was interrupted) — for a deploy:
//! the gate failed and it was rolled back; 2 it could not start (an unknown set, service,
//! backup or version, refused by read-only or a held lock, a wrong or missing confirmation,
//! an unreachable host) — and for a deploy whose rollback failed too.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc;

use crate::action::audit::AuditLog;
use crate::action::backups::DrillRecord;
use crate::action::dispatcher::Answer;
use crate::action::execute::{ActionEvent, ExecEnv, execute};
use crate::action::{ActionOutcome, Confirmation, Dispatcher, Plan};
use crate::config::Config;
use crate::model::HostId;
use crate::transport::Transports;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_NOT_STARTED: i32 = 2;

/// What the three commands share.
pub struct ActOptions<'a> {
    pub known_hosts: &'a Path,
    pub audit: AuditLog,
    /// Where drill results are kept (shown by `opsdeck backups` and the console).
    pub drills: &'a Path,
    /// Skip the y/n question.
    pub yes: bool,
    /// The typed name a restore asks for.
    pub confirm: Option<String>,
    pub dry_run: bool,
    pub json: bool,
}

pub enum What<'a> {
    Backup {
        set: &'a str,
    },
    Restore {
        set: &'a str,
        key: &'a str,
    },
    Drill {
        set: &'a str,
    },
    Deploy {
        service: &'a str,
        version: &'a str,
    },
    /// To `to`, or to what the last successful deploy recorded.
    Rollback {
        service: &'a str,
        to: Option<&'a str>,
    },
    LockRelease {
        service: &'a str,
    },
    Scale {
        service: &'a str,
        replicas: u32,
    },
}

impl What<'_> {
    fn service(&self) -> Option<&str> {
        match self {
            What::Deploy { service, .. }
            | What::Rollback { service, .. }
            | What::LockRelease { service }
            | What::Scale { service, .. } => Some(service),
            _ => None,
        }
    }
}

pub async fn run(
    config: &Config,
    what: What<'_>,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    if let Some(service) = what.service() {
        return run_service(config, &what, service, opts, out).await;
    }
    let (What::Backup { set } | What::Restore { set, .. } | What::Drill { set }) = what else {
        unreachable!("service actions are handled above")
    };
    let Some(set_cfg) = config.file.backups.iter().find(|b| b.name.get_ref() == set) else {
        let names: Vec<&str> = config
            .file
            .backups
            .iter()
            .map(|b| b.name.get_ref().as_str())
            .collect();
        writeln!(
            out,
            "error: unknown backup set `{}` (sets: {})",
            super::shown(set),
            names.join(", ")
        )?;
        return Ok(EXIT_NOT_STARTED);
    };
    let host = HostId::new(set_cfg.host.get_ref());
    let transports = Arc::new(Transports::for_config(config));
    let _link = match super::connect_host(config, &transports, &host, opts.known_hosts).await {
        Ok(d) => d,
        Err(e) => {
            writeln!(out, "error: cannot reach {host}: {}", super::shown(&e))?;
            return Ok(EXIT_NOT_STARTED);
        }
    };
    let mut dispatcher = Dispatcher::new(config.file.settings.read_only);
    let now = Utc::now();
    let planned = match what {
        What::Backup { .. } => dispatcher.plan_backup(config, set, now),
        What::Restore { key, .. } => {
            match crate::action::backups::choose(config, &transports, set, key).await {
                Ok(b) => dispatcher.plan_restore(config, set, &b, now),
                Err(e) => {
                    writeln!(out, "error: {}", super::shown(&e))?;
                    return Ok(EXIT_NOT_STARTED);
                }
            }
        }
        What::Drill { .. } => {
            match crate::action::backups::choose(config, &transports, set, "latest").await {
                Ok(b) => dispatcher.plan_drill(config, set, &b, now),
                Err(e) => {
                    writeln!(out, "error: {}", super::shown(&e))?;
                    return Ok(EXIT_NOT_STARTED);
                }
            }
        }
        _ => unreachable!("service actions are handled above"),
    };
    let drill = matches!(what, What::Drill { .. }).then_some(set);
    run_plan(config, &transports, dispatcher, planned, drill, opts, out).await
}

/// Deploy, rollback and lock release of `service`.
async fn run_service(
    config: &Config,
    what: &What<'_>,
    service: &str,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let Some(id) =
        crate::model::ServiceId::parse(service).filter(|id| config.find_service(id).is_some())
    else {
        writeln!(
            out,
            "error: unknown service `{}` (write HOST/SERVICE)",
            super::shown(service)
        )?;
        return Ok(EXIT_NOT_STARTED);
    };
    let transports = Arc::new(Transports::for_config(config));
    let _link = match super::connect_host(config, &transports, &id.host, opts.known_hosts).await {
        Ok(d) => d,
        Err(e) => {
            writeln!(out, "error: cannot reach {}: {}", id.host, super::shown(&e))?;
            return Ok(EXIT_NOT_STARTED);
        }
    };
    let mut dispatcher = Dispatcher::new(config.file.settings.read_only);
    let now = Utc::now();
    let planned = match what {
        What::Deploy { version, .. } => {
            let planned = dispatcher.plan_deploy(config, &id, version, now);
            // A dry run says what a failed gate would return to: what runs now.
            if opts.dry_run && planned.is_ok() {
                match running_version(config, &transports, &id).await {
                    Ok(v) => writeln!(
                        out,
                        "now running: {} — a failed gate rolls back to it",
                        super::shown(&v)
                    )?,
                    Err(e) => writeln!(out, "now running: cannot tell ({})", super::shown(&e))?,
                }
            }
            planned
        }
        What::Rollback { to, .. } => {
            let to = match to {
                Some(v) => (*v).to_owned(),
                None => match crate::action::deploys::last_recorded(&opts.audit, &id) {
                    Some(v) => v,
                    None => {
                        writeln!(
                            out,
                            "error: no successful deploy of {id} is in the audit log {}: name the version with --to",
                            opts.audit.path().display()
                        )?;
                        return Ok(EXIT_NOT_STARTED);
                    }
                },
            };
            writeln!(
                out,
                "rolling back to {} (recorded before the last deploy)",
                super::shown(&to)
            )?;
            dispatcher.plan_rollback(config, &id, &to, now)
        }
        What::LockRelease { .. } => dispatcher.plan_lock_release(config, &id),
        What::Scale { replicas, .. } => dispatcher.plan_scale(config, &id, *replicas),
        _ => unreachable!("set actions are handled in run"),
    };
    run_plan(config, &transports, dispatcher, planned, None, opts, out).await
}

/// What `service`'s recipe says runs now (its `current_version` command).
async fn running_version(
    config: &Config,
    transports: &Transports,
    service: &crate::model::ServiceId,
) -> Result<String, String> {
    let recipe = crate::action::deploys::recipe_for(config, service)
        .ok_or_else(|| "no recipe".to_owned())?;
    let line = recipe
        .current_version
        .as_ref()
        .ok_or_else(|| "no current_version".to_owned())?;
    let spec = crate::transport::CommandSpec::from_config(line.get_ref());
    let target = crate::transport::Target::of(config, &service.host);
    let out = transports
        .run_streaming(&target, &spec, std::time::Duration::from_secs(30), None)
        .await
        .map_err(|e| e.to_string())?;
    if out.success() {
        Ok(out.stdout.trim().to_owned())
    } else {
        Err(format!("`{spec}` failed: {}", out.stderr.trim()))
    }
}

/// [`run_plan`] for plans whose steps run here (silences in Alertmanager).
pub(super) async fn run_plan_local(
    config: &Config,
    dispatcher: Dispatcher,
    planned: Result<Plan, crate::action::Refusal>,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let transports = Arc::new(Transports::for_config(config));
    run_plan(config, &transports, dispatcher, planned, None, opts, out).await
}

/// Shows the plan whole, asks, runs it, prints its progress and outcome.
async fn run_plan(
    config: &Config,
    transports: &Arc<Transports>,
    mut dispatcher: Dispatcher,
    planned: Result<Plan, crate::action::Refusal>,
    drill: Option<&str>,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let plan = match planned {
        Ok(p) => p,
        Err(refusal) => {
            writeln!(out, "refused: {}", super::shown(&refusal.to_string()))?;
            return Ok(EXIT_NOT_STARTED);
        }
    };
    if !opts.json {
        write_plan(&plan, out)?;
    }
    if opts.dry_run {
        if !opts.json {
            writeln!(out, "dry run: nothing was run")?;
        }
        return Ok(EXIT_OK);
    }
    let answer = match answer(&plan, opts, out)? {
        Some(a) => a,
        None => return Ok(EXIT_NOT_STARTED),
    };
    let auth = match dispatcher.confirm(config, plan, answer.as_answer()) {
        Ok(a) => a,
        Err(refusal) => {
            writeln!(
                out,
                "refused: {}; nothing was run",
                super::shown(&refusal.to_string())
            )?;
            return Ok(EXIT_NOT_STARTED);
        }
    };
    let (tx, mut rx) = mpsc::channel(256);
    let env = ExecEnv {
        config,
        audit: &opts.audit,
        read_only: config.file.settings.read_only,
        transports,
        known_hosts: opts.known_hosts,
    };
    let steps: Vec<String> = auth.plan().steps.iter().map(|s| s.title.clone()).collect();
    let started = std::time::Instant::now();
    let mut step_started = started;
    let json = opts.json;
    let printer = async {
        let out = &mut *out;
        while let Some(ev) = rx.recv().await {
            if json {
                continue;
            }
            let text = match ev {
                ActionEvent::Step(i) => {
                    let now = std::time::Instant::now();
                    if i > 0 {
                        let _ = writeln!(out, "   ({:.1}s)", (now - step_started).as_secs_f64());
                    }
                    step_started = now;
                    format!(
                        "── step {}/{}: {}",
                        i + 1,
                        steps.len(),
                        steps.get(i).map_or("", String::as_str)
                    )
                }
                ActionEvent::Output(line) => format!("   {}", super::shown(&line)),
            };
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
        if !json && !steps.is_empty() {
            let _ = writeln!(out, "   ({:.1}s)", step_started.elapsed().as_secs_f64());
        }
    };
    let (outcome, ()) = tokio::join!(
        async {
            let o = execute(&auth, &env, &tx).await;
            drop(tx);
            o
        },
        printer
    );
    dispatcher.finished(&auth.plan().subject);
    if let Some(set) = drill {
        let record = DrillRecord::from_outcome(set, Utc::now(), &outcome);
        if let Err(e) = record.save(opts.drills) {
            writeln!(
                out,
                "warning: cannot record the drill in {}: {e}",
                opts.drills.display()
            )?;
        }
        if opts.json {
            writeln!(out, "{}", super::json(&record)?)?;
        }
    }
    if !opts.json {
        let mark = if outcome.succeeded() { "✔" } else { "✘" };
        writeln!(out, "{mark} {}", super::shown(&outcome.summary()))?;
        if let ActionOutcome::Failed { output_tail, .. } = &outcome {
            for l in output_tail {
                writeln!(out, "   | {}", super::shown(l))?;
            }
        }
        for n in outcome.notes() {
            writeln!(out, "   {}", super::shown(n))?;
        }
    }
    Ok(match outcome {
        ActionOutcome::Succeeded { .. } => EXIT_OK,
        ActionOutcome::Refused { .. } => EXIT_NOT_STARTED,
        // What the action changed could not be put back (a rollback that failed too).
        ActionOutcome::Failed {
            put_back: Some(false),
            ..
        } => {
            writeln!(
                out,
                "✘✘ putting things back FAILED: the service needs a person now"
            )?;
            EXIT_NOT_STARTED
        }
        // Refused by the lock: nothing ran but the attempt to take it.
        ActionOutcome::Failed {
            step: 0, ref error, ..
        } if error.contains("lock held") => EXIT_NOT_STARTED,
        ActionOutcome::Failed { .. } | ActionOutcome::Interrupted { .. } => EXIT_FAILED,
    })
}

/// The whole plan, before anything runs.
pub fn write_plan(plan: &Plan, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "{} — on {}", plan.title(), plan.location)?;
    for (i, s) in plan.steps.iter().enumerate() {
        writeln!(out, "  {}. {}", i + 1, super::shown(&s.title))?;
        writeln!(out, "     $ {}", super::shown(&s.command.to_string()))?;
        if let Some(undo) = &s.undo {
            writeln!(
                out,
                "     if a later step fails: {}",
                super::shown(&undo.title)
            )?;
        }
    }
    Ok(())
}

enum Given {
    Yes,
    Typed(String),
}

impl Given {
    fn as_answer(&self) -> Answer<'_> {
        match self {
            Given::Yes => Answer::Yes,
            Given::Typed(t) => Answer::Typed(t),
        }
    }
}

/// The confirmation from the flags, or asked on the terminal; `None` when not given.
fn answer(
    plan: &Plan,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<Option<Given>> {
    let interactive = std::io::stdin().is_terminal();
    use crate::action::ActionKind;
    match &plan.confirmation {
        Confirmation::YesNo if opts.yes => Ok(Some(Given::Yes)),
        // A deploy or rollback on prod: the console asks for the typed name, the command
        // line's --yes stands for it.
        Confirmation::TypeName(name)
            if opts.yes
                && matches!(
                    plan.kind,
                    ActionKind::Deploy | ActionKind::Rollback | ActionKind::Scale
                ) =>
        {
            Ok(Some(Given::Typed(name.clone())))
        }
        Confirmation::TypeName(_) if opts.yes && opts.confirm.is_some() => {
            Ok(opts.confirm.clone().map(Given::Typed))
        }
        Confirmation::TypeName(name) if opts.yes => {
            writeln!(
                out,
                "refused: type the name to confirm: --yes --confirm {name}; nothing was run"
            )?;
            Ok(None)
        }
        _ if !interactive => {
            writeln!(
                out,
                "refused: not confirmed (give --yes{}); nothing was run",
                if matches!(plan.confirmation, Confirmation::TypeName(_)) {
                    " --confirm NAME"
                } else {
                    ""
                }
            )?;
            Ok(None)
        }
        Confirmation::YesNo => {
            write!(out, "run it? [y/N] ")?;
            out.flush()?;
            let line = read_line();
            Ok(matches!(line.trim(), "y" | "Y" | "yes").then_some(Given::Yes))
        }
        Confirmation::TypeName(name) => {
            write!(out, "type `{name}` to confirm: ")?;
            out.flush()?;
            Ok(Some(Given::Typed(read_line().trim().to_owned())))
        }
    }
}

fn read_line() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line
}
