//! Running commands on hosts. Shell quoting lives here and nowhere else.

pub mod command;
pub mod docker;
pub mod env;
pub mod local;
pub mod output;
pub mod registry;
pub mod ssh;

pub use command::{CommandOutput, CommandSpec, PositionalScript, quote};
pub use env::CommandEnv;
pub use output::Limits;
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
