//! Following a log view's sources (journald, files, Docker) and saving a view to a file.

use std::path::PathBuf;

use crate::collect::logs::{self as followers, LogSink, StreamStart};
use crate::collect::{Context, docker_logs};
use crate::protocol::{FollowSource, LogSpec, Update, Window};

/// Starts one follower per source of view `view`, all in one task; returns its handle so
/// that a new view can stop it.
pub(super) fn follow(
    ctx: &Context,
    view: u64,
    sources: Vec<(usize, FollowSource)>,
    window: Window,
) -> tokio::task::AbortHandle {
    let name = format!("logs view {view} ({} sources)", sources.len());
    let followers = sources.into_iter().map(|(i, source)| {
        let start = StreamStart {
            tail: source.tail,
            window: window.clone(),
        };
        let sink = LogSink {
            view,
            source: i,
            label: source.label.clone(),
            tx: ctx.sender(),
        };
        let transports = ctx.transports().clone();
        async move {
            match source.spec {
                LogSpec::Docker { containers } => {
                    let host = source.host.clone();
                    docker_logs::follow(host, containers, start, sink, transports).await
                }
                _ => followers::follow(source, start, sink, transports).await,
            }
        }
    });
    let all = futures::future::join_all(followers);
    ctx.spawn(name, None, async move {
        all.await;
    })
}

pub(super) async fn save(ctx: Context, name: String, text: String) {
    let result = tokio::task::spawn_blocking(move || save_log(&name, &text))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    ctx.send(Update::LogSaved { result }).await;
}

/// Writes a log view to `$XDG_STATE_HOME/opsdeck/logs/NAME-TIMESTAMP.log`; returns the
/// path and the number of lines.
fn save_log(name: &str, text: &str) -> Result<(PathBuf, usize), String> {
    let dir = crate::config::xdg_dir("XDG_STATE_HOME", ".local/state").join("logs");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!(
        "{name}-{}.log",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    std::fs::write(&path, crate::config::secret::redact(text))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, text.lines().count()))
}
