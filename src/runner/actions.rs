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
    let outcome = execute(&auth, &audit, read_only, ctx.transports(), &events).await;
    drop(events);
    let _ = forward.await;
    ctx.send(Update::ActionFinished {
        action_id: id,
        service: auth.plan().service.clone(),
        outcome,
    })
    .await;
}
