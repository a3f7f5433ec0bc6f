//! The audit log: append-only JSON lines, one when an action starts (synced to disk before
//! anything runs) and one when it ends. Secrets are redacted from every line.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::plan::{ActionOutcome, Plan};
use crate::config::secret::to_redacted_json;

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

#[derive(Debug, Serialize)]
struct Entry<'a> {
    ts: DateTime<Utc>,
    event: &'a str,
    action_id: u64,
    user: String,
    action: &'a str,
    host: &'a str,
    service: String,
    location: &'a str,
    commands: Vec<String>,
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
            event,
            action_id: plan.id,
            user: operator(),
            action: plan.kind.name(),
            host: plan.host().as_str(),
            service: plan
                .subject
                .service()
                .map(ToString::to_string)
                .unwrap_or_default(),
            location: &plan.location,
            commands: plan.steps.iter().map(|s| s.command.to_string()).collect(),
            note,
            outcome,
        };
        let mut line = to_redacted_json(&entry, false).map_err(std::io::Error::other)?;
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

/// Who acted: the login name, or the uid when there is none.
fn operator() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| format!("uid:{}", rustix::process::getuid().as_raw()))
}
