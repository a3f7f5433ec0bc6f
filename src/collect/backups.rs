//! Backup sets, listed on their hosts every [`LIST_EVERY`] (and at once when an action
//! asks, after a backup or restore): one task per set, each waiting for its host's
//! connection, never holding up the others.

use std::time::Duration;

use chrono::Utc;

use super::context::Context;
use crate::backup::list_set;
use crate::config::schema::TransportKind;
use crate::model::HostId;
use crate::protocol::Update;
use crate::transport::Target;

/// How often a set is listed: backups are made hours apart.
pub const LIST_EVERY: Duration = Duration::from_secs(60);
/// How long a listing waits for its host's connection before it says there is none.
const CONNECT_WAIT: Duration = Duration::from_secs(15);
/// One listing's time limit (each of its commands).
pub const LIST_TIMEOUT: Duration = Duration::from_secs(30);

/// Lists set `name` now and then, until the console goes.
pub async fn run(ctx: Context, name: String) {
    loop {
        if !list_once(&ctx, &name).await {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(LIST_EVERY) => {}
            _ = ctx.refresh_requested() => {}
        }
    }
}

/// One listing of set `name`, reported as [`Update::BackupsListed`]; false once the app
/// has gone.
pub async fn list_once(ctx: &Context, name: &str) -> bool {
    let config = ctx.config().clone();
    let Some(set) = config
        .file
        .backups
        .iter()
        .find(|b| b.name.get_ref() == name)
    else {
        return true;
    };
    let host = HostId::new(set.host.get_ref());
    let target = match config.find_host(&host).map(|h| h.transport) {
        Some(TransportKind::Ssh) => {
            // Not connected (yet, or any more): give the host's loop a moment, then say so;
            // the host row says why.
            let deadline = tokio::time::Instant::now() + CONNECT_WAIT;
            while ctx.transports().ssh(&host).is_none() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            if ctx.transports().ssh(&host).is_none() {
                let result = Err(format!("{host} is not connected"));
                return ctx
                    .send(Update::BackupsListed {
                        set: name.to_owned(),
                        result,
                    })
                    .await;
            }
            Target::Ssh(host)
        }
        _ => Target::Local,
    };
    let result = list_set(set, &target, ctx.transports(), LIST_TIMEOUT, Utc::now())
        .await
        .map_err(|e| e.to_string());
    ctx.send(Update::BackupsListed {
        set: name.to_owned(),
        result,
    })
    .await
}
