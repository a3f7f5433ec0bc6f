//! Interactive logins: hosts whose master cannot be opened with BatchMode (a key with a
//! passphrase that no agent holds, keyboard-interactive, a security key's touch, a
//! bastion's OTP) get it opened by `ssh` in the plain terminal, with OpenSSH's own prompts.
//! Once logged in the master detaches (ControlPersist) onto a control socket of a private
//! directory, and [`super::connect`] attaches to it for as long as it answers.

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use super::master::{Auth, master_command};
use super::{SshError, SshTarget};
use crate::config::Config;
use crate::config::schema::TransportKind;
use crate::model::HostId;

/// A logged-in master with no channel open ends after this long: one left by an opsdeck
/// that was killed does not outlive it by more, and logging in the next hosts one after
/// another has this long before the first one's master would go.
const LOGIN_PERSIST: Duration = Duration::from_secs(600);
/// How long the prompts wait for the operator.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a master has to answer on its control socket.
const ALIVE_TIMEOUT: Duration = Duration::from_secs(3);

/// The hosts whose masters are opened in the terminal, each with its control socket, and
/// why the last login of a host did not work (the reason its row shows).
#[derive(Debug, Default)]
pub struct Logins {
    /// Private to this process (0700); removed with it.
    dir: Option<tempfile::TempDir>,
    /// In the config's order: the order the hosts are logged in.
    hosts: Vec<(HostId, PathBuf)>,
    failures: Mutex<HashMap<HostId, String>>,
}

/// How one login ended.
#[derive(Debug)]
pub enum LoginOutcome {
    LoggedIn,
    /// ctrl-c at a prompt.
    Cancelled,
    TimedOut,
    Failed(SshError),
}

impl LoginOutcome {
    /// Why the host is not logged in, or `None` when it is.
    pub fn reason(&self) -> Option<String> {
        match self {
            LoginOutcome::LoggedIn => None,
            LoginOutcome::Cancelled => Some("login cancelled at the prompt".into()),
            LoginOutcome::TimedOut => Some(format!(
                "login timed out after {}",
                humantime::format_duration(LOGIN_TIMEOUT)
            )),
            LoginOutcome::Failed(SshError::AuthFailed(m)) => Some(format!("login failed: {m}")),
            LoginOutcome::Failed(e) => Some(e.to_string()),
        }
    }

    /// Whether the host waits for the operator to log in again (rather than for the
    /// network: a host that cannot be reached is retried as any other).
    pub fn needs_login(&self) -> bool {
        matches!(
            self,
            LoginOutcome::Cancelled
                | LoginOutcome::TimedOut
                | LoginOutcome::Failed(SshError::AuthFailed(_))
        )
    }
}

impl Logins {
    /// The SSH hosts with `interactive_auth = true`, and those `connect_first` names (all
    /// SSH hosts when it is given empty). A name that is not an SSH host is an error.
    pub fn new(config: &Config, connect_first: Option<&[String]>) -> Result<Self, String> {
        let ssh = |h: &&crate::config::schema::Host| h.transport == TransportKind::Ssh;
        if let Some(names) = connect_first {
            for name in names {
                let found = config.find_host(&HostId::new(name));
                if !found.as_ref().is_some_and(ssh) {
                    let hosts: Vec<&str> = config
                        .file
                        .hosts
                        .iter()
                        .filter(ssh)
                        .map(|h| h.name.get_ref().as_str())
                        .collect();
                    return Err(format!(
                        "--connect-first: `{name}` is not an SSH host of the configuration \
                         (SSH hosts: {})",
                        hosts.join(", ")
                    ));
                }
            }
        }
        let wanted: Vec<HostId> = config
            .file
            .hosts
            .iter()
            .filter(ssh)
            .filter(|h| {
                h.interactive_auth()
                    || connect_first.is_some_and(|n| n.is_empty() || n.contains(h.name.get_ref()))
            })
            .map(|h| HostId::new(h.name.get_ref()))
            .collect();
        if wanted.is_empty() {
            return Ok(Self::default());
        }
        // Unix socket paths are short (108 bytes): a short directory, numbered sockets.
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-login-")
            .tempdir()
            .map_err(|e| format!("cannot create a directory for login sockets: {e}"))?;
        let hosts = wanted
            .into_iter()
            .enumerate()
            .map(|(i, h)| (h, dir.path().join(format!("m{i}"))))
            .collect();
        Ok(Self {
            dir: Some(dir),
            hosts,
            failures: Mutex::default(),
        })
    }

    /// The hosts logged in in the terminal, in order.
    pub fn hosts(&self) -> impl Iterator<Item = &HostId> {
        self.hosts.iter().map(|(h, _)| h)
    }

