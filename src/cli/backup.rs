//! `opsdeck backup SET`, `opsdeck restore SET KEY|latest`, `opsdeck drill SET`: the
//! console's backup actions without the console — the same plans, the same dispatcher
//! (read-only, locks, the typed confirmation, the audit log) and the same executor.
//!
//! Exit codes: 0 the action succeeded; 1 a step failed (or was interrupted); 2 it could not
//! start: an unknown set or backup, refused by read-only, a wrong or missing confirmation,
//! an unreachable host.

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
use crate::backup::Backup;
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
    Backup,
    Restore { key: &'a str },
    Drill,
}

pub async fn run(
    config: &Config,
    set: &str,
    what: What<'_>,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
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
        What::Backup => dispatcher.plan_backup(config, set, now),
        What::Restore { key } => match choose(config, &transports, set, key).await {
            Ok(b) => dispatcher.plan_restore(config, set, &b, now),
            Err(e) => {
                writeln!(out, "error: {}", super::shown(&e))?;
                return Ok(EXIT_NOT_STARTED);
            }
        },
        What::Drill => match choose(config, &transports, set, "latest").await {
            Ok(b) => dispatcher.plan_drill(config, set, &b, now),
            Err(e) => {
                writeln!(out, "error: {}", super::shown(&e))?;
                return Ok(EXIT_NOT_STARTED);
            }
        },
    };
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
        transports: &transports,
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
    if matches!(what, What::Drill) {
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
        ActionOutcome::Failed { .. } | ActionOutcome::Interrupted { .. } => EXIT_FAILED,
    })
}

/// The backup `key` of the set (`latest`: the newest on the host), as listed now.
async fn choose(
    config: &Config,
    transports: &Transports,
    set: &str,
    key: &str,
) -> Result<Backup, String> {
    let cfg = config
        .file
        .backups
        .iter()
        .find(|b| b.name.get_ref() == set)
        .ok_or_else(|| format!("unknown backup set `{set}`"))?;
    let target = crate::transport::Target::of(config, &HostId::new(cfg.host.get_ref()));
    let listing = crate::backup::list_set(
        cfg,
        &target,
        transports,
        crate::action::backups::VERIFY_TIMEOUT,
        Utc::now(),
    )
    .await
    .map_err(|e| format!("cannot list {set}: {e}"))?;
    let found = if key == "latest" {
        listing.backups.iter().find(|b| b.local)
    } else {
        listing.backups.iter().find(|b| b.key == key)
    };
    match found {
        Some(b) if b.local => Ok(b.clone()),
        Some(b) => Err(format!(
            "backup {} of {set} is only off-site: copy it to the host first",
            b.key
        )),
        None if listing.backups.is_empty() => Err(format!("{set} has no backups")),
        None => {
            let keys: Vec<&str> = listing
                .backups
                .iter()
                .take(5)
                .map(|b| b.key.as_str())
                .collect();
            Err(format!(
                "{set} has no backup `{key}` (newest: {})",
                keys.join(", ")
            ))
        }
    }
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
    match &plan.confirmation {
        Confirmation::YesNo if opts.yes => Ok(Some(Given::Yes)),
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
