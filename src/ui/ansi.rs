//! Log text made safe for the screen. Colours written with SGR sequences (`ESC [ … m`) are
//! kept as styles; every other escape sequence — cursor moves, screen clears, OSC titles and
//! clipboard writes, DCS strings — and every other control character is replaced by one `·`.
//! Nothing from the text ever reaches the terminal as a control sequence: the result is
//! plain characters plus ratatui styles.

use std::ops::Range;

use ratatui::style::{Color, Modifier, Style};

const ESC: char = '\u{1b}';
const MARK: char = '·';

/// Printable text and the styles its colour sequences asked for, as byte ranges of `text`.
#[derive(Debug, Default, PartialEq)]
pub struct Styled {
    pub text: String,
    pub runs: Vec<(Range<usize>, Style)>,
    /// Characters were left out at the limit.
    pub cut: bool,
}

/// At most `max` characters of `raw`, escape sequences interpreted as above.
pub fn parse(raw: &str, max: usize) -> Styled {
    let mut out = Styled::default();
    let mut style = Style::default();
    let mut run_start = 0;
    let mut shown = 0;
    let mut chars = raw.chars().peekable();
    let close_run = |out: &mut Styled, start: &mut usize, style: Style| {
        if out.text.len() > *start && style != Style::default() {
            out.runs.push((*start..out.text.len(), style));
        }
        *start = out.text.len();
    };
    while let Some(c) = chars.next() {
        if shown >= max {
            // Cut only if something visible is left (a closing colour sequence is not).
            out.cut = visible_rest(std::iter::once(c).chain(chars));
            break;
        }
        match c {
            ESC => match chars.peek() {
                Some('[') => {
                    chars.next();
                    let mut params = String::new();
                    let mut final_byte = None;
                    for c in chars.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&c) {
                            final_byte = Some(c);
                            break;
                        }
                        if params.len() > 64 || c.is_control() {
                            break;
                        }
                        params.push(c);
                    }
                    if final_byte == Some('m') {
                        close_run(&mut out, &mut run_start, style);
                        style = sgr(style, &params);
                    } else {
                        out.text.push(MARK);
                        shown += 1;
                    }
                }
                // OSC and DCS-like strings run to BEL or ST (ESC \): all of it goes.
                Some(']' | 'P' | '_' | '^' | 'X') => {
                    chars.next();
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == ESC && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                    out.text.push(MARK);
                    shown += 1;
                }
                // Two-character sequences (ESC c, ESC 7…): the pair goes.
                Some(_) => {
                    chars.next();
                    out.text.push(MARK);
                    shown += 1;
                }
                None => {
                    out.text.push(MARK);
                    shown += 1;
                }
            },
            c if c.is_control() => {
                out.text.push(MARK);
                shown += 1;
            }
            c => {
                out.text.push(c);
                shown += 1;
            }
        }
    }
    close_run(&mut out, &mut run_start, style);
    out
}

/// Whether anything but colour sequences is left.
fn visible_rest(mut chars: impl Iterator<Item = char>) -> bool {
    while let Some(c) = chars.next() {
        if c != ESC || chars.next() != Some('[') {
            return true;
        }
        // A CSI sequence: only a colour (final `m`) is invisible.
        match chars.find(|c| ('\u{40}'..='\u{7e}').contains(c)) {
            Some('m') => {}
            _ => return true,
        }
    }
    false
}

