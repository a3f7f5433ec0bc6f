//! SSH hosts: one OpenSSH master per host that we start and own, reused for every command
//! through the `openssh` crate's native multiplexing. Host keys are checked strictly.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::output::{Limits, collect, forward_lines};
use super::{CommandOutput, CommandSpec, TransportError};
use crate::config::schema::{Host, HostKeyPolicy};

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
    #[error("{0}")]
    Connect(String),
    #[error("connect timed out after {0:?}")]
    Timeout(Duration),
}

/// A live master connection. Dropping it ends the master process.
pub struct SshConnection {
    session: openssh::Session,
    _master: Child,
    _dir: tempfile::TempDir,
    /// Channels for commands.
    channels: Arc<Semaphore>,
    /// Channels for log streams, apart from the commands' ones.
    log_channels: Arc<Semaphore>,
    pub target: SshTarget,
}

pub async fn connect(target: &SshTarget) -> Result<SshConnection, SshError> {
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-ssh-")
        .tempdir()
        .map_err(|e| SshError::Connect(format!("cannot create a control directory: {e}")))?;
    let ctl = dir.path().join("master");
    let log = dir.path().join("log");
    let mut cmd = Command::new("ssh");
    cmd.arg("-M")
        .arg("-N")
        .arg("-S")
        .arg(&ctl)
        .arg("-E")
        .arg(&log);
    let strict = match target.policy {
        HostKeyPolicy::Strict => "yes",
        HostKeyPolicy::AcceptNew => "accept-new",
    };
    for opt in [
        "BatchMode=yes".to_owned(),
        "ControlPersist=no".to_owned(),
        format!("ConnectTimeout={}", target.connect_timeout.as_secs().max(1)),
        format!("ServerAliveInterval={ALIVE_INTERVAL}"),
        format!("ServerAliveCountMax={ALIVE_COUNT}"),
        format!("StrictHostKeyChecking={strict}"),
        target.known_hosts_option(),
        format!("GlobalKnownHostsFile={GLOBAL_KNOWN_HOSTS}"),
    ] {
        cmd.arg("-o").arg(opt);
    }
    if let Some(p) = target.port {
        cmd.arg("-p").arg(p.to_string());
    }
    if let Some(u) = &target.user {
        cmd.arg("-l").arg(u);
    }
    if let Some(k) = &target.identity_file {
        cmd.arg("-o").arg("IdentitiesOnly=yes").arg("-i").arg(k);
    }
    // Names are validated at load (no leading `-`); `--` makes sure anyway.
    cmd.arg("--").arg(&target.destination);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut master = cmd
        .spawn()
        .map_err(|e| SshError::Connect(format!("cannot run ssh: {e}")))?;

    let deadline = Instant::now() + target.connect_timeout + Duration::from_secs(2);
    loop {
        if ctl.exists() {
            break;
        }
        if let Ok(Some(status)) = master.try_wait() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(classify_failure(target, &text, status.code()).await);
        }
        if Instant::now() > deadline {
            return Err(SshError::Timeout(target.connect_timeout));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let session = openssh::Session::resume_mux(ctl.into_boxed_path(), Some(log.into_boxed_path()));
    Ok(SshConnection {
        session,
        _master: master,
        _dir: dir,
        channels: Arc::new(Semaphore::new(
            MAX_CHANNELS.saturating_sub(1 + target.log_channels).max(1),
        )),
        log_channels: Arc::new(Semaphore::new(target.log_channels.max(1))),
        target: target.clone(),
    })
}

async fn classify_failure(target: &SshTarget, log: &str, code: Option<i32>) -> SshError {
    if log.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        let fingerprint = log
            .split_whitespace()
            .find(|w| w.starts_with("SHA256:"))
            .unwrap_or("unknown fingerprint")
            .trim_end_matches('.')
            .to_owned();
        return SshError::ChangedHostKey { fingerprint };
    }
    if refused_key(log) {
        let (fingerprint, key_lines) = scan_host_key(target)
            .await
            .unwrap_or_else(|e| (format!("fingerprint unavailable: {e}"), vec![]));
        // Unknown only if nothing at all is on record for the host: a key of another type
        // on record means the host now presents a different key.
        if on_record(target).await {
            return SshError::KeyTypeChanged { fingerprint };
        }
        return SshError::UnknownHostKey {
            host: target.name.clone(),
            fingerprint,
            key_lines,
        };
    }
    let reason = log
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("Warning:"))
        .map_or_else(
            || format!("ssh exited with {code:?}"),
            |l| l.trim_start_matches("ssh: ").to_owned(),
        );
    SshError::Connect(reason)
}

/// ssh refused the host's key without saying it changed: unknown to it — or of a type it
/// has no record of (`No ED25519 host key is known for …`), which is a change when a key
/// of another type is on record.
fn refused_key(log: &str) -> bool {
    log.contains("Host key verification failed") || log.contains("host key is known")
}

