//! Actions through the dispatcher: plans, confirmation, read-only, containers.

use super::*;

#[test]
fn restart_on_prod_needs_the_typed_name_then_executes_once() {
    let (config, mut state) = setup();
    select(&mut state, "control", "conductores-ecs");
    assert!(act(&mut state, &config, Action::RestartService).is_empty());
    let Mode::Action(view) = &state.mode else {
        panic!("plan popup expected")
    };
    assert_eq!(view.plan.kind, ActionKind::Restart);
    assert_eq!(
        view.plan.confirmation,
        crate::action::Confirmation::TypeName("conductores-ecs".into())
    );
    assert_eq!(
        view.plan.steps[0].command.to_string(),
        "aws ecs update-service --cluster conductores --service conductores-backend --force-new-deployment"
    );

    // `y` is not enough on prod, and a wrong name is refused without running anything.
    assert!(type_text(&mut state, &config, "y").is_empty());
    assert!(update(&mut state, &config, Msg::Input(TextInput::Submit)).is_empty());
    let Mode::Action(view) = &state.mode else {
        panic!()
    };
    assert_eq!(view.phase, ActionPhase::Confirm);
    assert!(view.error.as_ref().unwrap().contains("conductores-ecs"));

    type_text(&mut state, &config, "conductores-ecs");
    let effects = update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert!(
        matches!(effects.as_slice(), [Effect::Execute(a)] if a.plan().subject.to_string() == "control/conductores-ecs")
    );
    let id = crate::action::Subject::Service(crate::model::ServiceId::new(
        &HostId::new("control"),
        "conductores-ecs",
    ));
    assert!(state.dispatcher.is_busy(&id));

    // Quitting while it runs asks once more.
    update(&mut state, &config, Msg::Input(TextInput::Cancel));
    act(&mut state, &config, Action::Quit);
    assert_eq!(state.quit, None);
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("still running")
    );
    state.quit_armed = false;

    // A second request while busy is refused.
    update(&mut state, &config, Msg::Input(TextInput::Cancel));
    assert!(act(&mut state, &config, Action::RestartService).is_empty());
    assert!(matches!(state.mode, Mode::Normal));
    assert!(state.notice.as_ref().unwrap().text.contains("busy"));

    let outcome = crate::action::ActionOutcome::Succeeded {
        duration_ms: 1200,
        notes: vec![],
    };
    let effects = update(
        &mut state,
        &config,
        Msg::Update(Update::ActionFinished {
            action_id: 1,
            subject: id.clone(),
            outcome,
        }),
    );
    assert!(matches!(effects.as_slice(), [Effect::RefreshNow]));
    assert!(!state.dispatcher.is_busy(&id));
}

#[test]
fn actions_without_known_containers_are_refused_with_reason() {
    let (config, mut state) = setup();
    select(&mut state, "gamelera", "backend");
    act(&mut state, &config, Action::RestartService);
    assert!(matches!(state.mode, Mode::Normal));
    let text = &state.notice.as_ref().unwrap().text;
    assert!(
        text.contains("no containers of gamelera/backend are known"),
        "{text}"
    );
}

