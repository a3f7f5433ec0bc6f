//! Backup sets as the console knows them: the last listing of each, its last drill, and
//! the Backups screen's place.

use chrono::{DateTime, Utc};

use crate::action::backups::DrillRecord;
use crate::backup::{Backup, Flag, SetStatus};
use crate::config::Config;
use crate::model::{HostId, ServiceId};

#[derive(Debug, Clone)]
pub struct BackupSetState {
    pub name: String,
    pub host: HostId,
    /// The service the set backs up, if the config names one.
    pub service: Option<ServiceId>,
    pub rpo: Option<std::time::Duration>,
    /// The last listing that worked.
    pub status: Option<SetStatus>,
    /// Why the last listing failed, when it did (the last good one is still shown).
    pub error: Option<String>,
    pub drill: Option<DrillRecord>,
}

impl BackupSetState {
    pub fn all(config: &Config) -> Vec<Self> {
        config
            .file
            .backups
            .iter()
            .map(|b| {
                let host = HostId::new(b.host.get_ref());
                Self {
                    name: b.name.get_ref().clone(),
                    service: b
                        .service
                        .as_ref()
                        .map(|s| ServiceId::new(&host, s.get_ref())),
                    host,
                    rpo: b.max_age.as_ref().map(|d| d.get()),
                    status: None,
                    error: None,
                    drill: None,
                }
            })
            .collect()
    }

    /// Listed, and its newest backup older than the RPO at `now` (or none at all).
    pub fn stale(&self, now: DateTime<Utc>) -> bool {
        self.status.as_ref().is_some_and(|s| match s.newest() {
            None => true,
            Some(b) => self.rpo.is_some_and(|rpo| b.age(now) > rpo),
        })
    }

    /// What needs the operator's eye besides freshness.
    pub fn flags(&self) -> &[Flag] {
        self.status.as_ref().map_or(&[], |s| s.flags.as_slice())
    }

    pub fn backups(&self) -> &[Backup] {
        self.status.as_ref().map_or(&[], |s| s.backups.as_slice())
    }

    /// Its newest backup that is on the host (what a drill or `latest` restores).
    pub fn newest_local(&self) -> Option<&Backup> {
        self.backups().iter().find(|b| b.local)
    }
}

/// The Backups screen: the sets of one service or host, one shown at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupsView {
    /// Indexes into `State::backups`.
    pub sets: Vec<usize>,
    /// Which of `sets` is shown.
    pub current: usize,
    /// The chosen backup, an index into the shown set's backups (newest first).
    pub selected: usize,
    /// What the screen is about: "epagal/postgres" or "host epagal".
    pub title: String,
}

impl BackupsView {
    pub fn set(&self) -> Option<usize> {
        self.sets.get(self.current).copied()
    }
}
