//! Runbooks: the steps an operator walks through during an incident or a deploy, from
//! `[[runbooks]]` in the config, from `runbooks/*.toml` files and from the team's own
//! Markdown documents (`runbooks/*.md`).
//!
//! - [`model`]: a runbook, its variables and steps; [`Runbook::fill`] makes a step concrete.
//! - [`markdown`]: Markdown runbooks.
//! - [`engine`]: the pure state machine of one run ([`Run`], [`Next`]).
//! - [`exec`]: the [`Executor`] that does a step's I/O through the transports, the
//!   dispatcher and the check engine; [`exec::drive`] runs a whole runbook non-interactively.
//! - [`store`]: saved runs, `runs/<runbook>-<id>.json` in the state directory.
//! - [`timeline`]: the audit log read back as an incident timeline.

pub mod engine;
pub mod exec;
pub mod markdown;
pub mod model;
pub mod store;
pub mod timeline;

use std::path::{Path, PathBuf};

pub use engine::{Event, Next, Run, RunState, RunStatus, StepResult, StepStatus};
pub use exec::{Executor, FleetExecutor};
pub use model::{Filled, Runbook, Source, Step, StepKind};

use crate::config::Config;
use crate::config::schema::Runbook as RunbookConfig;

/// A runbook file that could not be read; the message names `file:line` where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(pub String);

/// Where runbook files are read from: `settings.runbooks_dir` (relative to the config
/// file), else `runbooks/` beside the config file.
pub fn runbooks_dir(config: &Config) -> PathBuf {
    match &config.file.settings.runbooks_dir {
        Some(dir) if dir.get_ref().is_absolute() => dir.get_ref().clone(),
        Some(dir) => config.dir().join(dir.get_ref()),
        None => config.dir().join("runbooks"),
    }
}

/// Every runbook: `[[runbooks]]` first, then the files of the runbooks directory by name.
/// A file that cannot be read is an error of its own; the others still load.
pub fn catalog(config: &Config) -> (Vec<Runbook>, Vec<LoadError>) {
    let mut books = Vec::new();
    let mut errors = Vec::new();
    for r in &config.file.runbooks {
        match Runbook::from_config(r, Source::Config(config.path.clone())) {
            Ok(b) => books.push(b),
            Err(e) => errors.push(LoadError(format!(
                "{}: runbook {}: {e}",
                config.path.display(),
                r.name.get_ref()
            ))),
        }
    }
    let dir = runbooks_dir(config);
    let explicit = config.file.settings.runbooks_dir.is_some();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return (books, errors);
        }
        Err(e) => {
            errors.push(LoadError(format!(
                "{}: cannot read the runbooks directory: {e}",
                dir.display()
            )));
            return (books, errors);
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md" || x == "toml"))
        .collect();
    files.sort();
    for path in files {
        match load_file(config, &path) {
            Ok(b) if books.iter().any(|x: &Runbook| x.name == b.name) => {
                errors.push(LoadError(format!(
                    "{}: duplicate runbook name `{}` (also in {})",
                    path.display(),
                    b.name,
                    books
                        .iter()
                        .find(|x| x.name == b.name)
                        .map(|x| x.source.to_string())
                        .unwrap_or_default()
                )));
            }
            Ok(b) => books.push(b),
            Err(e) => errors.push(e),
        }
    }
    (books, errors)
}

/// One runbook file: Markdown, or TOML holding one runbook's table (the keys of a
/// `[[runbooks]]` entry at the top level), checked against the config's hosts, services,
/// checks, suites and backup sets.
pub fn load_file(config: &Config, path: &Path) -> Result<Runbook, LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError(format!("{}: cannot read: {e}", path.display())))?;
    let book = if path.extension().is_some_and(|x| x == "toml") {
        let r: RunbookConfig = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            LoadError(format!(
                "{}:{line}: {}",
                path.display(),
                e.message().trim_end()
            ))
        })?;
        Runbook::from_config(&r, Source::File(path.to_owned()))
            .map_err(|e| LoadError(format!("{}: {e}", path.display())))?
    } else {
        markdown::parse(path, &text).map_err(|e| LoadError(e.to_string()))?
    };
    check_references(config, &book)
        .map_err(|(line, e)| LoadError(format!("{}:{line}: {e}", path.display())))?;
    Ok(book)
}

