//! Backups as the operator reads them: files grouped into backups by their key, newest
//! first, each with where its copies are; and a set's freshness against its RPO, evaluated
//! at a given time by pure functions.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::Serialize;

use super::listing::{Entry, Glob, local_command, normalize_dir};
use crate::config::schema::BackupSet;
use crate::transport::CommandSpec;

/// The name of the part in `dir`, the one `{file}` stands for.
pub const MAIN_PART: &str = "file";

/// Where one kind of file of a set's backups lives.
#[derive(Debug, Clone)]
pub struct PartSpec {
    /// `file` for the set's `dir`, else the part's name (its placeholder).
    pub name: String,
    pub dir: String,
    pub glob: String,
    matcher: Glob,
}

impl PartSpec {
    fn new(name: &str, dir: &str, glob: &str) -> Self {
        Self {
            name: name.to_owned(),
            dir: normalize_dir(dir).to_owned(),
            glob: glob.to_owned(),
            matcher: Glob::new(glob),
        }
    }
}

/// How a set's files are found and grouped: its parts and the key pattern.
#[derive(Debug, Clone)]
pub struct Layout {
    pub parts: Vec<PartSpec>,
    pattern: Option<Regex>,
}

impl Layout {
    /// The set's layout. A pattern that does not compile (refused at load) keys by name.
    pub fn of(set: &BackupSet) -> Self {
        let mut parts = Vec::new();
        if let Some(dir) = &set.dir {
            let glob = set.glob.as_ref().map_or("*", |g| g.get_ref().as_str());
            parts.push(PartSpec::new(MAIN_PART, dir.get_ref(), glob));
        }
        for p in &set.parts {
            parts.push(PartSpec::new(
                p.name.get_ref(),
                p.dir.get_ref(),
                p.glob.get_ref(),
            ));
        }
        let pattern = set
            .pattern
            .as_ref()
            .and_then(|p| Regex::new(p.get_ref()).ok());
        Self { parts, pattern }
    }

    /// The one command listing every part's files (`None` for an off-site-only set).
    pub fn listing_command(&self) -> Option<CommandSpec> {
        local_command(
            self.parts.iter().map(|p| p.dir.as_str()),
            self.parts.iter().map(|p| p.glob.as_str()),
        )
    }

    /// The backup a file belongs to: the pattern's `key` group, or the whole name when
    /// there is no pattern or it does not match.
    pub fn key_of(&self, name: &str) -> String {
        self.pattern
            .as_ref()
            .and_then(|re| re.captures(name))
            .and_then(|c| c.name("key"))
            .map_or_else(|| name.to_owned(), |m| m.as_str().to_owned())
    }

    fn local_part(&self, e: &Entry) -> Option<&PartSpec> {
        self.parts
            .iter()
            .find(|p| p.dir == e.path && p.matcher.matches(&e.name))
    }

    /// Off-site objects are matched by name: the first part whose glob takes it. An
    /// off-site-only set takes every object as its main part.
    fn remote_part(&self, e: &Entry) -> Option<&str> {
        if self.parts.is_empty() {
            return Some(MAIN_PART);
        }
        self.parts
            .iter()
            .find(|p| p.matcher.matches(&e.name))
            .map(|p| p.name.as_str())
    }

