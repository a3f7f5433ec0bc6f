//! The log screen with hostile and huge input: escape sequences never reach the rendered
//! buffer, a 1 MB line and 10 MB of random bytes render, keys drive search, filter and save.

use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Mode, Screen, State};
use opsdeck::fixture;
use opsdeck::model::Action;
use opsdeck::model::{HostId, LogLine};
use opsdeck::protocol::Effect;
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn logs_state(lines: Vec<LogLine>) -> (opsdeck::config::Config, State) {
    let config = fixture::config();
    let mut state = fixture::state(&config, (120, 40));
    let mut view = opsdeck::app::state::LogView::new(1, "gamelera/backend".into(), 100_000);
    view.push(lines);
    state.screen = Screen::Logs(Box::new(view));
    (config, state)
}

fn render(state: &State) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| opsdeck::ui::render(f, state, &Theme::default()))
        .unwrap();
    t
}

fn assert_no_control(t: &Terminal<TestBackend>) {
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "control character reached the screen: {:?}",
            cell.symbol()
        );
    }
}

const HOSTILE: &[&str] = &[
    "cursor \x1b[2J\x1b[H home and clear",
    "move \x1b[10;10H here \x1b[5A up",
    "title \x1b]0;pwned\x07 set",
    "title st \x1b]2;pwned\x1b\\ set",
    "clipboard \x1b]52;c;cm0gLXJmIC8K\x07 write",
    "dcs \x1bP1$r0m\x1b\\ request",
    "c1 csi \u{9b}31m red \u{9b}0m",
    "bell \x07 and backspace \x08\x08 and cr \r overwrite",
    "colour \x1b[31mred\x1b[0m text",
    "private mode \x1b[?1049l leave alt screen",
];

#[test]
fn escape_sequences_never_reach_the_rendered_buffer() {
    let lines = HOSTILE
        .iter()
        .map(|l| LogLine::plain((*l).to_owned()))
        .collect();
    let (config, mut state) = logs_state(lines);
    assert_no_control(&render(&state));
    let screen = render(&state).backend().to_string();
    assert!(
        screen.contains("clipboard"),
        "the lines are shown, neutralised"
    );
    // The full-line popup too.
    update(&mut state, &config, Msg::Action(Action::Open));
    assert!(matches!(state.mode, Mode::LogLine { .. }));
    assert_no_control(&render(&state));
}

#[test]
fn a_one_megabyte_line_and_random_bytes_render_cut_with_a_marker() {
    let mut seed: u64 = 7;
    let bytes: Vec<u8> = (0..10 * 1024 * 1024)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        })
        .collect();
    let garbage = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<LogLine> = garbage
        .split('\n')
        .map(|l| LogLine::plain(l.to_owned()))
        .collect();
    lines.push(LogLine::plain("x".repeat(1024 * 1024)));
    let (config, mut state) = logs_state(lines);
    let t = render(&state);
    assert_no_control(&t);
    assert!(
        t.backend()
            .to_string()
            .contains("1048576 bytes, cut: enter shows all"),
        "the long line is cut with a marker"
    );
    update(&mut state, &config, Msg::Action(Action::Open));
    let Mode::LogLine { seq } = state.mode else {
        panic!("full line expected")
    };
    assert_eq!(
        state.logs().unwrap().ring.get(seq).unwrap().text.len(),
        1024 * 1024
    );
    assert_no_control(&render(&state));
}

#[test]
fn keys_drive_search_filter_context_and_save() {
    let lines = [
        "start",
        "GET /health 200",
        "db timeout",
        "GET /api 500",
        "retry",
        "Error: DB down",
        "stop",
    ]
    .iter()
    .map(|l| LogLine::plain((*l).to_owned()))
    .collect();
    let (config, mut state) = logs_state(lines);
    let type_text = |state: &mut State, s: &str| {
        for c in s.chars() {
            update(state, &config, Msg::Input(TextInput::Char(c)));
        }
    };
    update(&mut state, &config, Msg::Action(Action::Filter));
    type_text(&mut state, "db");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert_eq!(state.logs().unwrap().matches.len(), 2);
    update(&mut state, &config, Msg::Action(Action::PrevMatch));
    assert_eq!(state.logs().unwrap().cursor(), Some(5));
    update(&mut state, &config, Msg::Action(Action::PrevMatch));
    assert_eq!(state.logs().unwrap().cursor(), Some(2));
    let screen = render(&state).backend().to_string();
    assert!(screen.contains("/db 2 matches"), "{screen}");

    // An invalid pattern is an inline error, the last good search stays.
    update(&mut state, &config, Msg::Action(Action::Filter));
    type_text(&mut state, "(");
    assert!(matches!(&state.mode, Mode::LogQuery { error: Some(e), .. } if e.contains("unclosed")));
    assert!(render(&state).backend().to_string().contains("invalid:"));
    update(&mut state, &config, Msg::Input(TextInput::Cancel));

    update(&mut state, &config, Msg::Action(Action::LogFilter));
    type_text(&mut state, "500");
    update(&mut state, &config, Msg::Input(TextInput::Submit));
    update(&mut state, &config, Msg::Action(Action::MoreContext));
    assert_eq!(state.logs().unwrap().visible_len(), 3);
    let effects = update(&mut state, &config, Msg::Action(Action::SaveLog));
    let [Effect::SaveLog { name, text }] = effects.as_slice() else {
        panic!("save effect expected")
    };
    assert_eq!(name, "gamelera_backend");
    assert_eq!(text, "db timeout\nGET /api 500\nretry\n");
}

