//! `include = ["fleet.d/*.toml"]`: a fleet described in several files.
//!
//! The main file (`hosts.toml`) may list paths or globs, relative to its own directory
//! (`~` and `$HOME` expanded). Each file they name holds any of the tables in [`TABLES`]
//! — hosts, backups, deploys, runbooks and suites — which are appended to the main file's
//! in the order the files are read: the patterns in order, each glob's matches sorted by
//! name. `settings`, `keys` and `include` stay in the main file: an included file that
//! has them is an error (so two files can never disagree about a setting, and includes do
//! not nest). A file matched twice is read once; the main file is never read again.

use std::ffi::OsStr;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The top-level tables an included file may hold, in [`super::schema::ConfigFile`] order.
pub const TABLES: [&str; 5] = ["hosts", "backups", "deploys", "runbooks", "suites"];

/// Top-level keys only the main file may have.
const MAIN_ONLY: [&str; 4] = ["settings", "keys", "include", "monitoring"];

/// The files one `include` entry names, sorted. A path without wildcards must exist; a glob
/// (`*` and `?`, in the last component only) must have an existing directory and may match
/// nothing (an empty `fleet.d/` is a fleet with no more hosts). Like a shell, wildcards do
/// not match a leading `.` (editor and lock files stay out).
pub fn resolve(dir: &Path, pattern: &str, home: Option<&OsStr>) -> Result<Vec<PathBuf>, String> {
    if pattern.is_empty() {
        return Err("an include entry must not be empty".into());
    }
    let expanded = super::load::expand_home(Path::new(pattern), home);
    let full = dir.join(&expanded);
    let name = full
        .file_name()
        .and_then(OsStr::to_str)
        .ok_or_else(|| format!("`{}` does not name a file", super::error::echo(pattern)))?;
    let parent = full.parent().unwrap_or(Path::new("."));
    if parent.to_string_lossy().contains(['*', '?']) {
        return Err(format!(
            "`{}`: wildcards are allowed in the file name only (write \"fleet.d/*.toml\")",
            super::error::echo(pattern)
        ));
    }
    if !name.contains(['*', '?']) {
        return if full.is_file() {
            Ok(vec![full])
        } else {
            Err(format!("included file {} does not exist", full.display()))
        };
    }
    let entries = std::fs::read_dir(parent)
        .map_err(|e| format!("cannot list {} for `{}`: {e}", parent.display(), pattern))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_str().is_some_and(|n| wildcard(name, n)))
        .map(|e| parent.join(e.file_name()))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    Ok(found)
}

/// Top-level keys of an included file that belong in the main file, with their spans and
/// what to do about them.
pub fn main_file_only(source: &str) -> Vec<(Range<usize>, String)> {
    let Ok(root) = toml::de::DeTable::parse(source) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (key, _) in root.get_ref().iter() {
        let name: &str = key.get_ref();
        if MAIN_ONLY.contains(&name) {
            let why = if name == "include" {
                "includes do not nest: list every file in the main file's `include`".to_owned()
            } else {
                format!("`{name}` belongs in the main file")
            };
            found.push((
                key.span(),
                format!(
                    "{why}; an included file holds only {}",
                    TABLES.map(|t| format!("[[{t}]]")).join(", ")
                ),
            ));
        }
    }
    found
}

/// Shell-style matching of one file name: `*` any run of characters, `?` one character;
/// neither matches a leading `.`.
fn wildcard(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative wildcard matching with one backtrack point (the last `*`).
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        match p.get(i) {
            Some('*') => {
                star = Some((i, j));
                i += 1;
            }
            Some('?') => {
                i += 1;
                j += 1;
            }
            Some(c) if *c == n[j] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si + 1;
                    j = sj + 1;
                    star = Some((si, sj + 1));
                }
                None => return false,
            },
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_a_shell() {
        assert!(wildcard("*.toml", "db.toml"));
        assert!(!wildcard("*.toml", ".toml"));
        assert!(!wildcard("*.toml", ".db.toml"));
        assert!(!wildcard("*.toml", "db.toml.bak"));
        assert!(wildcard("web-?.toml", "web-1.toml"));
        assert!(!wildcard("web-?.toml", "web-10.toml"));
        assert!(wildcard("*-*.toml", "a-b-c.toml"));
        assert!(wildcard("*", "anything"));
        assert!(!wildcard("a*b", "ac"));
    }

    #[test]
    fn globs_are_sorted_and_literal_paths_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("fleet.d");
        std::fs::create_dir(&d).unwrap();
        for f in [
            "b.toml",
            "a.toml",
            "notes.txt",
            ".a.toml.swp",
            ".hidden.toml",
        ] {
            std::fs::write(d.join(f), "").unwrap();
        }
        let found = resolve(dir.path(), "fleet.d/*.toml", None).unwrap();
        assert_eq!(found, vec![d.join("a.toml"), d.join("b.toml")]);
        assert!(
            resolve(dir.path(), "fleet.d/*.yaml", None)
                .unwrap()
                .is_empty()
        );
        let e = resolve(dir.path(), "fleet.d/c.toml", None).unwrap_err();
        assert!(e.contains("c.toml does not exist"), "{e}");
        let e = resolve(dir.path(), "missing.d/*.toml", None).unwrap_err();
        assert!(e.contains("cannot list"), "{e}");
        let e = resolve(dir.path(), "*/a.toml", None).unwrap_err();
        assert!(e.contains("file name only"), "{e}");
        let home = dir.path().as_os_str();
        let found = resolve(Path::new("/nowhere"), "~/fleet.d/a*", Some(home)).unwrap();
        assert_eq!(found, vec![d.join("a.toml")]);
    }
}
