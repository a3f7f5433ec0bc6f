//! Reading where backups are: the files in a set's directories (one `find` for all of
//! them, one round trip), and the off-site copies from `rclone lsjson` or `aws s3api
//! list-objects-v2`. Every parser takes anything a host prints without panicking: lines
//! and objects it does not understand are counted and left out.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::config::schema::OffsiteFormat;
use crate::transport::CommandSpec;

/// One file a listing saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The directory it is in (local), or the object's whole path or key (off-site).
    pub path: String,
    /// The file name, the last component of the path.
    pub name: String,
    pub size: u64,
    pub mtime: DateTime<Utc>,
}

/// What a listing printed: the entries, and how many lines or objects made no sense.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub skipped: usize,
}

/// `find`'s output format: directory, size, mtime (seconds since the epoch, fractional),
/// name last so that a tab in a name cannot shift the fields (a directory from the config
/// holds no control characters).
const FIND_FORMAT: &str = "%h\\t%s\\t%T@\\t%f\\n";

/// The one command listing every directory of a set: the files directly in them whose
/// names match one of the globs, with size and mtime. `None` without directories.
///
/// `find -H DIR… -maxdepth 1 -type f ( -name G1 -o -name G2 … ) -printf FORMAT` — GNU find;
/// `-H` follows a directory given as a symlink. Run as an argv through the transport, so
/// the globs reach `find` as written, never a shell.
pub fn local_command<'a>(
    dirs: impl IntoIterator<Item = &'a str>,
    globs: impl IntoIterator<Item = &'a str>,
) -> Option<CommandSpec> {
    let mut unique_dirs: Vec<&str> = Vec::new();
    for d in dirs {
        if !unique_dirs.contains(&d) {
            unique_dirs.push(d);
        }
    }
    if unique_dirs.is_empty() {
        return None;
    }
    let mut unique_globs: Vec<&str> = Vec::new();
    for g in globs {
        if !unique_globs.contains(&g) {
            unique_globs.push(g);
        }
    }
    let mut argv: Vec<&str> = vec!["find", "-H"];
    argv.extend(&unique_dirs);
    argv.extend(["-maxdepth", "1", "-type", "f"]);
    if !unique_globs.is_empty() {
        argv.push("(");
        for (i, g) in unique_globs.iter().enumerate() {
            if i > 0 {
                argv.push("-o");
            }
            argv.extend(["-name", g]);
        }
        argv.push(")");
    }
    argv.extend(["-printf", FIND_FORMAT]);
    Some(CommandSpec::argv(argv))
}

/// A directory as `find` prints it in `%h`: without a trailing `/` (the root stays `/`).
pub fn normalize_dir(dir: &str) -> &str {
    let trimmed = dir.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

/// Parses [`local_command`]'s output.
pub fn parse_local(text: &str) -> Listing {
    let mut out = Listing::default();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        match parse_local_line(line) {
            Some(e) => out.entries.push(e),
            None => out.skipped += 1,
        }
    }
    out
}

fn parse_local_line(line: &str) -> Option<Entry> {
    let mut fields = line.splitn(4, '\t');
    let dir = fields.next()?;
    let size = fields.next()?.trim().parse::<u64>().ok()?;
    let mtime = epoch_seconds(fields.next()?.trim())?;
    let name = fields.next()?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    Some(Entry {
        path: normalize_dir(if dir.is_empty() { "/" } else { dir }).to_owned(),
        name: name.to_owned(),
        size,
        mtime,
    })
}

/// `1764645252.0000000000` → a time; anything not a plausible time is `None`.
fn epoch_seconds(text: &str) -> Option<DateTime<Utc>> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = whole.parse().ok()?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    let nanos: u32 = digits.parse().ok()?;
    Utc.timestamp_opt(secs, nanos).single()
}

/// Why an off-site listing's output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not {expected} output (found {found})")]
    Shape {
        expected: &'static str,
        found: &'static str,
    },
    #[error("printed nothing (rclone lsjson prints [] for an empty listing)")]
    Empty,
}

