//! Opening a host's master connection: `ssh -M -N` with BatchMode, strict host keys and
//! keep-alives, on a control socket of our own that the `openssh` crate then multiplexes.

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

/// `ssh -M -N` with BatchMode for `target` on control socket `ctl`, its log in `log`.
pub(super) fn master_command(target: &SshTarget, ctl: &Path, log: &Path) -> Command {
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
    let auth_options = ["BatchMode=yes".to_owned(), "ControlPersist=no".to_owned()];
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

/// Starts the host's master and waits until its control socket is there.
pub async fn connect(target: &SshTarget) -> Result<SshConnection, SshError> {
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-ssh-")
        .tempdir()
        .map_err(|e| SshError::Connect(format!("cannot create a control directory: {e}")))?;
    let ctl = dir.path().join("master");
    let log = dir.path().join("log");
    let mut cmd = master_command(target, &ctl, &log);
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
    Ok(SshConnection::new(session, owned, target))
}
