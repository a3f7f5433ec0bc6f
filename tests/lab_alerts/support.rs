//! Helpers of tests/lab_alerts.rs: Alertmanager read directly, the screen drawn, the lab
//! put back however a test ends.

use std::time::{Duration, Instant};

use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Mode, State};
use opsdeck::config::Config;
use opsdeck::model::Action;
use opsdeck::protocol::{Effect, Update};

use super::common::*;

/// Time the lab needs from `alert-fire` to Alertmanager listing it: a scrape (5 s) and a rule
/// evaluation (5 s), with room for a busy machine.
pub const LAB_PIPELINE: Duration = Duration::from_secs(40);

pub fn monitored() -> std::sync::Arc<Config> {
    let config = lab_config();
    assert!(
        config.file.monitoring.alertmanager.is_some(),
        "{} has no [monitoring] alertmanager: regenerate it with lab/up (lab/gen-hosts-toml)",
        lab_hosts_path().display()
    );
    config
}

pub fn refresh(config: &Config) -> Duration {
    config.file.monitoring.alerts_refresh.get()
}

/// Alertmanager's alerts as JSON, read directly (not through opsdeck).
pub fn am_get(path: &str) -> serde_json::Value {
    let (status, body) = http_get("10.77.0.13:9093", path);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

pub fn am_has_lab_alert(host: &str) -> bool {
    am_get("/api/v2/alerts")
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["labels"]["alertname"] == "LabAlert" && a["labels"]["host"] == host)
}

/// Waits (polling Alertmanager itself) until `pred` holds; when it began to hold.
pub fn wait_am(what: &str, pred: impl Fn() -> bool) -> Instant {
    let deadline = Instant::now() + LAB_PIPELINE;
    while !pred() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {LAB_PIPELINE:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Instant::now()
}

pub fn is_alerts(u: &Update) -> bool {
    matches!(u, Update::Alerts(_))
}

/// The fleet table as drawn, for finding a row's badge.
pub fn draw(state: &State) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 50)).unwrap();
    t.draw(|f| opsdeck::ui::render(f, state, &opsdeck::ui::theme::Theme::default()))
        .unwrap();
    t.backend().to_string()
}

pub fn row_line<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().skip(2).find(|l| {
        l.split_whitespace()
            .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-') == name)
    })
}

/// Puts the lab back however a test ends: alerts resolved, our silences expired.
pub struct Cleanup {
    pub hosts: Vec<&'static str>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for h in &self.hosts {
            lab_break(&["alert-resolve", h]);
        }
        expire_test_silences();
    }
}

pub const TEST_COMMENT: &str = "opsdeck lab test";

pub fn expire_test_silences() {
    let (_, body) = http_get("10.77.0.13:9093", "/api/v2/silences");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    for s in list.as_array().into_iter().flatten() {
        let ours = s["comment"]
            .as_str()
            .is_some_and(|c| c.starts_with(TEST_COMMENT));
        if ours && s["status"]["state"] != "expired" {
            let id = s["id"].as_str().unwrap_or_default();
            let _ = std::process::Command::new("curl")
                .args(["-s", "-m", "5", "-X", "DELETE"])
                .arg(format!("http://10.77.0.13:9093/api/v2/silence/{id}"))
                .status();
        }
    }
}

/// Opens the Alerts screen and selects the alert `pred` picks.
pub fn select_alert(state: &mut State, config: &Config, name: &str, host: &str) {
    update(state, config, Msg::Action(Action::OpenAlerts));
    let i = state
        .alerts
        .alerts
        .iter()
        .position(|a| a.alert.name() == name && a.host.as_ref().is_some_and(|h| h.as_str() == host))
        .unwrap_or_else(|| panic!("no {name} on {host} in {:?}", state.alerts.alerts));
    update(state, config, Msg::Action(Action::Top));
    for _ in 0..i {
        update(state, config, Msg::Action(Action::Down));
    }
}

pub fn typed(state: &mut State, config: &Config, text: &str) {
    for c in text.chars() {
        update(state, config, Msg::Input(TextInput::Char(c)));
    }
}

/// Answers the plan popup with `y` and carries out what the dispatcher authorized.
pub fn confirm(run: &mut Run) {
    assert!(
        matches!(run.state.mode, Mode::Action(_)),
        "no plan popup: {:?} / {:?}",
        run.state.mode,
        run.state.notice
    );
    let effects = update(
        &mut run.state,
        &run.config,
        Msg::Input(TextInput::Char('y')),
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Execute(_))),
        "not authorized: {:?}",
        run.state.notice
    );
    for e in effects {
        run.sup.perform(e);
    }
}

pub fn one(config: &Config) -> Duration {
    refresh(config) + Duration::from_secs(3)
}

pub fn opsdeck(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(lab_hosts_path())
        .args(args)
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("opsdeck-lab-alerts-state"),
        )
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}
