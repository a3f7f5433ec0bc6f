//! `:trust HOST`: the scanned key goes into opsdeck's own known_hosts and the host's
//! reconnect loop is woken.

use crate::collect::Context;
use crate::model::HostId;
use crate::protocol::Update;

pub(super) async fn run(ctx: Context, host: HostId, key_lines: Vec<String>) {
    let Some(target) = ctx.ssh_target(&host) else {
        return;
    };
    let written =
        tokio::task::spawn_blocking(move || crate::transport::ssh::trust(&target, &key_lines))
            .await;
    match written {
        Ok(Ok(())) => {
            tracing::info!(%host, "host key trusted");
            ctx.wake(&host);
        }
        Ok(Err(e)) => {
            let reason = format!("cannot write {}: {e}", ctx.known_hosts().display());
            ctx.send(Update::HostUnreachable { host, reason }).await;
        }
        Err(e) => tracing::error!("trust task failed: {e}"),
    }
}
