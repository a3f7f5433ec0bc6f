//! The Alerts screen: the selection follows its alert, `M` makes a silence plan of the
//! alert's exact labels for the dispatcher, read-only refuses, `enter` opens the runbook.

use super::*;
use crate::action::StepOp;
use crate::protocol::AlertsUpdate;

fn alerts_state() -> (Config, State) {
    let (config, mut state) = setup();
    fixture::alerts_screen(&config, &mut state);
    (config, state)
}

#[test]
fn the_selection_follows_its_alert_when_the_list_reorders() {
    let (config, mut state) = alerts_state();
    act(&mut state, &config, Action::Down);
    assert_eq!(state.selected_alert().unwrap().alert.name(), "NodeHighLoad");
    // The first alert resolves: NodeHighLoad moves up one place and stays selected.
    let mut alerts = state.alerts.alerts.clone();
    alerts.remove(0);
    let silences = state.alerts.silences.clone();
    update(
        &mut state,
        &config,
        Msg::Update(Update::Alerts(AlertsUpdate::Listed { alerts, silences })),
    );
    assert_eq!(state.selected_alert().unwrap().alert.name(), "NodeHighLoad");
}

#[test]
fn m_plans_a_silence_of_the_alerts_exact_labels_through_the_dispatcher() {
    let (config, mut state) = alerts_state();
    act(&mut state, &config, Action::SilenceAlert);
    assert!(matches!(state.mode, Mode::Silence(_)));
    // No comment: the dispatcher says why, the popup stays.
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    match &state.mode {
        Mode::Silence(f) => assert!(f.error.as_deref().unwrap().contains("comment")),
        other => panic!("{other:?}"),
    }
    update(
        &mut state,
        &config,
        Msg::Input(TextInput::Complete { back: false }),
    );
    type_text(&mut state, &config, "deploying");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    let Mode::Action(view) = &state.mode else {
        panic!("no plan popup: {:?}", state.notice)
    };
    assert_eq!(view.plan.kind, ActionKind::Silence);
    assert_eq!(view.plan.subject.to_string(), "preventia/api");
    let StepOp::Silence {
        matchers,
        duration,
        comment,
        ..
    } = &view.plan.steps[0].command
    else {
        panic!("{:?}", view.plan.steps)
    };
    assert_eq!(duration.as_secs(), 7200, "2h is proposed");
    assert_eq!(comment, "deploying");
    let names: Vec<&str> = matchers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["alertname", "host", "service", "severity"]);
    assert!(matchers.iter().all(|m| m.is_equal && !m.is_regex));
    let effects = type_text(&mut state, &config, "y");
    assert!(matches!(effects.as_slice(), [Effect::Execute(_)]));
}

#[test]
fn read_only_refuses_silences_before_a_popup() {
    let config = fixture::config();
    let mut state = State::new(&config, true, fixture::themes(), 0, fixture::clock());
    fixture::alerts_screen(&config, &mut state);
    for a in [Action::SilenceAlert, Action::ExpireSilence] {
        assert!(act(&mut state, &config, a).is_empty());
        assert!(matches!(state.mode, Mode::Normal), "{a:?}");
        assert!(state.notice.as_ref().unwrap().text.contains("read-only"));
    }
}

#[test]
fn u_expires_the_silence_that_silences_the_alert() {
    let (config, mut state) = alerts_state();
    act(&mut state, &config, Action::Bottom);
    assert_eq!(state.selected_alert().unwrap().alert.name(), "BackupTooOld");
    act(&mut state, &config, Action::ExpireSilence);
    let Mode::Action(view) = &state.mode else {
        panic!("{:?}", state.notice)
    };
    assert_eq!(view.plan.kind, ActionKind::Unsilence);
    assert!(matches!(
        &view.plan.steps[0].command,
        StepOp::ExpireSilence { id, .. } if id == "5713a1c6-a120-4718-ac8e-d01ff15e0e40"
    ));
}

#[test]
fn enter_opens_the_runbook_the_alert_names() {
    let (config, mut state) = alerts_state();
    let effects = act(&mut state, &config, Action::Open);
    assert!(
        matches!(effects.as_slice(), [Effect::OpenRunbook { name, .. }] if name == "triboka-restore-db"),
        "{effects:?}"
    );
    assert!(matches!(state.screen, Screen::Alerts(_)));
}
