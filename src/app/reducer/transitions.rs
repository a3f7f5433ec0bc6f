//! What the console sees change goes in the audit log, so the incident timeline can say
//! when a service began to fail and when it recovered: a check going from passing to
//! failing and back, and a host becoming unreachable and reachable again. These entries
//! say `opsdeck` in their `user`: no one did them, opsdeck saw them.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::model::{CheckId, CheckResult, HostId, Verdict};
use crate::protocol::Effect;

/// Who the timeline names for what opsdeck observed.
pub const OBSERVER: &str = "opsdeck";

fn failing(v: Verdict) -> bool {
    matches!(v, Verdict::Fail | Verdict::Error)
}

/// The entry for a check result, when it changes whether the check passes: `before` is the
/// verdict of the check's previous result (`None`: this is the first). A first result that
/// fails is recorded too (opsdeck started during the incident); a skipped check says nothing.
pub fn check(id: &CheckId, before: Option<Verdict>, result: &CheckResult) -> Option<Effect> {
    let now_failing = failing(result.verdict);
    let event = match before {
        _ if result.verdict == Verdict::Skipped => return None,
        Some(b) if failing(b) && result.verdict.passed() => "passing",
        Some(b) if !failing(b) && now_failing => "failing",
        None if now_failing => "failing",
        _ => return None,
    };
    Some(Effect::Audit {
        kind: "check",
        body: json!({
            "ts": result.at,
            "event": event,
            "check": id.to_string(),
            "service": id.service.to_string(),
            "host": id.service.host.as_str(),
            "verdict": format!("{:?}", result.verdict).to_lowercase(),
            "detail": result.summary,
            "user": OBSERVER,
        }),
    })
}

/// The entry for a host that became unreachable (`reason`) or reachable again (`None`),
/// with how long it had been away.
pub fn host(
    id: &HostId,
    reason: Option<&str>,
    at: DateTime<Utc>,
    away_since: Option<DateTime<Utc>>,
) -> Effect {
    let mut body = json!({
        "ts": at,
        "event": if reason.is_some() { "unreachable" } else { "reachable" },
        "host": id.as_str(),
        "user": OBSERVER,
    });
    if let Some(r) = reason {
        body["detail"] = r.into();
    }
    if let Some(since) = away_since {
        body["away_ms"] = (at - since).num_milliseconds().max(0).into();
    }
    Effect::Audit { kind: "host", body }
}