    pub fn is_interactive(&self, host: &HostId) -> bool {
        self.socket(host).is_some()
    }

    fn socket(&self, host: &HostId) -> Option<&Path> {
        self.hosts
            .iter()
            .find(|(h, _)| h == host)
            .map(|(_, p)| p.as_path())
    }

    /// How to reach `host`, with its login socket when it is logged in in the terminal.
    pub fn target(&self, config: &Config, host: &HostId, known_hosts: &Path) -> Option<SshTarget> {
        let mut target = SshTarget::from_config(config.find_host(host)?, known_hosts)?
            .with_settings(&config.file.settings);
        target.login_socket = self.socket(host).map(Path::to_owned);
        Some(target)
    }

    /// Keeps what a login of `host` ended with: the reason its row shows while it waits.
    pub fn record(&self, host: &HostId, outcome: &LoginOutcome) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match outcome.reason().filter(|_| outcome.needs_login()) {
            Some(reason) => failures.insert(host.clone(), reason),
            None => failures.remove(host),
        };
    }

    /// Why the last login of `host` did not work, if it did not.
    pub fn failure(&self, host: &HostId) -> Option<String> {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(host)
            .cloned()
    }

    /// Ends every logged-in master (`ssh -O exit`): they do not outlive the console.
    pub async fn close_all(&self) {
        let exits = self
            .hosts
            .iter()
            .filter(|(_, ctl)| ctl.exists())
            .map(|(_, ctl)| {
                let mut cmd = tokio::process::Command::new("ssh");
                cmd.arg("-S")
                    .arg(ctl)
                    .args(["-O", "exit", "opsdeck-login"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .kill_on_drop(true);
                async move {
                    let _ = tokio::time::timeout(ALIVE_TIMEOUT, cmd.status()).await;
                }
            });
        futures::future::join_all(exits).await;
        if let Some(dir) = &self.dir {
            tracing::debug!("login masters closed in {}", dir.path().display());
        }
    }
}

/// The log a login master writes next to its socket.
pub(super) fn log_path(ctl: &Path) -> PathBuf {
    ctl.with_extension("log")
}

/// True while a master answers on `ctl`.
pub(super) async fn alive(ctl: &Path) -> bool {
    if !ctl.exists() {
        return false;
    }
    let session = openssh::Session::resume_mux(ctl.to_owned().into_boxed_path(), None);
    matches!(
        tokio::time::timeout(ALIVE_TIMEOUT, session.check()).await,
        Ok(Ok(()))
    )
}

/// Opens `target`'s master in the terminal this process was started in: `ssh` inherits it
/// and asks there (passphrase, keyboard-interactive, OTP), then detaches. Call it only when
/// nothing else reads the terminal or draws on it; ctrl-c at a prompt ends that `ssh`
/// (the caller keeps SIGINT from ending the console).
pub async fn log_in(target: &SshTarget) -> LoginOutcome {
    let Some(ctl) = target.login_socket.as_deref() else {
        return LoginOutcome::Failed(SshError::Connect(format!(
            "{} is not logged in interactively",
            target.name
        )));
    };
    if alive(ctl).await {
        return LoginOutcome::LoggedIn;
    }
    // A socket left by a master that died would make ssh run without one.
    let log = log_path(ctl);
    let _ = std::fs::remove_file(ctl);
    let _ = std::fs::remove_file(&log);
    let mut cmd = master_command(
        target,
        ctl,
        &log,
        Auth::Interactive {
            persist: LOGIN_PERSIST,
        },
    );
    cmd.stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return LoginOutcome::Failed(SshError::Connect(format!("cannot run ssh: {e}"))),
    };
    let status = match tokio::time::timeout(LOGIN_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => return LoginOutcome::Failed(SshError::Connect(format!("ssh: {e}"))),
        Err(_) => {
            terminate(&mut child).await;
            return LoginOutcome::TimedOut;
        }
    };
    if status.signal() == Some(rustix::process::Signal::INT.as_raw()) {
        return LoginOutcome::Cancelled;
    }
    if status.success() && alive(ctl).await {
        return LoginOutcome::LoggedIn;
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    LoginOutcome::Failed(super::host_keys::classify_failure(target, &text, status.code()).await)
}

/// SIGTERM first: ssh puts the terminal back (echo on) before it goes; SIGKILL would not.
async fn terminate(child: &mut tokio::process::Child) {
    if let Some(pid) = child
        .id()
        .and_then(|p| rustix::process::Pid::from_raw(p as i32))
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        if tokio::time::timeout(Duration::from_secs(2), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.kill().await;
}
