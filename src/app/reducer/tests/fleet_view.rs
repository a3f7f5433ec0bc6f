//! The fleet view for big fleets: problems only, grouping and folds, sort, fuzzy filter.

use super::*;
use crate::app::fleet_view::problems::{Alerts, Subject, is_problem};
use crate::app::fleet_view::{FoldKey, Grouping, SortColumn};
use crate::model::ServiceObservation;

/// The rows as `host` or `host/service` names, for readable assertions.
fn names(state: &State) -> Vec<String> {
    state
        .rows()
        .iter()
        .map(|r| match *r {
            Row::Host(h) => state.hosts[h].id.to_string(),
            Row::Service(h, s) => state.hosts[h].services[s].id.to_string(),
            Row::Replica(h, s, r) => format!("{}#{r}", state.hosts[h].services[s].id),
            Row::Discovered(h, d) => format!("{}/~{d}", state.hosts[h].id),
            Row::Group(g) => format!("[{}]", crate::app::fleet_view::tag_names(state)[g]),
        })
        .collect()
}

fn service<'a>(
    state: &'a State,
    id: &str,
) -> (
    &'a crate::app::state::HostState,
    &'a crate::app::state::ServiceState,
) {
    let (host, name) = id.split_once('/').unwrap();
    let h = state.hosts.iter().find(|h| h.id.as_str() == host).unwrap();
    (h, h.services.iter().find(|s| &*s.id.name == name).unwrap())
}

fn problem(state: &State, id: &str) -> bool {
    let (h, s) = service(state, id);
    is_problem(state, Subject::Service(h, s), Alerts::default())
}

#[test]
fn problems_only_keeps_down_degraded_stale_and_backup_stale_rows() {
    let (config, mut state) = setup();
    let all = state.rows().len();
    act(&mut state, &config, Action::ToggleProblems);
    assert_eq!(
        names(&state),
        [
            "gamelera",
            "gamelera/backend",
            "gamelera/mlflow",
            "epagal",
            "epagal/backend",
            "epagal/frontend",
            "triboka",
            "triboka/triboka-flask",
            "preventia",
            "preventia/analytics_service",
        ]
    );
    let table = state.table();
    assert_eq!(table.hidden.problems, all - state.rows().len());
    assert_eq!(table.hidden.filter + table.hidden.folded, 0);
    act(&mut state, &config, Action::ToggleProblems);
    assert_eq!(state.rows().len(), all, "! again shows everything");
}

#[test]
fn the_problem_predicate_follows_the_service() {
    let (config, mut state) = setup();
    assert!(!problem(&state, "triboka/triboka-agro-frontend"));
    // Alerting is one more clause: a firing alert makes a healthy row a problem.
    let (h, s) = service(&state, "triboka/triboka-agro-frontend");
    assert!(is_problem(
        &state,
        Subject::Service(h, s),
        Alerts { firing: 1 }
    ));
    // Down.
    let id = s.id.clone();
    let observed = |state_: RunState, at| {
        Msg::Update(Update::ServiceObserved {
            service: id.clone(),
            observation: ServiceObservation {
                at,
                state: state_,
                detail: String::new(),
                uptime: None,
                cpu_percent: None,
                mem_bytes: None,
            },
        })
    };
    let now = state.now;
    update(&mut state, &config, observed(RunState::Failed, now));
    assert!(problem(&state, "triboka/triboka-agro-frontend"));
    update(&mut state, &config, observed(RunState::Running, now));
    assert!(!problem(&state, "triboka/triboka-agro-frontend"));
    // Stale: no reading for longer than the refresh allows.
    let later = state.now + chrono::Duration::minutes(2);
    update(&mut state, &config, Msg::Tick(later));
    assert!(problem(&state, "triboka/triboka-agro-frontend"));
}

#[test]
fn no_problems_leaves_an_empty_table_that_counts_what_it_hides() {
    let (config, mut state) = setup();
    act(&mut state, &config, Action::Filter);
    type_text(&mut state, &config, "control");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert_eq!(names(&state), ["control", "control/conductores-ecs"]);
    act(&mut state, &config, Action::ToggleProblems);
    assert!(state.rows().is_empty());
    let hidden = state.table().hidden;
    assert_eq!(hidden.problems, 2, "{hidden:?}");
    assert_eq!(
        hidden.filter,
        state
            .hosts
            .iter()
            .map(|h| 1 + h.services.len())
            .sum::<usize>()
            - 2
    );
}

