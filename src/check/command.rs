//! Command checks: run a command on the service's host through the transports; exit 0 and,
//! when configured, stdout matching a regex.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use regex::Regex;

use super::expect::{Evaluation, latency_rules, millis};
use super::http::finish;
use crate::model::{CheckResult, Verdict};
use crate::transport::{CommandSpec, Target, TransportError, Transports};

#[derive(Debug, Clone)]
pub struct CommandProbe {
    pub target: Target,
    pub command: CommandSpec,
    pub stdout_regex: Option<Regex>,
    pub warn_latency: Option<Duration>,
    pub max_latency: Option<Duration>,
}

impl CommandProbe {
    pub async fn run(
        &self,
        transports: &Transports,
        timeout: Duration,
        at: DateTime<Utc>,
    ) -> CheckResult {
        let started = Instant::now();
        let out = match transports
            .run_streaming(&self.target, &self.command, timeout, None)
            .await
        {
            Ok(out) => out,
            // It ran and did not finish: the service failed the check.
            Err(TransportError::Timeout(_)) => {
                return CheckResult {
                    verdict: Verdict::Fail,
                    ..CheckResult::error(
                        at,
                        started.elapsed(),
                        format!(
                            "`{}` did not finish within {}",
                            self.command,
                            millis(timeout)
                        ),
                    )
                };
            }
            // It could not be run: no connection, no such program.
            Err(e) => {
                return CheckResult::error(
                    at,
                    started.elapsed(),
                    crate::config::secret::redact(&format!("cannot run `{}`: {e}", self.command)),
                );
            }
        };
        Self::evaluate(
            &out.stdout,
            &out.stderr,
            out.exit_code,
            self.stdout_regex.as_ref(),
            out.duration,
            (self.warn_latency, self.max_latency),
            at,
        )
    }

    fn evaluate(
        stdout: &str,
        stderr: &str,
        exit_code: Option<i32>,
        stdout_regex: Option<&Regex>,
        took: Duration,
        (warn, max): (Option<Duration>, Option<Duration>),
        at: DateTime<Utc>,
    ) -> CheckResult {
        let mut ev = Evaluation::default();
        let first_line = |text: &str| {
            text.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        match exit_code {
            Some(0) => {}
            Some(code) => {
                let said = first_line(if stderr.trim().is_empty() {
                    stdout
                } else {
                    stderr
                });
                ev.failures.push(if said.is_empty() {
                    format!("exit code {code}, expected 0")
                } else {
                    format!("exit code {code}, expected 0: {said}")
                });
            }
            None => ev
                .failures
                .push("killed by a signal, expected exit 0".into()),
        }
        // A trailing newline would make `^gamelera$` fail on `gamelera\n`.
        if let Some(re) = stdout_regex
            && !re.is_match(stdout.trim_end_matches(['\n', '\r']))
        {
            ev.failures.push(format!(
                "stdout does not match /{}/: `{}`",
                re.as_str(),
                first_line(stdout)
            ));
        }
        latency_rules(took, warn, max, "run time", &mut ev);
        let observed = format!(
            "exit {} in {}",
            exit_code.map_or("signal".into(), |c| c.to_string()),
            millis(took)
        );
        finish(at, took, observed, ev, Some(took), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(stdout: &str, code: Option<i32>, re: Option<&str>) -> CheckResult {
        let re = re.map(|r| Regex::new(r).unwrap());
        CommandProbe::evaluate(
            stdout,
            "",
            code,
            re.as_ref(),
            Duration::from_millis(30),
            (None, None),
            Utc::now(),
        )
    }

    #[test]
    fn exit_code_and_stdout_regex() {
        let ok = eval(
            "accepting connections\n",
            Some(0),
            Some("^accepting connections$"),
        );
        assert_eq!(ok.verdict, Verdict::Pass);
        assert_eq!(ok.summary, "exit 0 in 30 ms");
        let bad = eval("no response\n", Some(2), Some("accepting"));
        assert_eq!(bad.verdict, Verdict::Fail);
        assert_eq!(
            bad.failures,
            [
                "exit code 2, expected 0: no response",
                "stdout does not match /accepting/: `no response`"
            ]
        );
    }
}
