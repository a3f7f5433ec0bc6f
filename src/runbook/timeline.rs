//! The audit log read back as an incident timeline: each action, runbook run, runbook step
//! and note as one row with when it began and ended, who, what, where, how it ended and
//! how long it took. Pure: the caller reads the file.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::action::audit::who;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub start: DateTime<Utc>,
    /// `None`: no end was recorded (still running, or opsdeck was killed).
    pub end: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub who: String,
    /// `action`, `runbook`, `runbook_step`, `note`.
    pub kind: String,
    pub what: String,
    pub host: Option<String>,
    /// `succeeded`, `failed`, `passed`, `skipped`, `completed`, `aborted`, … (`None`: open).
    pub outcome: Option<String>,
    /// Why it failed or was skipped; the note's text.
    pub detail: Option<String>,
    pub run_id: Option<String>,
    /// The service a check row is about (`HOST/SERVICE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// Which rows to keep: by start time and host (a row without a host — a runbook run, a
/// note — is kept when its run touches the host).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub host: Option<String>,
}

/// The rows of an audit log's lines, oldest first, and how many lines were not entries.
pub fn build(lines: &str, filter: &Filter) -> (Vec<Row>, usize) {
    let mut rows: Vec<Row> = Vec::new();
    let mut bad = 0;
    // Open rows by their key, as indices into `rows`.
    let mut open: Vec<(String, usize)> = Vec::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            bad += 1;
            continue;
        };
        let Some(ts) = v["ts"]
            .as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        else {
            bad += 1;
            continue;
        };
        let s = |k: &str| v[k].as_str().map(str::to_owned);
        let kind = s("kind").unwrap_or_else(|| "action".into());
        let event = s("event").unwrap_or_default();
        let key = match kind.as_str() {
            "action" => format!("action:{}", v["action_id"]),
            "runbook" => format!("runbook:{}", v["run_id"]),
            "runbook_step" => format!("step:{}:{}:{}", v["run_id"], v["step"], v["attempt"]),
            _ => String::new(),
        };
        let who = who(
            &s("user").unwrap_or_else(|| "?".into()),
            s("from").as_deref(),
        );
        let host = s("host").filter(|h| !h.is_empty());
        if event == "end"
            && let Some(pos) = open.iter().position(|(k, _)| *k == key)
        {
            let (_, i) = open.remove(pos);
            let row = &mut rows[i];
            row.end = Some(ts);
            row.duration_ms = v["duration_ms"]
                .as_u64()
                .or_else(|| (ts - row.start).num_milliseconds().try_into().ok());
            // An action's outcome is its `result` (succeeded, failed, interrupted, refused).
            row.outcome = s("outcome").or_else(|| s("result"));
            row.detail = end_detail(&v).or_else(|| row.detail.clone());
            continue;
        }
        let what = match kind.as_str() {
            "action" => {
                let service = s("service").filter(|x| !x.is_empty());
                format!(
                    "{} {}",
                    s("action").unwrap_or_default(),
                    service.or_else(|| host.clone()).unwrap_or_default()
                )
            }
            "runbook" => format!(
                "runbook {} — {}",
                s("runbook").unwrap_or_default(),
                s("title").unwrap_or_default()
            ),
            "runbook_step" => {
                let mut w = format!("step {}: {}", v["step"], s("title").unwrap_or_default());
                if v["attempt"].as_u64().is_some_and(|a| a > 1) {
                    w.push_str(&format!(" (try {})", v["attempt"]));
                }
                w
            }
            "note" => "note".into(),
            "check" => format!("check {} {event}", s("check").unwrap_or_default()),
            "host" => format!("host {} {event}", host.clone().unwrap_or_default()),
            other => other.to_owned(),
        };
        let mut row = Row {
            start: ts,
            end: None,
            duration_ms: None,
            who,
            kind: kind.clone(),
            what,
            host,
            outcome: None,
            detail: None,
            run_id: s("run_id"),
            service: None,
        };
        if kind == "note" {
            row.end = Some(ts);
            row.detail = s("text");
        }
        if kind == "check" || kind == "host" {
            // What opsdeck saw change: a moment, not a span.
            row.end = Some(ts);
            row.outcome = Some(event.clone());
            row.detail = s("detail");
            row.service = s("service");
        }
        if event == "end" {
            // An end without its start (the log was cut): a row of its own.
            row.end = Some(ts);
            row.outcome = s("outcome").or_else(|| s("result"));
            row.detail = end_detail(&v);
            row.duration_ms = v["duration_ms"].as_u64();
        } else if !key.is_empty() {
            open.push((key, rows.len()));
        }
        rows.push(row);
    }
    rows.sort_by_key(|r| r.start);
    let recovered = recoveries(&rows);
    rows.extend(recovered);
    // Runs that touched the host keep their own rows (the run, its notes).
    let runs_on_host: Vec<String> = match &filter.host {
        Some(h) => rows
            .iter()
            .filter(|r| r.host.as_deref() == Some(h))
            .filter_map(|r| r.run_id.clone())
            .collect(),
        None => vec![],
    };
    rows.retain(|r| {
        filter.since.is_none_or(|t| r.end.unwrap_or(r.start) >= t)
            && filter.until.is_none_or(|t| r.start <= t)
            && filter.host.as_ref().is_none_or(|h| {
                r.host.as_deref() == Some(h)
                    || (r.host.is_none()
                        && r.run_id
                            .as_ref()
                            .is_some_and(|id| runs_on_host.contains(id)))
            })
    });
    rows.sort_by_key(|r| r.start);
    (rows, bad)
}

