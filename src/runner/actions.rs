//! An authorized action in a task: its progress becomes `ActionOutput` updates and its end
//! an `ActionFinished`, which releases its subject's lock in the dispatcher. Actions still
//! running when opsdeck ends get an `interrupted` end in the audit log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;

use crate::action::audit::AuditLog;
use crate::action::backups::{DRILLS_FILE, DrillRecord};
use crate::action::execute::{ActionEvent, ExecEnv, execute};
use crate::action::{ActionKind, ActionOutcome, Authorized, Plan};
use crate::collect::Context;
use crate::protocol::Update;

/// A running action: its plan, the step it is in, since when.
type Running = (Plan, usize, Instant);

/// Actions running now, by id.
#[derive(Clone, Default)]
pub(super) struct InFlight(Arc<Mutex<HashMap<u64, Running>>>);

impl InFlight {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<u64, Running>) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Writes an `interrupted` end for every action still running, and forgets them.
    pub(super) fn interrupt_all(&self, audit: &AuditLog, reason: &str) {
        let running: Vec<_> = self.with(|m| m.drain().map(|(_, v)| v).collect());
        for (plan, step, started) in running {
            let outcome = ActionOutcome::Interrupted {
                step,
                step_title: plan
                    .steps
                    .get(step)
                    .map(|s| s.title.clone())
                    .unwrap_or_default(),
                reason: reason.to_owned(),
                duration_ms: started.elapsed().as_millis() as u64,
                notes: plan
                    .steps
                    .get(step)
                    .and_then(|s| s.if_cut.clone())
                    .map(|s| format!("left: {s}"))
                    .into_iter()
                    .collect(),
            };
            if let Err(e) = audit.record_end(&plan, &outcome) {
                tracing::error!("cannot write the interruption of action {}: {e}", plan.id);
            }
        }
    }
}

pub(super) async fn run(
    ctx: Context,
    audit: AuditLog,
    read_only: bool,
    auth: Authorized,
    in_flight: InFlight,
) {
    let plan = auth.plan().clone();
    let id = plan.id;
    in_flight.with(|m| m.insert(id, (plan.clone(), 0, Instant::now())));
    let (events, mut rx) = mpsc::channel::<ActionEvent>(256);
    let forward = {
        let (ctx, in_flight) = (ctx.clone(), in_flight.clone());
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                match event {
                    ActionEvent::Step(n) => {
                        in_flight.with(|m| {
                            if let Some(entry) = m.get_mut(&id) {
                                entry.1 = n;
                            }
                        });
                        ctx.send(Update::ActionStep {
                            action_id: id,
                            step: n,
                        })
                        .await;
                    }
                    ActionEvent::Output(line) => {
                        ctx.send(Update::ActionOutput {
                            action_id: id,
                            line,
                        })
                        .await;
                    }
                }
            }
        })
    };
    let c = ctx.clone();
    // A panicking executor must still end the action, or its subject stays locked.
    let run = tokio::spawn(async move {
        let env = ExecEnv {
            config: c.config(),
            audit: &audit,
            read_only,
            transports: c.transports(),
            known_hosts: c.known_hosts(),
        };
        execute(&auth, &env, &events).await
    });
    let outcome = match run.await {
        Ok(outcome) => outcome,
        Err(e) => {
            let why = if e.is_panic() {
                format!(
                    "opsdeck failed while running it: {}",
                    crate::collect::context::panic_message(e.into_panic())
                )
            } else {
                "the action was stopped".to_owned()
            };
            ActionOutcome::Failed {
                step: 0,
                step_title: "run".into(),
                command: plan.title(),
                exit_code: None,
                error: why,
                output_tail: vec![],
                duration_ms: 0,
                notes: vec![],
                put_back: None,
            }
        }
    };
    let _ = forward.await;
    in_flight.with(|m| m.remove(&id));
    // A trusted key: the host's reconnect loop need not wait out its backoff.
    if plan.kind == ActionKind::TrustHostKey && outcome.succeeded() {
        ctx.wake(plan.host());
    }
    if let Some(set) = &plan.backup_set {
        if plan.kind == ActionKind::Drill {
            let record = DrillRecord::from_outcome(set, chrono::Utc::now(), &outcome);
            let path = ctx.state_file(DRILLS_FILE);
            let saved = {
                let record = record.clone();
                tokio::task::spawn_blocking(move || record.save(&path)).await
            };
            if let Ok(Err(e)) = saved {
                tracing::error!("cannot keep the drill of {set}: {e}");
            }
            ctx.send(Update::DrillRecorded(record)).await;
        }
        // What the action made or changed shows in the set's listing at once.
        let (c, set) = (ctx.clone(), set.clone());
        ctx.spawn(format!("backups {set}"), None, async move {
            crate::collect::backups::list_once(&c, &set).await;
        });
    }
    ctx.send(Update::ActionFinished {
        action_id: id,
        subject: plan.subject.clone(),
        outcome,
    })
    .await;
}
