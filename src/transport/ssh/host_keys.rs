//! Host keys: why a master was refused (unknown, changed, of another type), the key a host
//! offers (ssh-keyscan) and trusting it in opsdeck's own known_hosts file.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::{SshError, SshTarget};

pub(super) async fn classify_failure(target: &SshTarget, log: &str, code: Option<i32>) -> SshError {
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
    if log.contains("Permission denied") || log.contains("Too many authentication failures") {
        return SshError::AuthFailed(reason);
    }
    SshError::Connect(reason)
}

/// ssh refused the host's key without saying it changed: unknown to it — or of a type it
/// has no record of (`No ED25519 host key is known for …`), which is a change when a key
/// of another type is on record.
pub(super) fn refused_key(log: &str) -> bool {
    log.contains("Host key verification failed") || log.contains("host key is known")
}

/// Whether any known_hosts file holds a key (of any type) for the host.
pub(super) async fn on_record(target: &SshTarget) -> bool {
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
