//! Text from hosts made safe to show. A terminal parser (the `vte` crate's state machine,
//! the one alacritty uses) reads the text: colours written with SGR sequences (`ESC [ … m`)
//! are kept as styles, and every other escape sequence — cursor moves, screen clears, OSC
//! titles and clipboard writes, DCS strings, sequences nobody thought of — is consumed
//! whole and replaced by one `·`, like every control character and every invisible
//! character that can reorder or hide text (bidi controls, zero-width characters).
//! Nothing from the text ever reaches a terminal as a control sequence.

use std::ops::Range;

pub const MARK: char = '·';

/// Characters that draw nothing yet change what is read: bidi embeddings, overrides and
/// isolates, directional marks, zero-width characters and the byte-order mark.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// A colour as a colour sequence names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextColor {
    /// 0–15 are the terminal's own palette, 16–255 the 256-colour cube and greys.
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// What the colour sequences of a run asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextStyle {
    pub fg: Option<TextColor>,
    pub bg: Option<TextColor>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underlined: bool,
    pub reversed: bool,
}

/// Printable text and the styles its colour sequences asked for, as byte ranges of `text`.
#[derive(Debug, Default, PartialEq)]
pub struct Styled {
    pub text: String,
    pub runs: Vec<(Range<usize>, TextStyle)>,
    /// Characters were left out at the limit.
    pub cut: bool,
}

/// At most `max` characters of `raw`, escape sequences interpreted as above.
pub fn parse(raw: &str, max: usize) -> Styled {
    let mut sink = Sink {
        max,
        shown: 0,
        out: Styled::default(),
        style: TextStyle::default(),
        run_start: 0,
        acted: false,
        string_ended: false,
    };
    let mut parser = vte::Parser::new();
    let mut last_action = None;
    for (i, b) in raw.bytes().enumerate() {
        sink.acted = false;
        parser.advance(&mut sink, &[b]);
        if sink.acted {
            last_action = Some(i);
        }
        if sink.out.cut {
            break;
        }
    }
    // A sequence still open at the end (no terminator) is a sequence too.
    if !sink.out.cut && last_action.map_or(!raw.is_empty(), |i| i + 1 < raw.len()) {
        sink.mark();
    }
    sink.close_run();
    sink.out
}

/// `raw` as plain text for a terminal or a file: colours dropped, everything else as above.
pub fn plain(raw: &str) -> String {
    parse(raw, usize::MAX).text
}

struct Sink {
    max: usize,
    shown: usize,
    out: Styled,
    style: TextStyle,
    run_start: usize,
    /// The last byte fed made the parser act.
    acted: bool,
    /// An OSC or DCS string just ended at an ESC: the `\\` after it completes the
    /// terminator (ST), not a sequence of its own.
    string_ended: bool,
}

impl Sink {
    fn push(&mut self, c: char) {
        if self.shown >= self.max {
            self.out.cut = true;
            return;
        }
        self.out.text.push(c);
        self.shown += 1;
    }

    fn mark(&mut self) {
        self.push(MARK);
    }

    fn close_run(&mut self) {
        let end = self.out.text.len();
        if end > self.run_start && self.style != TextStyle::default() {
            self.out.runs.push((self.run_start..end, self.style));
        }
        self.run_start = end;
    }
}

impl vte::Perform for Sink {
    fn print(&mut self, c: char) {
        self.acted = true;
        self.string_ended = false;
        if c.is_control() || is_invisible(c) {
            self.mark();
        } else {
            self.push(c);
        }
    }

    fn execute(&mut self, _byte: u8) {
        self.acted = true;
        self.string_ended = false;
        self.mark();
    }

    fn hook(&mut self, _: &vte::Params, _: &[u8], _: bool, _: char) {
        self.acted = true;
    }

    fn put(&mut self, _byte: u8) {
        self.acted = true;
    }

    // A DCS string ends here: the whole of it is one marker.
    fn unhook(&mut self) {
        self.acted = true;
        self.mark();
        self.string_ended = true;
    }

    fn osc_dispatch(&mut self, _: &[&[u8]], bell_terminated: bool) {
        self.acted = true;
        self.mark();
        self.string_ended = !bell_terminated;
    }

    fn csi_dispatch(&mut self, params: &vte::Params, intermediates: &[u8], _: bool, action: char) {
        self.acted = true;
        if action == 'm' && intermediates.is_empty() {
            self.close_run();
            let codes: Vec<u16> = params.iter().flatten().copied().collect();
            self.style = sgr(self.style, &codes);
        } else {
            self.mark();
        }
    }

