//! Opening a host's master connection: `ssh -M -N` with strict host keys and keep-alives,
//! on a control socket that the `openssh` crate then multiplexes. Our own masters run with
//! BatchMode; an interactive host's master, once logged in ([`super::login`]), is attached
//! to instead.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

use super::host_keys::classify_failure;
use super::{
    ALIVE_COUNT, ALIVE_INTERVAL, GLOBAL_KNOWN_HOSTS, OwnedMaster, SshConnection, SshError,
    SshTarget,
};
use crate::config::schema::HostKeyPolicy;

/// How a master authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Auth {
    /// Never asks: what the agent or an unencrypted key allows, or nothing.
    Batch,
    /// OpenSSH's own prompts in the terminal; once logged in it detaches (ControlPersist)
    /// and lives on its own, ended by [`super::login::Logins::close_all`] or by lying idle.
    Interactive { persist: Duration },
}

/// `ssh -M -N` for `target` on control socket `ctl`, its log in `log`: the same options
/// for both kinds of master, BatchMode only for [`Auth::Batch`].
pub(super) fn master_command(target: &SshTarget, ctl: &Path, log: &Path, auth: Auth) -> Command {
    let mut cmd = Command::new("ssh");
    cmd.arg("-M")
        .arg("-N")
        .arg("-S")
        .arg(ctl)
        .arg("-E")
        .arg(log);
    let strict = match target.policy {
        HostKeyPolicy::Strict => "yes",
        HostKeyPolicy::AcceptNew => "accept-new",
    };
    let auth_options = match auth {
        Auth::Batch => ["BatchMode=yes".to_owned(), "ControlPersist=no".to_owned()],
        Auth::Interactive { persist } => [
            "BatchMode=no".to_owned(),
            format!("ControlPersist={}", persist.as_secs().max(1)),
        ],
    };
    for opt in auth_options.into_iter().chain([
        format!("ConnectTimeout={}", target.connect_timeout.as_secs().max(1)),
        format!("ServerAliveInterval={ALIVE_INTERVAL}"),
        format!("ServerAliveCountMax={ALIVE_COUNT}"),
        format!("StrictHostKeyChecking={strict}"),
        target.known_hosts_option(),
        format!("GlobalKnownHostsFile={GLOBAL_KNOWN_HOSTS}"),
    ]) {
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
    cmd
}

/// The host's master: the one its interactive login left, while that answers, or else one
/// of our own with BatchMode.
pub async fn connect(target: &SshTarget) -> Result<SshConnection, SshError> {
    if let Some(ctl) = &target.login_socket
        && super::login::alive(ctl).await
    {
        let session = openssh::Session::resume_mux(
            ctl.clone().into_boxed_path(),
            Some(super::login::log_path(ctl).into_boxed_path()),
        );
        return Ok(SshConnection::new(session, None, target));
    }
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-ssh-")
        .tempdir()
        .map_err(|e| SshError::Connect(format!("cannot create a control directory: {e}")))?;
    let ctl = dir.path().join("master");
    let log = dir.path().join("log");
    let mut cmd = master_command(target, &ctl, &log, Auth::Batch);
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
    let owned = OwnedMaster {
        _child: master,
        _dir: dir,
    };
    Ok(SshConnection::new(session, Some(owned), target))
}
