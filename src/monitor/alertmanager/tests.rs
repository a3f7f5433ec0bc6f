//! Parsing what Alertmanager 0.25 answered (captured from a real one).

use super::*;

const ALERTS: &str = r#"[{"annotations":{"runbook_url":"https://wiki/runbooks/preventia-restore","summary":"down"},"endsAt":"2026-12-02T13:45:04.364Z","fingerprint":"81aeec3ea9d72e2f","receivers":[{"name":"null"}],"startsAt":"2026-12-02T13:40:04.364Z","status":{"inhibitedBy":[],"silencedBy":["5713a1c6-a120-4718-ac8e-d01ff15e0e40"],"state":"suppressed"},"updatedAt":"2026-12-02T13:40:04.364Z","generatorURL":"http://10.77.0.13:9090/graph?g0.expr=up","labels":{"alertname":"NodeDown","instance":"10.77.0.13:9100","job":"node","severity":"critical"}},
{"annotations":{},"endsAt":"2026-12-02T13:45:04.364Z","fingerprint":"0000000000000001","receivers":[{"name":"null"}],"startsAt":"2026-12-02T13:40:04.364Z","status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-12-02T13:40:04.364Z","labels":{"alertname":"LabAlwaysFiring"}}]"#;

const SILENCES: &str = r#"[{"id":"5713a1c6-a120-4718-ac8e-d01ff15e0e40","status":{"state":"active"},"updatedAt":"2026-12-02T13:40:05.402Z","comment":"c","createdBy":"t","endsAt":"2026-12-02T18:00:00.000Z","matchers":[{"isEqual":true,"isRegex":false,"name":"alertname","value":"NodeDown"}],"startsAt":"2026-12-02T13:40:05.402Z"}]"#;

#[test]
fn alerts_parse_with_labels_annotations_and_silence_state() {
    let alerts = parse_alerts(ALERTS).unwrap();
    assert_eq!(alerts.len(), 2);
    let a = &alerts[0];
    assert_eq!(a.name(), "NodeDown");
    assert_eq!(a.severity(), Some("critical"));
    assert_eq!(a.state(), "silenced");
    assert!(!a.is_firing());
    assert_eq!(a.annotations["summary"], "down");
    assert_eq!(a.starts_at.to_rfc3339(), "2026-12-02T13:40:04.364+00:00");
    assert_eq!(
        a.generator_url.as_deref(),
        Some("http://10.77.0.13:9090/graph?g0.expr=up")
    );
    assert_eq!(alerts[1].state(), "firing");
    assert!(alerts[1].is_firing());
    assert_eq!(alerts[1].severity(), None);
}

#[test]
fn silences_parse() {
    let s = parse_silences(SILENCES).unwrap();
    assert_eq!(s[0].id, "5713a1c6-a120-4718-ac8e-d01ff15e0e40");
    assert_eq!(s[0].status.state, "active");
    assert_eq!(s[0].matchers[0].name, "alertname");
    assert!(s[0].matchers[0].is_equal && !s[0].matchers[0].is_regex);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(parse_alerts("<html>").is_err());
    assert!(parse_alerts(r#"{"alerts":[]}"#).is_err());
    assert!(parse_silences("[{}]").is_err());
}

#[test]
fn a_new_silence_is_written_as_the_api_wants_it() {
    let labels: BTreeMap<String, String> = [
        ("alertname".into(), "X".into()),
        ("host".into(), "a".into()),
    ]
    .into();
    let s = NewSilence {
        matchers: exact_matchers(&labels),
        starts_at: "2026-12-02T13:00:00Z".parse().unwrap(),
        ends_at: "2026-12-02T15:00:00Z".parse().unwrap(),
        created_by: "op".into(),
        comment: "deploying".into(),
    };
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["matchers"][1]["name"], "host");
    assert_eq!(v["matchers"][1]["isEqual"], true);
    assert_eq!(v["matchers"][1]["isRegex"], false);
    assert_eq!(v["createdBy"], "op");
    assert_eq!(v["endsAt"], "2026-12-02T15:00:00Z");
}

#[test]
fn silence_ids_are_escaped_in_the_path() {
    assert_eq!(urlencode("5713a1c6-a120"), "5713a1c6-a120");
    assert_eq!(urlencode("../x"), "..%2Fx");
}