/// Whether any known_hosts file holds a key (of any type) for the host.
async fn on_record(target: &SshTarget) -> bool {
    let host = target.key_host();
    for file in target.known_hosts_files() {
        if !file.exists() {
            continue;
        }
        let found = Command::new("ssh-keygen")
            .arg("-F")
            .arg(&host)
            .arg("-f")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Ok(Ok(status)) = tokio::time::timeout(Duration::from_secs(5), found).await
            && status.success()
        {
            return true;
        }
    }
    false
}

/// Fetches the host's keys (ssh-keyscan) and their SHA256 fingerprint, without trusting them.
pub async fn scan_host_key(target: &SshTarget) -> Result<(String, Vec<String>), String> {
    let mut cmd = Command::new("ssh-keyscan");
    cmd.arg("-T").arg("3").arg("-t").arg("ed25519");
    if let Some(p) = target.port {
        cmd.arg("-p").arg(p.to_string());
    }
    let out = tokio::time::timeout(
        Duration::from_secs(5),
        cmd.arg("--")
            .arg(&target.destination)
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .map_err(|_| "ssh-keyscan timed out".to_owned())?
    .map_err(|e| format!("cannot run ssh-keyscan: {e}"))?;
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    if lines.is_empty() {
        return Err("no key returned".into());
    }
    let mut keygen = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = keygen.stdin.take().expect("piped");
        stdin
            .write_all(lines.join("\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        stdin.write_all(b"\n").await.map_err(|e| e.to_string())?;
    }
    let out = keygen.wait_with_output().await.map_err(|e| e.to_string())?;
    let fp = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .map(str::to_owned)
        .ok_or("ssh-keygen printed no fingerprint")?;
    Ok((fp, lines))
}

/// Appends scanned keys to opsdeck's own known_hosts file (never the user's).
pub fn trust(target: &SshTarget, key_lines: &[String]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = target.trusted_file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&target.trusted_file)?;
    let host = target.key_host();
    for line in key_lines {
        // ssh-keyscan writes the host field itself; keep it only when it names this host.
        let mut parts = line.splitn(2, ' ');
        let (field, rest) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let field = if field == host { field } else { host.as_str() };
        writeln!(f, "{field} {rest}")?;
    }
    f.sync_data()
}

impl SshConnection {
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
        Ok(RecordStream {
            _child: child,
            reader: tokio::io::BufReader::with_capacity(16 * 1024, stdout),
            end: end.to_owned(),
            line: Vec::new(),
            record: String::new(),
            limits: self.target.limits,
        })
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

/// Records of a long-running command ([`SshConnection::record_stream`]); dropping it
/// closes the channel, which ends the command on the host.
pub struct RecordStream {
    _child: openssh::Child<SessionRef>,
    reader: tokio::io::BufReader<openssh::ChildStdout>,
    end: String,
    /// The line being read, kept across cancelled calls.
    line: Vec<u8>,
    /// The record being read, kept across cancelled calls.
    record: String,
    limits: Limits,
}

impl RecordStream {
    /// The next record (without its end line); `None` when the command has ended, a
    /// timeout when none completes within `quiet` (a stalled peer).
    ///
    /// Cancel-safe: dropped mid-record (a `select!` that took another branch), it keeps what
    /// it had read — the record so far and the partial line — and the next call goes on
    /// from there, so a record is never split in two.
    pub async fn next(&mut self, quiet: Duration) -> Result<Option<String>, TransportError> {
        let read = next_record(
            &mut self.reader,
            &mut self.line,
            &mut self.record,
            &self.end,
            self.limits,
        );
        match tokio::time::timeout(quiet, read).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(TransportError::Timeout(quiet)),
        }
    }
}

/// One record from `reader`; what was read so far lives in `line` and `record`, so a
/// cancelled call loses nothing (see [`RecordStream::next`]).
async fn next_record<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    record: &mut String,
    end: &str,
    limits: Limits,
) -> std::io::Result<Option<String>> {
    loop {
        // Bytes are appended to `line` before they are consumed: nothing is lost at an
        // await point. It returns at a line's end or the stream's: `line` is whole here.
        let (n, dropped) = super::output::read_line_capped(reader, line, limits.line).await?;
        if n == 0 && line.is_empty() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(line).into_owned();
        line.clear();
        if dropped == 0 && text.trim_end_matches(['\n', '\r']) == end {
            return Ok(Some(std::mem::take(record)));
        }
        // A flooding host gets its record cut, not the console's memory.
        if record.len() < limits.output {
            record.push_str(&text);
            if dropped > 0 {
                record.push('\n');
            }
        }
    }
}

fn ssh_io(e: openssh::Error) -> TransportError {
    TransportError::Io(std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests;
