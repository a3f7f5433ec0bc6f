//! The log viewer against the lab: a whole host merged into one view, and time windows and
//! patterns narrowed on the server (journalctl `--since/--until/--grep`, Docker
//! `since/until`) — driven through the reducer and the supervisor, as the screen drives them.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Row, State};
use opsdeck::config::Config;
use opsdeck::model::Action;
use opsdeck::protocol::{Effect, Update};

/// Carries out what the reducer asked for.
fn perform(run: &Run, effects: Vec<Effect>) {
    for e in effects {
        run.sup.perform(e);
    }
}

fn palette(run: &mut Run, line: &str) {
    let config = run.config.clone();
    update(&mut run.state, &config, Msg::Action(Action::Palette));
    for c in line.chars() {
        update(&mut run.state, &config, Msg::Input(TextInput::Char(c)));
    }
    let effects = update(&mut run.state, &config, Msg::Input(TextInput::Submit));
    assert!(
        !effects.is_empty(),
        ":{line} reopened nothing: {:?}",
        run.state.notice
    );
    perform(run, effects);
}

fn select_host(state: &mut State, host: &str) {
    state.selected = state
        .rows()
        .iter()
        .position(|r| matches!(r, Row::Host(h) if state.hosts[*h].id.as_str() == host))
        .expect("host row");
}

