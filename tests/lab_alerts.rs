//! Alerts from the lab's real Alertmanager (preventia, :9093) through the real collector,
//! reducer and dispatcher: `lab/break alert-fire HOST SERVICE` makes Prometheus's `LabAlert`
//! rule fire for that host and service, `alert-resolve` clears it; `alertmanager-stop` and
//! `-start` take Alertmanager away and back. These change shared lab state: one at a time.

mod common;
#[path = "lab_alerts/support.rs"]
mod support;

use std::time::{Duration, Instant};

use common::*;
use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Mode, State};
use opsdeck::model::{Action, HostId, ServiceId};
use opsdeck::protocol::{AlertsUpdate, Update};
use support::*;
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_firing_rule_lands_on_its_host_row_and_resolving_clears_the_badge() {
    let _serial = SERIAL.lock().await;
    let config = monitored();
    let host = HostId::new("epagal");
    let service = ServiceId::new(&host, "backend");
    let _cleanup = Cleanup {
        hosts: vec!["epagal"],
    };
    lab_break(&["alert-resolve", "epagal"]);
    let mut run = Run::start(config.clone());
    run.until(Duration::from_secs(20), "first alerts listing", |u, _| {
        matches!(u, Update::Alerts(AlertsUpdate::Listed { .. }))
    })
    .await;
    // Whatever an earlier run left has resolved before this one starts.
    wait_am("an old LabAlert to resolve", || !am_has_lab_alert("epagal"));

    lab_break(&["alert-fire", "epagal", "backend"]);
    let listed = wait_am("Alertmanager to list LabAlert", || {
        am_has_lab_alert("epagal")
    });
    let one_refresh = refresh(&config) + Duration::from_secs(2);
    run.until(
        one_refresh,
        "LabAlert on epagal/backend within one refresh",
        |u, s| is_alerts(u) && s.alert_count_for_service(&service) == 1,
    )
    .await;
    let seen = listed.elapsed();
    assert_eq!(run.state.alert_count_for_host(&host), 1);
    assert_eq!(
        run.state.alert_count_for_host(&HostId::new("gamelera")),
        0,
        "other hosts have no LabAlert"
    );
    let screen = draw(&run.state);
    let row = row_line(&screen, "epagal").unwrap_or_else(|| panic!("no epagal row:\n{screen}"));
    assert!(
        row.contains("⚑1"),
        "epagal's row has no badge: {row}\n{screen}"
    );
    let svc_row = screen
        .lines()
        .skip_while(|l| !l.contains("epagal"))
        .find(|l| l.contains("backend"))
        .unwrap();
    assert!(svc_row.contains("⚑1"), "backend's row: {svc_row}");
    assert!(
        screen.lines().next().unwrap().contains("firing"),
        "{screen}"
    );

    lab_break(&["alert-resolve", "epagal"]);
    let resolved = wait_am("Alertmanager to drop LabAlert", || {
        !am_has_lab_alert("epagal")
    });
    run.until(
        one_refresh,
        "the badge to clear within one refresh",
        |u, s| is_alerts(u) && s.alert_count_for_service(&service) == 0,
    )
    .await;
    let cleared = resolved.elapsed();
    let screen = draw(&run.state);
    let row = row_line(&screen, "epagal").unwrap();
    assert!(!row.contains('⚑'), "the badge stayed: {row}");
    println!(
        "figures: Alertmanager → opsdeck state {:.1} s (firing), {:.1} s (resolved); refresh {:?}",
        seen.as_secs_f64(),
        cleared.as_secs_f64(),
        refresh(&config)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_silence_from_the_console_is_in_alertmanager_and_expiring_it_removes_it() {
    let _serial = SERIAL.lock().await;
    let config = monitored();
    let _cleanup = Cleanup {
        hosts: vec!["triboka"],
    };
    expire_test_silences();
    lab_break(&["alert-fire", "triboka", "triboka-flask"]);
    wait_am("LabAlert on triboka", || am_has_lab_alert("triboka"));
    let mut run = Run::start(config.clone());
    let service = ServiceId::new(&HostId::new("triboka"), "triboka-flask");
    run.until(Duration::from_secs(20), "LabAlert in the state", |u, s| {
        is_alerts(u) && s.alert_count_for_service(&service) == 1
    })
    .await;

    // Read-only refuses, before anything reaches Alertmanager.
    {
        let mut ro = State::new(&config, true, vec!["default".into()], 0, run.state.now);
        ro.alerts.alerts = run.state.alerts.alerts.clone();
        select_alert(&mut ro, &config, "LabAlert", "triboka");
        update(&mut ro, &config, Msg::Action(Action::SilenceAlert));
        assert!(
            matches!(ro.mode, Mode::Normal),
            "read-only opened the silence popup"
        );
        let said = ro
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default();
        assert!(said.contains("read-only"), "{said}");
    }

    let comment = format!("{TEST_COMMENT} {}", std::process::id());
    select_alert(&mut run.state, &config, "LabAlert", "triboka");
    update(&mut run.state, &config, Msg::Action(Action::SilenceAlert));
    // Duration: "2h" is proposed; make it 10m.
    for _ in 0..2 {
        update(&mut run.state, &config, Msg::Input(TextInput::Backspace));
    }
    typed(&mut run.state, &config, "10m");
    update(
        &mut run.state,
        &config,
        Msg::Input(TextInput::Complete { back: false }),
    );
    typed(&mut run.state, &config, &comment);
    update(&mut run.state, &config, Msg::Input(TextInput::Submit));
    confirm(&mut run);
    run.until(
        Duration::from_secs(20),
        "the silence action to end",
        |u, _| matches!(u, Update::ActionFinished { .. }),
    )
    .await;
    // The popup says it is done; enter closes it.
    update(&mut run.state, &config, Msg::Input(TextInput::Submit));
    let silences = am_get("/api/v2/silences");
    let ours = silences
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["comment"] == comment.as_str())
        .unwrap_or_else(|| panic!("no silence with our comment in {silences}"))
        .clone();
    assert_eq!(ours["status"]["state"], "active", "{ours}");
    let id = ours["id"].as_str().unwrap().to_owned();
    let alert = run
        .state
        .alerts
        .alerts
        .iter()
        .find(|a| a.service.as_ref() == Some(&service))
        .unwrap()
        .clone();
    for (k, v) in &alert.alert.labels {
        assert!(
            ours["matchers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["name"] == k.as_str()
                    && m["value"] == v.as_str()
                    && m["isEqual"] == true
                    && m["isRegex"] == false),
            "the silence does not match label {k}={v} exactly: {ours}"
        );
    }
    let length = chrono::DateTime::parse_from_rfc3339(ours["endsAt"].as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(ours["startsAt"].as_str().unwrap()).unwrap();
    assert!((599..=601).contains(&length.num_seconds()), "{length}");
    run.until(one(&config), "the alert to show silenced", |u, s| {
        is_alerts(u) && s.alert_count_for_service(&service) == 0
    })
    .await;
    assert_eq!(
        run.state
            .alerts
            .alerts
            .iter()
            .find(|a| a.alert.fingerprint == alert.alert.fingerprint)
            .unwrap()
            .alert
            .state(),
        "silenced"
    );

    select_alert(&mut run.state, &config, "LabAlert", "triboka");
    update(&mut run.state, &config, Msg::Action(Action::ExpireSilence));
    confirm(&mut run);
    run.until(
        Duration::from_secs(20),
        "the unsilence action to end",
        |u, _| matches!(u, Update::ActionFinished { .. }),
    )
    .await;
    let after = am_get("/api/v2/silences");
    let state_now = after
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| s["status"]["state"].clone());
    assert_eq!(state_now, Some("expired".into()), "{after}");
    run.until(one(&config), "the alert to fire again", |u, s| {
        is_alerts(u) && s.alert_count_for_service(&service) == 1
    })
    .await;
    let audit = run.audit();
    for action in ["silence", "unsilence"] {
        assert!(
            audit
                .iter()
                .any(|e| e["action"] == action && e["event"] == "end"),
            "no audit entry for {action}: {audit:?}"
        );
    }
    lab_break(&["alert-resolve", "triboka"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn alertmanager_stopped_marks_alerts_stale_and_the_rest_keeps_updating() {
    let _serial = SERIAL.lock().await;
    let config = monitored();
    let mut run = Run::start(config.clone());
    run.until(Duration::from_secs(20), "first alerts listing", |u, _| {
        matches!(u, Update::Alerts(AlertsUpdate::Listed { .. }))
    })
    .await;
    let before = run.state.alerts.alerts.len();
    assert!(before >= 1, "LabAlwaysFiring always fires");

    lab_break(&["alertmanager-stop", "preventia"]);
    let stopped = Instant::now();
    let outcome = async {
        run.until(one(&config), "alerts marked stale", |u, s| {
            is_alerts(u) && s.alerts.stale()
        })
        .await;
        let (reason, _) = run.state.alerts.unavailable.clone().unwrap();
        assert!(reason.contains("10.77.0.13:9093"), "{reason}");
        assert_eq!(
            run.state.alerts.alerts.len(),
            before,
            "what was read is kept"
        );
        let screen = {
            update(&mut run.state, &config, Msg::Action(Action::OpenAlerts));
            draw(&run.state)
        };
        assert!(screen.contains("STALE for"), "{screen}");
        // Hosts keep updating meanwhile.
        run.until(
            Duration::from_secs(10),
            "gamelera sampled while Alertmanager is away",
            |u, _| matches!(u, Update::HostSampled { host, .. } if host.as_str() == "gamelera"),
        )
        .await;
        assert!(run.state.alerts.stale());
    };
    let result = tokio::time::timeout(Duration::from_secs(60), outcome).await;
    lab_break(&["alertmanager-start", "preventia"]);
    let down_for = stopped.elapsed();
    result.expect("stale checks timed out");
    let started = Instant::now();
    run.until(one(&config), "fresh again within one refresh", |u, s| {
        is_alerts(u) && !s.alerts.stale()
    })
    .await;
    println!(
        "figures: Alertmanager down {:.1} s; fresh again {:.1} s after it answered (refresh {:?})",
        down_for.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        refresh(&config)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn opsdeck_alerts_json_and_its_exit_codes() {
    let _serial = SERIAL.lock().await;
    let _ = monitored();
    let _cleanup = Cleanup { hosts: vec![] };
    // After Alertmanager restarted, Prometheus sends it the firing alerts again within 5 s.
    wait_am("LabAlwaysFiring in Alertmanager", || {
        am_get("/api/v2/alerts")
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["labels"]["alertname"] == "LabAlwaysFiring")
    });
    // LabAlwaysFiring fires: exit 1, mapped onto preventia by its host label.
    let (code, out) = opsdeck(&["alerts", "--json"]);
    assert_eq!(code, 1, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let always = doc["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "LabAlwaysFiring")
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(always["host"], "preventia");
    assert_eq!(always["service"], serde_json::Value::Null);
    assert_eq!(always["state"], "firing");
    assert_eq!(always["silenced"], false);
    for key in ["labels", "annotations", "starts_at"] {
        assert!(!always[key].is_null(), "{key} missing: {always}");
    }

    // Read-only refuses a silence (2), nothing reaches Alertmanager.
    let (code, out) = opsdeck(&[
        "--read-only",
        "silence",
        "--match",
        "lab=opsdeck",
        "--for",
        "2m",
        "--comment",
        "ro",
        "--yes",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("read-only"), "{out}");

    // Every lab alert silenced: none firing, exit 0; unsilenced: 1 again.
    let (code, out) = opsdeck(&[
        "silence",
        "--match",
        "lab=opsdeck",
        "--for",
        "2m",
        "--comment",
        "opsdeck lab test: all quiet",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}");
    // "silence 5713a1c6-… until …": the id Alertmanager gave it.
    let id = out
        .split_whitespace()
        .find(|w| w.len() == 36 && w.matches('-').count() == 4)
        .unwrap_or_else(|| panic!("no silence id in {out}"))
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(15);
    let code = loop {
        let (code, _) = opsdeck(&["alerts"]);
        if code == 0 || Instant::now() > deadline {
            break code;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let (uncode, unout) = opsdeck(&["unsilence", &id, "--yes"]);
    assert_eq!(code, 0, "alerts still firing under a silence of everything");
    assert_eq!(uncode, 0, "{unout}");
    let (code, out) = opsdeck(&["alerts"]);
    assert_eq!(code, 1, "{out}");

    // Alertmanager not there: exit 2.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("hosts.toml");
    let text = std::fs::read_to_string(lab_hosts_path())
        .unwrap()
        .replace("http://10.77.0.13:9093", "http://10.77.0.13:9");
    std::fs::write(&bad, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(&bad)
        .args(["alerts", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["error"].as_str().unwrap().contains("10.77.0.13:9"),
        "{doc}"
    );

    // status --json carries alerts per host and service.
    let (_, out) = opsdeck(&["status", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let preventia = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "preventia")
        .unwrap();
    assert!(
        preventia["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "LabAlwaysFiring"),
        "{preventia}"
    );
    assert!(preventia["services"][0]["alerts"].is_array());
    assert_eq!(doc["alertmanager"]["ok"], true);
}
