//! Plans of the backup actions: back up now, restore a chosen backup, drill a restore into
//! a scratch target. Each is shown whole before it runs and goes through the dispatcher's
//! refusals, confirmation and audit like every other action.

use std::time::Duration;

use chrono::{DateTime, Utc};

mod drills;
mod pick;
pub use drills::{DRILLS_FILE, DrillRecord};
pub use pick::{choose, newest_verified};

use super::dispatcher::{Dispatcher, Refusal, location};
use super::plan::{ActionKind, Confirmation, Expect, Lifecycle, Plan, PlanStep, StepOp, Subject};
use crate::backup::{Backup, render};
use crate::config::Config;
use crate::config::schema::{
    BackupSet, CommandLine, Host, Integrity, ScratchKind, Service, ServiceKind, TransportKind,
};
use crate::model::{HostId, ServiceId};
use crate::transport::{CommandSpec, Target};

/// Making, copying and restoring backups takes long: this is their time limit.
pub const BACKUP_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Reading a backup through (`pg_restore --list`, `tar -tzf`).
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(5 * 60);

struct SetContext<'a> {
    set: &'a BackupSet,
    host: &'a Host,
    target: Target,
    subject: Subject,
    /// What the operator types to confirm a restore.
    name: String,
}

fn set_context<'a>(config: &'a Config, name: &str) -> Result<SetContext<'a>, Refusal> {
    let set = config
        .file
        .backups
        .iter()
        .find(|b| b.name.get_ref() == name)
        .ok_or_else(|| Refusal::NotSupported(format!("unknown backup set `{name}`")))?;
    let host_id = HostId::new(set.host.get_ref());
    let host = config
        .find_host(&host_id)
        .ok_or_else(|| Refusal::UnknownHost(host_id.clone()))?;
    let target = match host.transport {
        TransportKind::Local => Target::Local,
        TransportKind::Ssh => Target::Ssh(host_id.clone()),
        TransportKind::Http => {
            return Err(Refusal::NotSupported(format!(
                "{host_id} is an http-only host: backups cannot run there"
            )));
        }
    };
    let (subject, name) = match &set.service {
        Some(s) => (
            Subject::Service(ServiceId::new(&host_id, s.get_ref())),
            s.get_ref().clone(),
        ),
        None => (Subject::Host(host_id), set.name.get_ref().clone()),
    };
    Ok(SetContext {
        set,
        host,
        target,
        subject,
        name,
    })
}

/// Where the commands of backup set `name` run.
pub fn target_of(config: &Config, name: &str) -> Result<Target, Refusal> {
    set_context(config, name).map(|cx| cx.target)
}

fn spec(line: &CommandLine) -> CommandSpec {
    CommandSpec::from_config(line)
}

fn missing(set: &BackupSet, what: &str) -> Refusal {
    Refusal::NotSupported(format!(
        "backup set `{}` has no `{what}` command in the config",
        set.name.get_ref()
    ))
}

/// The expectation an integrity query's output must meet.
pub fn expectation(integrity: &Integrity) -> Expect {
    if let Some(e) = &integrity.expect {
        Expect::Exactly(e.get_ref().clone())
    } else if let Some(r) = &integrity.expect_regex {
        Expect::Matches(r.get_ref().clone())
    } else if let Some(n) = &integrity.at_least {
        Expect::AtLeast(*n.get_ref())
    } else {
        Expect::Anything
    }
}

