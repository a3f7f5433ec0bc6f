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
        self.append(plan, "start", None)
    }

    pub fn record_end(&self, plan: &Plan, outcome: &ActionOutcome) -> std::io::Result<()> {
        self.append(plan, "end", Some(outcome))
    }

    fn append(
        &self,
        plan: &Plan,
        event: &str,
        outcome: Option<&ActionOutcome>,
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
