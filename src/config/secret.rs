//! `${ENV}` expansion and secret redaction.
//!
//! Values that came from the environment are secrets: they are kept for execution but
//! every display, log line and audit entry shows the template (`${NAME}`) instead.

use std::fmt;
use std::sync::{OnceLock, RwLock};

use serde::{Deserialize, Deserializer};

const REDACTED: &str = "***";

fn registry() -> &'static RwLock<Vec<String>> {
    static SECRETS: OnceLock<RwLock<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| RwLock::new(Vec::new()))
}

/// Records a secret value so that [`redact`] removes it from any text.
pub fn register(value: &str) {
    // Very short values would redact innocent text everywhere; they are still never rendered
    // (templates are shown instead), only not searched for in free text.
    if value.len() < 4 {
        return;
    }
    let mut secrets = registry().write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_owned());
        // Longest first so that a secret containing another is redacted whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Replaces every registered secret value in `text` with `***`.
pub fn redact(text: &str) -> String {
    let secrets = registry().read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_owned();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
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
