//! SSH hosts: one OpenSSH master per host that we start and own, reused for every command
//! through the `openssh` crate's native multiplexing. Host keys are checked strictly.

mod host_keys;
pub mod login;
mod master;
mod record_stream;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::process::Child;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::output::{Limits, collect, forward_lines};
use super::{CommandOutput, CommandSpec, TransportError};
use crate::config::schema::{Host, HostKeyPolicy};

pub use host_keys::{scan_host_key, trust};
pub use master::connect;
pub use record_stream::RecordStream;

/// sshd's MaxSessions is 10 by default; keep two for the operator's own ssh. Of the 8, one
/// is the host's own reading (the poll stream), log streams may hold `log_channels`, and
/// commands (status probes, checks, actions) share the rest: a merged view of many log
/// sources can never starve a poll or an action.
pub const MAX_CHANNELS: usize = 8;
/// Log streams' share when the config does not say.
pub const LOG_CHANNELS: usize = 4;
/// Set explicitly so that what is trusted does not depend on a build's default.
const GLOBAL_KNOWN_HOSTS: &str = "/etc/ssh/ssh_known_hosts";
/// With ServerAliveInterval 3 and CountMax 2 a dead peer is noticed within ~9 s.
const ALIVE_INTERVAL: u32 = 3;
const ALIVE_COUNT: u32 = 2;

/// Where and how to reach one host.
#[derive(Debug, Clone)]
pub struct SshTarget {
    pub name: String,
    pub destination: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_file: Option<PathBuf>,
    /// The known_hosts file checked first (`~/.ssh/known_hosts` unless the config says).
    pub known_hosts: Option<PathBuf>,
    /// opsdeck's own file, where `:trust` writes.
    pub trusted_file: PathBuf,
    pub policy: HostKeyPolicy,
    pub connect_timeout: Duration,
    /// How much of a command's output is kept.
    pub limits: Limits,
    /// SSH channels log streams may hold at once.
    pub log_channels: usize,
    /// The host's `env`, delivered on each command's stdin.
    pub env: super::CommandEnv,
    /// An interactive host's control socket: its master is opened in the terminal
    /// ([`login::log_in`]) and attached to; `None` for hosts reached with BatchMode only.
    pub login_socket: Option<PathBuf>,
}

impl SshTarget {
    pub fn from_config(host: &Host, trusted_file: &Path) -> Option<Self> {
        Some(Self {
            name: host.name.get_ref().clone(),
            destination: host.address.as_ref()?.get_ref().clone(),
            port: host.port(),
            user: host.user.as_ref().map(|u| u.get_ref().clone()),
            identity_file: host.identity_file.clone(),
            known_hosts: host.known_hosts.clone(),
            trusted_file: trusted_file.to_owned(),
            policy: *host.host_key.get_ref(),
            connect_timeout: Duration::from_secs(5),
            limits: Limits::default(),
            log_channels: LOG_CHANNELS,
            env: super::CommandEnv::from_config(host),
            login_socket: None,
        })
    }

    /// The fleet-wide settings: output limits and the log streams' channel budget.
    pub fn with_settings(mut self, settings: &crate::config::schema::Settings) -> Self {
        self.limits = Limits::from_settings(settings);
        self.log_channels = settings.log_channels();
        self
    }

