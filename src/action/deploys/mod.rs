//! Plans of deploys and rollbacks from the config's `[[deploys]]` recipes.
//!
//! A deploy: 1) take the service's deploy lock on its host (refused, naming the holder,
//! when another opsdeck holds it), 2) record what runs now — on disk in the audit log
//! before anything changes: that is what a rollback returns to, across restarts too —
//! 3) the recipe's steps with `{version}`, 4) the health gate until it passes or runs out,
//! 5) release the lock. A failing step or gate rolls back: the recipe's rollback steps with
//! `{previous_version}` set to what was recorded, then the gate again; both outcomes are
//! reported. A rollback on demand returns to the version the last successful deploy
//! recorded.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::audit::AuditLog;

mod history;
mod lock;
mod metrics_gate;
mod query;
use super::dispatcher::{Dispatcher, Refusal, location};
use super::plan::{ActionKind, Confirmation, HttpStep, Plan, PlanStep, StepOp, Subject};
use crate::config::Config;
use crate::config::schema::{DeployRecipe, DeployStep, ServiceKind, TransportKind};
use crate::model::{CheckId, HostId, ServiceId};
use crate::transport::{CommandSpec, Target};
pub use history::{DeployEvent, history, rollback_target};
use lock::{BREAK_LOCK, lock_steps};
pub use lock::{LOCK_DIR, holder, lock_path};
pub use query::{Versions, list_versions, read_lock};

const STEP_TIMEOUT: Duration = Duration::from_secs(300);
const LOCK_TIMEOUT: Duration = Duration::from_secs(20);
const DEFAULT_GATE_ATTEMPTS: u32 = 10;
const DEFAULT_GATE_INTERVAL: Duration = Duration::from_secs(30);

/// The recipe that deploys `service`.
pub fn recipe_for<'a>(config: &'a Config, service: &ServiceId) -> Option<&'a DeployRecipe> {
    config
        .file
        .deploys
        .iter()
        .find(|d| d.service.get_ref() == &service.to_string())
}

/// A version as the operator gives it: one argument of letters, digits and `._-+:@/`,
/// never starting with `-` (it would read as an option).
pub fn check_version(version: &str) -> Result<(), Refusal> {
    let ok = !version.is_empty()
        && version.len() <= 128
        && !version.starts_with('-')
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+:@/".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Refusal::NotSupported(format!(
            "`{}` is not a version (letters, digits and ._-+:@/, not starting with -)",
            crate::model::text::plain(version)
        )))
    }
}

/// The version the last successful deploy of `service` recorded as running before it: what
/// a rollback on demand returns to.
pub fn last_recorded(audit: &AuditLog, service: &ServiceId) -> Option<String> {
    rollback_target(&history(&audit.entries().ok()?), service)
}

struct Recipe<'a> {
    recipe: &'a DeployRecipe,
    target: Target,
    host: &'a crate::config::schema::Host,
    gate: Option<(CheckId, u32, Duration)>,
}

fn recipe<'a>(config: &'a Config, service: &ServiceId) -> Result<Recipe<'a>, Refusal> {
    let recipe = recipe_for(config, service).ok_or_else(|| {
        Refusal::NotSupported(format!("{service} has no [[deploys]] recipe in the config"))
    })?;
    let host = config
        .find_host(&service.host)
        .ok_or_else(|| Refusal::UnknownHost(service.host.clone()))?;
    let target = match host.transport {
        TransportKind::Ssh => Target::Ssh(service.host.clone()),
        TransportKind::Local => Target::Local,
        TransportKind::Http => Target::Local,
    };
    let gate = recipe.health_gate.as_ref().and_then(|g| {
        Some((
            CheckId::parse(g.get_ref())?,
            recipe.gate_retries.unwrap_or(DEFAULT_GATE_ATTEMPTS),
            recipe
                .gate_interval
                .as_ref()
                .map_or(DEFAULT_GATE_INTERVAL, |d| d.get()),
        ))
    });
    Ok(Recipe {
        recipe,
        target,
        host,
        gate,
    })
}

