//! The last drill of each set, kept in opsdeck's state directory.

use chrono::{DateTime, Utc};

/// The file in opsdeck's state directory that keeps every set's last drill.
pub const DRILLS_FILE: &str = "drills.json";

/// The last drill of a set: kept in opsdeck's state directory, shown beside the set
/// ("last drill: ok, 3 h ago, 42").
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DrillRecord {
    pub set: String,
    pub at: DateTime<Utc>,
    pub ok: bool,
    /// How it ended, in one line.
    pub summary: String,
    /// What the integrity query printed (a row count).
    pub integrity: Option<String>,
    pub duration_ms: u64,
}

impl DrillRecord {
    pub fn from_outcome(
        set: &str,
        at: DateTime<Utc>,
        outcome: &crate::action::ActionOutcome,
    ) -> Self {
        use crate::action::ActionOutcome as O;
        let duration_ms = match outcome {
            O::Succeeded { duration_ms, .. }
            | O::Failed { duration_ms, .. }
            | O::Interrupted { duration_ms, .. } => *duration_ms,
            O::Refused { .. } => 0,
        };
        Self {
            set: set.to_owned(),
            at,
            ok: outcome.succeeded(),
            summary: outcome.summary(),
            integrity: outcome
                .notes()
                .iter()
                .find_map(|n| n.strip_prefix("integrity: "))
                .map(str::to_owned),
            duration_ms,
        }
    }

    /// Every set's last drill from `path` (none when the file does not exist yet).
    pub fn load_all(path: &std::path::Path) -> std::io::Result<Vec<DrillRecord>> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
            Err(e) => Err(e),
        }
    }

    /// Replaces this set's record in `path`, written whole to a temporary file first.
    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mut all = Self::load_all(path).unwrap_or_default();
        all.retain(|r| r.set != self.set);
        all.push(self.clone());
        all.sort_by(|a, b| a.set.cmp(&b.set));
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(
            &mut tmp,
            crate::config::secret::to_redacted_json(&all, true)
                .map_err(std::io::Error::other)?
                .as_bytes(),
        )?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}
