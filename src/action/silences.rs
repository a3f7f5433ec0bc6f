//! Silencing an alert and expiring a silence: plans like any other action, so the
//! dispatcher refuses them in read-only mode, locks the subject, asks for confirmation, and
//! the audit log records them. The subject is the service or host the alert is mapped onto;
//! an alert that names nothing of the fleet is the subject of the host Alertmanager runs on.

use std::collections::BTreeMap;
use std::time::Duration;

use super::dispatcher::{Dispatcher, Refusal};
use super::plan::{ActionKind, Confirmation, Plan, PlanStep, StepOp, Subject};
use crate::config::Config;
use crate::model::{HostId, ServiceId};
use crate::monitor::alertmanager::{Alertmanager, Matcher, NewSilence, exact_matchers};
use crate::transport::{CommandOutput, Target};

/// What a silence is about: the alert's labels, where it was mapped.
#[derive(Debug, Clone)]
pub struct SilenceRequest {
    /// Shown in the plan and the audit log (`alertname`, or the matchers).
    pub name: String,
    pub matchers: Vec<Matcher>,
    pub host: Option<HostId>,
    pub service: Option<ServiceId>,
    pub duration: Duration,
    pub comment: String,
}

impl SilenceRequest {
    /// Matches exactly the alert with these labels.
    pub fn for_labels(
        labels: &BTreeMap<String, String>,
        host: Option<HostId>,
        service: Option<ServiceId>,
        duration: Duration,
        comment: &str,
    ) -> Self {
        Self {
            name: labels
                .get("alertname")
                .cloned()
                .unwrap_or_else(|| "(unnamed)".into()),
            matchers: exact_matchers(labels),
            host,
            service,
            duration,
            comment: comment.to_owned(),
        }
    }
}

/// Shown in the plan: `alertname="X", host="a"`.
pub fn show_matchers(m: &[Matcher]) -> String {
    m.iter()
        .map(|m| {
            let op = match (m.is_equal, m.is_regex) {
                (true, false) => "=",
                (false, false) => "!=",
                (true, true) => "=~",
                (false, true) => "!~",
            };
            format!("{}{op}{:?}", m.name, m.value)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Dispatcher {
    /// The plan for a silence in Alertmanager, or why not.
    pub fn plan_silence(&mut self, config: &Config, req: &SilenceRequest) -> Result<Plan, Refusal> {
        let url = alertmanager_url(config)?;
        if req.comment.trim().is_empty() {
            return Err(Refusal::NotSupported(
                "a silence needs a comment (why it is silenced)".into(),
            ));
        }
        if req.duration.is_zero() {
            return Err(Refusal::NotSupported("a silence needs a duration".into()));
        }
        let subject = subject(config, req.host.as_ref(), req.service.as_ref())?;
        let step = StepOp::Silence {
            url: url.clone(),
            matchers: req.matchers.clone(),
            duration: req.duration,
            comment: req.comment.clone(),
        };
        self.silence_plan(config, ActionKind::Silence, subject, &url, step)
    }

    /// The plan for expiring silence `id`; the subject as for [`Dispatcher::plan_silence`].
    pub fn plan_unsilence(
        &mut self,
        config: &Config,
        id: &str,
        host: Option<&HostId>,
        service: Option<&ServiceId>,
    ) -> Result<Plan, Refusal> {
        let url = alertmanager_url(config)?;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Refusal::NotSupported(format!(
                "`{}` is not a silence id",
                crate::model::text::plain(id)
            )));
        }
        let subject = subject(config, host, service)?;
        let step = StepOp::ExpireSilence {
            url: url.clone(),
            id: id.to_owned(),
        };
        self.silence_plan(config, ActionKind::Unsilence, subject, &url, step)
    }

    fn silence_plan(
        &mut self,
        config: &Config,
        kind: ActionKind,
        subject: Subject,
        url: &str,
        step: StepOp,
    ) -> Result<Plan, Refusal> {
        let id = self.admit(config, &subject)?;
        let timeout = config.file.monitoring.timeout.get();
        let title = match kind {
            ActionKind::Silence => "silence in Alertmanager",
            _ => "expire the silence in Alertmanager",
        };
        Ok(Plan {
            id,
            kind,
            subject,
            location: format!("Alertmanager {url}, from this machine"),
            steps: vec![PlanStep::new(title, Target::Local, step, timeout)],
            confirmation: Confirmation::YesNo,
            prod: false,
            backup_set: None,
            version: None,
        })
    }
}

fn alertmanager_url(config: &Config) -> Result<String, Refusal> {
    config
        .file
        .monitoring
        .alertmanager
        .as_ref()
        .map(|u| u.get_ref().clone())
        .ok_or_else(|| {
            Refusal::NotSupported(
                "no Alertmanager in the config ([monitoring] alertmanager)".into(),
            )
        })
}

/// The service, else the host, else the fleet host whose address Alertmanager's URL names.
fn subject(
    config: &Config,
    host: Option<&HostId>,
    service: Option<&ServiceId>,
) -> Result<Subject, Refusal> {
    if let Some(s) = service {
        return Ok(Subject::Service(s.clone()));
    }
    if let Some(h) = host {
        return Ok(Subject::Host(h.clone()));
    }
    let url = alertmanager_url(config)?;
    let am_host = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    config
        .file
        .hosts
        .iter()
        .find(|h| {
            h.address.as_ref().is_some_and(|a| *a.get_ref() == am_host)
                || *h.name.get_ref() == am_host
        })
        .map(|h| Subject::Host(HostId::new(h.name.get_ref())))
        .ok_or_else(|| {
            Refusal::NotSupported(
                "the alert names no host of the fleet, nor does Alertmanager's address: \
                 silence it with amtool"
                    .into(),
            )
        })
}

/// Carries out a silence step: the silence's id, or why it failed.
pub(super) async fn silence_step(op: &StepOp, timeout: Duration) -> CommandOutput {
    use super::steps::{done, failed};
    match op {
        StepOp::Silence {
            url,
            matchers,
            duration,
            comment,
        } => {
            let client = match Alertmanager::new(url, timeout) {
                Ok(c) => c,
                Err(e) => return failed(e.to_string()),
            };
            let now = chrono::Utc::now();
            let silence = NewSilence {
                matchers: matchers.clone(),
                starts_at: now,
                ends_at: now + chrono::Duration::from_std(*duration).unwrap_or_default(),
                created_by: super::audit::who(
                    &super::audit::operator(),
                    super::audit::ssh_client().as_deref(),
                ),
                comment: comment.clone(),
            };
            match client.create_silence(&silence).await {
                Ok(id) => done(format!(
                    "silence {id} until {}\n",
                    silence.ends_at.format("%Y-%m-%d %H:%M UTC")
                )),
                Err(e) => failed(e.to_string()),
            }
        }
        StepOp::ExpireSilence { url, id } => {
            let client = match Alertmanager::new(url, timeout) {
                Ok(c) => c,
                Err(e) => return failed(e.to_string()),
            };
            match client.expire_silence(id).await {
                Ok(()) => done(format!("silence {id} expired\n")),
                Err(e) => failed(e.to_string()),
            }
        }
        _ => failed("not a silence step".into()),
    }
}
