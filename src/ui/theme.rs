//! The styles the renderer uses, made once from a theme's palette (`config::theme`).
//! With NO_COLOR every colour is the terminal's own and emphasis uses bold and reverse.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

use crate::config::theme::{self, Palette, ThemeSpec};

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

fn color(c: theme::Color, no_color: bool) -> Color {
    use theme::Color as C;
    if no_color {
        return Color::Reset;
    }
    match c {
        C::Reset => Color::Reset,
        C::Black => Color::Black,
        C::Red => Color::Red,
        C::Green => Color::Green,
        C::Yellow => Color::Yellow,
        C::Blue => Color::Blue,
        C::Magenta => Color::Magenta,
        C::Cyan => Color::Cyan,
        C::Gray => Color::Gray,
        C::DarkGray => Color::DarkGray,
        C::LightRed => Color::LightRed,
        C::LightGreen => Color::LightGreen,
        C::LightYellow => Color::LightYellow,
        C::LightBlue => Color::LightBlue,
        C::LightMagenta => Color::LightMagenta,
        C::LightCyan => Color::LightCyan,
        C::White => Color::White,
        C::Indexed(i) => Color::Indexed(i),
        C::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

impl Theme {
    pub fn new(spec: &ThemeSpec, no_color: bool) -> Theme {
        let p: &Palette = &spec.palette;
        let c = |x| color(x, no_color);
        let fg = |x| Style::new().fg(c(x));
        // Without colours, what colour would say is said with bold and reverse.
        let only_without_colour = |m: Modifier| if no_color { m } else { Modifier::empty() };
        let banner = |bg| {
            Style::new()
                .fg(c(p.banner_fg))
                .bg(c(bg))
                .add_modifier(Modifier::BOLD | only_without_colour(Modifier::REVERSED))
        };
        Theme {
            name: spec.name.clone(),
            text: fg(p.text),
            muted: fg(p.muted),
            accent: fg(p.accent),
            border: fg(p.border),
            title: fg(p.title).add_modifier(Modifier::BOLD),
            ok: fg(p.ok),
            warn: fg(p.warn),
            bad: fg(p.bad).add_modifier(only_without_colour(Modifier::BOLD)),
            info: fg(p.info),
            selection: if no_color {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new().fg(c(p.selection_fg)).bg(c(p.selection_bg))
            },
            header: Style::new().fg(c(p.header_fg)).bg(c(p.header_bg)),
            readonly_banner: banner(p.readonly_bg),
            prod_banner: banner(p.prod_bg),
            popup: Style::new().bg(c(p.popup_bg)),
            sparkline: fg(p.sparkline),
            log_colors: !no_color,
        }
    }

    /// A built-in theme by name, or `themes/NAME.toml` next to the config.
    pub fn load(name: &str, search_dir: Option<&Path>, no_color: bool) -> Result<Theme, String> {
        ThemeSpec::load(name, search_dir).map(|spec| Theme::new(&spec, no_color))
    }

    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        ThemeSpec::builtin_names()
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::load(theme::BUILTIN[0].0, None, false).expect("embedded default theme is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_has_no_colours() {
        let t = Theme::load("default", None, true).unwrap();
        assert_eq!(t.ok.fg, Some(Color::Reset));
        assert!(t.selection.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn every_builtin_theme_makes_styles() {
        for name in Theme::builtin_names() {
            let t = Theme::load(name, None, false).unwrap();
            assert_eq!(t.name, name);
            assert_ne!(t.ok, t.bad, "{name}: ok and bad look the same");
        }
    }
}
