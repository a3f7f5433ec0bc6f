//! How a plan step reads in the popup, the CLI and the audit log.

use std::fmt;

use super::*;

/// Shown as the equivalent command line, so the plan reads the same either way.
impl fmt::Display for StepOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepOp::Command(c) => write!(f, "{c}"),
            StepOp::Docker { verb, container } => write!(
                f,
                "docker {verb} {}  (Docker API)",
                crate::transport::quote(container)
            ),
            StepOp::TrustKey { fingerprint, .. } => {
                write!(
                    f,
                    "add {fingerprint} to opsdeck's known_hosts (if it is still offered)"
                )
            }
            StepOp::Compose {
                verb,
                project,
                service,
            } => write!(
                f,
                "docker {verb} every container of compose {project}/{service}  (Docker API)"
            ),
            StepOp::Checks { service } => write!(f, "run the checks of {service}"),
            StepOp::NewestBackup { set, role, .. } => {
                write!(f, "list {set}, verify its newest backup (the {role})")
            }
            StepOp::Integrity { command, expect } => write!(f, "{command}{expect}"),
            StepOp::Record { command, var, .. } => {
                write!(f, "{command}  (kept as {{{var}}})")
            }
            StepOp::Http(h) => {
                write!(f, "{} {}", h.method, h.url.1)?;
                for (k, _, shown) in &h.headers {
                    write!(f, "  {k}: {shown}")?;
                }
                match h.expect_status {
                    Some(s) => write!(f, "  (expect {s})"),
                    None => write!(f, "  (expect 2xx)"),
                }
            }
            StepOp::Suite { name } => write!(f, "run the smoke suite {name}"),
            StepOp::Silence {
                url,
                matchers,
                duration,
                comment,
            } => write!(
                f,
                "POST {url}/api/v2/silences  {{{}}} for {}, comment {comment:?}",
                crate::action::silences::show_matchers(matchers),
                humantime::format_duration(*duration)
            ),
            StepOp::ExpireSilence { url, id } => write!(f, "DELETE {url}/api/v2/silence/{id}"),
            StepOp::RecordImages { project, service } if service.is_empty() => {
                write!(f, "record the image of container {project}  (Docker API)")
            }
            StepOp::RecordImages { project, service } => write!(
                f,
                "record the image of every container of compose {project}/{service}  (Docker API)"
            ),
            StepOp::Settle(Settle::UnitActive { unit, .. }) => {
                write!(
                    f,
                    "wait until {unit} is active again (a new ActiveEnterTimestamp)"
                )
            }
            StepOp::Settle(Settle::UnitStopped { unit }) => {
                write!(f, "wait until {unit} is no longer active")
            }
            StepOp::Settle(Settle::ContainersRunning { names }) => write!(
                f,
                "wait until {} run{} again, newly started  (Docker API)",
                names.join(", "),
                if names.len() == 1 { "s" } else { "" }
            ),
            StepOp::Settle(Settle::Replicas {
                project,
                service,
                count,
            }) => write!(
                f,
                "wait until {count} containers of compose {project}/{service} run  (Docker API)"
            ),
            StepOp::Settle(Settle::ContainersStopped { names }) => {
                write!(f, "wait until {} stopped  (Docker API)", names.join(", "))
            }
            StepOp::Gate {
                check,
                attempts,
                interval,
            } => write!(
                f,
                "check {check} until it passes ({attempts} × {})",
                humantime::format_duration(*interval)
            ),
            StepOp::MetricsGate { rules, .. } => {
                write!(f, "{}", crate::monitor::gate::summary(rules))
            }
        }
    }
}