/// Parses an off-site listing; `format` `None` tells the two apart by shape (an array is
/// rclone's, an object or no output at all is list-objects-v2's).
pub fn parse_offsite(text: &str, format: Option<OffsiteFormat>) -> Result<Listing, ParseError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return match format {
            Some(OffsiteFormat::RcloneLsjson) => Err(ParseError::Empty),
            // list-objects-v2 prints nothing at all for an empty bucket or prefix.
            _ => Ok(Listing::default()),
        };
    }
    let doc: Value = serde_json::from_str(trimmed).map_err(|e| {
        let mut msg = e.to_string();
        msg.truncate(200);
        ParseError::NotJson(msg)
    })?;
    let format = format.unwrap_or(if doc.is_array() {
        OffsiteFormat::RcloneLsjson
    } else {
        OffsiteFormat::S3ListObjectsV2
    });
    match format {
        OffsiteFormat::RcloneLsjson => rclone_lsjson(&doc),
        OffsiteFormat::S3ListObjectsV2 => s3_list_objects_v2(&doc),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `[{"Path": "a/b.tar.gz", "Name": "b.tar.gz", "Size": 10517, "ModTime":
/// "2026-12-02T03:14:09.000000000Z", "IsDir": false, …}]`; directories are left out.
fn rclone_lsjson(doc: &Value) -> Result<Listing, ParseError> {
    let items = doc.as_array().ok_or(ParseError::Shape {
        expected: "rclone lsjson",
        found: kind(doc),
    })?;
    let mut out = Listing::default();
    for item in items {
        if item.get("IsDir").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let path = item
            .get("Path")
            .or_else(|| item.get("Name"))
            .and_then(Value::as_str);
        let entry = path.and_then(|path| {
            Some(Entry {
                path: path.to_owned(),
                name: base_name(path)?.to_owned(),
                size: item.get("Size").and_then(Value::as_u64)?,
                mtime: rfc3339(item.get("ModTime")?.as_str()?)?,
            })
        });
        match entry {
            Some(e) => out.entries.push(e),
            None => out.skipped += 1,
        }
    }
    Ok(out)
}

/// `{"Contents": [{"Key": "epagal_….dump", "LastModified": "2026-12-02T05:14:13+00:00",
/// "Size": 5967, …}], …}`; no `Contents` is an empty bucket. Keys ending in `/` are folders.
fn s3_list_objects_v2(doc: &Value) -> Result<Listing, ParseError> {
    let obj = doc.as_object().ok_or(ParseError::Shape {
        expected: "s3api list-objects-v2",
        found: kind(doc),
    })?;
    let mut out = Listing::default();
    let contents = match obj.get("Contents") {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(ParseError::Shape {
                expected: "s3api list-objects-v2",
                found: kind(other),
            });
        }
    };
    for item in contents {
        let key = item.get("Key").and_then(Value::as_str);
        if key.is_some_and(|k| k.ends_with('/')) {
            continue;
        }
        let entry = key.and_then(|key| {
            Some(Entry {
                path: key.to_owned(),
                name: base_name(key)?.to_owned(),
                size: item.get("Size").and_then(Value::as_u64)?,
                mtime: rfc3339(item.get("LastModified")?.as_str()?)?,
            })
        });
        match entry {
            Some(e) => out.entries.push(e),
            None => out.skipped += 1,
        }
    }
    Ok(out)
}

fn base_name(path: &str) -> Option<&str> {
    path.rsplit('/').next().filter(|n| !n.is_empty())
}

fn rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A `find -name` pattern: `*`, `?`, `[abc]`, `[a-z]`, `[!x]` (or `[^x]`) and `\` quoting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob(Vec<Token>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    Any,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Glob {
    pub fn new(pattern: &str) -> Self {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                '?' => tokens.push(Token::Any),
                '\\' if i + 1 < chars.len() => {
                    i += 1;
                    tokens.push(Token::Char(chars[i]));
                }
                '[' => match class(&chars[i + 1..]) {
                    Some((token, used)) => {
                        tokens.push(token);
                        i += used;
                    }
                    None => tokens.push(Token::Char('[')),
                },
                c => tokens.push(Token::Char(c)),
            }
            i += 1;
        }
        Glob(tokens)
    }

    /// Whether the whole `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let text: Vec<char> = name.chars().collect();
        let (mut t, mut p) = (0, 0);
        // Where the last `*` was, and the text position it has swallowed up to.
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < self.0.len() && self.0[p] != Token::Star && one(&self.0[p], text[t]) {
                t += 1;
                p += 1;
            } else if p < self.0.len() && self.0[p] == Token::Star {
                star = Some((p, t));
                p += 1;
            } else if let Some((sp, st)) = star {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            } else {
                return false;
            }
        }
        self.0[p..].iter().all(|tok| *tok == Token::Star)
    }
}

fn one(token: &Token, c: char) -> bool {
    match token {
        Token::Char(x) => *x == c,
        Token::Any => true,
        Token::Star => true,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
        }
    }
}

/// A bracket expression after its `[`: the token and how many characters it took
/// (through the `]`); `None` when it never closes (the `[` is then a plain character).
fn class(rest: &[char]) -> Option<(Token, usize)> {
    let mut i = 0;
    let negated = matches!(rest.first(), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while i < rest.len() {
        let c = rest[i];
        if c == ']' && !first {
            return Some((Token::Class { negated, ranges }, i + 1));
        }
        first = false;
        if i + 2 < rest.len() && rest[i + 1] == '-' && rest[i + 2] != ']' {
            ranges.push((c, rest[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests;
