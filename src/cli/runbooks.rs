//! `opsdeck runbooks` and `opsdeck timeline`: the runbook catalogue and the audit log as an
//! incident timeline, printed.

use std::io::Write;

use chrono::Utc;

use super::act::{EXIT_NOT_STARTED, EXIT_OK};
use crate::action::audit::AuditLog;
use crate::config::Config;
use crate::runbook::{self as rb, timeline};

/// `opsdeck runbooks [--json]`: every runbook with its source. Exit 0, or 2 when a runbook
/// file could not be read (the others are still listed).
pub fn list(config: &Config, json: bool, out: &mut impl Write) -> std::io::Result<i32> {
    let (books, errors) = rb::catalog(config);
    if json {
        let doc: Vec<serde_json::Value> = books
            .iter()
            .map(|b| {
                serde_json::json!({
                    "name": b.name,
                    "title": b.title,
                    "source": b.source.to_string(),
                    "steps": b.steps.len(),
                })
            })
            .collect();
        writeln!(out, "{}", super::json(&doc)?)?;
    } else {
        if books.is_empty() {
            writeln!(
                out,
                "no runbooks (add [[runbooks]] or files in {})",
                rb::runbooks_dir(config).display()
            )?;
        }
        let width = books.iter().map(|b| b.name.len()).max().unwrap_or(4).max(4);
        for b in &books {
            writeln!(
                out,
                "{:width$}  {:>2} steps  {}  ({})",
                b.name,
                b.steps.len(),
                super::shown(&b.title),
                super::shown(&b.source.to_string())
            )?;
        }
    }
    for e in &errors {
        writeln!(out, "error: {}", super::shown(&e.to_string()))?;
    }
    Ok(if errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_NOT_STARTED
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimelineFormat {
    Markdown,
    Json,
}

/// `opsdeck timeline`: the audit log as an incident timeline. Exit 0, 2 when the log cannot
/// be read or a time is not understood.
pub fn timeline(
    audit: &AuditLog,
    since: Option<&str>,
    until: Option<&str>,
    host: Option<String>,
    format: TimelineFormat,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let now = Utc::now();
    let parse = |t: Option<&str>| t.map(|t| timeline::parse_time(t, now)).transpose();
    let (since, until) = match (parse(since), parse(until)) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(e), _) | (_, Err(e)) => {
            writeln!(out, "error: {e}")?;
            return Ok(EXIT_NOT_STARTED);
        }
    };
    let text = match std::fs::read_to_string(audit.path()) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            writeln!(out, "error: cannot read {}: {e}", audit.path().display())?;
            return Ok(EXIT_NOT_STARTED);
        }
    };
    let filter = timeline::Filter { since, until, host };
    let (rows, bad) = timeline::build(&text, &filter);
    match format {
        TimelineFormat::Json => writeln!(out, "{}", super::json(&rows)?)?,
        TimelineFormat::Markdown => {
            for l in timeline::markdown(&rows, &filter).lines() {
                writeln!(out, "{}", super::shown(l))?;
            }
            if bad > 0 {
                writeln!(
                    out,
                    "\n({bad} lines of {} were not audit entries)",
                    audit.path().display()
                )?;
            }
        }
    }
    Ok(EXIT_OK)
}
