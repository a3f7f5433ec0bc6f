//! Log text for the screen: `model::text` makes it safe (every escape sequence but colours
//! becomes one `·`); this turns the colours it kept into ratatui styles.

use std::ops::Range;

use ratatui::style::{Color, Modifier, Style};

use crate::model::text::{self, TextColor, TextStyle};

/// Printable text and its styles, as byte ranges of `text`.
#[derive(Debug, Default, PartialEq)]
pub struct Styled {
    pub text: String,
    pub runs: Vec<(Range<usize>, Style)>,
    /// Characters were left out at the limit.
    pub cut: bool,
}

/// At most `max` characters of `raw`, made safe, its colours as styles.
pub fn parse(raw: &str, max: usize) -> Styled {
    let t = text::parse(raw, max);
    Styled {
        runs: t.runs.into_iter().map(|(r, s)| (r, style(s))).collect(),
        text: t.text,
        cut: t.cut,
    }
}

fn color(c: TextColor) -> Color {
    match c {
        TextColor::Indexed(i) => Color::Indexed(i),
        TextColor::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

pub fn style(s: TextStyle) -> Style {
    let mut style = Style::default();
    if let Some(c) = s.fg {
        style = style.fg(color(c));
    }
    if let Some(c) = s.bg {
        style = style.bg(color(c));
    }
    for (on, m) in [
        (s.bold, Modifier::BOLD),
        (s.dim, Modifier::DIM),
        (s.italic, Modifier::ITALIC),
        (s.underlined, Modifier::UNDERLINED),
        (s.reversed, Modifier::REVERSED),
    ] {
        if on {
            style = style.add_modifier(m);
        }
    }
    style
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_arrive_as_ratatui_styles() {
        let s = parse("\u{1b}[1;38;5;196mhot\u{1b}[m \u{1b}[2Jx", 100);
        assert_eq!(s.text, "hot ·x");
        assert_eq!(
            s.runs,
            [(
                0..3,
                Style::default()
                    .add_modifier(Modifier::BOLD)
                    .fg(Color::Indexed(196))
            )]
        );
    }
}
