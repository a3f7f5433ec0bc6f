//! Colour themes from `themes/*.toml`; the three shipped ones are embedded.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    colors: Colors,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    text: String,
    muted: String,
    accent: String,
    border: String,
    title: String,
    ok: String,
    warn: String,
    bad: String,
    info: String,
    selection_fg: String,
    selection_bg: String,
    header_bg: String,
    header_fg: String,
    banner_fg: String,
    readonly_bg: String,
    prod_bg: String,
    popup_bg: String,
    sparkline: String,
}

/// Styles the renderer uses; built once from a theme file.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub accent: Style,
    pub border: Style,
    pub title: Style,
    pub ok: Style,
    pub warn: Style,
    pub bad: Style,
    pub info: Style,
    pub selection: Style,
    pub header: Style,
    pub readonly_banner: Style,
    pub prod_banner: Style,
    pub popup: Style,
    pub sparkline: Style,
    /// Colours written in log text (SGR sequences) are shown; off with NO_COLOR.
    pub log_colors: bool,
}

impl Theme {
    /// A built-in theme by name, or a file `themes/NAME.toml` next to the config.
    pub fn load(name: &str, search_dir: Option<&Path>, no_color: bool) -> Result<Theme, String> {
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
        Self::parse(&text, no_color)
    }

    pub fn parse(text: &str, no_color: bool) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let c = &file.colors;
        let color = |s: &str| -> Result<Color, String> {
            if no_color {
                return Ok(Color::Reset);
            }
            Color::from_str(s).map_err(|_| format!("invalid colour `{s}`"))
        };
        let fg = |s: &str| color(s).map(|c| Style::new().fg(c));
        Ok(Theme {
            name: file.name.clone(),
            text: fg(&c.text)?,
            muted: fg(&c.muted)?,
            accent: fg(&c.accent)?,
            border: fg(&c.border)?,
            title: fg(&c.title)?.add_modifier(Modifier::BOLD),
            ok: fg(&c.ok)?,
            warn: fg(&c.warn)?,
            bad: fg(&c.bad)?.add_modifier(if no_color {
                Modifier::BOLD
            } else {
                Modifier::empty()
            }),
            info: fg(&c.info)?,
            selection: if no_color {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new()
                    .fg(color(&c.selection_fg)?)
                    .bg(color(&c.selection_bg)?)
            },
            header: Style::new()
                .fg(color(&c.header_fg)?)
                .bg(color(&c.header_bg)?),
            readonly_banner: Style::new()
                .fg(color(&c.banner_fg)?)
                .bg(color(&c.readonly_bg)?)
                .add_modifier(
                    Modifier::BOLD
                        | if no_color {
                            Modifier::REVERSED
                        } else {
                            Modifier::empty()
                        },
                ),
            prod_banner: Style::new()
                .fg(color(&c.banner_fg)?)
                .bg(color(&c.prod_bg)?)
                .add_modifier(
                    Modifier::BOLD
                        | if no_color {
                            Modifier::REVERSED
                        } else {
                            Modifier::empty()
                        },
                ),
            popup: Style::new().bg(color(&c.popup_bg)?),
            sparkline: fg(&c.sparkline)?,
            log_colors: !no_color,
        })
    }

    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::parse(BUILTIN[0].1, false).expect("embedded default theme is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse() {
        for (name, _) in BUILTIN {
            let t = Theme::load(name, None, false).unwrap();
            assert_eq!(&t.name, name);
        }
    }

    #[test]
    fn no_color_has_no_colours() {
        let t = Theme::load("default", None, true).unwrap();
        assert_eq!(t.ok.fg, Some(Color::Reset));
        assert!(t.selection.add_modifier.contains(Modifier::REVERSED));
    }
}
