//! Backups: listing a set's backups on its host and off-site, grouping their files by key
//! and judging them against the RPO. The same code serves the console, `opsdeck backups`
//! and, later, backup now, restore and drills.
//!
//! A set is listed in at most two commands on its host, run at once: one `find` for all
//! its directories ([`listing::local_command`]), and its `offsite` command, whose JSON is
//! parsed ([`listing::parse_offsite`]). A host that cannot be asked is an error, never an
//! empty set; an off-site listing that fails leaves the local backups listed and the set
//! flagged ([`Flag::OffsiteUnchecked`]).

pub mod listing;
pub mod model;

use std::time::Duration;

use chrono::{DateTime, Utc};

pub use model::{Backup, Flag, Layout, MAIN_PART, Offsite, Part, PartSpec, SetStatus};

use crate::config::schema::{BackupSet, CommandLine, placeholders};
use crate::config::secret::redact;
use crate::transport::{CommandOutput, CommandSpec, Target, TransportError, Transports};

/// Why a set could not be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// The host could not be asked: not connected, the connection lost, no answer in time.
    #[error("cannot reach the host: {0}")]
    Unreachable(String),
    /// The listing command ran and failed.
    #[error("`{command}` failed: {message}")]
    Failed { command: String, message: String },
}

/// Lists `set` through `target` (its host) and evaluates it at `now`; each command is
/// given `timeout`. The local and the off-site listing run at the same time.
pub async fn list_set(
    set: &BackupSet,
    target: &Target,
    transports: &Transports,
    timeout: Duration,
    now: DateTime<Utc>,
) -> Result<SetStatus, ListError> {
    let layout = Layout::of(set);
    let local_spec = layout.listing_command();
    let offsite_spec = set
        .offsite
        .as_ref()
        .map(|c| CommandSpec::from_config(c.get_ref()));
    let run = |spec: Option<CommandSpec>| async move {
        match spec {
            Some(spec) => {
                let out = transports.run_streaming(target, &spec, timeout, None).await;
                Some((spec, out))
            }
            None => None,
        }
    };
    let (local, remote) = tokio::join!(run(local_spec), run(offsite_spec));

    let mut warnings = Vec::new();
    let local_entries = match local {
        None => vec![],
        Some((spec, out)) => {
            let out = out.map_err(|e| ListError::Unreachable(redact(&e.to_string())))?;
            local_files(&spec, &out, &mut warnings)?
        }
    };
    let (offsite, remote_entries) = match remote {
        None => (Offsite::NotConfigured, vec![]),
        Some((spec, out)) => match offsite_files(set, &spec, out, &mut warnings) {
            Ok(entries) => (Offsite::Listed(0), entries),
            // An off-site-only set has nothing else to show: its failure is the set's.
            Err(e) if set.dir.is_none() => return Err(e),
            Err(e) => (Offsite::Failed(e.to_string()), vec![]),
        },
    };
    let backups = layout.group(&local_entries, &remote_entries);
    let offsite = match offsite {
        Offsite::Listed(_) => Offsite::Listed(backups.iter().map(|b| b.offsite_parts.len()).sum()),
        other => other,
    };
    let rpo = set.max_age.as_ref().map(|d| d.get());
    Ok(SetStatus::evaluate(backups, rpo, offsite, warnings, now))
}

/// The local listing's files. `find` exits 1 when a directory is missing or unreadable and
/// still lists the others: that is a warning; any other failure is an error.
fn local_files(
    spec: &CommandSpec,
    out: &CommandOutput,
    warnings: &mut Vec<String>,
) -> Result<Vec<listing::Entry>, ListError> {
    match out.exit_code {
        Some(0) => {}
        Some(1) if !out.stderr.trim().is_empty() => {
            warnings.extend(
                out.stderr
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| redact(l.trim().trim_start_matches("find: "))),
            );
        }
        _ => return Err(failed(spec, out)),
    }
    let listed = listing::parse_local(&out.stdout);
    if listed.skipped > 0 {
        warnings.push(format!(
            "{} line(s) of the file listing not understood",
            listed.skipped
        ));
    }
    Ok(listed.entries)
}

