//! `:smoke SUITE`: a suite's checks once, at the same time, each with its own retries.

use crate::check::{CheckRunner, Persistence};
use crate::collect::Context;
use crate::protocol::Update;

pub(super) async fn run(ctx: Context, suite: String) {
    let specs = match crate::check::select::suite(ctx.config(), &suite) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("smoke {suite}: {e}");
            vec![]
        }
    };
    let results = futures::future::join_all(specs.into_iter().map(|spec| {
        let ctx = ctx.clone();
        async move {
            let id = spec.id.clone();
            let result = CheckRunner::new(spec)
                .run(ctx.transports(), Persistence::Retries)
                .await;
            ctx.send(Update::CheckResult {
                check: id.clone(),
                result: result.clone(),
            })
            .await;
            (id, result)
        }
    }))
    .await;
    ctx.send(Update::SuiteFinished { suite, results }).await;
}
