//! `opsdeck check`: run health and smoke checks once (or until they pass, with `--wait`)
//! and report as text, JSON or JUnit XML.
//!
//! Exit codes: 0 every selected check passed (warnings pass); 1 at least one check failed;
//! 2 a configuration or connection error — a bad config or selection, an SSH host that cannot
//! be reached for a command check, a check that cannot be carried out (unreadable `ca_file`,
//! a kind not available yet). An HTTP endpoint that refuses connections or times out is a
//! failed check (1): the service is what failed. When both happen, 2 wins.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::check::expect::millis;
use crate::check::select::{Selection, select};
use crate::check::{CheckRunner, CheckSpec, Persistence};
use crate::config::Config;
use crate::config::secret::redact;
use crate::model::{CheckResult, HostId, Verdict};
use crate::transport::Transports;
use crate::transport::ssh::{SshTarget, connect};

pub const EXIT_PASS: i32 = 0;
pub const EXIT_FAIL: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
    Junit,
}

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub selection: Selection,
    /// Keep retrying failing checks until they pass or this much time has gone.
    pub wait: Option<Duration>,
    pub format: Format,
}

/// A check and how it ended.
pub struct Outcome {
    pub spec: CheckSpec,
    pub result: CheckResult,
}

pub async fn run(
    config: &Config,
    known_hosts: &Path,
    opts: &CheckOptions,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let specs = match select(config, &opts.selection) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let started_at = Utc::now();
    let started = Instant::now();
    let progress = std::io::stderr().is_terminal();
    let outcomes = run_checks(config, known_hosts, specs, opts.wait, progress).await;
    let took = started.elapsed();
    match opts.format {
        Format::Text => write_text(&outcomes, took, out)?,
        Format::Json => write_json(&outcomes, took, out)?,
        Format::Junit => write_junit(&outcomes, took, started_at, out)?,
    }
    Ok(exit_code(outcomes.iter().map(|o| o.result.verdict)))
}

/// 2 if anything could not be checked, else 1 if anything failed, else 0.
pub fn exit_code(verdicts: impl IntoIterator<Item = Verdict>) -> i32 {
    let worst = verdicts.into_iter().max().unwrap_or(Verdict::Pass);
    match worst {
        Verdict::Skipped | Verdict::Pass | Verdict::Warn => EXIT_PASS,
        Verdict::Fail => EXIT_FAIL,
        Verdict::Error => EXIT_ERROR,
    }
}

/// Connects the SSH hosts that command checks need, then runs every check at once.
pub async fn run_checks(
    config: &Config,
    known_hosts: &Path,
    specs: Vec<CheckSpec>,
    wait: Option<Duration>,
    progress: bool,
) -> Vec<Outcome> {
    let transports = Arc::new(Transports::for_config(config));
    let mut hosts: Vec<HostId> = specs.iter().filter_map(|s| s.ssh_host().cloned()).collect();
    hosts.sort();
    hosts.dedup();
    let unreachable: Vec<(HostId, String)> =
        futures::future::join_all(hosts.into_iter().map(|id| {
            let transports = transports.clone();
            async move {
                let host = config.find_host(&id)?;
                let target =
                    SshTarget::from_config(host, known_hosts)?.with_settings(&config.file.settings);
                match connect(&target).await {
                    Ok(conn) => {
                        transports.set_ssh(&id, Some(Arc::new(conn)));
                        None
                    }
                    Err(e) => Some((id, e.to_string())),
                }
            }
        }))
        .await
        .into_iter()
        .flatten()
        .collect();
    if progress {
        eprintln!("checking {} checks…", specs.len());
    }
    let persistence = match wait {
        Some(w) => Persistence::Until(tokio::time::Instant::now() + w),
        None => Persistence::Retries,
    };
    futures::future::join_all(specs.into_iter().map(|spec| {
        let transports = transports.clone();
        let unreachable = &unreachable;
        async move {
            let no_host = spec
                .ssh_host()
                .and_then(|h| unreachable.iter().find(|(u, _)| u == h));
            let result = match no_host {
                Some((host, reason)) => CheckResult::error(
                    Utc::now(),
                    Duration::ZERO,
                    redact(&format!("cannot reach {host} over ssh: {reason}")),
                ),
                None => {
                    CheckRunner::new(spec.clone())
                        .run(&transports, persistence)
                        .await
                }
            };
            if progress {
                eprintln!("  {} {}", result.verdict.label(), spec.id);
            }
            Outcome { spec, result }
        }
    }))
    .await
}

fn counts(outcomes: &[Outcome]) -> [usize; 5] {
    let n = |v: Verdict| outcomes.iter().filter(|o| o.result.verdict == v).count();
    [
        n(Verdict::Pass),
        n(Verdict::Warn),
        n(Verdict::Fail),
        n(Verdict::Error),
        n(Verdict::Skipped),
    ]
}