fn offsite_files(
    set: &BackupSet,
    spec: &CommandSpec,
    out: Result<CommandOutput, TransportError>,
    warnings: &mut Vec<String>,
) -> Result<Vec<listing::Entry>, ListError> {
    // Not connected is the host; a timeout is as likely the remote end (the bucket).
    let out = out.map_err(|e| match e {
        TransportError::NotConnected(_) => ListError::Unreachable(redact(&e.to_string())),
        e => ListError::Failed {
            command: spec.to_string(),
            message: redact(&e.to_string()),
        },
    })?;
    if !out.success() {
        return Err(failed(spec, &out));
    }
    let format = set.offsite_format.as_ref().map(|f| *f.get_ref());
    let listed = listing::parse_offsite(&out.stdout, format).map_err(|e| ListError::Failed {
        command: spec.to_string(),
        message: e.to_string(),
    })?;
    if listed.skipped > 0 {
        warnings.push(format!(
            "{} object(s) of the off-site listing not understood",
            listed.skipped
        ));
    }
    Ok(listed.entries)
}

/// A failed command's error: its exit and the last thing it printed on stderr.
fn failed(spec: &CommandSpec, out: &CommandOutput) -> ListError {
    let exit = match out.exit_code {
        Some(code) => format!("exit {code}"),
        None => "killed by a signal".to_owned(),
    };
    let said = out
        .stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(|l| format!(": {l}"))
        .unwrap_or_default();
    ListError::Failed {
        command: spec.to_string(),
        message: redact(&format!("{exit}{said}")),
    }
}

/// A template of the set with `backup`'s placeholders (and `extra` ones such as
/// `scratch`) filled in, each value one whole argument, substituted in one pass (a value
/// holding `{key}` stays as it is). A placeholder without a value — a part this backup does
/// not have on the host — is an error naming it.
pub fn render(
    template: &CommandLine,
    backup: &Backup,
    extra: &[(&str, &str)],
) -> Result<CommandSpec, String> {
    let mut values = backup.placeholders();
    values.extend_from_slice(extra);
    let spec = CommandSpec::from_config(template);
    for arg in spec.expose_argv() {
        if let Some(name) = placeholders(arg).find(|n| !values.iter().any(|(k, _)| k == n)) {
            return Err(format!(
                "backup {} has no value for {{{name}}} (it has no such file on the host)",
                backup.key
            ));
        }
    }
    Ok(spec.substitute_all(&values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::ConfigString;

    #[test]
    fn rendering_keeps_each_value_one_argument() {
        let layout_set: crate::config::schema::ConfigFile = toml::from_str(
            "[[hosts]]\nname = \"h\"\n[[backups]]\nname = \"s\"\nhost = \"h\"\ndir = \"/b\"\n\
             pattern = '^db_(?P<key>.+)\\.dump$'\n",
        )
        .unwrap();
        let layout = Layout::of(&layout_set.backups[0]);
        let entries = listing::parse_local("/b\t1\t1\tdb_x {key} y.dump\n").entries;
        let backup = &layout.group(&entries, &[])[0];
        let line = CommandLine::Argv(
            ["restore.sh", "{file}", "--key={key}", "{scratch}"]
                .into_iter()
                .map(ConfigString::plain)
                .collect(),
        );
        let spec = render(&line, backup, &[("scratch", "/tmp/d")]).unwrap();
        assert_eq!(
            spec.expose_argv(),
            [
                "restore.sh",
                "/b/db_x {key} y.dump",
                "--key=x {key} y",
                "/tmp/d"
            ]
        );
        let missing = CommandLine::Argv(vec![ConfigString::plain("{exports}")]);
        assert!(
            render(&missing, backup, &[])
                .unwrap_err()
                .contains("{exports}")
        );
    }
}
