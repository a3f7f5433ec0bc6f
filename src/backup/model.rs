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
mod tests {
    use super::super::listing::tests::{FIND_PREVENTIA, RCLONE, S3};
    use super::super::listing::{parse_local, parse_offsite};
    use super::*;
    use crate::config::schema::ConfigFile;

    fn set(toml_text: &str) -> BackupSet {
        let text = format!(
            "[[hosts]]\nname = \"h\"\n\n[[backups]]\nname = \"s\"\nhost = \"h\"\n{toml_text}"
        );
        let mut file: ConfigFile = toml::from_str(&text).unwrap();
        file.backups.remove(0)
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    const HOUR: Duration = Duration::from_secs(3600);

    fn preventia() -> Layout {
        Layout::of(&set(r#"
dir = "/backups/database"
glob = "db_*.dump"
parts = [
  { name = "exports", dir = "/backups/files", glob = "exports_*.tar.gz" },
  { name = "configs", dir = "/backups/configs/", glob = "config_*.tar.gz" },
]
pattern = '^(?:db|exports|config)_(?P<key>\d{8}_\d{6})\.'
"#))
    }

    #[test]
    fn files_sharing_a_key_are_one_backup_newest_first() {
        let layout = preventia();
        let spec = layout.listing_command().unwrap().to_string();
        assert!(spec.contains("/backups/configs -maxdepth"), "{spec}");
        let listed = parse_local(FIND_PREVENTIA);
        let backups = layout.group(&listed.entries, &[]);
        let keys: Vec<&str> = backups.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "20261202_021412",
                "20261201_021412",
                "20261130_021411",
                "20261129_021411"
            ]
        );
        let newest = &backups[0];
        let parts: Vec<(&str, &str)> = newest
            .parts
            .iter()
            .map(|p| (p.part.as_str(), p.path.as_str()))
            .collect();
        assert_eq!(
            parts,
            [
                ("file", "/backups/database/db_20261202_021412.dump"),
                ("exports", "/backups/files/exports_20261202_021412.tar.gz"),
                ("configs", "/backups/configs/config_20261202_021412.tar.gz"),
            ]
        );
        assert_eq!(newest.size, 4001 + 168 + 926);
        assert!(newest.local && !newest.offsite && newest.missing.is_empty());
        assert_eq!(newest.time, at("2026-12-02T02:14:12Z"));
        assert_eq!(
            newest.placeholders(),
            [
                ("key", "20261202_021412"),
                ("file", "/backups/database/db_20261202_021412.dump"),
                ("exports", "/backups/files/exports_20261202_021412.tar.gz"),
                ("configs", "/backups/configs/config_20261202_021412.tar.gz"),
            ]
        );

        let now = at("2026-12-02T05:24:02Z");
        let status = SetStatus::evaluate(
            backups,
            Some(24 * HOUR),
            Offsite::NotConfigured,
            vec![],
            now,
        );
        assert!(status.fresh && status.ok() && status.flags.is_empty());
        assert_eq!(
            status.newest_age(),
            Some(Duration::from_secs(3 * 3600 + 9 * 60 + 50))
        );
        assert_eq!(status.count(), 4);
        let later = SetStatus::evaluate(
            status.backups.clone(),
            Some(24 * HOUR),
            Offsite::NotConfigured,
            vec![],
            at("2026-12-03T02:14:13Z"),
        );
        assert!(!later.fresh && !later.ok());
    }

    #[test]
    fn a_missing_part_is_named_and_a_shrunken_backup_flagged() {
        let layout = preventia();
        let mut entries = parse_local(FIND_PREVENTIA).entries;
        // The newest dump is truncated and its configs tarball was never written.
        entries.retain(|e| e.name != "config_20261202_021412.tar.gz");
        for e in &mut entries {
            if e.name == "db_20261202_021412.dump" {
                e.size = 100;
            }
        }
        let backups = layout.group(&entries, &[]);
        assert_eq!(backups[0].missing, ["configs"]);
        assert!(backups[0].smaller_than_previous);
        assert!(!backups[1].smaller_than_previous);
        let status = SetStatus::evaluate(
            backups,
            Some(24 * HOUR),
            Offsite::NotConfigured,
            vec![],
            at("2026-12-02T05:00:00Z"),
        );
        assert_eq!(status.flags, [Flag::SmallerThanPrevious]);
        assert!(status.ok(), "a shrunken backup warns, it does not fail");
    }

    #[test]
    fn offsite_copies_join_their_backups_by_name() {
        let layout = Layout::of(&set(r#"
dir = "/tmp/bovine-backups"
glob = "mongodb-*.tar.gz"
pattern = '^mongodb-(?P<key>\d{8}_\d{6})\.tar\.gz$'
"#));
        let local = parse_local(
            "/tmp/bovine-backups\t10461\t1796094849.0000000000\tmongodb-20261201_031409.tar.gz\n\
             /tmp/bovine-backups\t10517\t1796181249.0000000000\tmongodb-20261202_031409.tar.gz\n\
             /tmp/bovine-backups\t10600\t1796189000.0000000000\tmongodb-20261202_052320.tar.gz\n\
             /tmp/bovine-backups\t5\t1796189000.0000000000\tnotes.txt\n",
        );
        let remote = parse_offsite(RCLONE, None).unwrap();
        let backups = layout.group(&local.entries, &remote.entries);
        let summary: Vec<(&str, bool, bool)> = backups
            .iter()
            .map(|b| (b.key.as_str(), b.local, b.offsite))
            .collect();
        assert_eq!(
            summary,
            [
                ("20261202_052320", true, false),
                ("20261202_031409", true, true),
                ("20261201_031409", true, true),
            ]
        );
        assert_eq!(
            backups[1].offsite_parts[0].path,
            "mongodb-20261202_031409.tar.gz"
        );
        let now = at("2026-12-02T06:00:00Z");
        let status = SetStatus::evaluate(
            backups.clone(),
            Some(24 * HOUR),
            Offsite::Listed(2),
            vec![],
            now,
        );
        assert!(status.ok() && status.flags.is_empty());
        assert_eq!((status.local_count(), status.offsite_count()), (3, 2));

        // The copies within the RPO are gone from the bucket: flagged.
        let only_old: Vec<_> = remote
            .entries
            .iter()
            .filter(|e| e.name.contains("20261201"))
            .cloned()
            .collect();
        let backups = layout.group(&local.entries, &only_old);
        let status = SetStatus::evaluate(
            backups,
            Some(24 * HOUR),
            Offsite::Listed(1),
            vec![],
            at("2026-12-02T06:00:00Z"),
        );
        assert!(status.fresh && !status.ok());
        assert_eq!(status.flags, [Flag::NoOffsiteWithinRpo]);

        let failed = SetStatus::evaluate(
            vec![],
            Some(HOUR),
            Offsite::Failed("timed out".into()),
            vec![],
            now,
        );
        assert!(!failed.fresh);
        assert_eq!(failed.flags, [Flag::OffsiteUnchecked]);
    }

    #[test]
    fn an_offsite_only_set_and_s3_upload_times() {
        let layout = Layout::of(&set(r#"
pattern = '^epagal_(?P<key>\d{8}_\d{6})\.dump$'
"#));
        assert!(layout.listing_command().is_none());
        let remote = parse_offsite(S3, None).unwrap();
        let backups = layout.group(&[], &remote.entries);
        assert_eq!(backups.len(), 2);
        assert_eq!(backups[0].key, "20261202_041412");
        assert!(!backups[0].local && backups[0].offsite);
        assert_eq!(backups[0].size, 5967);
        assert_eq!(backups[0].local_path("file"), None);
        // Without a pattern each file is its own backup, keyed by its name.
        let plain = Layout::of(&set("dir = \"/backups\"\n"));
        assert_eq!(plain.key_of("epagal_1.dump"), "epagal_1.dump");
        let status = SetStatus::evaluate(vec![], None, Offsite::NotConfigured, vec![], Utc::now());
        assert!(!status.fresh && status.newest().is_none());
    }
}
