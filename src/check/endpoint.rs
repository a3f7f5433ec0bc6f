//! An `http` service is its endpoint: its status is what its checks found (reachable and
//! answering as expected: running; failing: failed, with the reason). The console and
//! `opsdeck status` both read it here.

use chrono::{DateTime, Utc};

use crate::model::{CheckResult, RunState, ServiceObservation, Verdict};

/// The service's status from the last result of each of its checks (`None` for a check
/// that has not run); `None` when none has run yet.
pub fn observation<'a>(
    results: impl IntoIterator<Item = (&'a str, Option<&'a CheckResult>)>,
) -> Option<ServiceObservation> {
    let mut at: Option<DateTime<Utc>> = None;
    let mut failed: Vec<String> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut passed: Vec<String> = Vec::new();
    for (name, result) in results {
        let Some(r) = result else { continue };
        at = Some(at.map_or(r.at, |t| t.max(r.at)));
        let line = format!("{name}: {}", r.summary);
        match r.verdict {
            Verdict::Pass | Verdict::Warn => passed.push(line),
            Verdict::Fail => failed.push(line),
            Verdict::Error | Verdict::Skipped => errors.push(line),
        }
    }
    let at = at?;
    // A failed expectation or an unreachable endpoint is down; a check that could not be
    // carried out says nothing about the endpoint.
    let (state, detail) = if !failed.is_empty() {
        (RunState::Failed, failed.join(" · "))
    } else if !passed.is_empty() && errors.is_empty() {
        (RunState::Running, passed.join(" · "))
    } else if !passed.is_empty() {
        (RunState::Degraded, errors.join(" · "))
    } else {
        (RunState::Unknown, errors.join(" · "))
    };
    Some(ServiceObservation {
        at,
        state,
        detail,
        uptime: None,
        cpu_percent: None,
        mem_bytes: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn result(verdict: Verdict, summary: &str, secs: i64) -> CheckResult {
        let at = DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap();
        let mut r = CheckResult::error(at, Duration::from_millis(3), summary);
        r.verdict = verdict;
        r
    }

    #[test]
    fn a_passing_check_is_running_a_failing_one_is_down_with_its_reason() {
        let ok = result(Verdict::Pass, "200 in 2 ms", 0);
        let o = observation([("ready", Some(&ok))]).unwrap();
        assert_eq!(o.state, RunState::Running);
        assert_eq!(o.detail, "ready: 200 in 2 ms");

        let bad = result(Verdict::Fail, "connection refused", 5);
        let o = observation([("ready", Some(&ok)), ("deep", Some(&bad))]).unwrap();
        assert_eq!(o.state, RunState::Failed);
        assert_eq!(o.detail, "deep: connection refused");
        assert_eq!(o.at, bad.at, "the newest result dates the status");
    }

    #[test]
    fn nothing_run_is_no_observation_and_an_error_alone_is_unknown() {
        assert!(observation([("ready", None)]).is_none());
        let err = result(Verdict::Error, "invalid method", 0);
        let o = observation([("ready", Some(&err))]).unwrap();
        assert_eq!(o.state, RunState::Unknown);
        let ok = result(Verdict::Warn, "200 in 900 ms (slow)", 0);
        let o = observation([("a", Some(&ok)), ("b", Some(&err))]).unwrap();
        assert_eq!(o.state, RunState::Degraded);
    }
}
