//! The console's runbooks in tasks: reading and filling one, carrying out a step (not an
//! action: those are planned here and confirmed in the popup, then run as any action),
//! recording a run's transitions and saving it, reading the timeline. The same executor
//! and recorder as `opsdeck run`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc;

use crate::action::Dispatcher;
use crate::action::audit::AuditLog;
use crate::collect::Context;
use crate::protocol::{OpenedRunbook, Update};
use crate::runbook::engine::{Event, RunState};
use crate::runbook::exec::{self, Consent, Executor, FleetExecutor, StepFacts};
use crate::runbook::store::RunStore;
use crate::runbook::{self as rb, Filled, Runbook, StepResult};

/// Where runs are saved: `runs/` in opsdeck's state directory (beside its known_hosts),
/// as `opsdeck run` saves them.
fn store(ctx: &Context) -> RunStore {
    let dir = ctx
        .known_hosts()
        .parent()
        .map_or_else(|| PathBuf::from("."), ToOwned::to_owned);
    RunStore::new(&dir)
}

pub(super) async fn open(ctx: Context, name: String, vars: Vec<(String, String)>) {
    let c = ctx.clone();
    let opened = tokio::task::spawn_blocking(move || {
        let config = c.config();
        let book = rb::find(config, &name)?;
        let store = store(&c);
        let saved = store.unfinished(&book.name);
        // A saved run keeps its own variables; new ones are checked as `opsdeck run` does.
        let vars: BTreeMap<String, String> = match (&saved, vars.is_empty()) {
            (Some(s), true) => s.vars.clone(),
            _ => book.resolve_vars(&vars)?,
        };
        let filled = exec::fill_all(&book, config, &vars)?;
        let facts = exec::facts(config, &filled);
        Ok::<_, String>(Box::new(OpenedRunbook {
            new_id: store.new_id(&book.name, Utc::now()),
            saved: saved.filter(|s| s.vars == vars),
            book: Arc::new(book),
            filled: Arc::new(filled),
            facts: Arc::new(facts),
            vars,
        }))
    })
    .await
    .unwrap_or_else(|e| Err(format!("reading the runbook failed: {e}")));
    ctx.send(Update::RunbookOpened(opened)).await;
}

/// One try of a step that is not an action. An action step reaching here is refused: the
/// console plans it ([`prepare`]) and confirms it in its popup.
pub(super) async fn step(
    ctx: Context,
    audit: AuditLog,
    read_only: bool,
    run_id: String,
    step: usize,
    book: Arc<Runbook>,
    filled: Arc<Vec<Filled>>,
) {
    let (tx, mut rx) = mpsc::channel::<String>(256);
    let forward = {
        let (ctx, run_id) = (ctx.clone(), run_id.clone());
        async move {
            while let Some(line) = rx.recv().await {
                ctx.send(Update::RunbookOutput {
                    run_id: run_id.clone(),
                    step,
                    line,
                })
                .await;
            }
        }
    };
    let work = async {
        let config = ctx.config();
        // Not used: action steps do not come here. The executor wants one all the same.
        let mut dispatcher = Dispatcher::new(read_only || config.file.settings.read_only);
        let mut executor = FleetExecutor {
            config,
            transports: ctx.transports(),
            audit: &audit,
            known_hosts: ctx.known_hosts(),
            read_only,
            dispatcher: &mut dispatcher,
            confirm: Box::new(|_| Consent::No("action steps are confirmed in the popup".into())),
        };
        let limit = exec::await_limit(book.steps[step].timeout);
        let fut = executor.execute(&book, step, &filled[step], &tx);
        let result = match limit {
            Some(l) => tokio::time::timeout(l, fut)
                .await
                .unwrap_or_else(|_| StepResult::failed("timed out")),
            None => fut.await,
        };
        drop(executor);
        drop(tx);
        result
    };
    let (result, ()) = tokio::join!(work, forward);
    ctx.send(Update::RunbookStepDone {
        run_id,
        step,
        result,
    })
    .await;
}

/// What action step `step` needs for its plan.
pub(super) async fn prepare(
    ctx: Context,
    audit: AuditLog,
    run_id: String,
    step: usize,
    filled: Arc<Vec<Filled>>,
) {
    let result = exec::prepare(ctx.config(), ctx.transports(), &audit, &filled[step]).await;
    ctx.send(Update::RunbookPrepared {
        run_id,
        step,
        result,
    })
    .await;
}

/// A run's transitions to write and its state to save.
pub(super) struct SaveJob {
    pub book: Arc<Runbook>,
    pub state: Box<RunState>,
    pub facts: Arc<Vec<StepFacts>>,
    pub events: Vec<Event>,
}

/// One task writes every run's transitions and saves, in the order they were asked for:
/// the audit log keeps the order of what happened, and a later state is never overwritten
/// by an earlier one.
pub(super) fn saver(ctx: &Context, audit: AuditLog) -> mpsc::UnboundedSender<SaveJob> {
    let (tx, mut rx) = mpsc::unbounded_channel::<SaveJob>();
    let c = ctx.clone();
    ctx.spawn("runbook saves".into(), None, async move {
        let store = store(&c);
        while let Some(job) = rx.recv().await {
            let (audit, store) = (audit.clone(), store.clone());
            let run_id = job.state.id.clone();
            let done = tokio::task::spawn_blocking(move || {
                exec::record_events(&audit, &job.book, &job.state, &job.facts, &job.events)
                    .map_err(|e| format!("the audit log was not written: {e}"))?;
                store
                    .save(&job.state)
                    .map(|_| ())
                    .map_err(|e| format!("the run was not saved: {e}"))
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            if let Err(error) = done {
                tracing::error!("runbook run {run_id}: {error}");
                c.send(Update::RunbookNotSaved { run_id, error }).await;
            }
        }
    });
    tx
}

/// The audit log as timeline rows, from `since` (`2h`, a time) when given.
pub(super) async fn timeline(ctx: Context, audit: AuditLog, since: Option<String>) {
    let loaded = tokio::task::spawn_blocking(move || {
        let since = since
            .map(|s| rb::timeline::parse_time(&s, Utc::now()))
            .transpose()?;
        let text = match std::fs::read_to_string(audit.path()) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", audit.path().display())),
        };
        let filter = rb::timeline::Filter {
            since,
            ..Default::default()
        };
        Ok(rb::timeline::build(&text, &filter))
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    ctx.send(Update::TimelineLoaded(loaded)).await;
}