fn select_service(state: &mut State, host: &str, service: &str) {
    state.selected = state
        .rows()
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

fn open_logs(run: &mut Run) {
    let config: std::sync::Arc<Config> = run.config.clone();
    let effects = update(&mut run.state, &config, Msg::Action(Action::OpenLogs));
    assert!(
        !effects.is_empty(),
        "L opened nothing: {:?}",
        run.state.notice
    );
    perform(run, effects);
}

/// `(origin, text)` of every line in the view's buffer.
fn buffered(state: &State) -> Vec<(String, String)> {
    let view = state.logs().unwrap();
    view.ring
        .iter()
        .map(|(_, e)| (view.ring.origin(e).to_owned(), e.text.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_whole_host_merges_every_source_with_a_source_column() {
    let mut run = Run::start(lab_config());
    select_host(&mut run.state, "triboka");
    open_logs(&mut run);
    let labels: Vec<String> = run
        .state
        .logs()
        .unwrap()
        .sources
        .iter()
        .map(|s| s.follow.label.clone())
        .collect();
    assert_eq!(
        labels,
        [
            "triboka-flask:journal",
            "triboka-flask:app",
            "triboka-agro-frontend",
            "backups"
        ]
    );
    // Give the streams a moment to start, then make both services write a line we know.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let probe = format!("merged-probe-{}", std::process::id());
    assert_eq!(
        http_get("10.77.0.12:5003", &format!("/api/health?{probe}")).0,
        200
    );
    assert_eq!(
        http_get("10.77.0.12:5004", &format!("/health?{probe}")).0,
        200
    );
    let want: BTreeSet<&str> = [
        "triboka-flask:journal",
        "triboka-flask:app",
        "triboka-agro-frontend",
    ]
    .into();
    run.until(
        Duration::from_secs(20),
        "the probe from every source",
        |_, s| {
            let seen: BTreeSet<String> = buffered(s)
                .into_iter()
                .filter(|(_, t)| t.contains(&probe))
                .map(|(o, _)| o)
                .collect();
            want.iter().all(|w| seen.contains(*w))
        },
    )
    .await;
    // Timed lines are in time order whatever source they came from.
    let view = run.state.logs().unwrap();
    let times: Vec<_> = view.ring.iter().filter_map(|(_, e)| e.at()).collect();
    assert!(times.len() > 2);
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "merged lines out of time order"
    );
    // The screen shows the source column.
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 50)).unwrap();
    t.draw(|f| opsdeck::ui::render(f, &run.state, &opsdeck::ui::theme::Theme::default()))
        .unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("host triboka · 4 sources"), "{screen}");
    assert!(screen.contains("triboka-agro-frontend "), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn journald_window_and_pattern_are_cut_on_the_server() {
    let mut run = Run::start(lab_config());
    // A line we can find later, among the service's steady chatter.
    let probe = format!("grep-probe-{}", std::process::id());
    assert_eq!(
        http_get("10.77.0.12:5003", &format!("/api/health?{probe}")).0,
        200
    );
    select_service(&mut run.state, "triboka", "triboka-flask");
    open_logs(&mut run);
    run.until(
        Duration::from_secs(20),
        "the probe line in the journal",
        |_, s| {
            buffered(s)
                .iter()
                .any(|(o, t)| o == "journal" && t.contains(&probe))
        },
    )
    .await;
    assert!(
        buffered(&run.state)
            .iter()
            .any(|(_, t)| !t.contains(&probe)),
        "the unnarrowed view has other lines too"
    );

    // The last ten minutes up to now, only lines with the probe: read once, then done.
    palette(&mut run, "since 10m");
    palette(&mut run, "until 0s");
    palette(&mut run, &format!("grep {probe}"));
    let view = run.state.logs().unwrap();
    assert_eq!(view.sources.len(), 2, "journal and app.log");
    assert!(
        view.sources[1].left_out.is_some(),
        "the file is left out of a time window"
    );
    let id = view.id;
    run.until(
        Duration::from_secs(20),
        "the window read to its end",
        |u, _| matches!(u, Update::LogEnd { view, .. } if *view == id),
    )
    .await;
    let lines = buffered(&run.state);
    assert!(!lines.is_empty());
    // Not filtered here: the buffer itself holds only what journalctl --grep returned.
    assert!(lines.iter().all(|(_, t)| t.contains(&probe)), "{lines:?}");
    assert!(run.state.logs().unwrap().complete());

    // Back to live: the unit's chatter flows again.
    palette(&mut run, "live");
    run.until(Duration::from_secs(20), "live lines", |_, s| {
        buffered(s).iter().any(|(_, t)| !t.contains(&probe))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn docker_window_ends_where_the_operator_said() {
    let mut run = Run::start(lab_config());
    run.until(
        Duration::from_secs(20),
        "preventia containers listed",
        |u, _| matches!(u, Update::ContainersListed { host, .. } if host.as_str() == "preventia"),
    )
    .await;
    select_service(&mut run.state, "preventia", "api");
    open_logs(&mut run);
    // Lines over at least four seconds, so that a window can cut both ends.
    let seconds = |s: &State| -> Vec<i64> {
        s.logs().map_or(vec![], |v| {
            v.ring
                .iter()
                .filter_map(|(_, e)| e.at())
                .map(|t| t.timestamp())
                .collect()
        })
    };
    run.until(
        Duration::from_secs(30),
        "four seconds of api lines",
        |_, s| {
            let t = seconds(s);
            t.last().zip(t.first()).is_some_and(|(l, f)| l - f >= 4)
        },
    )
    .await;
    let t = seconds(&run.state);
    let (first, last) = (t[0], *t.last().unwrap());
    let (since, until) = (first + 1, last - 1);
    let utc = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    palette(&mut run, &format!("since {}", utc(since)));
    palette(&mut run, &format!("until {}", utc(until)));
    let window = run.state.logs().unwrap().window.clone();
    assert_eq!((window.since, window.until), (Some(since), Some(until)));
    let id = run.state.logs().unwrap().id;
    run.until(
        Duration::from_secs(20),
        "both replicas read to the end",
        |_, s| s.logs().is_some_and(|v| v.id == id && v.complete()),
    )
    .await;
    let view = run.state.logs().unwrap();
    let times: Vec<i64> = view
        .ring
        .iter()
        .filter_map(|(_, e)| e.at())
        .map(|t| t.timestamp())
        .collect();
    assert!(!times.is_empty(), "the api replicas log every few seconds");
    assert!(
        times.iter().all(|t| *t >= since && *t <= until),
        "lines outside [{since}, {until}]: {times:?}"
    );
}

/// A merged view of more log sources than the host has channels holds only the log
/// streams' share of them: the host's readings and commands (a status probe, an action)
/// still run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn many_log_streams_never_starve_commands() {
    use opsdeck::model::HostId;
    use opsdeck::protocol::{FollowSource, LogSpec, Window};
    use opsdeck::transport::{CommandSpec, Target};
    let mut run = Run::start(lab_config());
    let triboka = HostId::new("triboka");
    run.until(
        Duration::from_secs(20),
        "triboka up",
        |u, _| matches!(u, Update::HostSampled { host, .. } if *host == triboka),
    )
    .await;
    let sources = (0..10)
        .map(|i| {
            let follow = FollowSource {
                host: triboka.clone(),
                spec: LogSpec::File {
                    path: "/var/log/triboka/app.log".into(),
                },
                target: Target::Ssh(triboka.clone()),
                tail: 1,
                label: format!("copy{i}"),
            };
            (i, follow)
        })
        .collect();
    run.sup.perform(Effect::FollowLogs {
        view: 1,
        sources,
        window: Window::default(),
    });
    run.until(Duration::from_secs(10), "log lines", |u, _| {
        matches!(u, Update::LogLines { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let transports = run.sup.context().transports().clone();
    let target = Target::Ssh(triboka.clone());
    let count = CommandSpec::argv(["pgrep", "-c", "-f", "^tail -c [+]"]);
    let started = std::time::Instant::now();
    let commands =
        (0..6).map(|_| transports.run_streaming(&target, &count, Duration::from_secs(10), None));
    let outputs = futures::future::join_all(commands).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "commands waited {:?} behind the log streams",
        started.elapsed()
    );
    let tails: u32 = outputs[0].as_ref().unwrap().stdout.trim().parse().unwrap();
    assert_eq!(
        tails, 4,
        "log streams hold their share of the channels (settings.log_channels = 4)"
    );
    // The host is still read every refresh.
    run.until(
        Duration::from_secs(6),
        "triboka read again",
        |u, _| matches!(u, Update::HostSampled { host, .. } if *host == triboka),
    )
    .await;
    run.sup.perform(Effect::StopLogs);
}
