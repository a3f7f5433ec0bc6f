//! The one place that decides whether a mutating action may run: read-only mode,
//! one action per service at a time, and the confirmation the operator must give.
//! Only [`Dispatcher::confirm`] creates an [`Authorized`] plan, and only an authorized
//! plan can be executed.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::config::schema::{CommandLine, Host, ServiceKind, TransportKind};
use crate::model::{HostId, ServiceId};
use crate::transport::{CommandSpec, Target};

use super::plan::{ActionKind, Confirmation, Lifecycle, Plan, PlanStep, Settle, StepOp, Subject};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("read-only: {0}")]
    ReadOnly(String),
    #[error("{0} is busy with another action")]
    Busy(Subject),
    #[error("unknown service {0}")]
    UnknownService(ServiceId),
    #[error("unknown host {0}")]
    UnknownHost(HostId),
    #[error("{0}")]
    NotSupported(String),
    #[error("confirmation did not match: type `{expected}` to confirm")]
    ConfirmationMismatch { expected: String },
    #[error("cancelled")]
    Cancelled,
}

/// A plan the dispatcher has let through. The field is private: no other module can make one.
#[derive(Debug)]
pub struct Authorized {
    plan: Plan,
}

impl Authorized {
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

#[derive(Debug, Default)]
pub struct Dispatcher {
    read_only: bool,
    busy: BTreeSet<Subject>,
    next_id: u64,
}

impl Dispatcher {
    pub fn new(read_only: bool) -> Self {
        Self {
            read_only,
            busy: BTreeSet::new(),
            next_id: 1,
        }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn is_busy(&self, subject: &Subject) -> bool {
        self.busy.contains(subject)
    }

    /// Builds the plan for `kind` on `service`, or says why it may not run.
    /// `containers` are the names of the service's containers as last listed (compose
    /// replicas or the one container); other kinds ignore it.
    pub fn plan(
        &mut self,
        config: &Config,
        kind: ActionKind,
        service: &ServiceId,
        containers: &[String],
    ) -> Result<Plan, Refusal> {
        self.plan_lifecycle(config, kind, service, Some(containers))
    }

    /// The plan for `kind` on `service` when its containers are not listed beforehand (a
    /// runbook step, a command line): a compose service's containers are found by their
    /// compose labels when the step runs, a container service's is the configured one.
    pub fn plan_service(
        &mut self,
        config: &Config,
        kind: ActionKind,
        service: &ServiceId,
    ) -> Result<Plan, Refusal> {
        self.plan_lifecycle(config, kind, service, None)
    }

    fn plan_lifecycle(
        &mut self,
        config: &Config,
        kind: ActionKind,
        service: &ServiceId,
        containers: Option<&[String]>,
    ) -> Result<Plan, Refusal> {
        let (host, svc) = config
            .find_service(service)
            .ok_or_else(|| Refusal::UnknownService(service.clone()))?;
        let subject = Subject::Service(service.clone());
        self.admissible(config, &subject)?;
        let Some(verb) = kind.lifecycle() else {
            return Err(Refusal::NotSupported(format!(
                "{kind} is not an action on a service"
            )));
        };
        let timeout = svc
            .timeout
            .as_ref()
            .unwrap_or(&config.file.settings.command_timeout)
            .get();
        let target = match host.transport {
            TransportKind::Local => Target::Local,
            TransportKind::Ssh => Target::Ssh(service.host.clone()),
            TransportKind::Http => {
                return Err(Refusal::NotSupported(format!(
                    "{service} is on an http-only host: there is nothing to {kind} there"
                )));
            }
        };
        let step = |title: &str, command: CommandSpec| {
            PlanStep::new(title, target.clone(), StepOp::Command(command), timeout)
        };
        let from = |line: &CommandLine| CommandSpec::from_config(line);
        let steps = match svc.kind {
            ServiceKind::Command => {
                let missing = |what: &str| {
                    Refusal::NotSupported(format!(
                        "{service} has no `{what}` command in the config"
                    ))
                };
                match kind {
                    ActionKind::Restart => match (&svc.restart, &svc.stop, &svc.start) {
                        (Some(r), _, _) => vec![step("restart", from(r.get_ref()))],
                        (None, Some(stop), Some(start)) => vec![
                            step("stop", from(stop.get_ref())),
                            step("start", from(start.get_ref())),
                        ],
                        _ => return Err(missing("restart")),
                    },
                    ActionKind::Stop => {
                        let c = svc.stop.as_ref().ok_or_else(|| missing("stop"))?;
                        vec![step("stop", from(c.get_ref()))]
                    }
                    ActionKind::Start => {
                        let c = svc.start.as_ref().ok_or_else(|| missing("start"))?;
                        vec![step("start", from(c.get_ref()))]
                    }
                    _ => unreachable!("not a lifecycle verb"),
                }
            }
            ServiceKind::Systemd => {
                let unit = svc
                    .unit
                    .as_ref()
                    .expect("validated: systemd services have a unit")
                    .get_ref()
                    .clone();
                let verb_s = verb.to_string();
                let argv = ["systemctl", verb_s.as_str(), "--", unit.as_str()];
                let mut steps = Vec::new();
                let settle = match verb {
                    Lifecycle::Stop => Settle::UnitStopped { unit: unit.clone() },
                    Lifecycle::Restart | Lifecycle::Start => {
                        // When it last became active: "again" means after this.
                        steps.push(PlanStep::new(
                            "note when the unit last became active",
                            target.clone(),
                            StepOp::Record {
                                command: CommandSpec::argv([
                                    "systemctl",
                                    "show",
                                    "-p",
                                    "ActiveEnterTimestampMonotonic",
                                    "--value",
                                    "--",
                                    unit.as_str(),
                                ]),
                                var: "active_before".into(),
                                audited: false,
                            },
                            timeout,
                        ));
                        Settle::UnitActive {
                            unit: unit.clone(),
                            before_var: "active_before".into(),
                        }
                    }
                };
                steps.push(step(&verb_s, CommandSpec::argv(argv)));
                steps.push(PlanStep::new(
                    format!("wait for {unit}"),
                    target.clone(),
                    StepOp::Settle(settle),
                    timeout.max(std::time::Duration::from_secs(30)),
                ));
                steps
            }
            ServiceKind::Compose if containers.is_none() => {
                let project = svc
                    .project
                    .as_ref()
                    .expect("validated: compose services have a project");
                let name = svc.compose_service.as_ref().unwrap_or(&svc.name);
                vec![PlanStep::new(
                    kind.verb(),
                    target.clone(),
                    StepOp::Compose {
                        verb,
                        project: project.get_ref().clone(),
                        service: name.get_ref().clone(),
                    },
                    timeout,
                )]
            }
            ServiceKind::Compose | ServiceKind::Container => {
                let configured: Vec<String> =
                    svc.container.iter().map(|c| c.get_ref().clone()).collect();
                let containers = containers.unwrap_or(&configured);
                if containers.is_empty() {
                    return Err(Refusal::NotSupported(format!(
                        "no containers of {service} are known (is its Docker engine answering?)"
                    )));
                }
                let mut steps: Vec<PlanStep> = containers
                    .iter()
                    .map(|c| {
                        PlanStep::new(
                            kind.verb(),
                            target.clone(),
                            StepOp::Docker {
                                verb,
                                container: c.clone(),
                            },
                            timeout,
                        )
                    })
                    .collect();
                let names = containers.to_vec();
                let settle = match verb {
                    Lifecycle::Stop => Settle::ContainersStopped { names },
                    Lifecycle::Restart | Lifecycle::Start => Settle::ContainersRunning { names },
                };
                steps.push(PlanStep::new(
                    "wait for the containers",
                    target.clone(),
                    StepOp::Settle(settle),
                    timeout.max(std::time::Duration::from_secs(30)),
                ));
                steps
            }
            ServiceKind::Http => {
                return Err(Refusal::NotSupported(format!(
                    "{service} is an HTTP endpoint: there is nothing to {kind}"
                )));
            }
        };
        // After a restart or start, the service's checks say whether it came back whole.
        let mut steps = steps;
        if verb != Lifecycle::Stop && !svc.checks.is_empty() {
            steps.push(PlanStep::new(
                format!("run the checks of {service}"),
                target.clone(),
                StepOp::Checks {
                    service: service.clone(),
                },
                std::time::Duration::from_secs(120),
            ));
        }
        let prod = host.tags.iter().any(|t| t.get_ref() == "prod");
        let confirmation = if prod {
            Confirmation::TypeName(svc.name.get_ref().clone())
        } else {
            Confirmation::YesNo
        };
        let id = self.next_id;
        self.next_id += 1;
        Ok(Plan {
            id,
            kind,
            subject,
            location: location(host),
            steps,
            confirmation,
            prod,
            backup_set: None,
            version: None,
        })
    }

    /// The operator's answer: `yes` for y/n plans, or the typed text. Takes the service lock.
    pub fn confirm(
        &mut self,
        config: &Config,
        plan: Plan,
        answer: Answer<'_>,
    ) -> Result<Authorized, Refusal> {
        match (&plan.confirmation, answer) {
            (_, Answer::No) => return Err(Refusal::Cancelled),
            (Confirmation::YesNo, Answer::Yes) => {}
            (Confirmation::TypeName(expected), Answer::Typed(t)) if t == expected => {}
            (Confirmation::TypeName(expected), _) => {
                return Err(Refusal::ConfirmationMismatch {
                    expected: expected.clone(),
                });
            }
            (Confirmation::YesNo, Answer::Typed(_)) => return Err(Refusal::Cancelled),
        }
        // Checked again: the world may have changed while the popup was open.
        self.admissible(config, &plan.subject)?;
        self.busy.insert(plan.subject.clone());
        Ok(Authorized { plan })
    }

    /// The plan for trusting the key `host` offered, bound to the fingerprint the operator
    /// saw: the step writes the key only if the host still offers exactly that one. Typed
    /// host name on prod hosts.
    pub fn plan_trust(
        &mut self,
        config: &Config,
        host_id: &HostId,
        fingerprint: &str,
        key_lines: &[String],
    ) -> Result<Plan, Refusal> {
        let host = config
            .find_host(host_id)
            .ok_or_else(|| Refusal::UnknownHost(host_id.clone()))?;
        if host.transport != TransportKind::Ssh {
            return Err(Refusal::NotSupported(format!(
                "{host_id} is not an SSH host: it has no host key"
            )));
        }
        let subject = Subject::Host(host_id.clone());
        self.admissible(config, &subject)?;
        let prod = host.tags.iter().any(|t| t.get_ref() == "prod");
        let id = self.next_id;
        self.next_id += 1;
        Ok(Plan {
            id,
            kind: ActionKind::TrustHostKey,
            subject,
            location: location(host),
            steps: vec![PlanStep::new(
                "trust",
                Target::Local,
                StepOp::TrustKey {
                    fingerprint: fingerprint.to_owned(),
                    key_lines: key_lines.to_vec(),
                },
                std::time::Duration::from_secs(15),
            )],
            confirmation: if prod {
                Confirmation::TypeName(host_id.to_string())
            } else {
                Confirmation::YesNo
            },
            prod,
            backup_set: None,
            version: None,
        })
    }

    pub fn busy_subjects(&self) -> Vec<Subject> {
        self.busy.iter().cloned().collect()
    }

    /// Releases the lock when an action has ended.
    pub fn finished(&mut self, subject: &Subject) {
        self.busy.remove(subject);
    }

    /// For plans built beside this file: the refusals every plan passes, and its id.
    pub(super) fn admit(&mut self, config: &Config, subject: &Subject) -> Result<u64, Refusal> {
        self.admissible(config, subject)?;
        let id = self.next_id;
        self.next_id += 1;
        Ok(id)
    }

    fn admissible(&self, config: &Config, subject: &Subject) -> Result<(), Refusal> {
        refuse_read_only(config, self.read_only, subject.host())?;
        if let Subject::Service(service) = subject
            && config.find_service(service).is_none()
        {
            return Err(Refusal::UnknownService(service.clone()));
        }
        if self.busy.contains(subject) {
            return Err(Refusal::Busy(subject.clone()));
        }
        Ok(())
    }
}

/// Read-only mode, from the command line or the host's own `read_only`: checked when a
/// plan is made, when it is confirmed, and again by the executor.
pub fn refuse_read_only(
    config: &Config,
    cli_read_only: bool,
    host: &HostId,
) -> Result<(), Refusal> {
    if cli_read_only || config.file.settings.read_only {
        return Err(Refusal::ReadOnly(
            "opsdeck was started with --read-only".into(),
        ));
    }
    let h = config
        .find_host(host)
        .ok_or_else(|| Refusal::UnknownHost(host.clone()))?;
    if h.read_only {
        return Err(Refusal::ReadOnly(format!(
            "host {} is read_only in the config",
            h.name.get_ref()
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    Yes,
    No,
    Typed(&'a str),
}

/// Where commands run, as the operator reads it: `ssh root@10.77.0.12:22 (triboka)`.
pub(super) fn location(host: &Host) -> String {
    match host.transport {
        TransportKind::Local => "local (this machine)".to_owned(),
        TransportKind::Ssh | TransportKind::Http => {
            let addr = host.address.as_ref().map_or("", |a| a.get_ref().as_str());
            let user = host
                .user
                .as_ref()
                .map(|u| format!("{}@", u.get_ref()))
                .unwrap_or_default();
            let port = host.port().map(|p| format!(":{p}")).unwrap_or_default();
            let kind = if host.transport == TransportKind::Ssh {
                "ssh"
            } else {
                "http"
            };
            format!("{kind} {user}{addr}{port} ({})", host.name.get_ref())
        }
    }
}