/// Each outage and its time to recovery, as `recovery` rows: for a service, from its first
/// check failing to the moment the last failing one passed again; for a host, from
/// unreachable to reachable. `end: None` while it is still failing. `rows` are in order.
fn recoveries(rows: &[Row]) -> Vec<Row> {
    use std::collections::{BTreeMap, BTreeSet};
    struct Outage {
        since: DateTime<Utc>,
        failing: BTreeSet<String>,
        detail: Option<String>,
        host: Option<String>,
        service: Option<String>,
    }
    let mut open: BTreeMap<String, Outage> = BTreeMap::new();
    let mut out = Vec::new();
    let row = |subject: &str, o: Outage, end: Option<DateTime<Utc>>| Row {
        start: o.since,
        end,
        duration_ms: end.and_then(|e| (e - o.since).num_milliseconds().try_into().ok()),
        who: "opsdeck".into(),
        kind: "recovery".into(),
        what: if end.is_some() {
            format!("{subject} recovered")
        } else {
            format!("{subject} still failing")
        },
        host: o.host,
        outcome: Some(
            if end.is_some() {
                "recovered"
            } else {
                "not recovered"
            }
            .into(),
        ),
        detail: o.detail,
        run_id: None,
        service: o.service,
    };
    for r in rows {
        let (subject, part, fails) = match (r.kind.as_str(), r.outcome.as_deref(), &r.service) {
            ("check", Some(ev), Some(service)) => {
                let check = r.what.rsplit_once(' ').map_or(r.what.as_str(), |(c, _)| c);
                (service.clone(), check.to_owned(), ev == "failing")
            }
            ("host", Some(ev), _) => (
                format!("host {}", r.host.as_deref().unwrap_or("?")),
                String::new(),
                ev == "unreachable",
            ),
            _ => continue,
        };
        match (open.get_mut(&subject), fails) {
            (Some(o), true) => {
                o.failing.insert(part);
            }
            (None, true) => {
                open.insert(
                    subject,
                    Outage {
                        since: r.start,
                        failing: BTreeSet::from([part]),
                        detail: r.detail.clone(),
                        host: r.host.clone(),
                        service: r.service.clone(),
                    },
                );
            }
            (Some(o), false) => {
                o.failing.remove(&part);
                if o.failing.is_empty()
                    && let Some(o) = open.remove(&subject)
                {
                    out.push(row(&subject, o, Some(r.start)));
                }
            }
            (None, false) => {}
        }
    }
    out.extend(open.into_iter().map(|(s, o)| row(&s, o, None)));
    out
}

/// Why an end failed: the action's error, the step's detail.
fn end_detail(v: &Value) -> Option<String> {
    let s = |k: &str| v[k].as_str().filter(|x| !x.is_empty()).map(str::to_owned);
    s("detail")
        .or_else(|| s("error"))
        .or_else(|| s("reason"))
        .or_else(|| {
            // An action's outcome is flattened: `Failed { step_title, … }`.
            s("step_title").map(|t| format!("failed at: {t}"))
        })
}