/// Hosts, services, sets and checks the steps name without a variable must exist: a typo
/// is found when the runbook loads, not in the middle of an incident.
fn check_references(config: &Config, book: &Runbook) -> Result<(), (usize, String)> {
    use std::collections::BTreeMap;
    for (i, step) in book.steps.iter().enumerate() {
        let fixed = model::placeholders(&step_refs(step)).is_empty();
        if !fixed {
            continue;
        }
        let line = step.line.max(1);
        // No placeholders in the references: filling with no variables resolves them,
        // except commands' own placeholders, which are filled with their names.
        let names: BTreeMap<String, String> = book
            .used_variables()
            .into_iter()
            .map(|n| (n.clone(), n))
            .collect();
        if let Err(e) = book.fill(i, config, &names) {
            return Err((line, format!("step `{}`: {e}", step.title)));
        }
    }
    Ok(())
}

/// The references of a step joined (to see whether any holds a placeholder).
fn step_refs(step: &Step) -> String {
    use model::{CheckTarget, WaitFor};
    match &step.kind {
        StepKind::Run { host, .. } => host.clone(),
        StepKind::Action { target, backup, .. } => {
            format!("{target} {}", backup.as_deref().unwrap_or(""))
        }
        StepKind::Check(CheckTarget::Check(c) | CheckTarget::Suite(c))
        | StepKind::Wait(WaitFor::Check(c)) => c.clone(),
        StepKind::Wait(WaitFor::Duration(_)) | StepKind::Manual { .. } => String::new(),
    }
}

/// The runbook called `name`, or what the catalog has.
pub fn find(config: &Config, name: &str) -> Result<Runbook, String> {
    let (books, errors) = catalog(config);
    if let Some(b) = books.into_iter().find(|b| b.name == name) {
        return Ok(b);
    }
    let (books, _) = catalog(config);
    let names: Vec<&str> = books.iter().map(|b| b.name.as_str()).collect();
    let mut msg = format!(
        "unknown runbook `{name}` (runbooks: {})",
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    );
    for e in errors {
        msg.push_str(&format!("\n  {e}"));
    }
    Err(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: &str = r#"
[[hosts]]
name = "web"
transport = "local"

[[hosts.services]]
name = "api"
kind = "command"
status = ["true"]

[[runbooks]]
name = "quoted"

[[runbooks.steps]]
title = "list"
kind = "run"
host = "web"
shell = true
command = "ls '{{dir}}'"
"#;

    #[test]
    fn the_catalog_reads_config_markdown_and_toml_and_says_what_it_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let books = dir.path().join("runbooks");
        std::fs::create_dir(&books).unwrap();
        std::fs::write(
            books.join("a.toml"),
            "name = \"from-toml\"\n[[steps]]\ntitle = \"t\"\nkind = \"run\"\nhost = \"web\"\ncommand = [\"echo\", \"{{x}}\"]\n",
        )
        .unwrap();
        std::fs::write(books.join("b.md"), "# B\n\n```bash {host=web}\ntrue\n```\n").unwrap();
        std::fs::write(
            books.join("c.md"),
            "# C\n\n```bash {host=nowhere}\ntrue\n```\n",
        )
        .unwrap();
        std::fs::write(books.join("notes.txt"), "not a runbook").unwrap();
        let config_path = dir.path().join("hosts.toml");
        let config = crate::config::parse(&config_path, HOSTS).unwrap();
        let (books, errors) = catalog(&config);
        let names: Vec<&str> = books.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["from-toml", "b"]);
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(
            errors[0].contains("runbook quoted") && errors[0].contains("single quotes"),
            "{errors:#?}"
        );
        assert!(
            errors[1].ends_with("c.md:3: step `step at line 3`: unknown host `nowhere`"),
            "{errors:#?}"
        );
        assert!(
            find(&config, "nope")
                .unwrap_err()
                .contains("runbooks: from-toml, b")
        );
    }
}
