//! Health and smoke checks: one result model for every kind (HTTP, command, container).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Health, HostId, ServiceId};

/// A check as `host/service/check`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CheckId {
    pub service: ServiceId,
    pub name: Arc<str>,
}

impl CheckId {
    pub fn new(service: &ServiceId, name: &str) -> Self {
        Self {
            service: service.clone(),
            name: name.into(),
        }
    }

    pub fn host(&self) -> &HostId {
        &self.service.host
    }

    /// Parses a `host/service/check` reference.
    pub fn parse(reference: &str) -> Option<Self> {
        let mut parts = reference.split('/');
        let (h, s, c) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || [h, s, c].iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(Self::new(&ServiceId::new(&HostId::new(h), s), c))
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service, self.name)
    }
}

/// How a check ended. `Error` means it could not be carried out at all (bad config, host
/// unreachable for a command, a kind not available yet); `Fail` means it ran and the
/// service did not meet an expectation — an HTTP endpoint refusing connections is a `Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not run: it could change the host, and the host is read-only here.
    Skipped,
    Pass,
    /// Passed, with a warning (slow, certificate expiring soon).
    Warn,
    Fail,
    Error,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Skipped => "skipped",
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }

    /// Pass and warn are both passing: a warning does not fail a suite or a deploy gate.
    pub fn passed(self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Warn)
    }

    pub fn health(self) -> Health {
        match self {
            Verdict::Skipped => Health::Unknown,
            Verdict::Pass => Health::Healthy,
            Verdict::Warn => Health::Warning,
            Verdict::Fail | Verdict::Error => Health::Failing,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    /// When the (last) attempt started.
    pub at: DateTime<Utc>,
    /// How long the whole run took, retries included.
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    pub verdict: Verdict,
    /// One line: what was observed ("200 in 12 ms", "exit 0") or the first problem.
    pub summary: String,
    /// Every expectation that was not met, spelled out.
    pub failures: Vec<String>,
    pub warnings: Vec<String>,
    /// Response time of an HTTP check (or run time of a command) in the last attempt.
    #[serde(rename = "latency_ms", serialize_with = "opt_as_millis")]
    pub latency: Option<Duration>,
    /// Days until the server certificate's notAfter (HTTPS only).
    pub tls_days_left: Option<i64>,
    pub attempts: u32,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e4).round() / 10.0)
}

fn opt_as_millis<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&((d.as_secs_f64() * 1e4).round() / 10.0)),
        None => s.serialize_none(),
    }
}

impl CheckResult {
    /// A check not run under read-only.
    pub fn skipped(at: DateTime<Utc>, why: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Skipped,
            failures: vec![],
            ..Self::error(at, Duration::ZERO, why)
        }
    }

    /// A check that could not be carried out.
    pub fn error(at: DateTime<Utc>, duration: Duration, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            at,
            duration,
            verdict: Verdict::Error,
            summary: message.clone(),
            failures: vec![message],
            warnings: vec![],
            latency: None,
            tls_days_left: None,
            attempts: 1,
        }
    }

    /// The health this result stands for at `now`: stale once older than twice the interval.
    pub fn health(&self, interval: Duration, now: DateTime<Utc>) -> Health {
        if is_stale(self.at, interval, now) {
            Health::Stale
        } else {
            self.verdict.health()
        }
    }
}

/// A result older than twice its check's interval no longer says anything about now.
pub fn is_stale(at: DateTime<Utc>, interval: Duration, now: DateTime<Utc>) -> bool {
    let age = now.signed_duration_since(at).to_std().unwrap_or_default();
    age > interval * 2
}

/// The worst of several healths, for a service with many checks: failing, then stale,
/// then warning, then healthy; unknown only when nothing is known.
pub fn worst(healths: impl IntoIterator<Item = Health>) -> Health {
    let rank = |h: Health| match h {
        Health::Unknown => 0,
        Health::Healthy => 1,
        Health::Warning => 2,
        Health::Stale => 3,
        Health::Failing => 4,
    };
    healths
        .into_iter()
        .max_by_key(|h| rank(*h))
        .unwrap_or(Health::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn result(verdict: Verdict) -> CheckResult {
        CheckResult {
            verdict,
            ..CheckResult::error(at(0), Duration::ZERO, "x")
        }
    }

    #[test]
    fn stale_after_twice_the_interval_never_green() {
        let r = result(Verdict::Pass);
        let interval = Duration::from_secs(30);
        assert_eq!(r.health(interval, at(59)), Health::Healthy);
        assert_eq!(r.health(interval, at(60)), Health::Healthy);
        assert_eq!(r.health(interval, at(61)), Health::Stale);
        assert_eq!(
            result(Verdict::Fail).health(interval, at(10)),
            Health::Failing
        );
    }

    #[test]
    fn worst_of_a_services_checks() {
        use Health::*;
        assert_eq!(worst([]), Unknown);
        assert_eq!(worst([Healthy, Unknown]), Healthy);
        assert_eq!(worst([Healthy, Warning]), Warning);
        assert_eq!(worst([Warning, Stale, Healthy]), Stale);
        assert_eq!(worst([Stale, Failing]), Failing);
    }

    #[test]
    fn parses_references() {
        let id = CheckId::parse("gamelera/backend/health").unwrap();
        assert_eq!(id.to_string(), "gamelera/backend/health");
        assert_eq!(id.host().as_str(), "gamelera");
        assert!(CheckId::parse("gamelera/backend").is_none());
        assert!(CheckId::parse("a//c").is_none());
    }
}