/// A duration as people read it in a postmortem: `850ms`, `12.3s`, `4m05s`, `1h02m`.
pub fn human(ms: u64) -> String {
    let d = Duration::from_millis(ms);
    let s = d.as_secs();
    if ms < 1000 {
        format!("{ms}ms")
    } else if s < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The timeline as a Markdown document ready for a postmortem.
pub fn markdown(rows: &[Row], filter: &Filter) -> String {
    let mut out = String::from("# Incident timeline\n\n");
    let span = match (
        rows.first(),
        rows.iter().filter_map(|r| r.end.or(Some(r.start))).max(),
    ) {
        (Some(first), Some(last)) => format!(
            "{} — {} (UTC)",
            first.start.format("%Y-%m-%d %H:%M:%S"),
            last.format("%Y-%m-%d %H:%M:%S")
        ),
        _ => "no entries".into(),
    };
    out.push_str(&span);
    if let Some(h) = &filter.host {
        out.push_str(&format!(", host {h}"));
    }
    out.push_str("\n\n| start | end | duration | who | what | host | outcome | detail |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    let (recovery, rows): (Vec<&Row>, Vec<&Row>) = rows.iter().partition(|r| r.kind == "recovery");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.start.format("%H:%M:%S"),
            r.end
                .map_or("—".into(), |e| e.format("%H:%M:%S").to_string()),
            r.duration_ms.map_or(String::new(), human),
            cell(&r.who),
            cell(&r.what),
            cell(r.host.as_deref().unwrap_or("")),
            cell(r.outcome.as_deref().unwrap_or(if r.end.is_none() {
                "no end recorded"
            } else {
                ""
            })),
            cell(r.detail.as_deref().unwrap_or("")),
        ));
    }
    if !recovery.is_empty() {
        out.push_str("\n## Time to recovery\n\n| what | failed at | recovered at | time to recovery | first failure |\n");
        out.push_str("|---|---|---|---|---|\n");
        for r in recovery {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                cell(r.service.as_deref().unwrap_or(&r.what)),
                r.start.format("%Y-%m-%d %H:%M:%S"),
                r.end.map_or("not yet".into(), |e| e
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()),
                r.duration_ms.map_or("—".into(), human),
                cell(r.detail.as_deref().unwrap_or("")),
            ));
        }
    }
    out
}