    fn esc_dispatch(&mut self, intermediates: &[u8], _: bool, byte: u8) {
        self.acted = true;
        let terminator = self.string_ended && byte == b'\\' && intermediates.is_empty();
        self.string_ended = false;
        if !terminator {
            self.mark();
        }
    }

    fn terminated(&self) -> bool {
        self.out.cut
    }
}

/// The style after one SGR sequence's parameters (`38;5;n`, `38;2;r;g;b`, and the `:`
/// sub-parameter forms arrive the same way, flattened).
fn sgr(mut style: TextStyle, codes: &[u16]) -> TextStyle {
    if codes.is_empty() {
        return TextStyle::default();
    }
    let mut i = 0;
    while i < codes.len() {
        match codes[i] {
            0 => style = TextStyle::default(),
            1 => style.bold = true,
            2 => style.dim = true,
            3 => style.italic = true,
            4 => style.underlined = true,
            7 => style.reversed = true,
            22 => {
                style.bold = false;
                style.dim = false;
            }
            23 => style.italic = false,
            24 => style.underlined = false,
            27 => style.reversed = false,
            c @ 30..=37 => style.fg = Some(TextColor::Indexed((c - 30) as u8)),
            c @ 90..=97 => style.fg = Some(TextColor::Indexed((c - 90 + 8) as u8)),
            39 => style.fg = None,
            c @ 40..=47 => style.bg = Some(TextColor::Indexed((c - 40) as u8)),
            c @ 100..=107 => style.bg = Some(TextColor::Indexed((c - 100 + 8) as u8)),
            49 => style.bg = None,
            c @ (38 | 48) => {
                let at = |k: usize| codes.get(i + k).copied().unwrap_or(0).min(255) as u8;
                let color = match codes.get(i + 1) {
                    Some(5) => {
                        let color = TextColor::Indexed(at(2));
                        i += 2;
                        Some(color)
                    }
                    Some(2) => {
                        let color = TextColor::Rgb(at(2), at(3), at(4));
                        i += 4;
                        Some(color)
                    }
                    _ => None,
                };
                if let Some(color) = color {
                    if c == 38 {
                        style.fg = Some(color);
                    } else {
                        style.bg = Some(color);
                    }
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

    fn fg(c: TextColor) -> TextStyle {
        TextStyle {
            fg: Some(c),
            ..TextStyle::default()
        }
    }

    #[test]
    fn colours_become_styles_and_leave_no_trace_in_the_text() {
        let s = parse(
            "\u{1b}[32mINFO\u{1b}[0m ready \u{1b}[1;38;5;196mhot\u{1b}[m",
            100,
        );
        assert_eq!(s.text, "INFO ready hot");
        let hot = TextStyle {
            bold: true,
            ..fg(TextColor::Indexed(196))
        };
        assert_eq!(s.runs, [(0..4, fg(TextColor::Indexed(2))), (11..14, hot)]);
        let rgb = parse("\u{1b}[38;2;255;128;0mx", 10);
        assert_eq!(rgb.runs, [(0..1, fg(TextColor::Rgb(255, 128, 0)))]);
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
            // Sequences with intermediates and private markers, consumed whole.
            ("a\u{1b}[?1049hb", "a·b"),
            ("a\u{1b}[>4;2mb", "a·b"),
            ("a\u{1b}(0b", "a·b"),
            ("a\u{1b}_app command\u{1b}\\b", "a·b"),
            ("del\u{7f}", "del·"),
        ];
        for (raw, shown) in cases {
            let s = parse(raw, 100);
            assert_eq!(s.text, shown, "{raw:?}");
            assert!(s.runs.is_empty(), "{raw:?}");
        }
    }

    #[test]
    fn bidi_controls_and_zero_width_characters_are_markers() {
        // "evil" written to read as "live" with a right-to-left override.
        assert_eq!(plain("file\u{202e}live.sh"), "file·live.sh");
        assert_eq!(plain("ad\u{200b}min\u{2066}x\u{2069}"), "ad·min·x·");
        assert_eq!(plain("\u{feff}start"), "·start");
        assert_eq!(plain("café naïve 東京"), "café naïve 東京");
    }

    #[test]
    fn cut_at_the_limit() {
        let s = parse(&format!("\u{1b}[31m{}", "x".repeat(50)), 10);
        assert_eq!(s.text.chars().count(), 10);
        assert!(s.cut);
        let whole = parse(&format!("\u{1b}[31m{}\u{1b}[0m", "x".repeat(10)), 10);
        assert!(!whole.cut, "colour sequences do not count");
        assert_eq!(s.runs, [(0..10, fg(TextColor::Indexed(1)))]);
    }
}
