//! Configuration errors that name file:line:column and the field path.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Field path such as `hosts[0].services[1].kind`; empty for syntax errors.
    pub path: String,
    pub message: String,
    /// The offending source line and the caret under it.
    snippet: Option<(String, usize, usize)>,
}

impl ConfigError {
    /// An error located at a byte span of `source`; the field path is derived from the span.
    pub fn at(file: &Path, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let path = field_path(source, span.start);
        Self::with_path(file, source, span, path, message)
    }

    pub fn with_path(
        file: &Path,
        source: &str,
        span: Range<usize>,
        path: String,
        message: impl Into<String>,
    ) -> Self {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let line_end = source[line_start..]
            .find('\n')
            .map_or(source.len(), |i| line_start + i);
        let text = source[line_start..line_end]
            .trim_end_matches('\r')
            .to_owned();
        let end = floor_char_boundary(source, span.end.clamp(start, line_end));
        let width = source[start..end].chars().count().max(1);
        let (text, at, width) = window(&text, column, width);
        Self {
            file: file.to_owned(),
            line,
            column,
            path,
            message: message.into(),
            snippet: Some((text, at, width)),
        }
    }

    /// An error about the file as a whole (unreadable, not found).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: 0,
            column: 0,
            path: String::new(),
            message: message.into(),
            snippet: None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        if self.line == 0 {
            return write!(f, "{file}: {}", self.message);
        }
        write!(f, "{file}:{}:{}: ", self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "`{}`: ", self.path)?;
        }
        write!(f, "{}", self.message)?;
        if let Some((text, column, width)) = &self.snippet {
            let gutter = self.line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | ",
                "", self.line, text, ""
            )?;
            write!(f, "{}{}", " ".repeat(column - 1), "^".repeat(*width))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// All errors found in one file.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// At most this many characters of a source line are echoed under an error.
const SNIPPET_CHARS: usize = 100;
/// At most this many characters of a value are echoed in a message.
const ECHO_CHARS: usize = 60;

/// A character as it may be echoed: control characters become their symbol (␁ for U+0001),
/// other invisible ones (bidi controls, zero-width) a middle dot — one column each.
fn visible(c: char) -> char {
    match c {
        '\t' => ' ',
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('·'),
        '\u{7f}' => '␡',
        c if c.is_control() || crate::model::text::is_invisible(c) => '·',
        c => c,
    }
}

/// A value for a message: invisible characters shown, long values cut.
pub fn echo(value: &str) -> String {
    let mut out: String = value.chars().take(ECHO_CHARS).map(visible).collect();
    let more = value.chars().count().saturating_sub(ECHO_CHARS);
    if more > 0 {
        out.push_str(&format!("… ({more} more characters)"));
    }
    out
}

/// The part of a line shown under an error: invisible characters shown, a long line cut to
/// a window around the column; returns the text and the caret's column and width in it.
fn window(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().map(visible).collect();
    if chars.len() <= SNIPPET_CHARS {
        return (chars.into_iter().collect(), column, width);
    }
    let start = column.saturating_sub(SNIPPET_CHARS / 3).min(chars.len());
    let end = (start + SNIPPET_CHARS).min(chars.len());
    let mut text: String = chars[start..end].iter().collect();
    let mut at = column - start;
    if start > 0 {
        text.insert(0, '…');
        at += 1;
    }
    if end < chars.len() {
        text.push('…');
    }
    let width = width.min(end.saturating_sub(column - 1).max(1));
    (text, at, width)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The dotted path of the deepest key or value whose span holds `offset`.
pub fn field_path(source: &str, offset: usize) -> String {
    let Ok(root) = DeTable::parse(source) else {
        return String::new();
    };
    let mut path = String::new();
    walk_table(root.get_ref(), offset, &mut path);
    path
}

fn walk_table(table: &DeTable<'_>, offset: usize, path: &mut String) -> bool {
    for (key, value) in table.iter() {
        let key_span = key.span();
        let value_span = value.span();
        let in_key = key_span.contains(&offset);
        let in_value = value_span.contains(&offset) || value_span.end == offset && offset > 0;
        if !(in_key || in_value) {
            continue;
        }
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key.get_ref());
        if in_value {
            walk_value(value.get_ref(), offset, path);
        }
        return true;
    }
    // Arrays of tables and sub-tables are spanned by their headers only; fall back to the
    // nearest table that starts before the offset.
    let mut best: Option<(&str, &DeValue<'_>, usize)> = None;
    for (key, value) in table.iter() {
        let start = value.span().start.min(key.span().start);
        if start <= offset && best.is_none_or(|(_, _, s)| start >= s) {
            best = Some((key.get_ref(), value.get_ref(), start));
        }
    }
    if let Some((key, value, _)) = best
        && matches!(value, DeValue::Table(_) | DeValue::Array(_))
    {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        walk_value(value, offset, path);
        return true;
    }
    false
}

fn walk_value(value: &DeValue<'_>, offset: usize, path: &mut String) {
    match value {
        DeValue::Table(t) => {
            walk_table(t, offset, path);
        }
        DeValue::Array(items) => {
            let mut chosen = None;
            for (i, item) in items.iter().enumerate() {
                let span = item.span();
                if span.contains(&offset) {
                    chosen = Some(i);
                    break;
                }
                if span.start <= offset && item.get_ref().is_table() {
                    chosen = Some(i);
                }
            }
            if let Some(i) = chosen {
                path.push_str(&format!("[{i}]"));
                walk_value(items[i].get_ref(), offset, path);
            }
        }
        _ => {}
    }
}