impl Dispatcher {
    /// Back up now: the set's `create`, then the new backup listed, verified and noted.
    pub fn plan_backup(
        &mut self,
        config: &Config,
        set_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Plan, Refusal> {
        let cx = set_context(config, set_name)?;
        let id = self.admit(config, &cx.subject)?;
        let create = cx
            .set
            .create
            .as_ref()
            .ok_or_else(|| missing(cx.set, "create"))?;
        let steps = vec![
            PlanStep::new(
                "make the backup",
                cx.target.clone(),
                StepOp::Command(spec(create.get_ref())),
                BACKUP_TIMEOUT,
            ),
            PlanStep::new(
                "find and verify the new backup",
                cx.target.clone(),
                StepOp::NewestBackup {
                    set: set_name.to_owned(),
                    after: now,
                    role: "new backup".into(),
                },
                VERIFY_TIMEOUT,
            ),
        ];
        Ok(self.finish(id, ActionKind::Backup, cx, steps, Confirmation::YesNo))
    }

    /// Restore `backup` of the set: 1) verify it, 2) take a safety backup of what is there
    /// now, 3) stop the services the set names, 4) restore, 5) start them again, 6) run the
    /// service's checks and the set's integrity query. A failure after 3) starts the
    /// stopped services again. Confirmed by typing the service's name.
    pub fn plan_restore(
        &mut self,
        config: &Config,
        set_name: &str,
        backup: &Backup,
        now: DateTime<Utc>,
    ) -> Result<Plan, Refusal> {
        let cx = set_context(config, set_name)?;
        let id = self.admit(config, &cx.subject)?;
        let set = cx.set;
        let fill = |line: &CommandLine| render(line, backup, &[]).map_err(Refusal::NotSupported);
        let verify = set.verify.as_ref().ok_or_else(|| missing(set, "verify"))?;
        let create = set
            .create
            .as_ref()
            .ok_or_else(|| missing(set, "create (for the safety backup)"))?;
        let restore = set
            .restore
            .as_ref()
            .ok_or_else(|| missing(set, "restore"))?;
        let t = &cx.target;
        let mut steps = vec![
            PlanStep::new(
                format!("verify backup {}", backup.key),
                t.clone(),
                StepOp::Command(fill(verify.get_ref())?),
                VERIFY_TIMEOUT,
            ),
            PlanStep::new(
                "take a safety backup of the current state",
                t.clone(),
                StepOp::Command(spec(create.get_ref())),
                BACKUP_TIMEOUT,
            ),
            PlanStep::new(
                "find and verify the safety backup",
                t.clone(),
                StepOp::NewestBackup {
                    set: set_name.to_owned(),
                    after: now,
                    role: "safety backup".into(),
                },
                VERIFY_TIMEOUT,
            ),
        ];
        let stopped: Vec<String> = set
            .stop_during_restore
            .iter()
            .map(|s| s.get_ref().clone())
            .collect();
        let mut stop_steps = Vec::new();
        for name in &stopped {
            let svc = cx
                .host
                .services
                .iter()
                .find(|s| s.name.get_ref() == name)
                .ok_or_else(|| {
                    Refusal::UnknownService(ServiceId::new(
                        &HostId::new(cx.host.name.get_ref()),
                        name,
                    ))
                })?;
            let mut stop = lifecycle_step(config, cx.host, svc, t, Lifecycle::Stop)?;
            let start = lifecycle_step(config, cx.host, svc, t, Lifecycle::Start)?;
            stop.if_cut = Some(format!("{name} may be stopped; nothing was restored yet"));
            stop.undo = Some(Box::new(start));
            stop_steps.push(steps.len());
            steps.push(stop);
        }
        let down = if stopped.is_empty() {
            String::new()
        } else {
            format!("{} stopped; ", stopped.join(", "))
        };
        let mut restore_step = PlanStep::new(
            format!("restore backup {}", backup.key),
            t.clone(),
            StepOp::Command(fill(restore.get_ref())?),
            BACKUP_TIMEOUT,
        );
        restore_step.if_cut = Some(format!(
            "{down}the data may be partly restored: restore the safety backup named above"
        ));
        steps.push(restore_step);
        for (name, stop_index) in stopped.iter().zip(stop_steps) {
            let svc = cx
                .host
                .services
                .iter()
                .find(|s| s.name.get_ref() == name)
                .expect("found above");
            let mut start = lifecycle_step(config, cx.host, svc, t, Lifecycle::Start)?;
            start.undoes = Some(stop_index);
            start.if_cut = Some(format!(
                "{name} may still be stopped; the backup was restored"
            ));
            steps.push(start);
        }
        if let Subject::Service(service) = &cx.subject
            && config
                .find_service(service)
                .is_some_and(|(_, s)| !s.checks.is_empty())
        {
            steps.push(PlanStep::new(
                format!("run the checks of {service}"),
                t.clone(),
                StepOp::Checks {
                    service: service.clone(),
                },
                BACKUP_TIMEOUT,
            ));
        }
        if let Some(integrity) = &set.integrity {
            steps.push(PlanStep::new(
                "run the integrity query",
                t.clone(),
                StepOp::Integrity {
                    command: fill(integrity.command.get_ref())?,
                    expect: expectation(integrity),
                },
                VERIFY_TIMEOUT,
            ));
        }
        let confirmation = Confirmation::TypeName(cx.name.clone());
        Ok(self.finish(id, ActionKind::Restore, cx, steps, confirmation))
    }

    /// A drill: `backup` restored into a fresh scratch target on the host and its
    /// integrity checked there; the live service is not touched, the scratch target is
    /// removed at the end, whatever happened.
    pub fn plan_drill(
        &mut self,
        config: &Config,
        set_name: &str,
        backup: &Backup,
        now: DateTime<Utc>,
    ) -> Result<Plan, Refusal> {
        let cx = set_context(config, set_name)?;
        let id = self.admit(config, &cx.subject)?;
        let set = cx.set;
        let drill = set.drill.as_ref().ok_or_else(|| {
            Refusal::NotSupported(format!(
                "backup set `{set_name}` has no `drill` in the config (how to restore into a scratch target)"
            ))
        })?;
        let t = &cx.target;
        let stamp = now.format("%Y%m%d%H%M%S").to_string();
        let safe: String = set_name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let dir = format!("/tmp/opsdeck-drill-{safe}-{stamp}-{id}");
        let scratch = match drill.scratch {
            ScratchKind::Dir => dir.clone(),
            ScratchKind::File => format!("{dir}/restored"),
            ScratchKind::Name => format!("opsdeck_drill_{safe}_{stamp}_{id}"),
        };
        let extra = [("scratch", scratch.as_str())];
        let fill = |line: &CommandLine| render(line, backup, &extra).map_err(Refusal::NotSupported);
        let mut steps = Vec::new();
        if let Some(verify) = &set.verify {
            steps.push(PlanStep::new(
                format!("verify backup {}", backup.key),
                t.clone(),
                StepOp::Command(fill(verify.get_ref())?),
                VERIFY_TIMEOUT,
            ));
        }
        // The scratch place: a new private directory (which must not exist yet) and what
        // `prepare` makes; removed by the cleanup at the end, or by the undo on a failure.
        let mut cleanup_cmds: Vec<CommandSpec> = Vec::new();
        if let Some(c) = &drill.cleanup {
            cleanup_cmds.push(fill(c.get_ref())?);
        }
        if drill.scratch != ScratchKind::Name {
            cleanup_cmds.push(CommandSpec::argv(["rm", "-rf", "--", dir.as_str()]));
        }
        let cleanup = |undoes: Option<usize>| -> Vec<PlanStep> {
            cleanup_cmds
                .iter()
                .map(|c| {
                    let mut s = PlanStep::new(
                        "remove the scratch target",
                        t.clone(),
                        StepOp::Command(c.clone()),
                        VERIFY_TIMEOUT,
                    );
                    s.undoes = undoes;
                    s
                })
                .collect()
        };
        let mut prepare_steps = Vec::new();
        if drill.scratch != ScratchKind::Name {
            prepare_steps.push(CommandSpec::argv([
                "mkdir",
                "-m",
                "700",
                "--",
                dir.as_str(),
            ]));
        }
        if let Some(p) = &drill.prepare {
            prepare_steps.push(fill(p.get_ref())?);
        }
        let mut first_prepare = None;
        for (k, command) in prepare_steps.into_iter().enumerate() {
            let mut step = PlanStep::new(
                "make the scratch target",
                t.clone(),
                StepOp::Command(command),
                VERIFY_TIMEOUT,
            );
            if k == 0 {
                first_prepare = Some(steps.len());
                // Undo: every cleanup command, chained (the first with the rest after it).
                step.undo = PlanStep::chain(cleanup(None));
            }
            step.if_cut = Some(format!(
                "the live service is untouched; {scratch} may be left on the host"
            ));
            steps.push(step);
        }
        let mut restore = PlanStep::new(
            format!("restore backup {} into the scratch target", backup.key),
            t.clone(),
            StepOp::Command(fill(drill.restore.get_ref())?),
            BACKUP_TIMEOUT,
        );
        restore.if_cut = Some(format!(
            "the live service is untouched; {scratch} may be left on the host"
        ));
        steps.push(restore);
        let integrity_cmd = drill
            .integrity
            .as_ref()
            .map(|c| c.get_ref())
            .or(set.integrity.as_ref().map(|i| i.command.get_ref()));
        if let Some(command) = integrity_cmd {
            steps.push(PlanStep::new(
                "run the integrity query on the scratch target",
                t.clone(),
                StepOp::Integrity {
                    command: fill(command)?,
                    expect: set.integrity.as_ref().map_or(Expect::Anything, expectation),
                },
                VERIFY_TIMEOUT,
            ));
        }
        steps.extend(cleanup(first_prepare));
        Ok(self.finish(id, ActionKind::Drill, cx, steps, Confirmation::YesNo))
    }

    fn finish(
        &mut self,
        id: u64,
        kind: ActionKind,
        cx: SetContext<'_>,
        steps: Vec<PlanStep>,
        confirmation: Confirmation,
    ) -> Plan {
        let prod = cx.host.tags.iter().any(|t| t.get_ref() == "prod");
        Plan {
            id,
            kind,
            subject: cx.subject,
            location: location(cx.host),
            steps,
            confirmation,
            prod,
            backup_set: Some(cx.set.name.get_ref().clone()),
            version: None,
        }
    }
}

/// Stopping or starting a service during a restore, as a plan step.
fn lifecycle_step(
    config: &Config,
    host: &Host,
    svc: &Service,
    target: &Target,
    verb: Lifecycle,
) -> Result<PlanStep, Refusal> {
    let name = svc.name.get_ref();
    let timeout = svc
        .timeout
        .as_ref()
        .unwrap_or(&config.file.settings.command_timeout)
        .get()
        .max(Duration::from_secs(30));
    let title = format!("{verb} {name}");
    let op = match svc.kind {
        ServiceKind::Compose => StepOp::Compose {
            verb,
            project: svc
                .project
                .as_ref()
                .map(|p| p.get_ref().clone())
                .unwrap_or_default(),
            service: svc
                .compose_service
                .as_ref()
                .unwrap_or(&svc.name)
                .get_ref()
                .clone(),
        },
        ServiceKind::Container => StepOp::Docker {
            verb,
            container: svc
                .container
                .as_ref()
                .map(|c| c.get_ref().clone())
                .unwrap_or_default(),
        },
        ServiceKind::Systemd => {
            let unit = svc
                .unit
                .as_ref()
                .map(|u| u.get_ref().as_str())
                .unwrap_or_default();
            StepOp::Command(CommandSpec::argv([
                "systemctl",
                &verb.to_string(),
                "--",
                unit,
            ]))
        }
        ServiceKind::Command => {
            let line = match verb {
                Lifecycle::Stop => svc.stop.as_ref(),
                Lifecycle::Start => svc.start.as_ref(),
                Lifecycle::Restart => svc.restart.as_ref(),
            };
            let line = line.ok_or_else(|| {
                Refusal::NotSupported(format!(
                    "{}/{name} has no `{verb}` command: a restore cannot {verb} it",
                    host.name.get_ref()
                ))
            })?;
            StepOp::Command(spec(line.get_ref()))
        }
        ServiceKind::Http => {
            return Err(Refusal::NotSupported(format!(
                "{}/{name} is an HTTP endpoint: it cannot be stopped for a restore",
                host.name.get_ref()
            )));
        }
    };
    Ok(PlanStep::new(title, target.clone(), op, timeout))
}
