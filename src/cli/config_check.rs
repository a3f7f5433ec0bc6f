//! `opsdeck config check [--json]`: load and validate the configuration (every included
//! file too), print what it describes, and exit 0 when it is valid or 2 on any error — for
//! a pre-commit hook or CI. Nothing is contacted.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::config::{Config, ConfigError};

/// Exit code of a valid configuration.
pub const EXIT_OK: u8 = 0;
/// Exit code of any configuration error (as for every other command).
pub const EXIT_INVALID: u8 = 2;

/// What a valid configuration describes.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Every file read: the main one first, then the included ones in the order read.
    pub files: Vec<String>,
    pub hosts: usize,
    pub services: usize,
    /// Checks of all services.
    pub checks: usize,
    pub backups: usize,
    pub deploys: usize,
    pub runbooks: usize,
    pub suites: usize,
}

impl Summary {
    pub fn of(config: &Config) -> Self {
        let f = &config.file;
        let services = f.hosts.iter().flat_map(|h| &h.services);
        Self {
            files: config
                .files
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            hosts: f.hosts.len(),
            services: services.clone().count(),
            checks: services.map(|s| s.checks.len()).sum(),
            backups: f.backups.len(),
            deploys: f.deploys.len(),
            runbooks: f.runbooks.len(),
            suites: f.suites.len(),
        }
    }
}

/// One error as `--json` prints it; `line` and `column` are 0 for an error about a whole
/// file (it cannot be read, none was found).
#[derive(Debug, Serialize)]
struct JsonError<'a> {
    file: String,
    line: usize,
    column: usize,
    path: &'a str,
    message: &'a str,
}

impl<'a> From<&'a ConfigError> for JsonError<'a> {
    fn from(e: &'a ConfigError) -> Self {
        Self {
            file: e.file.display().to_string(),
            line: e.line,
            column: e.column,
            path: &e.path,
            message: &e.message,
        }
    }
}

/// Validates the configuration `--config` (or `$OPSDECK_CONFIG`, `./hosts.toml` …) names.
/// Text goes to `out` (the summary) and `err` (the errors); with `json` one document goes
/// to `out` whatever the outcome. `colour` is [`super::colour`]'s answer for the stream.
pub fn run(
    explicit: Option<&Path>,
    json: bool,
    colour: bool,
    out: &mut impl Write,
    err: &mut impl Write,
) -> std::io::Result<u8> {
    let loaded = crate::config::locate(explicit)
        .map_err(|e| vec![e])
        .and_then(|path| {
            crate::config::load(&path)
                .map(|c| (path, c))
                .map_err(|e| e.0)
        });
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    match loaded {
        Ok((path, config)) => {
            let summary = Summary::of(&config);
            if json {
                let doc = serde_json::json!({
                    "ok": true,
                    "config": path.display().to_string(),
                    "summary": summary,
                    "errors": [],
                });
                writeln!(out, "{}", super::json(&doc)?)?;
            } else {
                write_summary(&path, &summary, &paint, out)?;
            }
            Ok(EXIT_OK)
        }
        Err(errors) => {
            if json {
                let doc = serde_json::json!({
                    "ok": false,
                    "config": errors.first().map(|e| e.file.display().to_string()),
                    "summary": null,
                    "errors": errors.iter().map(JsonError::from).collect::<Vec<_>>(),
                });
                writeln!(out, "{}", super::json(&doc)?)?;
            } else {
                for e in &errors {
                    writeln!(err, "{}: {e}", paint("1;31", "error"))?;
                }
                let n = errors.len();
                writeln!(
                    err,
                    "{}: {n} error{} in the configuration",
                    paint("1;31", "invalid"),
                    if n == 1 { "" } else { "s" }
                )?;
            }
            Ok(EXIT_INVALID)
        }
    }
}

fn write_summary(
    path: &Path,
    s: &Summary,
    paint: &dyn Fn(&str, &str) -> String,
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} is valid",
        paint("1;32", "ok"),
        super::shown(&path.display().to_string())
    )?;
    for (i, file) in s.files.iter().enumerate() {
        let label = if i == 0 { "files" } else { "" };
        writeln!(out, "  {label:<9} {}", super::shown(file))?;
    }
    for (label, n) in [
        ("hosts", s.hosts),
        ("services", s.services),
        ("checks", s.checks),
        ("backups", s.backups),
        ("deploys", s.deploys),
        ("runbooks", s.runbooks),
        ("suites", s.suites),
    ] {
        writeln!(out, "  {label:<9} {n}")?;
    }
    Ok(())
}
