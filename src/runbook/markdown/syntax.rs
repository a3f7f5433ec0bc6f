//! The line syntax of a Markdown runbook: fences, headings, a block's `{…}` attributes and
//! their values.

use std::time::Duration;

/// An opening fence: its fence text (```` ``` ```` or `~~~`, three or more) and info string.
pub(super) fn fence_open(line: &str) -> Option<(String, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let l = &line[indent..];
    let ch = l.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = l.chars().take_while(|c| *c == ch).count();
    if len < 3 {
        return None;
    }
    let info = l[len..].trim();
    // CommonMark: a backtick fence's info string holds no backtick.
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some((l[..len].to_owned(), info.to_owned()))
}

pub(super) fn fence_closes(line: &str, fence: &str) -> bool {
    let l = line.trim();
    let ch = fence.chars().next().unwrap_or('`');
    l.len() >= fence.len() && l.chars().all(|c| c == ch)
}

pub(super) fn heading(line: &str) -> Option<(usize, String)> {
    let l = line.trim_start();
    let level = l.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &l[level..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim();
    Some((level, strip_inline(text)))
}

/// `**RTO**` → `RTO`, `` `x` `` → `x`: headings and titles are shown as plain text.
pub(super) fn strip_inline(text: &str) -> String {
    text.replace("**", "").replace('`', "")
}

/// `{host=gamelera name="check mongo" auto}` → pairs (a bare word is `word=true`).
pub(super) fn attributes(info: &str) -> Result<(String, Vec<(String, String)>), String> {
    let (lang, rest) = match info.find('{') {
        Some(i) => (info[..i].trim(), &info[i..]),
        None => (info.split_whitespace().next().unwrap_or(""), ""),
    };
    let mut attrs = Vec::new();
    if rest.is_empty() {
        return Ok((lang.to_owned(), attrs));
    }
    let inner = rest
        .strip_prefix('{')
        .and_then(|r| r.trim_end().strip_suffix('}'))
        .ok_or_else(|| {
            format!("attributes `{rest}` must be one `{{…}}` at the end of the info string")
        })?;
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        let mut value = String::from("true");
        if chars.peek() == Some(&'=') {
            chars.next();
            value.clear();
            if chars.peek() == Some(&'"') {
                chars.next();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    value.push(c);
                }
                if !closed {
                    return Err(format!("attribute `{key}`: unclosed quote"));
                }
            } else {
                // `{{var}}` may sit in an unquoted value: braces inside it are kept.
                let mut depth = 0usize;
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() && depth == 0 {
                        break;
                    }
                    match c {
                        '{' => depth += 1,
                        '}' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    value.push(c);
                    chars.next();
                }
            }
            if value.is_empty() {
                return Err(format!("attribute `{key}` has no value"));
            }
        }
        if key.is_empty() {
            return Err("an attribute without a name".into());
        }
        if attrs.iter().any(|(k, _)| *k == key) {
            return Err(format!("attribute `{key}` is given twice"));
        }
        attrs.push((key, value));
    }
    Ok((lang.to_owned(), attrs))
}

pub(super) fn duration(key: &str, v: &str) -> Result<Duration, String> {
    humantime::parse_duration(v)
        .map_err(|e| format!("`{key}={v}`: not a duration ({e}); write e.g. 30s, 5m"))
}

pub(super) fn flag(key: &str, v: &str) -> Result<bool, String> {
    match v {
        "true" | "yes" => Ok(true),
        "false" | "no" => Ok(false),
        _ => Err(format!("`{key}={v}`: expected true or false")),
    }
}
