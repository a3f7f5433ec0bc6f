//! `[[backups]]`: backup sets, their parts, off-site copies, integrity checks and drills.

use super::*;

/// A backup set: where its backups live (files in directories on its host, and/or an
/// off-site listing), how old the newest may be, and how to make, verify, restore and drill
/// one. Templates take placeholders, each replaced by one whole argument: `{file}` (the
/// backup's file in `dir`), `{key}` (what its files share), `{NAME}` (the file of the part
/// called NAME) and, in a drill, `{scratch}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSet {
    pub name: Spanned<String>,
    pub host: Spanned<String>,
    pub service: Option<Spanned<String>>,
    /// The directory on the host holding the backups' main files (`{file}`).
    pub dir: Option<Spanned<String>>,
    /// Which files of `dir` are backups (a `find -name` pattern); default `*`.
    pub glob: Option<Spanned<String>>,
    /// More files of each backup, in other directories or under other names (seed 004: the
    /// exports and configs tarballs beside the database dump).
    #[serde(default)]
    pub parts: Vec<BackupPart>,
    /// A regex over file names whose named group `key` says which backup a file belongs
    /// to; files with the same key are one backup. Without it each file is a backup.
    pub pattern: Option<Spanned<String>>,
    /// A command on the host listing the off-site copies as JSON (`rclone lsjson REMOTE:PATH`,
    /// `aws s3api list-objects-v2 --output json`); objects match the parts' globs by name.
    pub offsite: Option<Spanned<CommandLine>>,
    /// What `offsite` prints; told apart by its shape when not given.
    pub offsite_format: Option<Spanned<OffsiteFormat>>,
    /// The RPO: the newest backup may be this old.
    pub max_age: Option<HumanDuration>,
    /// Makes a backup now.
    pub create: Option<Spanned<CommandLine>>,
    /// Restores the chosen backup.
    pub restore: Option<Spanned<CommandLine>>,
    /// Checks a backup can be read (`pg_restore --list {file}`, `tar -tzf {file}`).
    pub verify: Option<Spanned<CommandLine>>,
    /// Services stopped before a restore and started after it.
    #[serde(default)]
    pub stop_during_restore: Vec<Spanned<String>>,
    /// The query run after a restore, and what its output must be.
    pub integrity: Option<Integrity>,
    /// How to restore into a scratch target without touching the live service.
    pub drill: Option<Drill>,
}

/// Files of a backup beyond its main one; `name` is its placeholder (`{exports}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupPart {
    pub name: Spanned<String>,
    pub dir: Spanned<String>,
    pub glob: Spanned<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OffsiteFormat {
    /// `rclone lsjson`: an array of `{Path, Name, Size, ModTime, IsDir}`.
    RcloneLsjson,
    /// `aws s3api list-objects-v2 --output json`: `{Contents: [{Key, Size, LastModified}]}`,
    /// nothing at all for an empty bucket.
    S3ListObjectsV2,
}

/// A command whose output says whether restored data is whole: a row count, `PRAGMA
/// integrity_check`. At most one expectation; with none, exit 0 is enough (the output is
/// still shown, "42 rows").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrity {
    pub command: Spanned<CommandLine>,
    /// The output, trimmed, is exactly this (`ok`).
    pub expect: Option<Spanned<String>>,
    /// The output, trimmed, matches this regex.
    pub expect_regex: Option<Spanned<String>>,
    /// The output is a number at least this large (a row count).
    pub at_least: Option<Spanned<i64>>,
}

/// What `{scratch}` is in a drill: made by opsdeck before `prepare` and removed after
/// `cleanup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScratchKind {
    /// A new empty directory on the host (`mktemp -d`): tarballs are unpacked there.
    #[default]
    Dir,
    /// A path in a new temporary directory, the file itself not yet there (SQLite).
    File,
    /// A fresh name, letters, digits and `_` only (a temporary database for PostgreSQL,
    /// made by `prepare`, dropped by `cleanup`).
    Name,
}

/// A restore drill: the newest backup restored into `{scratch}`, its integrity checked
/// there (against the set's `integrity` expectation), the live service untouched.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drill {
    #[serde(default)]
    pub scratch: ScratchKind,
    pub prepare: Option<Spanned<CommandLine>>,
    pub restore: Spanned<CommandLine>,
    pub integrity: Option<Spanned<CommandLine>>,
    /// Run whatever happened before it (a drill never leaves a database behind).
    pub cleanup: Option<Spanned<CommandLine>>,
}

impl BackupSet {
    /// The placeholders every template of the set knows: `{file}`, `{key}` and one per part.
    pub fn placeholder_names(&self) -> Vec<&str> {
        let mut names = vec!["file", "key"];
        names.extend(self.parts.iter().map(|p| p.name.get_ref().as_str()));
        names
    }
}
