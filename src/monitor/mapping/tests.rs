use std::path::Path;

use super::*;
use crate::monitor::alertmanager::parse_alerts;

const FLEET: &str = r#"
[monitoring]
alertmanager = "http://10.77.0.13:9093"

[[hosts]]
name = "preventia"
transport = "ssh"
address = "10.77.0.13"
[[hosts.services]]
name = "api"
kind = "compose"
project = "preventia"
[[hosts.services]]
name = "postgres"
kind = "systemd"
unit = "postgresql.service"

[[hosts]]
name = "triboka"
transport = "ssh"
address = "10.77.0.12"
[[hosts.services]]
name = "triboka-flask"
kind = "systemd"
unit = "triboka-flask.service"
[[hosts.services]]
name = "api"
kind = "compose"
project = "triboka"
"#;

fn file() -> crate::config::Config {
    crate::config::parse(Path::new("fleet.toml"), FLEET).unwrap()
}

fn map(labels: &[(&str, &str)]) -> (Option<String>, Option<String>) {
    let c = file();
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let (h, s) = map_labels(&c.file, &c.file.monitoring.matchers, &labels);
    (h.map(|h| h.to_string()), s.map(|s| s.to_string()))
}

#[test]
fn node_exporter_instance_maps_by_address() {
    assert_eq!(
        map(&[("instance", "10.77.0.13:9100"), ("job", "node")]),
        (Some("preventia".into()), None)
    );
}

#[test]
fn host_label_beats_instance_and_names_the_host() {
    assert_eq!(
        map(&[("host", "triboka"), ("instance", "10.77.0.13:9100")]),
        (Some("triboka".into()), None)
    );
}

#[test]
fn a_service_is_found_on_the_alerts_host() {
    assert_eq!(
        map(&[("host", "preventia"), ("service", "api")]),
        (Some("preventia".into()), Some("preventia/api".into()))
    );
    assert_eq!(
        map(&[("instance", "10.77.0.12:5003"), ("job", "api")]),
        (Some("triboka".into()), Some("triboka/api".into()))
    );
}

#[test]
fn a_unit_names_its_service_and_so_its_host() {
    assert_eq!(
        map(&[("service", "triboka-flask")]),
        (Some("triboka".into()), Some("triboka/triboka-flask".into()))
    );
    assert_eq!(
        map(&[("service", "postgresql")]),
        (Some("preventia".into()), Some("preventia/postgres".into()))
    );
}

#[test]
fn an_ambiguous_service_without_host_names_nothing() {
    assert_eq!(map(&[("service", "api")]), (None, None));
}

#[test]
fn unknown_labels_map_to_nothing_but_the_alert_is_kept() {
    assert_eq!(map(&[("instance", "10.1.1.1:9100")]), (None, None));
    let c = file();
    let alerts = parse_alerts(
        r#"[{"fingerprint":"1","labels":{"alertname":"Elsewhere","instance":"10.1.1.1:9100"},"annotations":{},"startsAt":"2026-12-02T13:40:04Z","status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}]"#,
    )
    .unwrap();
    let mapped = map_all(&c.file, alerts);
    assert_eq!(mapped.len(), 1);
    let j = serde_json::to_value(mapped[0].json()).unwrap();
    assert_eq!(j["host"], serde_json::Value::Null);
    assert_eq!(j["service"], serde_json::Value::Null);
    assert_eq!(j["name"], "Elsewhere");
    assert_eq!(j["state"], "firing");
    assert_eq!(j["silenced"], false);
}

#[test]
fn custom_label_lists_replace_the_defaults() {
    let src = FLEET.replace(
        "[monitoring]\n",
        "[monitoring]\nmatch = { host = [\"node\"], service = [\"app\"] }\n",
    );
    let c = crate::config::parse(Path::new("fleet.toml"), &src).unwrap();
    let labels: BTreeMap<String, String> = [
        ("host".to_owned(), "preventia".to_owned()),
        ("node".to_owned(), "triboka".to_owned()),
        ("app".to_owned(), "triboka-flask".to_owned()),
    ]
    .into();
    let (h, s) = map_labels(&c.file, &c.file.monitoring.matchers, &labels);
    assert_eq!(h.unwrap().to_string(), "triboka");
    assert_eq!(s.unwrap().to_string(), "triboka/triboka-flask");
}

#[test]
fn runbooks_are_found_by_label_or_url() {
    let known = vec!["preventia-restore".to_owned(), "gamelera-bd".to_owned()];
    let alert = |labels: &str, annotations: &str| {
        parse_alerts(&format!(
            r#"[{{"fingerprint":"1","labels":{{{labels}}},"annotations":{{{annotations}}},"startsAt":"2026-12-02T13:40:04Z","status":{{"state":"active"}}}}]"#
        ))
        .unwrap()
        .remove(0)
    };
    assert_eq!(
        runbook_of(&alert(r#""runbook":"gamelera-bd""#, ""), &known),
        Some("gamelera-bd")
    );
    assert_eq!(
        runbook_of(
            &alert(
                "",
                r#""runbook_url":"https://wiki.example/runbooks/preventia-restore.md""#
            ),
            &known
        ),
        Some("preventia-restore")
    );
    assert_eq!(
        runbook_of(
            &alert("", r#""runbook_url":"opsdeck://runbook/gamelera-bd""#),
            &known
        ),
        Some("gamelera-bd")
    );
    assert_eq!(
        runbook_of(
            &alert("", r#""runbook_url":"https://wiki.example/other""#),
            &known
        ),
        None
    );
}