/// The style after one SGR sequence's parameters.
fn sgr(mut style: Style, params: &str) -> Style {
    let codes: Vec<u16> = if params.is_empty() {
        vec![0]
    } else {
        params
            .split([';', ':'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let mut i = 0;
    while i < codes.len() {
        match codes[i] {
            0 => style = Style::default(),
            1 => style = style.add_modifier(Modifier::BOLD),
            2 => style = style.add_modifier(Modifier::DIM),
            3 => style = style.add_modifier(Modifier::ITALIC),
            4 => style = style.add_modifier(Modifier::UNDERLINED),
            7 => style = style.add_modifier(Modifier::REVERSED),
            22 => style = style.remove_modifier(Modifier::BOLD | Modifier::DIM),
            23 => style = style.remove_modifier(Modifier::ITALIC),
            24 => style = style.remove_modifier(Modifier::UNDERLINED),
            27 => style = style.remove_modifier(Modifier::REVERSED),
            c @ 30..=37 => style = style.fg(Color::Indexed((c - 30) as u8)),
            c @ 90..=97 => style = style.fg(Color::Indexed((c - 90 + 8) as u8)),
            39 => style.fg = None,
            c @ 40..=47 => style = style.bg(Color::Indexed((c - 40) as u8)),
            c @ 100..=107 => style = style.bg(Color::Indexed((c - 100 + 8) as u8)),
            49 => style.bg = None,
            c @ (38 | 48) => {
                let color = match codes.get(i + 1) {
                    Some(5) => {
                        let n = codes.get(i + 2).copied().unwrap_or(0);
                        i += 2;
                        Some(Color::Indexed(n.min(255) as u8))
                    }
                    Some(2) => {
                        let rgb = |k: usize| codes.get(i + k).copied().unwrap_or(0).min(255) as u8;
                        let color = Color::Rgb(rgb(2), rgb(3), rgb(4));
                        i += 4;
                        Some(color)
                    }
                    _ => None,
                };
                if let Some(color) = color {
                    style = if c == 38 {
                        style.fg(color)
                    } else {
                        style.bg(color)
                    };
                }
            }
            _ => {}
        }
        i += 1;
    }
    style
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_become_styles_and_leave_no_trace_in_the_text() {
        let s = parse(
            "\u{1b}[32mINFO\u{1b}[0m ready \u{1b}[1;38;5;196mhot\u{1b}[m",
            100,
        );
        assert_eq!(s.text, "INFO ready hot");
        assert_eq!(
            s.runs,
            [
                (0..4, Style::default().fg(Color::Indexed(2))),
                (
                    11..14,
                    Style::default()
                        .add_modifier(Modifier::BOLD)
                        .fg(Color::Indexed(196))
                ),
            ]
        );
        let rgb = parse("\u{1b}[38;2;255;128;0mx", 10);
        assert_eq!(
            rgb.runs,
            [(0..1, Style::default().fg(Color::Rgb(255, 128, 0)))]
        );
    }

    #[test]
    fn every_other_sequence_is_one_marker() {
        let cases = [
            ("a\u{1b}[2Jb", "a·b"),
            ("a\u{1b}[10;20Hb", "a·b"),
            ("a\u{1b}]0;pwned title\u{7}b", "a·b"),
            ("a\u{1b}]52;c;ZWNobyBoaQ==\u{1b}\\b", "a·b"),
            ("a\u{1b}Pq#0;2;0;0;0\u{1b}\\b", "a·b"),
            ("a\u{1b}cb", "a·b"),
            ("a\rb\u{7}c\u{9b}2Jd", "a·b·c·2Jd"),
            ("unterminated \u{1b}]0;title", "unterminated ·"),
            ("trailing \u{1b}", "trailing ·"),
        ];
        for (raw, shown) in cases {
            let s = parse(raw, 100);
            assert_eq!(s.text, shown, "{raw:?}");
            assert!(s.runs.is_empty(), "{raw:?}");
        }
    }

    #[test]
    fn cut_at_the_limit() {
        let s = parse(&format!("\u{1b}[31m{}", "x".repeat(50)), 10);
        assert_eq!(s.text.chars().count(), 10);
        assert!(s.cut);
        let whole = parse(&format!("\u{1b}[31m{}\u{1b}[0m", "x".repeat(10)), 10);
        assert!(!whole.cut, "colour sequences do not count");
        assert_eq!(s.runs, [(0..10, Style::default().fg(Color::Indexed(1)))]);
    }
}