#[test]
fn since_reads_a_time_window_on_the_server_and_toggles_change_the_screen() {
    use opsdeck::app::log_view::ViewSource;
    use opsdeck::collect::logs::{FollowSource, LogSpec};
    let at = |s: i64, text: &str| LogLine {
        at: chrono::DateTime::from_timestamp(s, 0),
        ..LogLine::plain(text.to_owned())
    };
    let long = format!("long {}", "y".repeat(300));
    let (config, mut state) =
        logs_state(vec![at(1_795_600_000, "first"), at(1_795_600_001, &long)]);

    // Timestamps and wrap.
    assert!(render(&state).backend().to_string().contains("│"));
    let with_time = render(&state).backend().to_string();
    update(&mut state, &config, Msg::Action(Action::ToggleTimestamps));
    let without = render(&state).backend().to_string();
    let clock = chrono::DateTime::from_timestamp(1_795_600_000, 0)
        .unwrap()
        .format("%H:%M:%S")
        .to_string();
    assert!(with_time.contains(&clock) && !without.contains(&clock));
    update(&mut state, &config, Msg::Action(Action::ToggleWrap));
    let wrapped = render(&state).backend().to_string();
    assert!(
        wrapped.matches("yyyyyyyyyy").count() > without.matches("yyyyyyyyyy").count(),
        "the long line wraps onto more rows"
    );

    // A file cannot be read from a time.
    let source = |name: &str, spec: LogSpec| {
        ViewSource::new(
            name.to_owned(),
            FollowSource {
                host: HostId::new("gamelera"),
                spec,
                target: opsdeck::transport::Target::Local,
                tail: 100,
                label: name.to_owned(),
            },
        )
    };
    let file = source(
        "gamelera/backend:app",
        LogSpec::File {
            path: "/var/log/x.log".into(),
        },
    );
    let journal = source(
        "gamelera/backend:journal",
        LogSpec::Journald {
            unit: "app.service".into(),
        },
    );
    state.logs_mut().unwrap().sources = vec![file.clone()];
    assert!(palette(&mut state, &config, "since 10m").is_empty());
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("cannot be read from a time")
    );

    // A merged view of a journald unit and a file: the unit is read again from ten minutes
    // ago, cut on the server; the file is left out of the window, and the operator is told.
    state.logs_mut().unwrap().sources = vec![journal, file];
    let old_id = state.logs().unwrap().id;
    let effects = palette(&mut state, &config, "since 10m");
    let [
        Effect::FollowLogs {
            view,
            sources,
            window,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_ne!(*view, old_id, "a reopened view has a new id");
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].0, 0);
    assert!(matches!(sources[0].1.spec, LogSpec::Journald { .. }));
    assert_eq!(window.since, Some(state.now.timestamp() - 600));
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("gamelera/backend:app")
    );
    assert_eq!(
        state.logs().unwrap().ring.len(),
        0,
        "the view starts over from the window"
    );
    assert!(
        render(&state)
            .backend()
            .to_string()
            .contains("(server side)")
    );

    // Lines still in flight from the stream before do not land in the new view.
    update(
        &mut state,
        &config,
        Msg::Update(opsdeck::protocol::Update::LogLines {
            view: old_id,
            source: 0,
            lines: vec![LogLine::plain("late line of the old stream".into())],
        }),
    );
    assert_eq!(state.logs().unwrap().ring.len(), 0);

    // An end, a pattern, and back to live.
    let effects = palette(&mut state, &config, "until 2m");
    let [Effect::FollowLogs { window, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(window.until, Some(state.now.timestamp() - 120));
    assert!(window.since.is_some(), "the window keeps its start");
    assert!(palette(&mut state, &config, "until 20m").is_empty());
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("ends before it starts")
    );
    let effects = palette(&mut state, &config, "grep Timeout");
    let [Effect::FollowLogs { window, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(window.grep.as_deref(), Some("Timeout"));
    let view = state.logs().unwrap();
    assert_eq!(
        view.filter.as_ref().map(|q| q.raw.as_str()),
        Some("Timeout"),
        "sources the server cannot grep are filtered here"
    );
    let id = view.id;
    assert!(!state.logs().unwrap().complete());
    update(
        &mut state,
        &config,
        Msg::Update(opsdeck::protocol::Update::LogEnd {
            view: id,
            source: 0,
        }),
    );
    assert!(state.logs().unwrap().complete());
    assert!(render(&state).backend().to_string().contains("window read"));
    assert!(palette(&mut state, &config, "grep (").is_empty());
    assert!(state.notice.as_ref().unwrap().text.contains("unclosed"));
    let effects = palette(&mut state, &config, "live");
    let [
        Effect::FollowLogs {
            window, sources, ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(window, &opsdeck::collect::logs::Window::default());
    assert_eq!(sources.len(), 2, "the file is followed again");
    assert!(state.logs().unwrap().filter.is_none());
}

/// Types a palette command and submits it.
fn palette(state: &mut State, config: &opsdeck::config::Config, line: &str) -> Vec<Effect> {
    update(state, config, Msg::Action(Action::Palette));
    for c in line.chars() {
        update(state, config, Msg::Input(TextInput::Char(c)));
    }
    update(state, config, Msg::Input(TextInput::Submit))
}

#[test]
fn colours_in_log_text_are_styles_and_search_highlights_over_them() {
    let (config, mut state) = logs_state(vec![LogLine::plain(
        "\u{1b}[32mgreen-word\u{1b}[0m then \u{1b}[2Jplain".to_owned(),
    )]);
    let t = render(&state);
    let screen = t.backend().to_string();
    assert!(screen.contains("green-word then ·plain"), "{screen}");
    assert_no_control(&t);
    let buffer = t.backend().buffer();
    let cell_of = |text: &str| {
        let (x, y) = (0..buffer.area.height)
            .find_map(|y| {
                let row: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect();
                row.find(text).map(|i| (row[..i].chars().count() as u16, y))
            })
            .unwrap_or_else(|| panic!("{text} not on screen"));
        buffer[(x, y)].clone()
    };
    assert_eq!(cell_of("green-word").fg, ratatui::style::Color::Indexed(2));
    assert_ne!(cell_of("then").fg, ratatui::style::Color::Indexed(2));

    // A search match is highlighted over the log's own colour.
    update(&mut state, &config, Msg::Action(Action::Filter));
    for c in "green".chars() {
        update(&mut state, &config, Msg::Input(TextInput::Char(c)));
    }
    let t = render(&state);
    let highlighted = Theme::default().selection.bg.unwrap();
    let buffer = t.backend().buffer();
    let hit = buffer
        .content()
        .iter()
        .any(|c| c.symbol() == "g" && c.bg == highlighted);
    assert!(hit, "the match is highlighted");

    // NO_COLOR: the log's colours are not shown either.
    let plain = Theme::load("default", None, true).unwrap();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| opsdeck::ui::render(f, &state, &plain)).unwrap();
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .all(|c| !matches!(c.fg, ratatui::style::Color::Indexed(2)))
    );
}

#[test]
fn wrapped_lines_keep_the_newest_at_the_bottom() {
    // Long words waste the ends of wrapped rows, so counting characters underestimates
    // the rows a line takes: the newest line must still end on the last row of the box.
    let word = "abcdefghijklmnopqrstuvwxyz0123".repeat(2);
    let lines = (0..40)
        .map(|n| LogLine {
            origin: format!("a-rather-long-source-{}", n % 3),
            ..LogLine::plain(format!("{} END-{n}", [word.as_str(); 5].join(" ")))
        })
        .collect();
    let (config, mut state) = logs_state(lines);
    update(&mut state, &config, Msg::Action(Action::ToggleWrap));
    let t = render(&state);
    let screen = t.backend().to_string();
    let rows: Vec<&str> = screen.lines().collect();
    let last_in_box = rows
        .iter()
        .rposition(|r| r.contains('└'))
        .map(|i| rows[i - 1])
        .unwrap();
    assert!(last_in_box.contains("END-39"), "{screen}");
}
