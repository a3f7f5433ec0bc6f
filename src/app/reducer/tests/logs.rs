//! Which sources a log view follows and how merged sources are labelled.

use super::*;

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
    let view = state.logs().unwrap();
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
    assert_eq!(state.logs().unwrap().title, "host triboka");
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
    assert_eq!(state.logs().unwrap().title, "2 marked services");
    let first = state.logs().unwrap().id;
    act(&mut state, &config, Action::Back);
    act(&mut state, &config, Action::Back);
    assert!(state.marked.is_empty());
    select(&mut state, "triboka", "triboka-flask");
    act(&mut state, &config, Action::OpenLogs);
    assert!(
        state.logs().unwrap().id > first,
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

#[test]
fn leaving_the_log_screen_by_the_palette_ends_its_streams() {
    let (config, mut state) = setup();
    select(&mut state, "triboka", "triboka-flask");
    act(&mut state, &config, Action::OpenLogs);
    assert!(state.logs().is_some());
    let effects = super::super::palette::run_command(&mut state, &config, "host epagal");
    assert!(
        matches!(effects.as_slice(), [Effect::StopLogs]),
        "{effects:?}"
    );
    assert!(state.logs().is_none());
    // From another screen, nothing to stop.
    let effects = super::super::palette::run_command(&mut state, &config, "host triboka");
    assert!(effects.is_empty(), "{effects:?}");
}
