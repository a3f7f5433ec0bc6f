//! Snapshots of every screen region from the fixture fleet with a pinned clock,
//! at 120×40 and 80×24.

use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Row, State};
use opsdeck::config::Config;
use opsdeck::fixture;
use opsdeck::model::Action;
use opsdeck::ui;
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

fn draw(state: &State) -> String {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::default();
    terminal.draw(|f| ui::render(f, state, &theme)).unwrap();
    terminal.backend().to_string()
}

fn each_size(name: &str, prepare: impl Fn(&Config, &mut State)) {
    for size in SIZES {
        let config = fixture::config();
        let mut state = fixture::state(&config, size);
        prepare(&config, &mut state);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), draw(&state));
    }
}

#[test]
fn fleet_table() {
    each_size("fleet", |_, _| {});
}

#[test]
fn header_alone() {
    for (w, _) in SIZES {
        let config = fixture::config();
        let state = fixture::state(&config, (w, 1));
        let mut terminal = Terminal::new(TestBackend::new(w, 1)).unwrap();
        terminal
            .draw(|f| ui::header::render(f, f.area(), &state, &Theme::default()))
            .unwrap();
        insta::assert_snapshot!(format!("header_{w}"), terminal.backend().to_string());
    }
}

#[test]
fn host_detail() {
    each_size("host_detail", |config, state| {
        update(state, config, Msg::Action(Action::Open));
    });
}

#[test]
fn unreachable_host_detail() {
    each_size("host_detail_unreachable", |config, state| {
        let epagal = state
            .rows()
            .iter()
            .position(|r| *r == Row::Host(1))
            .unwrap();
        state.selected = epagal;
        update(state, config, Msg::Action(Action::Open));
    });
}

#[test]
fn help_overlay() {
    each_size("help", |config, state| {
        update(state, config, Msg::Action(Action::Help));
    });
}

#[test]
fn plan_popup() {
    each_size("plan_popup", |config, state| {
        update(state, config, Msg::Action(Action::Bottom));
        update(state, config, Msg::Action(Action::RestartService));
        for c in "conduct".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
    });
}

#[test]
fn filter_input() {
    each_size("filter", |config, state| {
        update(state, config, Msg::Action(Action::Filter));
        for c in "front".chars() {
            update(state, config, Msg::Input(TextInput::Char(c)));
        }
    });
}

#[test]
fn read_only_banner() {
    let config = fixture::config();
    let mut state = State::new(&config, true, fixture::themes(), 0, fixture::clock());
    state.size = (120, 40);
    let screen = draw(&state);
    assert!(screen.lines().next().unwrap().contains("READ-ONLY"));
    assert!(screen.lines().next().unwrap().contains("PROD"));
}

/// `:smoke post-deploy` with two results in and one still running, then finished.
#[test]
fn smoke_overlay() {
    use opsdeck::model::CheckId;
    use opsdeck::protocol::Update;
    for finished in [false, true] {
        let name = if finished {
            "smoke_finished"
        } else {
            "smoke_running"
        };
        each_size(name, |config, state| {
            update(state, config, Msg::Action(Action::Palette));
            for c in "smoke post-deploy".chars() {
                update(state, config, Msg::Input(TextInput::Char(c)));
            }
            update(state, config, Msg::Input(TextInput::Submit));
            let now = fixture::clock();
            let ids = [
                "gamelera/backend/health",
                "epagal/backend/health",
                "triboka/triboka-flask/health",
            ]
            .map(|r| CheckId::parse(r).unwrap());
            let mut results = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                if i == 2 && !finished {
                    break;
                }
                let mut result = fixture::check_result(id, 23, now);
                if i == 1 {
                    result.attempts = 3;
                }
                results.push((id.clone(), result.clone()));
                update(
                    state,
                    config,
                    Msg::Update(Update::CheckResult {
                        check: id.clone(),
                        result,
                    }),
                );
            }
            if finished {
                update(
                    state,
                    config,
                    Msg::Update(Update::SuiteFinished {
                        suite: "post-deploy".into(),
                        results,
                    }),
                );
            }
        });
    }
}
