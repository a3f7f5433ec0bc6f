//! Running commands on hosts. Shell quoting lives here and nowhere else.

pub mod command;
pub mod docker;
pub mod local;
pub mod registry;
pub mod ssh;

pub use command::{CommandOutput, CommandSpec, quote};
pub use registry::{Target, Transports};

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("timed out after {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("host {0} is not connected")]
    NotConnected(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Sends each line of a streamed command's output to `lines` until the output ends (true)
/// or the receiver has gone (false). Shared by the local and ssh streams.
pub(crate) async fn forward_lines(
    reader: impl tokio::io::AsyncRead + Unpin,
    lines: &tokio::sync::mpsc::Sender<String>,
) -> std::io::Result<bool> {
    use tokio::io::AsyncBufReadExt;
    let mut reader = tokio::io::BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).await? == 0 {
            return Ok(true);
        }
        let line = String::from_utf8_lossy(&buf)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        if lines.send(line).await.is_err() {
            return Ok(false);
        }
    }
}