#[test]
fn grouping_by_tag_folds_and_still_counts_problems() {
    let (config, mut state) = setup();
    act(&mut state, &config, Action::CycleGrouping);
    assert_eq!(state.view.grouping, Grouping::Tag);
    let rows = names(&state);
    assert_eq!(rows[0], "[prod]");
    let staging = rows.iter().position(|r| r == "[staging]").unwrap();
    assert_eq!(&rows[staging + 1..staging + 2], ["epagal"]);
    assert!(
        !rows[1..staging].contains(&"epagal".to_owned()),
        "under its first tag only"
    );
    // space on the header folds the group; its counts stay.
    state.selected = 0;
    let before = state.table().group_counts[0];
    act(&mut state, &config, Action::ToggleExpand);
    assert!(state.view.folded.contains(&FoldKey::Tag("prod".into())));
    let rows = names(&state);
    assert_eq!(
        rows,
        [
            "[prod]",
            "[staging]",
            "epagal",
            "epagal/backend",
            "epagal/frontend"
        ]
    );
    let table = state.table();
    assert_eq!(table.group_counts[0], before);
    assert_eq!(
        before.problems, 4,
        "backend, mlflow, triboka-flask, analytics: {before:?}"
    );
    assert_eq!(table.hidden.folded, staging - 1);
    act(&mut state, &config, Action::ToggleExpand);
    assert_eq!(state.rows().len(), staging + 4);
}

#[test]
fn space_folds_a_host_and_c_folds_every_group() {
    let (config, mut state) = setup();
    state.selected = 0;
    act(&mut state, &config, Action::ToggleExpand);
    assert_eq!(names(&state)[..2], ["gamelera", "epagal"]);
    assert_eq!(state.table().hidden.folded, 4);
    assert_eq!(
        state.table().host_counts[0].problems,
        2,
        "backend and mlflow"
    );
    act(&mut state, &config, Action::ToggleExpand);
    assert_eq!(names(&state)[1], "gamelera/backend");
    act(&mut state, &config, Action::FoldAll);
    assert_eq!(
        names(&state),
        ["gamelera", "epagal", "triboka", "preventia", "control"]
    );
    act(&mut state, &config, Action::FoldAll);
    assert_eq!(state.rows().len(), 19);
    // A flat list has no groups to fold.
    act(&mut state, &config, Action::CycleGrouping);
    act(&mut state, &config, Action::CycleGrouping);
    assert_eq!(state.view.grouping, Grouping::None);
    act(&mut state, &config, Action::FoldAll);
    assert!(state.view.folded.is_empty());
}

#[test]
fn sorting_is_stable_reversible_and_puts_unknown_last() {
    let (config, mut state) = setup();
    // o: name, kind, status, health, uptime, cpu.
    for _ in 0..6 {
        act(&mut state, &config, Action::CycleSort);
    }
    assert_eq!(state.view.sort, Some(SortColumn::Cpu));
    // Hosts by their CPU (epagal, never sampled, last); services by theirs.
    let rows = names(&state);
    let hosts: Vec<&String> = rows.iter().filter(|r| !r.contains('/')).collect();
    assert_eq!(
        hosts,
        ["gamelera", "preventia", "control", "triboka", "epagal"]
    );
    let gamelera: Vec<&String> = rows.iter().filter(|r| r.starts_with("gamelera/")).collect();
    assert_eq!(
        gamelera,
        [
            "gamelera/backend",
            "gamelera/mongodb",
            "gamelera/minio",
            "gamelera/mlflow"
        ]
    );
    act(&mut state, &config, Action::ReverseSort);
    let rows = names(&state);
    let gamelera: Vec<&String> = rows.iter().filter(|r| r.starts_with("gamelera/")).collect();
    assert_eq!(
        gamelera,
        [
            "gamelera/minio",
            "gamelera/mongodb",
            "gamelera/backend",
            "gamelera/mlflow"
        ],
        "reversed, and the stopped mlflow (no CPU) still last"
    );
    // Flat: one list for the fleet; the busiest first.
    act(&mut state, &config, Action::CycleGrouping);
    act(&mut state, &config, Action::CycleGrouping);
    let rows = names(&state);
    assert_eq!(rows[0], "triboka", "53.1 % is the busiest");
    assert_eq!(
        rows.last().unwrap(),
        "preventia/analytics_service",
        "unknowns keep their order, last"
    );
    // Back to config order after the last column.
    act(&mut state, &config, Action::CycleSort);
    act(&mut state, &config, Action::CycleSort);
    act(&mut state, &config, Action::CycleSort);
    assert_eq!(state.view.sort, None);
}

