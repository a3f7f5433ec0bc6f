//! Durations written like `"30s"`, `"5m"`, `"24h"`, with where they were written so that
//! validation can point at a duration that is out of range.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

#[derive(Clone)]
pub struct HumanDuration {
    value: Duration,
    /// Byte span in the config file; empty for defaults.
    span: Range<usize>,
}

impl HumanDuration {
    pub const fn secs(s: u64) -> Self {
        Self {
            value: Duration::from_secs(s),
            span: 0..0,
        }
    }

    pub const fn millis(ms: u64) -> Self {
        Self {
            value: Duration::from_millis(ms),
            span: 0..0,
        }
    }

    pub fn get(&self) -> Duration {
        self.value
    }

    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

impl PartialEq for HumanDuration {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for HumanDuration {}

impl PartialOrd for HumanDuration {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HumanDuration {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl fmt::Debug for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.value))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.value))
    }
}

const HINT: &str = "write e.g. \"500ms\", \"30s\", \"5m\", \"24h\"";

/// What a duration field may hold as TOML: a string with a unit. Numbers and TOML times
/// are refused with a message saying how to write the duration instead.
struct Written(Duration);

impl<'de> Deserialize<'de> for Written {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Written;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a duration string ({HINT})")
            }
            fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<Written, E> {
                humantime::parse_duration(raw.trim())
                    .map(Written)
                    .map_err(|e| {
                        E::custom(format!(
                            "invalid duration `{}`: {e} ({HINT})",
                            super::error::echo(raw)
                        ))
                    })
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Written, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{n}s\" (or \"{n}ms\", \"{n}m\"), as a string"
                )))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Written, E> {
                self.visit_i64(n.min(i64::MAX as u64) as i64)
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Written, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{}ms\" for {n} seconds, as a string",
                    (n * 1000.0).round()
                )))
            }
            // A bare TOML time (`refresh = 00:00:30`) or date arrives as a map here.
            fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Written, A::Error> {
                Err(serde::de::Error::custom(format!(
                    "a TOML date or time is not a duration: {HINT} in quotes"
                )))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<Written>::deserialize(d)?;
        let span = spanned.span();
        Ok(Self {
            value: spanned.into_inner().0,
            span,
        })
    }
}
