//! Log lines from any source, parsed into time, level and message.

use std::fmt;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Unknown,
}

impl Level {
    /// syslog priorities as journald writes them (PRIORITY=0..7).
    pub fn from_priority(p: u8) -> Level {
        match p {
            0..=3 => Level::Error,
            4 => Level::Warn,
            5 | 6 => Level::Info,
            _ => Level::Debug,
        }
    }

    /// A level word near the start of a plain text line (`ERROR`, `WARNING`, `[info]`…).
    pub fn detect(text: &str) -> Level {
        let head: String = text
            .chars()
            .take(96)
            .collect::<String>()
            .to_ascii_uppercase();
        for word in head.split(|c: char| !c.is_ascii_alphabetic()) {
            match word {
                "ERROR" | "ERR" | "FATAL" | "CRITICAL" | "CRIT" | "PANIC" => return Level::Error,
                "WARN" | "WARNING" => return Level::Warn,
                "INFO" | "NOTICE" => return Level::Info,
                "DEBUG" | "TRACE" => return Level::Debug,
                _ => {}
            }
        }
        Level::Unknown
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Unknown => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: Option<DateTime<Utc>>,
    pub level: Level,
    pub message: String,
    /// Which replica or container wrote it, in merged views; empty otherwise.
    pub origin: String,
    /// Written to stderr (where the source tells stdout and stderr apart).
    pub stderr: bool,
}

impl LogLine {
    pub fn plain(message: String) -> Self {
        Self {
            at: None,
            level: Level::detect(&message),
            message,
            origin: String::new(),
            stderr: false,
        }
    }
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = self.at {
            write!(f, "{} ", at.format("%H:%M:%S%.3f"))?;
        }
        write!(f, "{:<5} {}", self.level.label(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_levels() {
        assert_eq!(
            Level::detect("2026-11-25 13:32:24,442 - WARNING - latencia alta"),
            Level::Warn
        );
        assert_eq!(Level::detect("[error] upstream timed out"), Level::Error);
        assert_eq!(Level::detect("GET /health 200"), Level::Unknown);
        assert_eq!(Level::from_priority(3), Level::Error);
        assert_eq!(Level::from_priority(6), Level::Info);
    }
}