    /// Groups listed files into backups by key, newest first; each backup's flags are set
    /// against the one before it.
    pub fn group(&self, local: &[Entry], offsite: &[Entry]) -> Vec<Backup> {
        let mut backups: Vec<Backup> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut slot = |backups: &mut Vec<Backup>, key: String| -> usize {
            *index.entry(key).or_insert_with_key(|key| {
                backups.push(Backup::empty(key.clone()));
                backups.len() - 1
            })
        };
        for e in local {
            let Some(part) = self.local_part(e) else {
                continue;
            };
            let path = if e.path == "/" {
                format!("/{}", e.name)
            } else {
                format!("{}/{}", e.path, e.name)
            };
            let i = slot(&mut backups, self.key_of(&e.name));
            backups[i].parts.push(Part {
                part: part.name.clone(),
                name: e.name.clone(),
                path,
                size: e.size,
                mtime: e.mtime,
            });
        }
        for e in offsite {
            let Some(part) = self.remote_part(e) else {
                continue;
            };
            let part = part.to_owned();
            let i = slot(&mut backups, self.key_of(&e.name));
            backups[i].offsite_parts.push(Part {
                part,
                name: e.name.clone(),
                path: e.path.clone(),
                size: e.size,
                mtime: e.mtime,
            });
        }
        let order = |name: &str| self.parts.iter().position(|p| p.name == name);
        for b in &mut backups {
            b.parts.sort_by_key(|p| (order(&p.part), p.name.clone()));
            b.offsite_parts
                .sort_by_key(|p| (order(&p.part), p.name.clone()));
            b.settle(&self.parts);
        }
        backups.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.key.cmp(&a.key)));
        for i in 1..backups.len() {
            let (newer, older) = (backups[i - 1].size, backups[i].size);
            backups[i - 1].smaller_than_previous = older > 0 && newer.saturating_mul(2) < older;
        }
        backups
    }
}

/// One file of a backup, here or off-site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    /// Which part of the set it is: `file` (the set's `dir`) or a part's name.
    pub part: String,
    /// The file name.
    pub name: String,
    /// The full path on the host, or the object's path in the off-site listing.
    pub path: String,
    pub size: u64,
    pub mtime: DateTime<Utc>,
}

/// The files that share a key: one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backup {
    pub key: String,
    /// Its files on the host, in the set's part order.
    pub parts: Vec<Part>,
    /// Its copies in the off-site listing.
    pub offsite_parts: Vec<Part>,
    /// It has files on the host.
    pub local: bool,
    /// It is off-site: every part it has on the host has a copy there by name (or, when
    /// not on the host, it has objects there).
    pub offsite: bool,
    /// When it was made: the newest mtime of its files on the host, else of its off-site
    /// objects (rclone keeps mtimes; S3's are upload times).
    pub time: DateTime<Utc>,
    /// Bytes of its files on the host, else of its off-site objects.
    pub size: u64,
    /// Parts of the set it has neither here nor off-site.
    pub missing: Vec<String>,
    /// It is under half the size of the backup before it.
    pub smaller_than_previous: bool,
}

impl Backup {
    fn empty(key: String) -> Self {
        Self {
            key,
            parts: vec![],
            offsite_parts: vec![],
            local: false,
            offsite: false,
            time: DateTime::<Utc>::MIN_UTC,
            size: 0,
            missing: vec![],
            smaller_than_previous: false,
        }
    }

    /// Derives the summary fields from the parts.
    fn settle(&mut self, specs: &[PartSpec]) {
        self.local = !self.parts.is_empty();
        self.offsite = !self.offsite_parts.is_empty()
            && self
                .parts
                .iter()
                .all(|p| self.offsite_parts.iter().any(|o| o.name == p.name));
        let shown = if self.local {
            &self.parts
        } else {
            &self.offsite_parts
        };
        self.time = shown
            .iter()
            .map(|p| p.mtime)
            .max()
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        self.size = shown.iter().map(|p| p.size).sum();
        self.missing = specs
            .iter()
            .filter(|s| {
                !self.parts.iter().any(|p| p.part == s.name)
                    && !self.offsite_parts.iter().any(|p| p.part == s.name)
            })
            .map(|s| s.name.clone())
            .collect();
    }

    /// How old it is at `now` (a time in the future is 0 old).
    pub fn age(&self, now: DateTime<Utc>) -> Duration {
        (now - self.time).to_std().unwrap_or_default()
    }