    /// The user's (or the configured) known_hosts file.
    fn user_known_hosts(&self) -> PathBuf {
        self.known_hosts.clone().unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".ssh/known_hosts")
        })
    }

    /// Every file a key of this host may be on record in.
    fn known_hosts_files(&self) -> [PathBuf; 3] {
        [
            self.trusted_file.clone(),
            self.user_known_hosts(),
            PathBuf::from(GLOBAL_KNOWN_HOSTS),
        ]
    }

    /// opsdeck's own file first: ssh writes new keys (`accept-new`) only to the first file,
    /// so the user's known_hosts is read, never written. ssh splits this option on
    /// whitespace; paths with spaces need quotes.
    fn known_hosts_option(&self) -> String {
        format!(
            "UserKnownHostsFile=\"{}\" \"{}\"",
            self.trusted_file.display(),
            self.user_known_hosts().display()
        )
    }

    /// The host name as known_hosts and ssh-keyscan write it.
    fn key_host(&self) -> String {
        match self.port {
            Some(p) if p != 22 => format!("[{}]:{p}", self.destination),
            _ => self.destination.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshError {
    #[error("host key unknown ({fingerprint}); check it and trust it with :trust {host}")]
    UnknownHostKey {
        host: String,
        fingerprint: String,
        key_lines: Vec<String>,
    },
    #[error("HOST KEY CHANGED (now {fingerprint}); refusing to connect")]
    ChangedHostKey { fingerprint: String },
    /// A key of another type than the one on record: as suspect as a changed key.
    #[error(
        "HOST KEY CHANGED: it now offers a key ({fingerprint}) of a type not on record, \
         where a key of another type is; refusing to connect"
    )]
    KeyTypeChanged { fingerprint: String },
    /// The host refused every way we could authenticate without asking (BatchMode), or
    /// what was typed at the prompts.
    #[error("{0}")]
    AuthFailed(String),
    #[error("{0}")]
    Connect(String),
    #[error("connect timed out after {0:?}")]
    Timeout(Duration),
}

/// A live master connection. Dropping it ends the master process when it is ours; an
/// interactive login's master outlives it (see [`login::Logins::close_all`]).
pub struct SshConnection {
    session: openssh::Session,
    _owned: Option<OwnedMaster>,
    /// Channels for commands.
    channels: Arc<Semaphore>,
    /// Channels for log streams, apart from the commands' ones.
    log_channels: Arc<Semaphore>,
    pub target: SshTarget,
}

/// A master process we started, and the directory of its control socket and log.
struct OwnedMaster {
    _child: Child,
    _dir: tempfile::TempDir,
}

impl SshConnection {
    fn new(session: openssh::Session, owned: Option<OwnedMaster>, target: &SshTarget) -> Self {
        Self {
            session,
            _owned: owned,
            channels: Arc::new(Semaphore::new(
                MAX_CHANNELS.saturating_sub(1 + target.log_channels).max(1),
            )),
            log_channels: Arc::new(Semaphore::new(target.log_channels.max(1))),
            target: target.clone(),
        }
    }

    /// Runs `spec` on the host with a timeout; the argv becomes one quoted shell line.
    pub async fn run(
        &self,
        spec: &CommandSpec,
        timeout: Duration,
    ) -> Result<CommandOutput, TransportError> {
        self.run_streaming(spec, timeout, None).await
    }