/// `2h`, `30m` (ago) or an RFC 3339 time.
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = text.parse::<DateTime<Utc>>() {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = humantime::parse_duration(text).map_err(|_| {
        format!("`{text}` is neither a time (2026-12-02T06:00:00Z) nor a duration ago (2h, 30m)")
    })?;
    Ok(now - chrono::Duration::from_std(d).map_err(|e| e.to_string())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = r#"{"ts":"2026-12-02T06:00:00Z","kind":"runbook","event":"start","run_id":"r1","runbook":"fix","title":"Fix it","user":"alice","from":"10.0.0.5"}
{"ts":"2026-12-02T06:00:01Z","kind":"runbook_step","event":"start","run_id":"r1","runbook":"fix","step":1,"attempt":1,"title":"ping","host":"gamelera","user":"alice","from":"10.0.0.5"}
not json at all
{"ts":"2026-12-02T06:00:03Z","kind":"runbook_step","event":"end","run_id":"r1","runbook":"fix","step":1,"attempt":1,"title":"ping","host":"gamelera","outcome":"failed","detail":"exit 1","duration_ms":2000,"user":"alice"}
{"ts":"2026-12-02T06:00:04Z","event":"start","action_id":7,"user":"alice","action":"restart","host":"triboka","service":"triboka/api","location":"ssh","commands":[]}
{"ts":"2026-12-02T06:00:09Z","event":"end","action_id":7,"user":"alice","action":"restart","host":"triboka","service":"triboka/api","location":"ssh","commands":[],"result":"failed","error":"exit 5","duration_ms":5000}
{"ts":"2026-12-02T06:00:10Z","kind":"note","run_id":"r1","runbook":"fix","text":"paged the DBA","user":"bob"}
{"ts":"2026-12-02T06:00:11Z","kind":"runbook","event":"end","run_id":"r1","runbook":"fix","title":"Fix it","outcome":"aborted","detail":"wrong host","duration_ms":11000,"user":"alice"}
"#;

    #[test]
    fn pairs_starts_with_ends_and_names_who() {
        let (rows, bad) = build(LOG, &Filter::default());
        assert_eq!(bad, 1);
        let whats: Vec<&str> = rows.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "runbook fix — Fix it",
                "step 1: ping",
                "restart triboka/api",
                "note"
            ]
        );
        assert_eq!(rows[0].who, "alice from 10.0.0.5");
        assert_eq!(rows[0].outcome.as_deref(), Some("aborted"));
        assert_eq!(rows[0].detail.as_deref(), Some("wrong host"));
        assert_eq!(
            (rows[1].duration_ms, rows[1].outcome.as_deref()),
            (Some(2000), Some("failed"))
        );
        assert_eq!(
            (rows[2].outcome.as_deref(), rows[2].detail.as_deref()),
            (Some("failed"), Some("exit 5"))
        );
        assert_eq!(rows[3].detail.as_deref(), Some("paged the DBA"));
        let md = markdown(&rows, &Filter::default());
        assert!(md.contains("| 06:00:01 | 06:00:03 | 2.0s | alice from 10.0.0.5 | step 1: ping | gamelera | failed | exit 1 |"), "{md}");
    }

    #[test]
    fn filters_by_time_and_host() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let host = Filter {
            host: Some("gamelera".into()),
            ..Filter::default()
        };
        let (rows, _) = build(LOG, &host);
        // The step on gamelera, and its run and note (no host of their own).
        assert_eq!(rows.len(), 3, "{rows:#?}");
        assert!(rows.iter().all(|r| r.what != "restart triboka/api"));
        let late = Filter {
            since: Some(at("2026-12-02T06:00:05Z")),
            ..Filter::default()
        };
        let (rows, _) = build(LOG, &late);
        // Rows that ended after `since` are kept: the run, the restart, the note.
        assert_eq!(rows.len(), 3, "{rows:#?}");
        let early = Filter {
            until: Some(at("2026-12-02T06:00:02Z")),
            ..Filter::default()
        };
        assert_eq!(build(LOG, &early).0.len(), 2);
        let now = at("2026-12-02T08:00:00Z");
        assert_eq!(parse_time("2h", now).unwrap(), at("2026-12-02T06:00:00Z"));
        assert!(parse_time("yesterday", now).is_err());
        assert_eq!(human(850), "850ms");
        assert_eq!(human(245_000), "4m05s");
    }

    const OUTAGE: &str = r#"{"ts":"2026-12-02T07:00:00Z","kind":"check","event":"failing","check":"web/api/health","service":"web/api","host":"web","detail":"503 in 3 ms","user":"opsdeck"}
{"ts":"2026-12-02T07:00:05Z","kind":"check","event":"failing","check":"web/api/ready","service":"web/api","host":"web","detail":"timed out","user":"opsdeck"}
{"ts":"2026-12-02T07:00:20Z","kind":"host","event":"unreachable","host":"db","detail":"connection refused","user":"opsdeck"}
{"ts":"2026-12-02T07:01:00Z","kind":"check","event":"passing","check":"web/api/health","service":"web/api","host":"web","detail":"200 in 4 ms","user":"opsdeck"}
{"ts":"2026-12-02T07:02:30Z","kind":"check","event":"passing","check":"web/api/ready","service":"web/api","host":"web","detail":"200","user":"opsdeck"}
{"ts":"2026-12-02T07:03:00Z","kind":"check","event":"failing","check":"web/api/health","service":"web/api","host":"web","detail":"500","user":"opsdeck"}
"#;

    #[test]
    fn an_outage_lasts_until_the_last_failing_check_passes_and_a_host_until_it_is_back() {
        let (rows, bad) = build(OUTAGE, &Filter::default());
        assert_eq!(bad, 0);
        let rec: Vec<&Row> = rows.iter().filter(|r| r.kind == "recovery").collect();
        assert_eq!(rec.len(), 3, "{rec:#?}");
        let first = rec
            .iter()
            .find(|r| r.what == "web/api recovered")
            .expect("the first outage ended");
        // 07:00:00 (first check fails) → 07:02:30 (the second, last failing, passes).
        assert_eq!(first.duration_ms, Some(150_000));
        assert_eq!(first.detail.as_deref(), Some("503 in 3 ms"));
        let still: Vec<&str> = rec
            .iter()
            .filter(|r| r.end.is_none())
            .map(|r| r.what.as_str())
            .collect();
        assert_eq!(still, ["host db still failing", "web/api still failing"]);
        let check = rows.iter().find(|r| r.kind == "check").unwrap();
        assert_eq!(check.what, "check web/api/health failing");
        assert_eq!(check.who, "opsdeck");
        let md = markdown(&rows, &Filter::default());
        assert!(md.contains("## Time to recovery"), "{md}");
        assert!(
            md.contains(
                "| web/api | 2026-12-02 07:00:00 | 2026-12-02 07:02:30 | 2m30s | 503 in 3 ms |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| host db still failing | 2026-12-02 07:00:20 | not yet | — | connection refused |"
            ),
            "{md}"
        );
    }
}
