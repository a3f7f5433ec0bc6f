//! Terminal events become messages: key map in normal mode, text in input modes.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::app::reducer::{Msg, TextInput};
use crate::app::state::{ActionPhase, Mode, State};
use crate::config::keymap::{KeyCodeSpec, KeySpec, NamedKey};
use crate::model::Action;

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
        KeyCode::Tab => Some(TextInput::Complete { back: false }),
        KeyCode::BackTab => Some(TextInput::Complete { back: true }),
        _ => None,
    };
    match &state.mode {
        Mode::Normal => key_spec(&key)
            .and_then(|k| state.keymap.action_for(k))
            .map(Msg::Action),
        Mode::Help | Mode::Smoke => Some(Msg::Action(Action::Back)),
        Mode::Filter { .. }
        | Mode::Palette { .. }
        | Mode::LogQuery { .. }
        | Mode::RunbookInput { .. }
        | Mode::Silence(_) => text(key).map(Msg::Input),
        Mode::LogLine { .. } => Some(Msg::Action(Action::Back)),
        Mode::Action(view) if view.phase != ActionPhase::Confirm => text(key)
            .map(Msg::Input)
            .or(Some(Msg::Input(TextInput::Cancel))),
        // Arrows and pages scroll a plan taller than the popup; letters answer it.
        Mode::Action(_) => match key.code {
            KeyCode::Up => Some(Msg::Scroll(-1)),
            KeyCode::Down => Some(Msg::Scroll(1)),
            KeyCode::PageUp => Some(Msg::Scroll(-10)),
            KeyCode::PageDown => Some(Msg::Scroll(10)),
            _ => text(key).map(Msg::Input),
        },
    }
}

/// The key as key maps write it; SHIFT is carried by the character (`G`), not kept.
pub fn key_spec(ev: &KeyEvent) -> Option<KeySpec> {
    let named = |k| KeyCodeSpec::Named(k);
    let code = match ev.code {
        KeyCode::Char(c) => KeyCodeSpec::Char(c),
        KeyCode::Enter => named(NamedKey::Enter),
        KeyCode::Esc => named(NamedKey::Esc),
        KeyCode::Tab => named(NamedKey::Tab),
        KeyCode::BackTab => named(NamedKey::BackTab),
        KeyCode::Backspace => named(NamedKey::Backspace),
        KeyCode::Up => named(NamedKey::Up),
        KeyCode::Down => named(NamedKey::Down),
        KeyCode::Left => named(NamedKey::Left),
        KeyCode::Right => named(NamedKey::Right),
        KeyCode::PageUp => named(NamedKey::PageUp),
        KeyCode::PageDown => named(NamedKey::PageDown),
        KeyCode::Home => named(NamedKey::Home),
        KeyCode::End => named(NamedKey::End),
        KeyCode::Delete => named(NamedKey::Delete),
        KeyCode::F(n) => named(NamedKey::F(n)),
        _ => return None,
    };
    Some(KeySpec {
        code,
        ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
        alt: ev.modifiers.contains(KeyModifiers::ALT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keymap::Keymap;

    #[test]
    fn shifted_capital_matches() {
        let km = Keymap::default();
        let g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.action_for(key_spec(&g).unwrap()), Some(Action::Bottom));
        let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(
            km.action_for(key_spec(&ctrl_r).unwrap()),
            Some(Action::Refresh)
        );
    }
}
