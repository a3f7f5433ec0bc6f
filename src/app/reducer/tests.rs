//! Reducer tests: messages in, state and effects out; no runtime, no sleeps.

use super::*;
use crate::action::ActionKind;
use crate::app::state::{ActionPhase, Mode, Row, Screen};
use crate::fixture;
use crate::model::{HostId, HostStatus, RunState};

fn setup() -> (Config, State) {
    let config = fixture::config();
    let state = fixture::state(&config, (120, 40));
    (config, state)
}

fn select(state: &mut State, host: &str, service: &str) {
    let rows = state.rows();
    state.selected = rows
        .iter()
        .position(|r| match *r {
            Row::Service(h, s) => {
                state.hosts[h].id.as_str() == host
                    && &*state.hosts[h].services[s].id.name == service
            }
            _ => false,
        })
        .expect("service row");
}

fn act(state: &mut State, config: &Config, a: Action) -> Vec<Effect> {
    update(state, config, Msg::Action(a))
}

fn type_text(state: &mut State, config: &Config, text: &str) -> Vec<Effect> {
    let mut effects = vec![];
    for c in text.chars() {
        effects.extend(update(state, config, Msg::Input(TextInput::Char(c))));
    }
    effects
}

#[test]
fn navigation_moves_and_clamps() {
    let (config, mut state) = setup();
    assert_eq!(state.selected, 0);
    act(&mut state, &config, Action::Up);
    assert_eq!(state.selected, 0);
    act(&mut state, &config, Action::Down);
    assert_eq!(state.selected, 1);
    act(&mut state, &config, Action::Bottom);
    assert_eq!(state.selected, state.rows().len() - 1);
    act(&mut state, &config, Action::Top);
    assert_eq!(state.selected, 0);
}

#[test]
fn small_terminal_scrolls_to_keep_selection_visible() {
    let (config, mut state) = setup();
    update(&mut state, &config, Msg::Resize(80, 10));
    let visible = layout::fleet_visible_rows((80, 10));
    for _ in 0..visible + 2 {
        act(&mut state, &config, Action::Down);
    }
    assert!(state.offset > 0);
    assert!(state.selected >= state.offset && state.selected < state.offset + visible);
    act(&mut state, &config, Action::Top);
    assert_eq!(state.offset, 0);
}

#[test]
fn open_and_back_switch_screens() {
    let (config, mut state) = setup();
    select(&mut state, "triboka", "triboka-flask");
    act(&mut state, &config, Action::Open);
    let triboka = state
        .hosts
        .iter()
        .position(|h| h.id.as_str() == "triboka")
        .unwrap();
    assert_eq!(state.screen, Screen::Host(triboka));
    act(&mut state, &config, Action::Down);
    assert_eq!(
        state.screen,
        Screen::Host(triboka + 1),
        "up/down walk hosts in detail"
    );
    act(&mut state, &config, Action::Back);
    assert_eq!(state.screen, Screen::Fleet);
}

#[test]
fn filter_narrows_rows_and_escape_clears() {
    let (config, mut state) = setup();
    let all = state.rows().len();
    act(&mut state, &config, Action::Filter);
    type_text(&mut state, &config, "mongo");
    assert_eq!(state.rows(), vec![Row::Host(0), Row::Service(0, 1)]);
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert!(matches!(state.mode, Mode::Normal));
    assert_eq!(state.filter, "mongo");
    act(&mut state, &config, Action::Back);
    assert_eq!(state.rows().len(), all);
}

