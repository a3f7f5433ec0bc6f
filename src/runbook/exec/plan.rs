//! An action step's plan, in two parts so the console can show it in its popup: what must
//! be looked up on the fleet first ([`prepare`]: the backup a restore or drill takes, the
//! version a rollback returns to), then the dispatcher's plan from that ([`plan`], no I/O).

use chrono::{DateTime, Utc};

use crate::action::audit::AuditLog;
use crate::action::{ActionKind, Dispatcher, Plan};
use crate::backup::model::Backup;
use crate::config::Config;
use crate::runbook::model::{Filled, Verb};
use crate::transport::Transports;

/// What an action step's plan needs from the fleet.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// The backup a restore or drill takes.
    pub backup: Option<Backup>,
    /// The version a rollback without one returns to (what its last deploy recorded).
    pub rollback_to: Option<String>,
}

/// Looks up what the plan of an action step needs: lists the set for a restore or drill,
/// reads the audit log for a rollback without a version.
pub async fn prepare(
    config: &Config,
    transports: &Transports,
    audit: &AuditLog,
    filled: &Filled,
) -> Result<Prepared, String> {
    match filled {
        Filled::Set { verb, set, backup } if *verb != Verb::Backup => {
            let key = if *verb == Verb::Drill {
                "latest"
            } else {
                backup.as_str()
            };
            let chosen = crate::action::backups::choose(config, transports, set, key).await?;
            Ok(Prepared {
                backup: Some(chosen),
                rollback_to: None,
            })
        }
        Filled::Deploy {
            verb,
            service,
            version: None,
        } if *verb != Verb::Deploy => {
            let audit = audit.clone();
            let service = service.clone();
            let found = tokio::task::spawn_blocking(move || {
                crate::action::deploys::last_recorded(&audit, &service)
            })
            .await
            .map_err(|e| e.to_string())?;
            Ok(Prepared {
                backup: None,
                rollback_to: found,
            })
        }
        _ => Ok(Prepared::default()),
    }
}

/// The dispatcher's plan for an action step (`None`: not an action step). Refusals
/// (read-only, a busy service) are the error, as the dispatcher words them.
pub fn plan(
    dispatcher: &mut Dispatcher,
    config: &Config,
    filled: &Filled,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> Option<Result<Plan, String>> {
    let refused = |r: crate::action::Refusal| format!("refused: {r}");
    Some(match filled {
        Filled::Service { verb, service } => {
            let kind = match verb {
                Verb::Restart => ActionKind::Restart,
                Verb::Stop => ActionKind::Stop,
                _ => ActionKind::Start,
            };
            dispatcher
                .plan_service(config, kind, service)
                .map_err(refused)
        }
        Filled::Set {
            verb: Verb::Backup,
            set,
            ..
        } => dispatcher.plan_backup(config, set, now).map_err(refused),
        Filled::Set { verb, set, .. } => match &prepared.backup {
            Some(chosen) if *verb == Verb::Drill => dispatcher
                .plan_drill(config, set, chosen, now)
                .map_err(refused),
            Some(chosen) => dispatcher
                .plan_restore(config, set, chosen, now)
                .map_err(refused),
            None => Err(format!("no backup of {set} was chosen")),
        },
        Filled::Deploy {
            verb,
            service,
            version,
        } => match (verb, version) {
            (Verb::Deploy, Some(v)) => dispatcher
                .plan_deploy(config, service, v, now)
                .map_err(refused),
            (_, to) => match to.clone().or_else(|| prepared.rollback_to.clone()) {
                Some(to) => dispatcher
                    .plan_rollback(config, service, &to, now)
                    .map_err(refused),
                None => Err(format!(
                    "no successful deploy of {service} is in the audit log: give the step a `version`"
                )),
            },
        },
        _ => return None,
    })
}
