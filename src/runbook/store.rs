//! Saved runs: `runs/<runbook>-<id>.json` in the state directory, rewritten (atomically:
//! a temporary file renamed over it) after every transition, so a run survives opsdeck
//! being closed or killed.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::engine::{RunState, RunStatus};

#[derive(Debug, Clone)]
pub struct RunStore {
    dir: PathBuf,
}

impl RunStore {
    /// The store under `state_dir/runs`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("runs"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new run's id: its start time, unique within the store.
    pub fn new_id(&self, runbook: &str, now: DateTime<Utc>) -> String {
        let base = now.format("%Y%m%dT%H%M%SZ").to_string();
        let mut id = base.clone();
        let mut n = 1;
        while self.path(runbook, &id).exists() {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }

    pub fn path(&self, runbook: &str, id: &str) -> PathBuf {
        self.dir.join(format!("{runbook}-{id}.json"))
    }

    /// Blocking: writes the state and syncs it.
    pub fn save(&self, state: &RunState) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(&state.runbook, &state.id);
        let text = serde_json::to_string_pretty(state).map_err(std::io::Error::other)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_data()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    pub fn load(&self, runbook: &str, id: &str) -> std::io::Result<RunState> {
        let text = std::fs::read_to_string(self.path(runbook, id))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    /// The saved runs of `runbook`, newest first (unreadable files are left out).
    pub fn runs(&self, runbook: &str) -> Vec<RunState> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return vec![];
        };
        let prefix = format!("{runbook}-");
        let mut runs: Vec<RunState> = entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with(&prefix) && name.ends_with(".json")
            })
            .filter_map(|e| {
                serde_json::from_str::<RunState>(&std::fs::read_to_string(e.path()).ok()?).ok()
            })
            .filter(|r| r.runbook == runbook)
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.started_at));
        runs
    }

    /// The newest run of `runbook` that has not ended: what reopening it offers to resume.
    pub fn unfinished(&self, runbook: &str) -> Option<RunState> {
        self.runs(runbook)
            .into_iter()
            .find(|r| r.status == RunStatus::Running)
    }
}
