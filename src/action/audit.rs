//! The audit log: append-only JSON lines, one when an action starts (synced to disk before
//! anything runs) and one when it ends; runbook runs, their steps and the operator's notes
//! go in beside them (`kind`: `action` when absent, `runbook`, `runbook_step`, `note`).
//! Every line says who: the login name and, when opsdeck runs over SSH, the client's
//! address. Secrets are redacted from every line.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::outcome::ActionOutcome;
use super::plan::Plan;
use crate::config::secret::to_redacted_json;

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

#[derive(Debug, Serialize)]
struct Entry<'a> {
    ts: DateTime<Utc>,
    kind: &'a str,
    event: &'a str,
    action_id: u64,
    user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    action: &'a str,
    host: &'a str,
    service: String,
    location: &'a str,
    commands: Vec<String>,
    /// The version a deploy or rollback moves to.
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    /// What a `record` event recorded (the version running before a deploy).
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    outcome: Option<&'a ActionOutcome>,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Blocking: appends and fsyncs. Run it on a blocking thread.
    pub fn record_start(&self, plan: &Plan) -> std::io::Result<()> {
        self.append(plan, "start", None, None)
    }

    pub fn record_end(&self, plan: &Plan, outcome: &ActionOutcome) -> std::io::Result<()> {
        self.append(plan, "end", Some(outcome), None)
    }

    /// A fact learnt while the action runs (`record`: what ran before a deploy), synced
    /// before the step that changes anything.
    pub fn record_note(&self, plan: &Plan, event: &str, note: &str) -> std::io::Result<()> {
        self.append(plan, event, None, Some(note))
    }

    /// Every entry so far, oldest first; lines that do not parse are skipped.
    pub fn entries(&self) -> std::io::Result<Vec<serde_json::Value>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
            Err(e) => Err(e),
        }
    }

    fn append(
        &self,
        plan: &Plan,
        event: &str,
        outcome: Option<&ActionOutcome>,
        note: Option<&str>,
    ) -> std::io::Result<()> {
        let entry = Entry {
            ts: Utc::now(),
            kind: "action",
            event,
            action_id: plan.id,
            user: operator(),
            from: ssh_client(),
            action: plan.kind.name(),
            host: plan.host().as_str(),
            service: plan
                .subject
                .service()
                .map(ToString::to_string)
                .unwrap_or_default(),
            location: &plan.location,
            commands: plan.steps.iter().map(|s| s.command.to_string()).collect(),
            version: plan.version.as_deref(),
            note,
            outcome,
        };
        let line = to_redacted_json(&entry, false).map_err(std::io::Error::other)?;
        self.append_line(line)
    }

    /// Blocking: appends one entry of another `kind` (`runbook`, `runbook_step`, `note`):
    /// the time, who, then the fields of `body` (an object). Appends and fsyncs.
    pub fn record(&self, kind: &str, body: &impl Serialize) -> std::io::Result<()> {
        let mut entry = serde_json::json!({
            "ts": Utc::now(),
            "kind": kind,
            "user": operator(),
        });
        if let Some(from) = ssh_client() {
            entry["from"] = from.into();
        }
        if let serde_json::Value::Object(fields) =
            serde_json::to_value(body).map_err(std::io::Error::other)?
        {
            for (k, v) in fields {
                entry[k] = v;
            }
        }
        let line = to_redacted_json(&entry, false).map_err(std::io::Error::other)?;
        self.append_line(line)
    }

    fn append_line(&self, mut line: String) -> std::io::Result<()> {
        line.push('\n');
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(line.as_bytes())?;
        file.sync_data()
    }
}

/// Who acted: the login name (`$USER`, `$LOGNAME`, else the uid's name in /etc/passwd),
/// the uid only when the system has no name for it.
pub fn operator() -> String {
    let uid = rustix::process::getuid().as_raw();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    env("USER")
        .or_else(|| env("LOGNAME"))
        .or_else(|| {
            let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
            passwd_name(&passwd, uid)
        })
        .unwrap_or_else(|| format!("uid:{uid}"))
}

/// The name of `uid` in an /etc/passwd text.
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id: u32 = f.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// The SSH client's address when opsdeck itself runs in an SSH session
/// (`SSH_CONNECTION` = `client-ip client-port server-ip server-port`).
pub fn ssh_client() -> Option<String> {
    ssh_client_of(&std::env::var("SSH_CONNECTION").ok()?)
}

fn ssh_client_of(conn: &str) -> Option<String> {
    let ip = conn.split_whitespace().next()?;
    ip.parse::<std::net::IpAddr>().ok().map(|a| a.to_string())
}

/// Who, as the timeline shows it: `alice` or `alice from 10.0.0.5`.
pub fn who(user: &str, from: Option<&str>) -> String {
    match from {
        Some(f) if !f.is_empty() => format!("{user} from {f}"),
        _ => user.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_operator_and_their_ssh_client() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";
        assert_eq!(passwd_name(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 7), None);
        assert_eq!(
            ssh_client_of("10.77.0.1 51234 10.77.0.10 22").as_deref(),
            Some("10.77.0.1")
        );
        assert_eq!(
            ssh_client_of("fe80::1 5 ::1 22").as_deref(),
            Some("fe80::1")
        );
        assert_eq!(ssh_client_of("garbage"), None);
        assert_eq!(who("alice", Some("10.0.0.5")), "alice from 10.0.0.5");
        assert_eq!(who("alice", None), "alice");
    }
}
