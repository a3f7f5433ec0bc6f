//! `${ENV}` expansion and secret redaction.
//!
//! Values that came from the environment are secrets: they are kept for execution but
//! every display, log line and audit entry shows the template (`${NAME}`) instead.

use std::fmt;
use std::sync::{OnceLock, RwLock};

use serde::{Deserialize, Deserializer};

const REDACTED: &str = "***";

/// Secrets shorter than this are redacted only as whole words: a three-letter password
/// searched for inside words would blank out innocent text everywhere.
const WHOLE_WORD_BELOW: usize = 4;

#[derive(Default)]
struct Registry {
    /// Searched for anywhere, longest first so that a secret containing another goes whole.
    long: Vec<String>,
    /// Redacted where they stand as a word of their own.
    short: Vec<String>,
}

fn registry() -> &'static RwLock<Registry> {
    static SECRETS: OnceLock<RwLock<Registry>> = OnceLock::new();
    SECRETS.get_or_init(|| RwLock::new(Registry::default()))
}

/// Records a secret value so that [`redact`] removes it from any text: the value itself and
/// the forms it takes inside JSON strings and Rust's `{:?}` output (a secret holding `"` or
/// `\` is escaped there, and would otherwise slip past a search for the raw value).
pub fn register(value: &str) {
    if value.is_empty() {
        return;
    }
    // Both quote the string: `"…"`, at least three bytes for a non-empty value.
    let json = serde_json::to_string(value).unwrap_or_default();
    let debug = format!("{value:?}");
    let forms = [
        value.to_owned(),
        json[1..json.len() - 1].to_owned(),
        debug[1..debug.len() - 1].to_owned(),
    ];
    let mut secrets = registry().write().unwrap_or_else(|e| e.into_inner());
    for form in forms {
        let list = if form.chars().count() < WHOLE_WORD_BELOW {
            &mut secrets.short
        } else {
            &mut secrets.long
        };
        if !form.is_empty() && !list.contains(&form) {
            list.push(form);
        }
    }
    secrets.long.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Replaces every registered secret value in `text` with `***`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_owned();
    redact_in_place(&mut out);
    out
}

/// [`redact`] without a copy when nothing is secret (the common case: log lines).
pub fn redact_in_place(text: &mut String) {
    let secrets = registry().read().unwrap_or_else(|e| e.into_inner());
    for secret in &secrets.long {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), REDACTED);
        }
    }
    for secret in &secrets.short {
        if text.contains(secret.as_str()) {
            *text = replace_words(text, secret);
        }
    }
}

/// `text` with every occurrence of `word` that is not part of a longer word replaced.
fn replace_words(text: &str, word: &str) -> String {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut before: Option<char> = None;
    while let Some(pos) = rest.find(word) {
        let prev = rest[..pos].chars().next_back().or(before);
        let after = rest[pos + word.len()..].chars().next();
        out.push_str(&rest[..pos]);
        if is_word(prev) || is_word(after) {
            out.push_str(word);
        } else {
            out.push_str(REDACTED);
        }
        before = word.chars().next_back();
        rest = &rest[pos + word.len()..];
    }
    out.push_str(rest);
    out
}

/// Redacts every string (and key) inside a JSON value, before it is serialised: the text
/// form would hold escaped secrets.
pub fn redact_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => redact_in_place(s),
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut v) in entries {
                redact_json(&mut v);
                map.insert(redact(&key), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A value serialised to pretty JSON with every secret redacted first.
pub fn to_redacted_json<T: serde::Serialize>(
    value: &T,
    pretty: bool,
) -> Result<String, serde_json::Error> {
    let mut v = serde_json::to_value(value)?;
    redact_json(&mut v);
    if pretty {
        serde_json::to_string_pretty(&v)
    } else {
        serde_json::to_string(&v)
    }
}

/// A string from the config whose `${NAME}` references were expanded at load.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigString {
    template: String,
    value: String,
}

impl ConfigString {
    pub fn plain(s: impl Into<String>) -> Self {
        let s = s.into();
        Self {
            template: s.clone(),
            value: s,
        }
    }

    /// Expands `${NAME}` from `lookup`; `$$` is a literal `$`.
    pub fn expand(template: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut value = String::with_capacity(template.len());
        let mut rest = template;
        let mut secret = false;
        while let Some(pos) = rest.find('$') {
            value.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            if let Some(stripped) = after.strip_prefix('$') {
                value.push('$');
                rest = stripped;
            } else if let Some(body) = after.strip_prefix('{') {
                let end = body
                    .find('}')
                    .ok_or_else(|| "unterminated `${` reference".to_owned())?;
                let name = &body[..end];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!("invalid environment variable name `{name}`"));
                }
                let v = lookup(name)
                    .ok_or_else(|| format!("environment variable `{name}` is not set"))?;
                register(&v);
                value.push_str(&v);
                secret = true;
                rest = &body[end + 1..];
            } else {
                value.push('$');
                rest = after;
            }
        }
        value.push_str(rest);
        let template = if secret {
            template.to_owned()
        } else {
            value.clone()
        };
        Ok(Self { template, value })
    }

    /// The real value, for execution only. Never render or log it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// What may be shown: the template when a secret was expanded into it.
    pub fn shown(&self) -> &str {
        &self.template
    }

    pub fn is_secret(&self) -> bool {
        self.template != self.value
    }
}

impl fmt::Display for ConfigString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.template)
    }
}

impl fmt::Debug for ConfigString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.template)
    }
}

impl<'de> Deserialize<'de> for ConfigString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        ConfigString::expand(&raw, |name| std::env::var(name).ok())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "s3cr3t-value".to_owned())
    }

    #[test]
    fn expands_and_hides_value() {
        let s = ConfigString::expand("Bearer ${TOKEN}", env).unwrap();
        assert_eq!(s.expose(), "Bearer s3cr3t-value");
        assert_eq!(s.to_string(), "Bearer ${TOKEN}");
        assert!(s.is_secret());
        assert_eq!(redact("x s3cr3t-value y"), "x *** y");
    }

    #[test]
    fn escaped_and_short_secrets_are_redacted() {
        register("q\"u\\ote-secret");
        let mut doc = serde_json::json!({"a": ["x q\"u\\ote-secret y"], "q\"u\\ote-secret": 1});
        redact_json(&mut doc);
        let text = serde_json::to_string(&doc).unwrap();
        assert!(!text.contains("ote-secret"), "{text}");
        // The JSON text itself (already serialised by someone else) is caught too.
        let raw = serde_json::to_string("q\"u\\ote-secret").unwrap();
        assert!(!redact(&raw).contains("ote-secret"));
        assert!(!redact(&format!("{:?}", "q\"u\\ote-secret")).contains("ote-secret"));

        register("Zq9");
        assert_eq!(redact("pw=Zq9 Zq9x aZq9 (Zq9)"), "pw=*** Zq9x aZq9 (***)");
    }

    #[test]
    fn literal_dollars() {
        let s = ConfigString::expand("cost $5 and $$HOME", env).unwrap();
        assert_eq!(s.expose(), "cost $5 and $HOME");
        assert!(!s.is_secret());
    }

    #[test]
    fn missing_variable_is_an_error() {
        let e = ConfigString::expand("${NOPE}", env).unwrap_err();
        assert_eq!(e, "environment variable `NOPE` is not set");
        assert!(ConfigString::expand("${A-B}", env).is_err());
        assert!(ConfigString::expand("${TOKEN", env).is_err());
    }
}
