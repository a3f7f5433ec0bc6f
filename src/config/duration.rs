//! Durations written like `"30s"`, `"5m"`, `"24h"`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub const fn secs(s: u64) -> Self {
        Self(Duration::from_secs(s))
    }
    pub fn get(self) -> Duration {
        self.0
    }
}

impl fmt::Debug for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let parsed = humantime::parse_duration(raw.trim()).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid duration `{raw}`: {e} (write e.g. \"500ms\", \"30s\", \"5m\", \"24h\")"
            ))
        })?;
        Ok(Self(parsed))
    }
}