#[test]
fn the_selected_row_stays_selected_when_the_view_changes() {
    let (config, mut state) = setup();
    select(&mut state, "preventia", "analytics_service");
    act(&mut state, &config, Action::ToggleProblems);
    assert_eq!(
        state
            .selected_service()
            .map(|s| s.id.to_string())
            .as_deref(),
        Some("preventia/analytics_service")
    );
    act(&mut state, &config, Action::CycleGrouping);
    assert_eq!(
        state
            .selected_service()
            .map(|s| s.id.to_string())
            .as_deref(),
        Some("preventia/analytics_service")
    );
}

#[test]
fn the_filter_is_fuzzy_per_field() {
    let (config, mut state) = setup();
    act(&mut state, &config, Action::Filter);
    type_text(&mut state, &config, "trbflsk");
    assert_eq!(names(&state), ["triboka", "triboka/triboka-flask"]);
    update(&mut state, &config, Msg::Input(TextInput::Cancel));
    act(&mut state, &config, Action::Filter);
    // Two words: the host's name and the service's.
    type_text(&mut state, &config, "prev front");
    assert_eq!(names(&state), ["preventia", "preventia/frontend"]);
    assert!(state.table().hidden.filter > 0);
}

#[test]
fn an_http_service_is_its_checks() {
    let text = r#"
[[hosts]]
name = "web"
transport = "http"
address = "127.0.0.1"

[[hosts.services]]
name = "prometheus"
kind = "http"
url = "http://127.0.0.1:9/"

[[hosts.services.checks]]
name = "ready"
kind = "http"
url = "http://127.0.0.1:9/-/ready"
"#;
    let config = crate::config::parse(std::path::Path::new("t.toml"), text).unwrap();
    let mut state = State::new(&config, false, fixture::themes(), 0, fixture::clock());
    let svc = &state.hosts[0].services[0];
    assert_eq!(
        state.run_state(svc),
        RunState::Unknown,
        "nothing has run yet"
    );
    let check = svc.checks[0].id.clone();
    let now = state.now;
    let mut result =
        crate::model::CheckResult::error(now, std::time::Duration::from_millis(2), "x");
    result.verdict = crate::model::Verdict::Pass;
    result.summary = "200 in 2 ms".into();
    update(
        &mut state,
        &config,
        Msg::Update(Update::CheckResult {
            check: check.clone(),
            result,
        }),
    );
    let svc = &state.hosts[0].services[0];
    assert_eq!(state.run_state(svc), RunState::Running);
    assert_eq!(
        svc.observation.as_ref().unwrap().detail,
        "ready: 200 in 2 ms"
    );
    assert!(
        !state.service_stale(&state.hosts[0], svc),
        "fresh for its check's interval"
    );
    let mut result = crate::model::CheckResult::error(
        now,
        std::time::Duration::from_millis(2),
        "connection refused",
    );
    result.verdict = crate::model::Verdict::Fail;
    update(
        &mut state,
        &config,
        Msg::Update(Update::CheckResult { check, result }),
    );
    let svc = &state.hosts[0].services[0];
    assert_eq!(state.run_state(svc), RunState::Failed);
    assert!(
        svc.observation
            .as_ref()
            .unwrap()
            .detail
            .contains("connection refused")
    );
    // Stale once its check is overdue (twice its 30 s interval), not after two refreshes.
    update(
        &mut state,
        &config,
        Msg::Tick(now + chrono::Duration::seconds(20)),
    );
    assert!(!state.service_stale(&state.hosts[0], &state.hosts[0].services[0]));
    update(
        &mut state,
        &config,
        Msg::Tick(now + chrono::Duration::seconds(61)),
    );
    assert!(state.service_stale(&state.hosts[0], &state.hosts[0].services[0]));
}

#[test]
fn a_firing_alert_puts_its_row_into_problems_only_and_a_silenced_one_does_not() {
    let (config, mut state) = setup();
    act(&mut state, &config, Action::ToggleProblems);
    assert!(!names(&state).contains(&"preventia/api".to_owned()));
    let before = names(&state);
    // ApiErrorRate fires on preventia/api; BackupTooOld on gamelera is silenced.
    crate::fixture::alerts(&config, &mut state);
    let after = names(&state);
    assert!(after.contains(&"preventia/api".to_owned()), "{after:?}");
    let (h, s) = service(&state, "preventia/api");
    assert_eq!(
        crate::app::fleet_view::problems::alerts_of(&state, Subject::Service(h, s)).firing,
        1
    );
    let gamelera: Vec<_> = after.iter().filter(|n| n.starts_with("gamelera")).collect();
    let gamelera_before: Vec<_> = before
        .iter()
        .filter(|n| n.starts_with("gamelera"))
        .collect();
    assert_eq!(gamelera, gamelera_before, "a silenced alert adds no row");
}
