//! The deploy history: deploys and rollbacks as the audit log tells them.

use chrono::{DateTime, Utc};

use crate::model::ServiceId;

/// One deploy or rollback as the audit log tells it: the history a Deploys tab shows, and
/// the first thing asked in an incident — what changed?
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeployEvent {
    /// `host/service`.
    pub service: String,
    /// `deploy` or `rollback`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub user: String,
    /// What ran before (recorded before the change).
    pub from: Option<String>,
    pub to: Option<String>,
    /// `succeeded`, `failed`, `interrupted`, `refused`, or `running` without an end yet.
    pub result: String,
    /// A failed deploy that was put back on `from`.
    pub rolled_back: bool,
    pub duration_ms: Option<u64>,
}

/// The deploys and rollbacks in audit entries, oldest first. Entries of one action share
/// an id within one opsdeck run; a start opens an event, its record and end complete it.
pub fn history(entries: &[serde_json::Value]) -> Vec<DeployEvent> {
    let mut out: Vec<DeployEvent> = Vec::new();
    // Open events by action id: their index in `out`.
    let mut open: Vec<(u64, usize)> = Vec::new();
    for e in entries {
        let kind = e["action"].as_str().unwrap_or_default();
        if kind != "deploy" && kind != "rollback" {
            continue;
        }
        let Some(id) = e["action_id"].as_u64() else {
            continue;
        };
        let text = |k: &str| e[k].as_str().map(str::to_owned);
        match e["event"].as_str() {
            Some("start") => {
                let Some(at) = text("ts").and_then(|t| t.parse().ok()) else {
                    continue;
                };
                open.retain(|(i, _)| *i != id);
                open.push((id, out.len()));
                out.push(DeployEvent {
                    service: text("service").unwrap_or_default(),
                    kind: kind.to_owned(),
                    at,
                    user: text("user").unwrap_or_default(),
                    from: None,
                    to: text("version"),
                    result: "running".into(),
                    rolled_back: false,
                    duration_ms: None,
                });
            }
            Some("record") => {
                if let Some(&(_, k)) = open.iter().find(|(i, _)| *i == id)
                    && let Some(v) = e["note"].as_str().and_then(|n| n.split_once(": "))
                {
                    out[k].from = Some(v.1.to_owned());
                }
            }
            Some("end") => {
                if let Some(pos) = open.iter().position(|(i, _)| *i == id) {
                    let (_, k) = open.remove(pos);
                    out[k].result = text("result").unwrap_or_default();
                    out[k].rolled_back = e["put_back"] == true;
                    out[k].duration_ms = e["duration_ms"].as_u64();
                }
            }
            _ => {}
        }
    }
    out
}

/// What a rollback of `service` returns to: what its last successful deploy recorded.
pub fn rollback_target(history: &[DeployEvent], service: &ServiceId) -> Option<String> {
    let name = service.to_string();
    history
        .iter()
        .rev()
        .find(|e| e.service == name && e.kind == "deploy" && e.result == "succeeded")
        .and_then(|e| e.from.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HostId;

    #[test]
    fn the_audit_tells_what_changed() {
        let entries: Vec<serde_json::Value> = [
            r#"{"ts":"2026-12-02T06:00:00Z","event":"start","action_id":1,"user":"ana","action":"deploy","service":"g/b","version":"v2"}"#,
            r#"{"event":"record","action_id":1,"action":"deploy","service":"g/b","note":"recorded previous_version: v1"}"#,
            r#"{"event":"end","action_id":1,"action":"deploy","service":"g/b","result":"succeeded","duration_ms":2500}"#,
            r#"{"ts":"2026-12-02T06:05:00Z","event":"start","action_id":1,"user":"ana","action":"deploy","service":"g/b","version":"v3"}"#,
            r#"{"event":"record","action_id":1,"action":"deploy","service":"g/b","note":"recorded previous_version: v2"}"#,
            r#"{"event":"end","action_id":1,"action":"deploy","service":"g/b","result":"failed","put_back":true,"duration_ms":23000}"#,
            r#"{"ts":"2026-12-02T06:06:00Z","event":"start","action_id":2,"user":"ana","action":"restart","service":"g/b"}"#,
        ]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
        let h = history(&entries);
        assert_eq!(h.len(), 2);
        assert_eq!(
            (h[0].from.as_deref(), h[0].to.as_deref()),
            (Some("v1"), Some("v2"))
        );
        assert_eq!(h[1].result, "failed");
        assert!(h[1].rolled_back);
        let svc = ServiceId::new(&HostId::new("g"), "b");
        assert_eq!(rollback_target(&h, &svc).as_deref(), Some("v1"));
    }
}