    /// The path of its file for the `{file}` or `{PART}` placeholder, on the host.
    pub fn local_path(&self, part: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|p| p.part == part)
            .map(|p| p.path.as_str())
    }

    /// Every placeholder a template of its set may use, with its value: `{key}`, `{file}`
    /// and one per part it has on the host.
    pub fn placeholders(&self) -> Vec<(&str, &str)> {
        let mut values = vec![("key", self.key.as_str())];
        for p in &self.parts {
            if !values.iter().any(|(n, _)| *n == p.part) {
                values.push((p.part.as_str(), p.path.as_str()));
            }
        }
        values
    }
}

/// What the off-site listing said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "detail")]
pub enum Offsite {
    /// The set has no `offsite` command.
    NotConfigured,
    /// Listed: this many objects belong to the set.
    Listed(usize),
    /// The listing failed (the local backups are still listed).
    Failed(String),
}

/// What needs the operator's eye beyond freshness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    /// The newest backup is under half the size of the one before it.
    SmallerThanPrevious,
    /// No backup within the RPO has an off-site copy (no backup at all without an RPO).
    NoOffsiteWithinRpo,
    /// The off-site copies could not be listed.
    OffsiteUnchecked,
}

impl Flag {
    pub fn label(self) -> &'static str {
        match self {
            Flag::SmallerThanPrevious => "smaller than the previous backup",
            Flag::NoOffsiteWithinRpo => "no off-site copy within the RPO",
            Flag::OffsiteUnchecked => "off-site copies not checked",
        }
    }
}

/// A set's backups and how they stand at `checked_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetStatus {
    pub checked_at: DateTime<Utc>,
    /// The set's `max_age`.
    pub rpo: Option<Duration>,
    /// Newest first.
    pub backups: Vec<Backup>,
    /// The newest backup is within the RPO (without an RPO: there is one).
    pub fresh: bool,
    pub flags: Vec<Flag>,
    pub offsite: Offsite,
    /// Problems that did not stop the listing (a missing directory, lines not understood).
    pub warnings: Vec<String>,
}

impl SetStatus {
    /// Freshness and flags of `backups` (newest first, as [`Layout::group`] returns them).
    pub fn evaluate(
        backups: Vec<Backup>,
        rpo: Option<Duration>,
        offsite: Offsite,
        warnings: Vec<String>,
        now: DateTime<Utc>,
    ) -> Self {
        let within = |b: &Backup| rpo.is_none_or(|r| b.age(now) <= r);
        let fresh = backups.first().is_some_and(within);
        let mut flags = Vec::new();
        if backups.first().is_some_and(|b| b.smaller_than_previous) {
            flags.push(Flag::SmallerThanPrevious);
        }
        match offsite {
            Offsite::NotConfigured => {}
            Offsite::Failed(_) => flags.push(Flag::OffsiteUnchecked),
            Offsite::Listed(_) => {
                if !backups.iter().any(|b| b.offsite && within(b)) {
                    flags.push(Flag::NoOffsiteWithinRpo);
                }
            }
        }
        Self {
            checked_at: now,
            rpo,
            backups,
            fresh,
            flags,
            offsite,
            warnings,
        }
    }

    pub fn newest(&self) -> Option<&Backup> {
        self.backups.first()
    }

    /// The newest backup's age when it was checked.
    pub fn newest_age(&self) -> Option<Duration> {
        self.newest().map(|b| b.age(self.checked_at))
    }

    pub fn count(&self) -> usize {
        self.backups.len()
    }

    pub fn local_count(&self) -> usize {
        self.backups.iter().filter(|b| b.local).count()
    }

    pub fn offsite_count(&self) -> usize {
        self.backups.iter().filter(|b| b.offsite).count()
    }

    pub fn has(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }

    /// Fresh, and a copy off-site within the RPO when the set keeps one: what a restore
    /// needs. A shrunken backup is a warning, not a failure.
    pub fn ok(&self) -> bool {
        self.fresh && !self.has(Flag::NoOffsiteWithinRpo)
    }
}

#[cfg(test)]
mod tests;
