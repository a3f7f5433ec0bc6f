//! Moving, opening, filtering, the palette and the mouse.

use super::*;

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

#[test]
fn palette_completes_with_tab_and_cycles() {
    let (config, mut state) = setup();
    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "sm");
    let tab = |state: &mut State, back| {
        update(state, &config, Msg::Input(TextInput::Complete { back }));
    };
    tab(&mut state, false);
    let Mode::Palette {
        input, candidates, ..
    } = &state.mode
    else {
        panic!("palette closed")
    };
    assert_eq!(input, "smoke ");
    assert_eq!(candidates[0].line, "smoke post-deploy");
    tab(&mut state, false);
    assert!(matches!(&state.mode, Mode::Palette { input, .. } if input == "smoke post-deploy"));

    act(&mut state, &config, Action::Back);
    act(&mut state, &config, Action::Palette);
    type_text(&mut state, &config, "restart gamelera/m");
    tab(&mut state, false);
    tab(&mut state, false);
    let Mode::Palette {
        input, selected, ..
    } = &state.mode
    else {
        panic!("palette closed")
    };
    assert_eq!(
        (input.as_str(), *selected),
        ("restart gamelera/minio", Some(1))
    );
    tab(&mut state, true);
    assert!(
        matches!(&state.mode, Mode::Palette { input, .. } if input == "restart gamelera/mongodb")
    );
}