    pub async fn run_streaming(
        &self,
        spec: &CommandSpec,
        timeout: Duration,
        lines: Option<mpsc::Sender<String>>,
    ) -> Result<CommandOutput, TransportError> {
        let started = Instant::now();
        let work = async {
            let _permit = self.channel().await;
            let mut child = self.spawn(spec, true).await?;
            let stdout = child.stdout().take().expect("piped");
            let stderr = child.stderr().take().expect("piped");
            let (out, err) = tokio::join!(
                collect(stdout, lines.clone(), self.target.limits),
                collect(stderr, lines, self.target.limits)
            );
            let status = child.wait().await.map_err(ssh_io)?;
            Ok::<_, TransportError>((status, out?, err?))
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(Ok((status, stdout, stderr))) => Ok(CommandOutput {
                exit_code: status.code(),
                stdout,
                stderr,
                duration: started.elapsed(),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(TransportError::Timeout(timeout)),
        }
    }

    /// Starts a long-running command and sends its stdout lines until it ends or the
    /// receiver goes away. Returns the exit code when it ends by itself.
    pub async fn stream(
        &self,
        spec: &CommandSpec,
        lines: mpsc::Sender<String>,
    ) -> Result<Option<i32>, TransportError> {
        // Log streams wait for one of their own channels, never for a command's.
        let _permit = self
            .log_channels
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        let mut child = self.spawn(spec, false).await?;
        let stdout = child.stdout().take().expect("piped");
        if !forward_lines(stdout, &lines, self.target.limits.line).await? {
            let _ = child.disconnect().await;
            return Ok(None);
        }
        Ok(child.wait().await.map_err(ssh_io)?.code())
    }

    /// Starts a long-running command whose output is a series of records, each ended by a
    /// line `end`; read them with [`RecordStream::next`]. The stream owns its channel and a
    /// handle on the master, so it can live in the task that reads it.
    pub async fn record_stream(
        self: &Arc<Self>,
        spec: &CommandSpec,
        end: &str,
    ) -> Result<RecordStream, TransportError> {
        // The host's own reading has the channel set aside for it: no permit to wait for.
        let env = &self.target.env;
        let mut child =
            openssh::Session::to_raw_command(SessionRef(self.clone()), env.shell_line(spec))
                .stdin(stdin_for(env))
                .stdout(openssh::Stdio::piped())
                .stderr(openssh::Stdio::null())
                .spawn()
                .await
                .map_err(ssh_io)?;
        send_env(env, child.stdin().take()).await?;
        let stdout = child.stdout().take().expect("piped");
        Ok(RecordStream::new(child, stdout, end, self.target.limits))
    }

    /// Forwards a local unix socket to one on the host (e.g. `/run/docker.sock`) over the
    /// existing master, so that the Docker API rides the same connection.
    pub async fn forward_unix(&self, local: &Path, remote: &Path) -> Result<(), TransportError> {
        use openssh::{ForwardType, Socket};
        let _ = std::fs::remove_file(local);
        self.session
            .request_port_forward(
                ForwardType::Local,
                Socket::UnixSocket { path: local.into() },
                Socket::UnixSocket {
                    path: remote.into(),
                },
            )
            .await
            .map_err(ssh_io)
    }

    /// Opens a channel and starts `spec`. sshd tears closed sessions down asynchronously, so a
    /// burst of short commands can briefly hit MaxSessions; the command has not started then,
    /// and trying again shortly is safe.
    async fn spawn(
        &self,
        spec: &CommandSpec,
        stderr: bool,
    ) -> Result<openssh::Child<&openssh::Session>, TransportError> {
        let mut delay = Duration::from_millis(10);
        let env = &self.target.env;
        for attempt in 0.. {
            let result = self
                .session
                .raw_command(env.shell_line(spec))
                .stdin(stdin_for(env))
                .stdout(openssh::Stdio::piped())
                .stderr(if stderr {
                    openssh::Stdio::piped()
                } else {
                    openssh::Stdio::null()
                })
                .spawn()
                .await;
            match result {
                Ok(mut child) => {
                    send_env(env, child.stdin().take()).await?;
                    return Ok(child);
                }
                Err(e)
                    if attempt < 5
                        && matches!(e, openssh::Error::SshMux(_) | openssh::Error::ChildIo(_)) =>
                {
                    tracing::debug!(host = %self.target.name, "channel open failed, retrying: {e}");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err(ssh_io(e)),
            }
        }
        unreachable!("the loop returns")
    }

    /// True while the master connection answers.
    pub async fn is_alive(&self) -> bool {
        matches!(
            tokio::time::timeout(Duration::from_secs(3), self.session.check()).await,
            Ok(Ok(()))
        )
    }

    async fn channel(&self) -> OwnedSemaphorePermit {
        self.channels
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is never closed")
    }
}

/// The master's session, shared by a stream that outlives the call that started it.
#[derive(Clone)]
struct SessionRef(Arc<SshConnection>);

impl std::ops::Deref for SessionRef {
    type Target = openssh::Session;
    fn deref(&self) -> &openssh::Session {
        &self.0.session
    }
}

fn stdin_for(env: &super::CommandEnv) -> openssh::Stdio {
    if env.is_empty() {
        openssh::Stdio::null()
    } else {
        openssh::Stdio::piped()
    }
}

/// Writes the host's variables to a command's stdin and closes it (see `transport::env`).
async fn send_env(
    env: &super::CommandEnv,
    stdin: Option<openssh::ChildStdin>,
) -> Result<(), TransportError> {
    use tokio::io::AsyncWriteExt;
    if let Some(mut stdin) = stdin.filter(|_| !env.is_empty()) {
        stdin
            .write_all(&env.stdin_block())
            .await
            .map_err(TransportError::Io)?;
        stdin.shutdown().await.map_err(TransportError::Io)?;
    }
    Ok(())
}

fn ssh_io(e: openssh::Error) -> TransportError {
    TransportError::Io(std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests;