pub fn write_text(
    outcomes: &[Outcome],
    took: Duration,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let width = outcomes
        .iter()
        .map(|o| o.spec.id.to_string().len())
        .max()
        .unwrap_or(0);
    for o in outcomes {
        let r = &o.result;
        let attempts = if r.attempts > 1 {
            format!(" ({} attempts)", r.attempts)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{:<5}  {:<width$}  {}{attempts}",
            r.verdict.label().to_uppercase(),
            super::shown(&o.spec.id.to_string()),
            super::shown(&r.summary)
        )?;
        let more = r
            .failures
            .iter()
            .skip(1)
            .chain(r.warnings.iter().skip(usize::from(r.failures.is_empty())));
        for line in more.flat_map(|l| l.lines()) {
            writeln!(out, "{:<5}  {:<width$}  {}", "", "", super::shown(line))?;
        }
    }
    let [pass, warn, fail, error, skipped] = counts(outcomes);
    let skipped = if skipped > 0 {
        format!(", {skipped} skipped (read-only)")
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} checks: {pass} passed, {warn} warned, {fail} failed, {error} errors{skipped} in {}",
        outcomes.len(),
        millis(took)
    )
}

pub fn write_json(
    outcomes: &[Outcome],
    took: Duration,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let verdicts = outcomes.iter().map(|o| o.result.verdict);
    let checks: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            let mut v = serde_json::to_value(&o.result).unwrap_or_default();
            if let serde_json::Value::Object(map) = &mut v {
                map.insert("id".into(), o.spec.id.to_string().into());
                map.insert("host".into(), o.spec.id.host().as_str().into());
                map.insert("service".into(), (*o.spec.id.service.name).into());
                map.insert("check".into(), (*o.spec.id.name).into());
                map.insert("kind".into(), o.spec.kind_label().into());
            }
            v
        })
        .collect();
    let [pass, warn, fail, error, skipped] = counts(outcomes);
    let code = exit_code(verdicts);
    let doc = serde_json::json!({
        "ok": code == EXIT_PASS,
        "exit_code": code,
        "duration_ms": took.as_millis() as u64,
        "counts": { "pass": pass, "warn": warn, "fail": fail, "error": error, "skipped": skipped },
        "checks": checks,
    });
    writeln!(out, "{}", super::json(&doc)?)
}

/// JUnit XML as CI systems read it: one `<testsuite>` per host, one `<testcase>` per check,
/// `<failure>` for failed checks and `<error>` for checks that could not be carried out.
pub fn write_junit(
    outcomes: &[Outcome],
    took: Duration,
    started: DateTime<Utc>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut hosts: Vec<&HostId> = Vec::new();
    for o in outcomes {
        if !hosts.contains(&o.spec.id.host()) {
            hosts.push(o.spec.id.host());
        }
    }
    let [_, _, fail, error, skipped] = counts(outcomes);
    let secs = |d: Duration| format!("{:.3}", d.as_secs_f64());
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="opsdeck check" tests="{}" failures="{fail}" errors="{error}" skipped="{skipped}" time="{}">"#,
        outcomes.len(),
        secs(took)
    )?;
    for host in hosts {
        let mine: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.spec.id.host() == host)
            .collect();
        let n = |v: Verdict| mine.iter().filter(|o| o.result.verdict == v).count();
        let time: Duration = mine
            .iter()
            .map(|o| o.result.duration)
            .max()
            .unwrap_or_default();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}" time="{}" timestamp="{}">"#,
            xml(host.as_str()),
            mine.len(),
            n(Verdict::Fail),
            n(Verdict::Error),
            n(Verdict::Skipped),
            secs(time),
            started.format("%Y-%m-%dT%H:%M:%S")
        )?;
        for o in mine {
            let r = &o.result;
            let id = &o.spec.id;
            write!(
                out,
                r#"    <testcase name="{}" classname="{}" time="{}""#,
                xml(&format!("{}/{}", id.service.name, id.name)),
                xml(&format!("{}.{}", id.host(), id.service.name)),
                secs(r.duration)
            )?;
            let element = match r.verdict {
                Verdict::Fail => Some("failure"),
                Verdict::Error => Some("error"),
                Verdict::Skipped => {
                    writeln!(out, ">")?;
                    writeln!(out, r#"      <skipped message="{}"/>"#, xml(&r.summary))?;
                    writeln!(out, "    </testcase>")?;
                    continue;
                }
                Verdict::Pass | Verdict::Warn => None,
            };
            if element.is_none() && r.warnings.is_empty() {
                writeln!(out, "/>")?;
                continue;
            }
            writeln!(out, ">")?;
            if let Some(el) = element {
                writeln!(
                    out,
                    r#"      <{el} message="{}" type="{}">{}</{el}>"#,
                    xml(&r.summary),
                    r.verdict.label(),
                    xml(&r.failures.join("\n"))
                )?;
            }
            if !r.warnings.is_empty() {
                writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    xml(&r.warnings.join("\n"))
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

fn xml(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    let lines: Vec<String> = text.split('\n').map(super::shown).collect();
    for c in lines.join("\n").chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_rule() {
        use Verdict::*;
        assert_eq!(exit_code([]), 0);
        assert_eq!(exit_code([Pass, Warn]), 0);
        assert_eq!(exit_code([Pass, Fail, Warn]), 1);
        assert_eq!(exit_code([Fail, Error]), 2);
    }

    #[test]
    fn xml_escapes() {
        assert_eq!(
            xml("`a` <b> & \"c\"\u{1}"),
            "`a` &lt;b&gt; &amp; &quot;c&quot;·"
        );
        assert_eq!(xml("one\ntwo\u{1b}[2J"), "one\ntwo·");
    }
}
