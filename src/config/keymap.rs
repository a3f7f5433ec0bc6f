//! Key bindings as data: `"ctrl-r" = "refresh"`, defaults embedded, config merged over them.
//! Keys are plain values here; the console turns terminal events into them.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use toml::Spanned;

use crate::model::Action;

const DEFAULT_KEYS: &str = include_str!("default_keys.toml");

/// A key with modifiers, as written in config (`ctrl-r`, `G`, `pagedown`, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySpec {
    pub code: KeyCodeSpec,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeSpec {
    Char(char),
    Named(NamedKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NamedKey {
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
    F(u8),
}

const NAMES: &[(&str, NamedKey)] = &[
    ("enter", NamedKey::Enter),
    ("esc", NamedKey::Esc),
    ("tab", NamedKey::Tab),
    ("backtab", NamedKey::BackTab),
    ("backspace", NamedKey::Backspace),
    ("up", NamedKey::Up),
    ("down", NamedKey::Down),
    ("left", NamedKey::Left),
    ("right", NamedKey::Right),
    ("pageup", NamedKey::PageUp),
    ("pagedown", NamedKey::PageDown),
    ("home", NamedKey::Home),
    ("end", NamedKey::End),
    ("delete", NamedKey::Delete),
];

/// Written as a word in config: a bare " " key is easy to miss.
const SPACE: &str = "space";

impl KeySpec {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        if rest.eq_ignore_ascii_case(SPACE) {
            return Ok(Self {
                code: KeyCodeSpec::Char(' '),
                ctrl,
                alt,
            });
        }
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => KeyCodeSpec::Char(c),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, k)) = NAMES.iter().find(|(n, _)| *n == lower) {
                    KeyCodeSpec::Named(*k)
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                {
                    KeyCodeSpec::Named(NamedKey::F(n))
                } else {
                    return Err(format!(
                        "unknown key `{s}` (write a character, or ctrl-/alt- plus one of: {}, f1..f12)",
                        NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        };
        Ok(Self { code, ctrl, alt })
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCodeSpec::Char(' ') => f.write_str(SPACE),
            KeyCodeSpec::Char(c) => write!(f, "{c}"),
            KeyCodeSpec::Named(NamedKey::F(n)) => write!(f, "f{n}"),
            KeyCodeSpec::Named(k) => {
                let name = NAMES.iter().find(|(_, v)| *v == k).map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<KeySpec, Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        let table: BTreeMap<String, String> =
            toml::from_str(DEFAULT_KEYS).expect("embedded default_keys.toml is valid");
        let mut bindings = BTreeMap::new();
        for (k, a) in table {
            let key = KeySpec::parse(&k).expect("embedded key is valid");
            let action = parse_action(&a).expect("embedded action is valid");
            bindings.insert(key, action);
        }
        Self { bindings }
    }
}

fn parse_action(name: &str) -> Result<Action, String> {
    Action::from_config_name(name).ok_or_else(|| {
        let all: Vec<String> = Action::ALL.iter().map(|a| a.config_name()).collect();
        format!(
            "unknown action `{name}`, expected one of: none, {}",
            all.join(", ")
        )
    })
}

impl Keymap {
    /// Defaults with the config's `[keys]` merged over them; bad entries are reported.
    pub fn with_overrides(
        keys: &BTreeMap<Spanned<String>, Spanned<String>>,
        report: &mut dyn FnMut(Range<usize>, String, String),
    ) -> Self {
        let mut map = Self::default();
        for (key, action) in keys {
            let path = format!("keys.\"{}\"", key.get_ref());
            let spec = match KeySpec::parse(key.get_ref()) {
                Ok(s) => s,
                Err(m) => {
                    report(key.span(), path, m);
                    continue;
                }
            };
            if action.get_ref() == "none" {
                map.bindings.remove(&spec);
                continue;
            }
            match parse_action(action.get_ref()) {
                Ok(a) => {
                    map.bindings.insert(spec, a);
                }
                Err(m) => report(action.span(), path, m),
            }
        }
        map
    }

    /// The action bound to a key. SHIFT is not part of a key: `G` is the character `G`.
    pub fn action_for(&self, key: KeySpec) -> Option<Action> {
        self.bindings.get(&key).copied()
    }

    /// Keys bound to `action`, in a stable order.
    pub fn keys_for(&self, action: Action) -> Vec<KeySpec> {
        self.bindings
            .iter()
            .filter(|(_, a)| **a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// The first key bound to `action`, for hints in the status line.
    pub fn hint(&self, action: Action) -> Option<String> {
        // Enter and Esc read better than vim letters for opening and going back.
        let prefer_named = matches!(action, Action::Open | Action::Back);
        self.keys_for(action)
            .into_iter()
            .min_by_key(|k| {
                (
                    k.ctrl || k.alt,
                    matches!(k.code, KeyCodeSpec::Named(_)) != prefer_named,
                )
            })
            .map(|k| k.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys() {
        assert_eq!(KeySpec::parse("ctrl-r").unwrap().to_string(), "ctrl-r");
        assert_eq!(KeySpec::parse("G").unwrap().code, KeyCodeSpec::Char('G'));
        assert_eq!(KeySpec::parse("PageDown").unwrap().to_string(), "pagedown");
        assert_eq!(KeySpec::parse("-").unwrap().code, KeyCodeSpec::Char('-'));
        assert!(
            KeySpec::parse("ctrl-").is_err()
                || KeySpec::parse("ctrl-").unwrap().code == KeyCodeSpec::Char('-')
        );
        assert!(KeySpec::parse("hyper-x").is_err());
    }

    #[test]
    fn defaults_bind_quit_and_overrides_apply() {
        let km = Keymap::default();
        let q = KeySpec::parse("q").unwrap();
        assert_eq!(km.action_for(q), Some(Action::Quit));
        let mut keys = BTreeMap::new();
        keys.insert(
            Spanned::new(0..1, "q".to_owned()),
            Spanned::new(0..1, "none".to_owned()),
        );
        keys.insert(
            Spanned::new(0..1, "x".to_owned()),
            Spanned::new(0..1, "quit".to_owned()),
        );
        let km = Keymap::with_overrides(&keys, &mut |_, _, m| panic!("{m}"));
        assert_eq!(km.action_for(q), None);
        let x = KeySpec::parse("x").unwrap();
        assert_eq!(km.action_for(x), Some(Action::Quit));
    }
}