#[test]
fn container_lists_group_replicas_and_plan_one_step_each() {
    use crate::model::container::{ContainerHealth, ContainerInfo};
    let (config, mut state) = setup();
    let replica = |n: u32, running: bool| ContainerInfo {
        id: format!("id{n}"),
        name: format!("preventia-api-{n}"),
        project: Some("preventia".into()),
        service: Some("api".into()),
        number: Some(n),
        state: if running {
            "running".into()
        } else {
            "exited".into()
        },
        health: ContainerHealth::None,
        started_at: None,
        restarts: 0,
        image: "localhost/opsdeck-lab/app:v1".into(),
        digest: None,
        ports: vec![],
        pid: None,
        host_network: false,
    };
    let mut adhoc = replica(9, true);
    (adhoc.project, adhoc.service, adhoc.name) = (None, None, "adhoc".into());
    let host = HostId::new("preventia");
    let containers = vec![replica(1, true), replica(2, false), adhoc];
    update(
        &mut state,
        &config,
        Msg::Update(Update::ContainersListed {
            host: host.clone(),
            containers,
        }),
    );
    let api = &state.hosts[3].services[0];
    let obs = api.observation.as_ref().unwrap();
    assert_eq!(obs.state, RunState::Degraded);
    assert!(obs.detail.starts_with("1/2 running"), "{}", obs.detail);
    assert!(
        state.rows().contains(&Row::Discovered(3, 0)),
        "the unclaimed container is its own row"
    );

    select(&mut state, "preventia", "api");
    act(&mut state, &config, Action::ToggleExpand);
    assert!(state.rows().contains(&Row::Replica(3, 0, 1)));
    act(&mut state, &config, Action::RestartService);
    let Mode::Action(view) = &state.mode else {
        panic!("plan expected")
    };
    let steps: Vec<String> = view
        .plan
        .steps
        .iter()
        .map(|s| s.command.to_string())
        .collect();
    assert_eq!(
        steps,
        [
            "docker restart preventia-api-1  (Docker API)",
            "docker restart preventia-api-2  (Docker API)",
            // Then it waits for both to run again, newly started.
            "wait until preventia-api-1, preventia-api-2 run again, newly started  (Docker API)"
        ]
    );

    // Logs: the service's replicas in one view; the unclaimed container's own row reads it.
    state.mode = Mode::Normal;
    let effects = act(&mut state, &config, Action::OpenLogs);
    let [Effect::FollowLogs { sources, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(matches!(
        &sources[0].1.spec,
        crate::protocol::LogSpec::Docker { containers }
            if containers == &["preventia-api-1", "preventia-api-2"]
    ));
    act(&mut state, &config, Action::Back);
    state.selected = state
        .rows()
        .iter()
        .position(|r| *r == Row::Discovered(3, 0))
        .unwrap();
    let effects = act(&mut state, &config, Action::OpenLogs);
    let [Effect::FollowLogs { sources, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(matches!(
        &sources[0].1.spec,
        crate::protocol::LogSpec::Docker { containers } if containers == &["adhoc"]
    ));
    act(&mut state, &config, Action::Back);

    update(
        &mut state,
        &config,
        Msg::Update(Update::DockerGap {
            host,
            reason: "engine restarting".into(),
        }),
    );
    let (h, s) = (&state.hosts[3], &state.hosts[3].services[0]);
    assert!(
        state.service_stale(h, s),
        "rows of an engine that went away are stale"
    );
}

#[test]
fn read_only_refuses_every_mutating_action() {
    let config = fixture::config();
    let mut state = State::new(&config, true, fixture::themes(), 0, fixture::clock());
    select(&mut state, "control", "conductores-ecs");
    for a in Action::ALL.iter().filter(|a| a.is_mutating()) {
        let effects = act(&mut state, &config, *a);
        assert!(effects.is_empty(), "{a:?} produced effects");
        assert!(matches!(state.mode, Mode::Normal), "{a:?} opened a popup");
        assert!(
            state.notice.as_ref().unwrap().text.contains("read-only"),
            "{a:?}"
        );
    }
    // The palette cannot bypass it either.
    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "restart control/conductores-ecs");
    assert!(update(&mut state, &config, Msg::Input(TextInput::Submit)).is_empty());
    assert!(matches!(state.mode, Mode::Normal));
}

#[test]
fn trust_goes_through_the_dispatcher_bound_to_the_fingerprint_shown() {
    let (config, mut state) = setup();
    update(
        &mut state,
        &config,
        Msg::Update(Update::HostKeyUnknown {
            host: HostId::new("gamelera"),
            fingerprint: "SHA256:seen".into(),
            key_lines: vec!["10.77.0.10 ssh-ed25519 AAAA".into()],
        }),
    );
    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "trust gamelera");
    let effects = update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert!(effects.is_empty(), "nothing runs before the confirmation");
    let Mode::Action(view) = &state.mode else {
        panic!("no confirmation popup: {:?}", state.notice)
    };
    assert_eq!(view.plan.kind, ActionKind::TrustHostKey);
    assert_eq!(
        view.plan.confirmation,
        crate::action::Confirmation::TypeName("gamelera".into()),
        "gamelera is prod: its name is typed"
    );
    assert!(
        view.plan.steps[0]
            .command
            .to_string()
            .contains("SHA256:seen")
    );
    type_text(&mut state, &config, "gamelera");
    let effects = update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert!(matches!(effects.as_slice(), [Effect::Execute(_)]));
}
