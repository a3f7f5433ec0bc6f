//! The effect runner: carries out the `Effect`s the reducer returns — actions the
//! dispatcher authorized, log streams, smoke suites, trusting a host key, saving a log
//! view, refreshing now. It sits beside the supervisor (which only starts collectors) and
//! shares the collectors' [`Context`]; every effect runs in a task of its own, so the
//! console never waits on one.

mod actions;
mod logs;
mod runbook;
mod suite;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::action::audit::AuditLog;
use crate::collect::{Context, supervisor};
use crate::config::Config;
use crate::protocol::{Effect, Update};

pub struct RunnerOptions {
    pub audit: AuditLog,
    pub read_only: bool,
}

/// How the core is started: where the audit goes, read-only, opsdeck's known_hosts.
pub struct CoreOptions {
    pub audit: AuditLog,
    pub read_only: bool,
    /// opsdeck's own known_hosts file, where `:trust` writes.
    pub known_hosts: PathBuf,
}

/// The core without a screen — collectors started by the supervisor and an effect runner
/// over the same context, reporting on `tx`. The console runs this; tests drive it.
pub fn start(config: Arc<Config>, tx: mpsc::Sender<Update>, opts: CoreOptions) -> EffectRunner {
    start_with_logins(config, tx, opts, Arc::default())
}

/// As [`start`], with the hosts whose masters are opened in the terminal (`logins`).
pub fn start_with_logins(
    config: Arc<Config>,
    tx: mpsc::Sender<Update>,
    opts: CoreOptions,
    logins: Arc<crate::transport::ssh::login::Logins>,
) -> EffectRunner {
    let ctx = Context::with_logins(config, tx, opts.known_hosts, logins);
    supervisor::start(&ctx);
    EffectRunner::new(
        ctx,
        RunnerOptions {
            audit: opts.audit,
            read_only: opts.read_only,
        },
    )
}

pub struct EffectRunner {
    ctx: Context,
    audit: AuditLog,
    read_only: bool,
    /// The log stream the operator is looking at; a new one replaces it.
    log_stream: Mutex<Option<tokio::task::AbortHandle>>,
    in_flight: actions::InFlight,
    /// Runbook runs' transitions and saves, written in order by one task.
    saves: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<runbook::SaveJob>>,
}

impl EffectRunner {
    pub fn new(ctx: Context, opts: RunnerOptions) -> Self {
        Self {
            ctx,
            audit: opts.audit,
            read_only: opts.read_only,
            log_stream: Mutex::new(None),
            in_flight: actions::InFlight::default(),
            saves: std::sync::OnceLock::new(),
        }
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    pub fn perform(&self, effect: Effect) {
        let ctx = &self.ctx;
        match effect {
            Effect::Execute(auth) => {
                let name = format!("action {}", auth.plan().title());
                let host = Some(auth.plan().host().clone());
                let run = actions::run(
                    ctx.clone(),
                    self.audit.clone(),
                    self.read_only,
                    auth,
                    self.in_flight.clone(),
                );
                ctx.spawn(name, host, run);
            }
            Effect::RefreshNow => ctx.request_refresh(),
            Effect::ListVersions { service } => {
                let c = ctx.clone();
                ctx.spawn(format!("versions {service}"), None, async move {
                    let result =
                        crate::action::deploys::list_versions(c.config(), c.transports(), &service)
                            .await;
                    c.send(Update::VersionsListed { service, result }).await;
                });
            }
            Effect::Note { text } => {
                let (c, audit) = (ctx.clone(), self.audit.clone());
                ctx.spawn("note".into(), None, async move {
                    let body = serde_json::json!({ "text": text });
                    let written =
                        tokio::task::spawn_blocking(move || audit.record("note", &body)).await;
                    let result = match written {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    c.send(Update::Noted { result }).await;
                });
            }
            Effect::Audit { kind, body } => {
                let audit = self.audit.clone();
                ctx.spawn(format!("audit {kind}"), None, async move {
                    let written =
                        tokio::task::spawn_blocking(move || audit.record(kind, &body)).await;
                    match written {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => {
                            tracing::error!("cannot write a {kind} entry to the audit log: {e}")
                        }
                        Err(e) => {
                            tracing::error!("cannot write a {kind} entry to the audit log: {e}")
                        }
                    }
                });
            }
            Effect::OpenRunbook { name, vars } => {
                ctx.spawn(
                    format!("runbook {name}"),
                    None,
                    runbook::open(ctx.clone(), name, vars),
                );
            }
            Effect::RunbookStep {
                run_id,
                step,
                book,
                filled,
            } => {
                let name = format!("runbook {} step {}", book.name, step + 1);
                let work = runbook::step(
                    ctx.clone(),
                    self.audit.clone(),
                    self.read_only,
                    run_id,
                    step,
                    book,
                    filled,
                );
                ctx.spawn(name, None, work);
            }
            Effect::RunbookPrepare {
                run_id,
                step,
                filled,
            } => {
                let work = runbook::prepare(ctx.clone(), self.audit.clone(), run_id, step, filled);
                ctx.spawn(format!("runbook step {} plan", step + 1), None, work);
            }
            Effect::RunbookSave {
                book,
                state,
                facts,
                events,
            } => {
                let saver = self
                    .saves
                    .get_or_init(|| runbook::saver(ctx, self.audit.clone()));
                let job = runbook::SaveJob {
                    book,
                    state,
                    facts,
                    events,
                };
                if saver.send(job).is_err() {
                    tracing::error!(
                        "the runbook saver has stopped: a run's transitions were not written"
                    );
                }
            }
            Effect::LoadTimeline { since } => {
                let work = runbook::timeline(ctx.clone(), self.audit.clone(), since);
                ctx.spawn("timeline".into(), None, work);
            }
            Effect::ReadLock { service } => {
                let c = ctx.clone();
                ctx.spawn(format!("lock {service}"), None, async move {
                    let holder =
                        crate::action::deploys::read_lock(c.config(), c.transports(), &service)
                            .await;
                    c.send(Update::LockRead { service, holder }).await;
                });
            }
            // The console carries these out itself: they need the terminal.
            Effect::Login { host } => tracing::warn!(%host, "a login reached the effect runner"),
            Effect::ListBackups { set } => {
                let c = ctx.clone();
                ctx.spawn(format!("backups {set}"), None, async move {
                    crate::collect::backups::list_once(&c, &set).await;
                });
            }
            Effect::RunSuite { suite } => {
                ctx.spawn(
                    format!("smoke {suite}"),
                    None,
                    suite::run(ctx.clone(), suite),
                );
            }
            Effect::FollowLogs {
                view,
                sources,
                window,
            } => {
                let handle = logs::follow(ctx, view, sources, window);
                self.replace_log_stream(Some(handle));
            }
            Effect::StopLogs => self.replace_log_stream(None),
            Effect::SaveLog { name, text } => {
                ctx.spawn(
                    format!("save {name}"),
                    None,
                    logs::save(ctx.clone(), name, text),
                );
            }
        }
    }

    /// opsdeck is ending with actions still running: each gets an `interrupted` end in the
    /// audit log (what it did on its host is not known). Blocking: call it on the way out.
    pub fn interrupt_running(&self, reason: &str) {
        self.in_flight.interrupt_all(&self.audit, reason);
    }

    fn replace_log_stream(&self, new: Option<tokio::task::AbortHandle>) {
        let mut slot = self.log_stream.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = std::mem::replace(&mut *slot, new) {
            old.abort();
        }
    }
}
