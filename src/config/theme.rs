//! Colour themes from `themes/*.toml`, parsed into plain data (the screen turns them into
//! styles). The three shipped ones are embedded.

use std::path::Path;

use serde::Deserialize;

pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// A colour as a theme file writes it: a name, `reset`, an index 0–255 or `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Reset,
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
    Indexed(u8),
    Rgb(u8, u8, u8),
}

const NAMES: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("default", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("grey", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("darkgrey", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

impl Color {
    /// `lightblue`, `light-blue`, `Light Blue`, `42`, `#1c2330`, `reset`.
    pub fn parse(s: &str) -> Result<Color, String> {
        let bad = || {
            format!(
                "invalid colour `{s}` (a name such as red or lightblue, reset, 0-255, or #rrggbb)"
            )
        };
        let t = s.trim();
        if let Some(hex) = t.strip_prefix('#') {
            if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
            return Ok(Color::Rgb(byte(0)?, byte(2)?, byte(4)?));
        }
        if let Ok(i) = t.parse::<u8>() {
            return Ok(Color::Indexed(i));
        }
        let key: String = t
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        NAMES
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, c)| *c)
            .ok_or_else(bad)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    colors: ColorNames,
}

macro_rules! palette {
    ($($field:ident),* $(,)?) => {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ColorNames { $($field: String),* }

        /// Every colour a theme sets, by role.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Palette { $(pub $field: Color),* }

        impl Palette {
            fn parse(names: &ColorNames) -> Result<Palette, String> {
                Ok(Palette { $($field: Color::parse(&names.$field)
                    .map_err(|e| format!("colors.{}: {e}", stringify!($field)))?),* })
            }
        }
    };
}

palette!(
    text,
    muted,
    accent,
    border,
    title,
    ok,
    warn,
    bad,
    info,
    selection_fg,
    selection_bg,
    header_bg,
    header_fg,
    banner_fg,
    readonly_bg,
    prod_bg,
    popup_bg,
    sparkline,
);

/// A theme as data: its name and its palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeSpec {
    pub name: String,
    pub palette: Palette,
}

impl ThemeSpec {
    /// A built-in theme by name, or a file `themes/NAME.toml` next to the config.
    pub fn load(name: &str, search_dir: Option<&Path>) -> Result<ThemeSpec, String> {
        let text = match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((_, t)) => (*t).to_owned(),
            None => {
                let dir = search_dir.unwrap_or(Path::new("."));
                let path = dir.join("themes").join(format!("{name}.toml"));
                std::fs::read_to_string(&path).map_err(|e| {
                    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                    format!(
                        "unknown theme `{name}` (built in: {}; {}: {e})",
                        names.join(", "),
                        path.display()
                    )
                })?
            }
        };
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<ThemeSpec, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(ThemeSpec {
            name: file.name,
            palette: Palette::parse(&file.colors)?,
        })
    }

    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse() {
        for (name, _) in BUILTIN {
            let t = ThemeSpec::load(name, None).unwrap();
            assert_eq!(&t.name, name);
        }
    }

    #[test]
    fn colours_in_every_spelling() {
        assert_eq!(Color::parse("lightblue"), Ok(Color::LightBlue));
        assert_eq!(Color::parse("Light-Blue"), Ok(Color::LightBlue));
        assert_eq!(Color::parse("#1c2330"), Ok(Color::Rgb(0x1c, 0x23, 0x30)));
        assert_eq!(Color::parse("42"), Ok(Color::Indexed(42)));
        assert!(Color::parse("#12345").is_err());
        assert!(
            Color::parse("ultraviolet")
                .unwrap_err()
                .contains("ultraviolet")
        );
    }

    #[test]
    fn a_bad_colour_names_its_role() {
        let text = BUILTIN[0].1.replace("ok = \"green\"", "ok = \"grean\"");
        let e = ThemeSpec::parse(&text).unwrap_err();
        assert!(e.starts_with("colors.ok: invalid colour `grean`"), "{e}");
    }
}
