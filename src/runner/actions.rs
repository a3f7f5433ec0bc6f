//! An authorized action in a task: its progress becomes `ActionOutput` updates and its end
//! an `ActionFinished`, which releases the service's lock in the dispatcher.

use tokio::sync::mpsc;

use crate::action::Authorized;
use crate::action::audit::AuditLog;
use crate::action::execute::{ActionEvent, execute};
use crate::collect::Context;
use crate::protocol::Update;

pub(super) async fn run(ctx: Context, audit: AuditLog, read_only: bool, auth: Authorized) {
    let id = auth.plan().id;
    let (events, mut rx) = mpsc::channel::<ActionEvent>(256);
    let forward = {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            while let Some(ActionEvent::Output(line)) = rx.recv().await {
                ctx.send(Update::ActionOutput {
                    action_id: id,
                    line,
                })
                .await;
            }
        })
    };
    let plan = auth.plan().clone();
    let transports = ctx.transports().clone();
    // A panicking executor must still end the action, or its service stays locked.
    let run =
        tokio::spawn(async move { execute(&auth, &audit, read_only, &transports, &events).await });
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
            crate::action::ActionOutcome::Failed {
                step: 0,
                step_title: "run".into(),
                command: plan.title(),
                exit_code: None,
                error: why,
                output_tail: vec![],
                duration_ms: 0,
            }
        }
    };
    let _ = forward.await;
    ctx.send(Update::ActionFinished {
        action_id: id,
        service: plan.service.clone(),
        outcome,
    })
    .await;
}