fn step_of(r: &Recipe<'_>, config: &Config, s: &DeployStep, values: &[(&str, &str)]) -> PlanStep {
    let target = match &s.host {
        Some(h) => Target::of(config, &HostId::new(h.get_ref())),
        None => r.target.clone(),
    };
    let op = match (&s.run, &s.request) {
        (Some(run), _) => {
            StepOp::Command(CommandSpec::from_config(run.get_ref()).substitute_all(values))
        }
        (None, Some(r)) => StepOp::Http(HttpStep::of(r, values)),
        (None, None) => unreachable!("validated: a deploy step has run or request"),
    };
    PlanStep::new(
        s.title.get_ref().clone(),
        target,
        op,
        s.timeout.as_ref().map_or(STEP_TIMEOUT, |t| t.get()),
    )
}

fn gate_step(r: &Recipe<'_>, title: &str) -> Option<PlanStep> {
    let (check, attempts, interval) = r.gate.clone()?;
    Some(PlanStep::new(
        title,
        Target::Local,
        StepOp::Gate {
            check,
            attempts,
            interval,
        },
        interval * attempts.max(1) + STEP_TIMEOUT,
    ))
}

impl Dispatcher {
    /// Deploy `version` of `service` by its recipe (see the module's text for the steps).
    /// Typed service name on prod hosts.
    pub fn plan_deploy(
        &mut self,
        config: &Config,
        service: &ServiceId,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<Plan, Refusal> {
        check_version(version)?;
        let r = recipe(config, service)?;
        let subject = Subject::Service(service.clone());
        let id = self.admit(config, &subject)?;
        let current = r.recipe.current_version.as_ref().ok_or_else(|| {
            Refusal::NotSupported(format!(
                "the recipe of {service} has no `current_version`: a deploy must record what runs before it, or there is nothing to roll back to"
            ))
        })?;
        if r.recipe.rollback.is_empty() {
            return Err(Refusal::NotSupported(format!(
                "the recipe of {service} has no rollback steps: a failed gate could not go back"
            )));
        }
        let holder = holder(&format!("deploy {service} {version} (action {id})"), now);
        let (take, mut release) = lock_steps(&r, config, service, &holder);
        let mut steps = vec![take];
        let mut record = PlanStep::new(
            "record what runs now",
            r.target.clone(),
            StepOp::Record {
                command: CommandSpec::from_config(current.get_ref()),
                var: "previous_version".into(),
                audited: true,
            },
            STEP_TIMEOUT,
        );
        record.if_cut = Some("nothing was changed yet".into());
        steps.push(record);
        // A Docker-run service: the image of every replica too (tag and id), on record.
        if let Some((_, svc)) = config.find_service(service) {
            let images = match (svc.kind, &svc.project, &svc.container) {
                (ServiceKind::Compose, Some(p), _) => Some((
                    p.get_ref().clone(),
                    svc.compose_service
                        .as_ref()
                        .unwrap_or(&svc.name)
                        .get_ref()
                        .clone(),
                )),
                (ServiceKind::Container, _, Some(c)) => Some((c.get_ref().clone(), String::new())),
                _ => None,
            };
            if let Some((project, service)) = images {
                steps.push(PlanStep::new(
                    "record the image of every replica",
                    r.target.clone(),
                    StepOp::RecordImages { project, service },
                    LOCK_TIMEOUT,
                ));
            }
        }
        // A backup before anything changes, when the recipe asks for one.
        if let Some(set) = &r.recipe.backup_before {
            let set = set.get_ref();
            let create = config
                .file
                .backups
                .iter()
                .find(|b| b.name.get_ref() == set)
                .and_then(|b| b.create.as_ref())
                .ok_or_else(|| {
                    Refusal::NotSupported(format!("backup set `{set}` has no `create` command"))
                })?;
            steps.push(PlanStep::new(
                format!("back up {set} first"),
                super::backups::target_of(config, set)?,
                StepOp::Command(CommandSpec::from_config(create.get_ref())),
                super::backups::BACKUP_TIMEOUT,
            ));
            steps.push(PlanStep::new(
                format!("verify the backup of {set}"),
                super::backups::target_of(config, set)?,
                StepOp::NewestBackup {
                    set: set.clone(),
                    after: now,
                    role: "backup before the deploy".into(),
                },
                super::backups::VERIFY_TIMEOUT,
            ));
        }
        let values = [("version", version)];
        // The way back, run if a deploy step or the gate fails: the rollback steps with the
        // recorded version, then the gate again.
        let mut back: Vec<PlanStep> = r
            .recipe
            .rollback
            .iter()
            .map(|s| {
                let mut step = step_of(&r, config, s, &values);
                step.title = format!("roll back: {}", s.title.get_ref());
                step
            })
            .collect();
        back.extend(gate_step(&r, "health gate after the rollback"));
        let back = PlanStep::chain(back);
        for (k, s) in r.recipe.steps.iter().enumerate() {
            let mut step = step_of(&r, config, s, &values);
            step.if_cut = Some(format!(
                "{service} may be between versions: `opsdeck rollback {service}` returns it to the recorded one"
            ));
            if k == 0 {
                step.undo = back.clone();
                step.undo_note = Some(
                    "rolled back to {previous_version}; the health gate passed again after the rollback"
                        .into(),
                );
            }
            steps.push(step);
        }
        steps.extend(gate_step(&r, "health gate"));
        steps.extend(metrics_gate::step(config, r.recipe));
        // A failing suite rolls back too: the deploy step's way back is still pending.
        if let Some(suite) = &r.recipe.smoke_after {
            steps.push(PlanStep::new(
                format!("smoke suite {}", suite.get_ref()),
                Target::Local,
                StepOp::Suite {
                    name: suite.get_ref().clone(),
                },
                STEP_TIMEOUT,
            ));
        }
        release.undoes = Some(0);
        steps.push(release);
        let mut plan = self.finish_deploy(id, ActionKind::Deploy, subject, r.host, steps);
        plan.version = Some(version.to_owned());
        Ok(plan)
    }

    /// Return `service` to `to` (what the last deploy recorded): the recipe's rollback steps,
    /// then the gate; locked and recorded like a deploy.
    pub fn plan_rollback(
        &mut self,
        config: &Config,
        service: &ServiceId,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<Plan, Refusal> {
        check_version(to)?;
        let r = recipe(config, service)?;
        let subject = Subject::Service(service.clone());
        let id = self.admit(config, &subject)?;
        if r.recipe.rollback.is_empty() {
            return Err(Refusal::NotSupported(format!(
                "the recipe of {service} has no rollback steps"
            )));
        }
        let holder = holder(&format!("rollback {service} to {to} (action {id})"), now);
        let (take, mut release) = lock_steps(&r, config, service, &holder);
        let mut steps = vec![take];
        if let Some(current) = &r.recipe.current_version {
            steps.push(PlanStep::new(
                "record what runs now",
                r.target.clone(),
                StepOp::Record {
                    command: CommandSpec::from_config(current.get_ref()),
                    var: "rolled_back_from".into(),
                    audited: true,
                },
                STEP_TIMEOUT,
            ));
        }
        let values = [("previous_version", to), ("version", to)];
        for s in &r.recipe.rollback {
            let mut step = step_of(&r, config, s, &values);
            step.if_cut = Some(format!("{service} may be between versions"));
            steps.push(step);
        }
        steps.extend(gate_step(&r, "health gate"));
        release.undoes = Some(0);
        steps.push(release);
        let mut plan = self.finish_deploy(id, ActionKind::Rollback, subject, r.host, steps);
        plan.version = Some(to.to_owned());
        Ok(plan)
    }

    /// Break the deploy lock of `service` whoever holds it: for a lock left by a crashed
    /// opsdeck. Typed service name; audited like every action.
    pub fn plan_lock_release(
        &mut self,
        config: &Config,
        service: &ServiceId,
    ) -> Result<Plan, Refusal> {
        let r = recipe(config, service)?;
        let subject = Subject::Service(service.clone());
        let id = self.admit(config, &subject)?;
        let path = lock_path(config, service);
        let step = PlanStep::new(
            "break the deploy lock",
            r.target.clone(),
            StepOp::Command(CommandSpec::argv([
                "sh",
                "-c",
                BREAK_LOCK,
                "opsdeck-lock",
                path.as_str(),
            ])),
            LOCK_TIMEOUT,
        );
        let mut plan = self.finish_deploy(id, ActionKind::Rollback, subject, r.host, vec![step]);
        plan.kind = ActionKind::LockRelease;
        plan.confirmation = Confirmation::TypeName(service.name.to_string());
        Ok(plan)
    }

    /// Run compose service `service` with `replicas` containers: its `scale` command, then
    /// the wait until exactly that many run. Typed name on prod hosts.
    pub fn plan_scale(
        &mut self,
        config: &Config,
        service: &ServiceId,
        replicas: u32,
    ) -> Result<Plan, Refusal> {
        const MOST: u32 = 50;
        let (host, svc) = config
            .find_service(service)
            .ok_or_else(|| Refusal::UnknownService(service.clone()))?;
        let scale = svc.scale.as_ref().ok_or_else(|| {
            Refusal::NotSupported(format!(
                "{service} has no `scale` command in the config (a compose service's `docker-compose up -d --scale …`)"
            ))
        })?;
        if replicas > MOST {
            return Err(Refusal::NotSupported(format!(
                "{replicas} replicas is more than {MOST}: is that a typo?"
            )));
        }
        let subject = Subject::Service(service.clone());
        let id = self.admit(config, &subject)?;
        let n = replicas.to_string();
        let target = Target::of(config, &service.host);
        let steps = vec![
            PlanStep::new(
                format!("run {replicas} replicas"),
                target.clone(),
                StepOp::Command(
                    CommandSpec::from_config(scale.get_ref()).substitute_all(&[("replicas", &n)]),
                ),
                STEP_TIMEOUT,
            ),
            PlanStep::new(
                "wait for the replicas",
                target,
                StepOp::Settle(super::plan::Settle::Replicas {
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
                    count: replicas,
                }),
                Duration::from_secs(120),
            ),
        ];
        let mut plan = self.finish_deploy(id, ActionKind::Scale, subject, host, steps);
        plan.version = Some(format!("{replicas} replicas"));
        Ok(plan)
    }

    fn finish_deploy(
        &mut self,
        id: u64,
        kind: ActionKind,
        subject: Subject,
        host: &crate::config::schema::Host,
        steps: Vec<PlanStep>,
    ) -> Plan {
        let prod = host.tags.iter().any(|t| t.get_ref() == "prod");
        let confirmation = match (&subject, prod) {
            (Subject::Service(s), true) => Confirmation::TypeName(s.name.to_string()),
            _ => Confirmation::YesNo,
        };
        Plan {
            id,
            kind,
            subject,
            location: location(host),
            steps,
            confirmation,
            prod,
            backup_set: None,
            version: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_one_harmless_argument() {
        for good in [
            "v2",
            "1.4.2",
            "conductores-backend:43",
            "sha256@abc",
            "release/2026-12",
        ] {
            assert!(check_version(good).is_ok(), "{good}");
        }
        for bad in ["", "-rf", "v1; rm -rf /", "$(id)", "a b", "v1\n"] {
            assert!(check_version(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_last_successful_deploy_says_where_to_roll_back_to() {
        let dir = tempfile::tempdir().unwrap();
        let audit = AuditLog::new(dir.path().join("audit.jsonl"));
        let lines = [
            r#"{"ts":"2026-12-02T06:00:00Z","action":"deploy","event":"start","action_id":1,"service":"g/b"}"#,
            r#"{"action":"deploy","event":"record","action_id":1,"service":"g/b","note":"recorded previous_version: v1"}"#,
            r#"{"action":"deploy","event":"end","action_id":1,"service":"g/b","result":"succeeded"}"#,
            r#"{"ts":"2026-12-02T06:01:00Z","action":"deploy","event":"start","action_id":1,"service":"g/b"}"#,
            r#"{"action":"deploy","event":"record","action_id":1,"service":"g/b","note":"recorded previous_version: v2"}"#,
            r#"{"action":"deploy","event":"end","action_id":1,"service":"g/b","result":"failed"}"#,
            r#"{"ts":"2026-12-02T06:02:00Z","action":"deploy","event":"start","action_id":3,"service":"x/y"}"#,
            r#"{"action":"deploy","event":"record","action_id":3,"service":"x/y","note":"recorded previous_version: v9"}"#,
        ];
        std::fs::write(audit.path(), lines.join("\n")).unwrap();
        let svc = ServiceId::new(&HostId::new("g"), "b");
        assert_eq!(last_recorded(&audit, &svc).as_deref(), Some("v1"));
        assert_eq!(
            last_recorded(&audit, &ServiceId::new(&HostId::new("x"), "y")),
            None
        );
    }
}
