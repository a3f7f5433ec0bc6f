//! Terminal events become messages: key map in normal mode, text in input modes.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use super::action::Action;
use super::reducer::{Msg, TextInput};
use super::state::{ActionPhase, Mode, State};

pub fn translate(state: &State, event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => key_msg(state, key),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Msg::Scroll(3)),
            MouseEventKind::ScrollUp => Some(Msg::Scroll(-3)),
            MouseEventKind::Down(MouseButton::Left) => Some(Msg::Click {
                column: m.column,
                row: m.row,
            }),
            _ => None,
        },
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

fn key_msg(state: &State, key: KeyEvent) -> Option<Msg> {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl_c {
        return Some(Msg::Action(Action::Quit));
    }
    let text = |k: KeyEvent| match k.code {
        KeyCode::Char(c)
            if !k
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(TextInput::Char(c))
        }
        KeyCode::Backspace => Some(TextInput::Backspace),
        KeyCode::Enter => Some(TextInput::Submit),
        KeyCode::Esc => Some(TextInput::Cancel),
        _ => None,
    };
    match &state.mode {
        Mode::Normal => state.keymap.action_for(&key).map(Msg::Action),
        Mode::Help | Mode::Smoke => Some(Msg::Action(Action::Back)),
        Mode::Filter { .. } | Mode::Palette { .. } | Mode::LogQuery { .. } => {
            text(key).map(Msg::Input)
        }
        Mode::LogLine { .. } => Some(Msg::Action(Action::Back)),
        Mode::Action(view) if view.phase != ActionPhase::Confirm => text(key)
            .map(Msg::Input)
            .or(Some(Msg::Input(TextInput::Cancel))),
        Mode::Action(_) => text(key).map(Msg::Input),
    }
}