#[test]
fn palette_host_theme_and_errors() {
    let (config, mut state) = setup();
    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "host preventia");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert_eq!(state.screen, Screen::Host(3));

    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "theme light");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert_eq!(state.theme_name(), "light");

    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "host nowhere");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    let notice = state.notice.as_ref().unwrap();
    assert!(
        notice.text.starts_with("unknown host `nowhere`"),
        "{}",
        notice.text
    );

    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "quit");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert_eq!(state.quit, Some(QuitReason::Requested));
}

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
        matches!(effects.as_slice(), [Effect::Execute(a)] if a.plan().service.to_string() == "control/conductores-ecs")
    );
    let id = crate::model::ServiceId::new(&HostId::new("control"), "conductores-ecs");
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

    let outcome = crate::action::ActionOutcome::Succeeded { duration_ms: 1200 };
    let effects = update(
        &mut state,
        &config,
        Msg::Update(Update::ActionFinished {
            action_id: 1,
            service: id.clone(),
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
            "docker restart preventia-api-2  (Docker API)"
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
fn updates_change_host_and_service_state() {
    let (config, mut state) = setup();
    let host = HostId::new("gamelera");
    let reason = "connection reset".to_owned();
    update(
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
    // A later failure keeps the original `since`.
    update(
        &mut state,
        &config,
        Msg::Tick(fixture::clock() + chrono::Duration::seconds(30)),
    );
    update(
        &mut state,
        &config,
        Msg::Update(Update::HostUnreachable {
            host: host.clone(),
            reason: "again".into(),
        }),
    );
    assert!(
        matches!(&state.hosts[0].status, HostStatus::Unreachable { since, reason } if *since == fixture::clock() && reason == "again")
    );

    let n = state.hosts[0].cpu_history.len();
    let sample = fixture::sample(fixture::clock(), 0, 999);
    update(
        &mut state,
        &config,
        Msg::Update(Update::HostSampled { host, sample }),
    );
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
fn task_panic_quits_with_error() {
    let (config, mut state) = setup();
    update(
        &mut state,
        &config,
        Msg::Update(Update::TaskPanicked {
            task: "metrics x".into(),
            host: None,
            message: "boom".into(),
        }),
    );
    assert!(matches!(&state.quit, Some(QuitReason::Error(e)) if e.contains("boom")));
}

#[test]
fn clicking_a_row_selects_then_opens() {
    let (config, mut state) = setup();
    let first = layout::fleet_row_at((120, 40), 5, 3).unwrap();
    update(&mut state, &config, Msg::Click { column: 5, row: 3 });
    assert_eq!(state.selected, first);
    update(&mut state, &config, Msg::Click { column: 5, row: 3 });
    assert!(matches!(state.screen, Screen::Host(_)));
    assert_eq!(
        state.run_state(&state.hosts[0].services[3]),
        RunState::Stopped
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
        Msg::Update(Update::CheckResult { check: id, result }),
    );
    assert!(effects.is_empty());
    let backend = service(&state, "gamelera/backend");
    assert_eq!(state.service_health(backend), Health::Healthy);
    assert_eq!(backend.checks[0].latency_ms.len(), 25);
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

/// The sources and labels of the log view an `L` opened.
fn followed(effects: &[Effect]) -> Vec<(String, String)> {
    let [Effect::FollowLogs { sources, .. }] = effects else {
        panic!("one FollowLogs expected: {effects:?}")
    };
    sources
        .iter()
        .map(|(_, s)| (s.host.to_string(), s.label.clone()))
        .collect()
}

#[test]
fn logs_of_a_service_a_whole_host_and_a_marked_set() {
    use crate::protocol::LogSpec;
    let (config, mut state) = setup();
    // One service: one source, no labels.
    select(&mut state, "triboka", "triboka-flask");
    let effects = act(&mut state, &config, Action::OpenLogs);
    assert_eq!(followed(&effects), [("triboka".into(), String::new())]);
    let view = state.logs.as_ref().unwrap();
    assert_eq!(view.title, "triboka/triboka-flask");
    assert!(matches!(
        &view.sources[0].follow.spec,
        LogSpec::Journald { unit } if unit == "triboka-flask.service"
    ));
    act(&mut state, &config, Action::Back);

    // A host row: every service's logs, labelled by service.
    let host_row = |state: &State, name: &str| {
        state
            .rows()
            .iter()
            .position(|r| matches!(r, Row::Host(h) if state.hosts[*h].id.as_str() == name))
            .unwrap()
    };
    state.selected = host_row(&state, "triboka");
    let effects = act(&mut state, &config, Action::OpenLogs);
    let labels: Vec<String> = followed(&effects).into_iter().map(|(_, l)| l).collect();
    assert_eq!(labels, ["triboka-flask", "triboka-agro-frontend"]);
    assert_eq!(state.logs.as_ref().unwrap().title, "host triboka");
    act(&mut state, &config, Action::Back);
    // The host's own file log; services without a known source are named, not dropped silently.
    state.selected = host_row(&state, "gamelera");
    let effects = act(&mut state, &config, Action::OpenLogs);
    assert_eq!(followed(&effects), [("gamelera".into(), String::new())]);
    let text = &state.notice.as_ref().unwrap().text;
    assert!(
        text.contains("left out: no containers of gamelera/backend"),
        "{text}"
    );
    act(&mut state, &config, Action::Back);

    // Marks across hosts: labels carry the host; esc on the fleet clears the marks.
    select(&mut state, "triboka", "triboka-flask");
    act(&mut state, &config, Action::ToggleMark);
    select(&mut state, "triboka", "triboka-agro-frontend");
    act(&mut state, &config, Action::ToggleMark);
    assert_eq!(state.marked.len(), 2);
    let row = state
        .rows()
        .iter()
        .position(|r| matches!(r, Row::Host(_)))
        .unwrap();
    state.selected = row;
    assert!(act(&mut state, &config, Action::ToggleMark).is_empty());
    assert_eq!(state.marked.len(), 2, "host rows are not marked");
    let effects = act(&mut state, &config, Action::OpenLogs);
    assert_eq!(
        followed(&effects),
        [
            ("triboka".into(), "triboka-agro-frontend".into()),
            ("triboka".into(), "triboka-flask".into())
        ]
    );
    assert_eq!(state.logs.as_ref().unwrap().title, "2 marked services");
    let first = state.logs.as_ref().unwrap().id;
    act(&mut state, &config, Action::Back);
    act(&mut state, &config, Action::Back);
    assert!(state.marked.is_empty());
    select(&mut state, "triboka", "triboka-flask");
    act(&mut state, &config, Action::OpenLogs);
    assert!(
        state.logs.as_ref().unwrap().id > first,
        "every view has its own id"
    );
}

#[test]
fn merged_labels_name_the_host_only_when_the_view_spans_hosts() {
    use crate::app::log_view::ViewSource;
    use crate::protocol::{FollowSource, LogSpec};
    let source = |name: &str| {
        ViewSource::new(
            name.to_owned(),
            FollowSource {
                host: HostId::new(name.split('/').next().unwrap()),
                spec: LogSpec::File { path: "/x".into() },
                target: crate::transport::Target::Local,
                tail: 1,
                label: String::new(),
            },
        )
    };
    let mut one_host = [
        source("t/flask:journal"),
        source("t/flask:app"),
        source("t/front:journal"),
    ];
    log_sources::label_sources(&mut one_host);
    let labels: Vec<&str> = one_host.iter().map(|s| s.follow.label.as_str()).collect();
    assert_eq!(labels, ["flask:journal", "flask:app", "front"]);
    let mut two_hosts = [source("t/flask:journal"), source("p/api:stdout")];
    log_sources::label_sources(&mut two_hosts);
    let labels: Vec<&str> = two_hosts.iter().map(|s| s.follow.label.as_str()).collect();
    assert_eq!(labels, ["t/flask", "p/api"]);
    let mut one_service = [source("t/flask:journal"), source("t/flask:app")];
    log_sources::label_sources(&mut one_service);
    let labels: Vec<&str> = one_service
        .iter()
        .map(|s| s.follow.label.as_str())
        .collect();
    assert_eq!(labels, ["journal", "app"]);
}
