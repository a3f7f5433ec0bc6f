//! Facts from collectors applied to the state: hosts, services, checks, smoke suites.

use super::*;

#[test]
fn updates_change_host_and_service_state() {
    let (config, mut state) = setup();
    let host = HostId::new("gamelera");
    let reason = "connection reset".to_owned();
    let first = update(
        &mut state,
        &config,
        Msg::Update(Update::HostUnreachable {
            host: host.clone(),
            reason,
        }),
    );
    assert!(
        matches!(&state.hosts[0].status, HostStatus::Unreachable { since, .. } if *since == fixture::clock())
    );
    // Becoming unreachable is recorded once, not on every failed poll.
    let audit = |e: &[Effect]| {
        e.iter()
            .filter_map(|e| match e {
                Effect::Audit { kind: "host", body } => {
                    Some(body["event"].as_str().unwrap().to_owned())
                }
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(audit(&first), ["unreachable"]);
    // A later failure keeps the original `since`.
    update(
        &mut state,
        &config,
        Msg::Tick(fixture::clock() + chrono::Duration::seconds(30)),
    );
    let effects = update(
        &mut state,
        &config,
        Msg::Update(Update::HostUnreachable {
            host: host.clone(),
            reason: "again".into(),
        }),
    );
    assert!(audit(&effects).is_empty(), "{effects:?}");
    assert!(
        matches!(&state.hosts[0].status, HostStatus::Unreachable { since, reason } if *since == fixture::clock() && reason == "again")
    );

    let n = state.hosts[0].cpu_history.len();
    let sample = fixture::sample(fixture::clock(), 0, 999);
    let back = update(
        &mut state,
        &config,
        Msg::Update(Update::HostSampled { host, sample }),
    );
    assert_eq!(audit(&back), ["reachable"]);
    assert!(matches!(&back[0], Effect::Audit { body, .. } if body["away_ms"] == 30_000));
    assert_eq!(state.hosts[0].status, HostStatus::Up);
    assert!(state.hosts[0].cpu_history.len() >= n);
}

#[test]
fn stale_observations_are_detected_by_the_clock() {
    let (config, mut state) = setup();
    let obs_at = state.hosts[0].services[0].observation.as_ref().unwrap().at;
    assert!(!state.is_stale(obs_at));
    update(
        &mut state,
        &config,
        Msg::Tick(fixture::clock() + chrono::Duration::seconds(60)),
    );
    assert!(state.is_stale(obs_at));
}

#[test]
fn a_task_panic_is_shown_on_its_host_row_and_the_console_goes_on() {
    let (config, mut state) = setup();
    update(
        &mut state,
        &config,
        Msg::Update(Update::TaskPanicked {
            task: "ssh triboka".into(),
            host: Some(HostId::new("triboka")),
            message: "boom".into(),
            restart_in: Some(std::time::Duration::from_secs(2)),
        }),
    );
    assert!(
        state.quit.is_none(),
        "a task's panic does not stop the console"
    );
    let fault = state
        .host(&HostId::new("triboka"))
        .unwrap()
        .fault
        .clone()
        .unwrap();
    assert_eq!(
        (fault.task.as_str(), fault.message.as_str()),
        ("ssh triboka", "boom")
    );
    assert!(fault.restarting);
    let text = &state.notice.as_ref().unwrap().text;
    assert!(
        text.contains("boom") && text.contains("started again in 2s"),
        "{text}"
    );
}

fn service<'a>(state: &'a State, id: &str) -> &'a crate::app::state::ServiceState {
    state
        .hosts
        .iter()
        .flat_map(|h| h.services.iter())
        .find(|s| s.id.to_string() == id)
        .expect("service")
}

#[test]
fn check_results_set_health_latency_history_and_go_stale() {
    use crate::model::{CheckId, Health, Verdict};
    let (config, mut state) = setup();
    assert_eq!(
        state.service_health(service(&state, "gamelera/backend")),
        Health::Failing
    );
    assert_eq!(
        state.service_health(service(&state, "gamelera/minio")),
        Health::Warning
    );
    assert_eq!(
        state.service_health(service(&state, "gamelera/mlflow")),
        Health::Stale
    );
    assert_eq!(
        state.service_health(service(&state, "epagal/frontend")),
        Health::Unknown
    );
    let id = CheckId::parse("gamelera/backend/health").unwrap();
    let mut result = fixture::check_result(&id, 0, state.now);
    result.at = state.now;
    assert_eq!(result.verdict, Verdict::Pass);
    let effects = update(
        &mut state,
        &config,
        Msg::Update(Update::CheckResult {
            check: id.clone(),
            result: result.clone(),
        }),
    );
    // It was failing: passing again goes in the audit log, for the time to recovery.
    match effects.as_slice() {
        [
            Effect::Audit {
                kind: "check",
                body,
            },
        ] => {
            assert_eq!(body["event"], "passing");
            assert_eq!(body["service"], "gamelera/backend");
            assert_eq!(body["user"], "opsdeck");
        }
        other => panic!("{other:?}"),
    }
    // The same verdict again says nothing; a failure after it does.
    let again = update(
        &mut state,
        &config,
        Msg::Update(Update::CheckResult {
            check: id.clone(),
            result: result.clone(),
        }),
    );
    assert!(again.is_empty(), "{again:?}");
    let mut failed = result.clone();
    failed.verdict = Verdict::Error;
    failed.summary = "timed out after 5s".into();
    let effects = update(
        &mut state,
        &config,
        Msg::Update(Update::CheckResult {
            check: id.clone(),
            result: failed,
        }),
    );
    assert!(
        matches!(effects.as_slice(), [Effect::Audit { kind: "check", body }] if body["event"] == "failing" && body["detail"] == "timed out after 5s"),
        "{effects:?}"
    );
    update(
        &mut state,
        &config,
        Msg::Update(Update::CheckResult { check: id, result }),
    );
    let backend = service(&state, "gamelera/backend");
    assert_eq!(state.service_health(backend), Health::Healthy);
    assert_eq!(
        backend.checks[0].latency_ms.len(),
        28,
        "24 readings and the 4 results here"
    );
    // Twice the 30 s interval later, and a bit: stale, never healthy.
    let later = state.now + chrono::Duration::seconds(61);
    update(&mut state, &config, Msg::Tick(later));
    assert_eq!(
        state.service_health(service(&state, "gamelera/backend")),
        Health::Stale
    );
}

#[test]
fn smoke_runs_a_suite_and_summarizes() {
    use crate::model::{CheckId, Verdict};
    let (config, mut state) = setup();
    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "smoke nope");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("unknown suite `nope` (suites: post-deploy)")
    );

    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "smoke post-deploy");
    let effects = update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert!(matches!(&effects[..], [Effect::RunSuite { suite }] if suite == "post-deploy"));
    assert!(matches!(state.mode, Mode::Smoke));
    assert_eq!(state.smoke.as_ref().unwrap().checks.len(), 3);

    let results: Vec<_> = state
        .smoke
        .as_ref()
        .unwrap()
        .checks
        .iter()
        .map(|id: &CheckId| (id.clone(), fixture::check_result(id, 23, state.now)))
        .collect();
    assert_eq!(results[0].1.verdict, Verdict::Fail);
    update(
        &mut state,
        &config,
        Msg::Update(Update::SuiteFinished {
            suite: "post-deploy".into(),
            results,
        }),
    );
    let run = state.smoke.as_ref().unwrap();
    assert!(run.finished);
    let notice = state.notice.as_ref().unwrap();
    assert_eq!(notice.text, "✘ smoke post-deploy: 2/3 passed, 1 failed");
    assert_eq!(notice.level, NoticeLevel::Error);
    act(&mut state, &config, Action::Back);
    assert!(matches!(state.mode, Mode::Normal));
}
