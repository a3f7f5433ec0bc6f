//! Snapshots of the fleet view for big fleets, from the fixture fleet with a pinned clock, at
//! 120×40 and 80×24: problems only, grouped by tag with a folded group, a folded host, the
//! fuzzy filter, a flat list sorted by CPU, and a problems-only view with nothing to show.

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
    terminal
        .draw(|f| ui::render(f, state, &Theme::default()))
        .unwrap();
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

fn act(state: &mut State, config: &Config, a: Action) {
    update(state, config, Msg::Action(a));
}

fn type_text(state: &mut State, config: &Config, text: &str) {
    for c in text.chars() {
        update(state, config, Msg::Input(TextInput::Char(c)));
    }
}

/// Clears the notice a key left, so the status line shows the keys again.
fn quiet(state: &mut State) {
    state.notice = None;
}

#[test]
fn problems_only() {
    each_size("problems_only", |config, state| {
        act(state, config, Action::ToggleProblems);
        quiet(state);
        let screen = draw(state);
        assert!(screen.contains("problems only"), "{screen}");
        assert!(screen.contains("9 hidden"), "{screen}");
        assert!(!screen.contains("redis"), "a healthy row is hidden");
    });
}

#[test]
fn no_problems_says_so_in_one_line() {
    each_size("no_problems", |config, state| {
        act(state, config, Action::Filter);
        type_text(state, config, "control");
        update(state, config, Msg::Input(TextInput::Submit));
        act(state, config, Action::ToggleProblems);
        quiet(state);
        let screen = draw(state);
        assert!(
            screen.contains("no problems: 2 rows hidden — ! shows all"),
            "{screen}"
        );
    });
}

#[test]
fn grouped_by_tag_with_a_folded_group() {
    each_size("grouped_by_tag", |config, state| {
        act(state, config, Action::CycleGrouping);
        let staging = state
            .rows()
            .iter()
            .position(|r| *r == Row::Group(1))
            .unwrap();
        state.selected = staging;
        act(state, config, Action::ToggleExpand);
        quiet(state);
        let screen = draw(state);
        assert!(screen.contains("▸ #staging"), "{screen}");
        assert!(
            !screen.contains("epagal"),
            "the folded group's hosts are hidden"
        );
    });
}

#[test]
fn folded_host_counts_its_problems() {
    each_size("folded_host", |config, state| {
        act(state, config, Action::ToggleExpand);
        quiet(state);
        let screen = draw(state);
        assert!(screen.contains("▸ gamelera"), "{screen}");
        assert!(screen.contains("2 ⚠"), "{screen}");
        assert!(!screen.contains("mlflow"), "{screen}");
    });
}

#[test]
fn fuzzy_filter() {
    each_size("fuzzy_filter", |config, state| {
        act(state, config, Action::Filter);
        type_text(state, config, "trb fl");
        let screen = draw(state);
        assert!(screen.contains("triboka-flask"), "{screen}");
        assert!(!screen.contains("agro"), "{screen}");
    });
}

#[test]
fn flat_and_sorted_by_cpu() {
    each_size("sorted_by_cpu", |config, state| {
        act(state, config, Action::CycleGrouping);
        act(state, config, Action::CycleGrouping);
        for _ in 0..6 {
            act(state, config, Action::CycleSort);
        }
        act(state, config, Action::ReverseSort);
        quiet(state);
        let screen = draw(state);
        assert!(screen.contains("CPU▼"), "{screen}");
    });
}

/// The highlight is in the styles, which the text snapshot does not show: check the cells.
#[test]
fn matched_characters_are_highlighted() {
    let config = fixture::config();
    let mut state = fixture::state(&config, (120, 40));
    act(&mut state, &config, Action::Filter);
    type_text(&mut state, &config, "flsk");
    // Select the host row so the service row is drawn in its own colours.
    state.selected = 0;
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let theme = Theme::default();
    terminal.draw(|f| ui::render(f, &state, &theme)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let line = (0..40u16)
        .find(|y| {
            (0..120u16)
                .map(|x| buffer[(x, *y)].symbol().to_owned())
                .collect::<String>()
                .contains("triboka-flask")
        })
        .expect("the flask row");
    let text: String = (0..120u16)
        .map(|x| buffer[(x, line)].symbol().to_owned())
        .collect();
    let start = text.find("triboka-flask").unwrap();
    let start = text[..start].chars().count() as u16;
    let hit = theme
        .accent
        .add_modifier(ratatui::style::Modifier::BOLD | ratatui::style::Modifier::UNDERLINED);
    let styled: Vec<usize> = (0..13u16)
        .filter(|i| {
            let cell = &buffer[(start + i, line)];
            cell.modifier.contains(ratatui::style::Modifier::UNDERLINED)
                && cell.fg == hit.fg.unwrap_or_default()
        })
        .map(usize::from)
        .collect();
    // f, l, s, k of "triboka-flask".
    assert_eq!(styled, vec![8, 9, 11, 12]);
}

/// The help overlay has a line for each of the view's keys, at every size (three columns
/// when two no longer fit).
#[test]
fn help_lists_the_view_keys_at_every_size() {
    for size in [(120, 40), (80, 24), (80, 18)] {
        let config = fixture::config();
        let mut state = fixture::state(&config, size);
        act(&mut state, &config, Action::Help);
        let screen = draw(&state);
        for entry in [
            "!  problems",
            "v  group",
            "C  fold",
            "o  sort",
            "O  rever",
            "space  fold",
        ] {
            assert!(
                screen.contains(entry),
                "{size:?} lacks `{entry}`:\n{screen}"
            );
        }
        assert!(
            screen.contains("x  runbook"),
            "{size:?}: the last entry is there:\n{screen}"
        );
    }
}
