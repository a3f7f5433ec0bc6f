//! Deploys from the console: `:deploy HOST/SERVICE VERSION`, `:rollback HOST/SERVICE
//! [VERSION]` (the version the last successful deploy recorded), `:deploys HOST/SERVICE`
//! and `H` for the history. Planned by the dispatcher, confirmed in the action popup
//! (typed name on prod).

use super::*;

/// `:deploy` and `:rollback`.
pub(super) fn request(state: &mut State, config: &Config, cmd: &str, arg: &str) {
    let mut words = arg.split_whitespace();
    let (Some(target), version) = (words.next(), words.next()) else {
        notice(
            state,
            NoticeLevel::Error,
            format!(
                "usage: :{cmd} HOST/SERVICE{}",
                if cmd == "deploy" {
                    " VERSION"
                } else {
                    " [VERSION]"
                }
            ),
        );
        return;
    };
    let Some(service) = ServiceId::parse(target) else {
        notice(
            state,
            NoticeLevel::Error,
            format!("usage: :{cmd} HOST/SERVICE …"),
        );
        return;
    };
    let now = state.now;
    let planned = match (cmd, version) {
        ("deploy", Some(v)) => state.dispatcher.plan_deploy(config, &service, v, now),
        ("deploy", None) => {
            notice(
                state,
                NoticeLevel::Error,
                format!("usage: :deploy {service} VERSION"),
            );
            return;
        }
        (_, to) => {
            let to = to.map(str::to_owned).or_else(|| {
                crate::action::deploys::rollback_target(&state.deploy_history, &service)
            });
            match to {
                Some(to) => state.dispatcher.plan_rollback(config, &service, &to, now),
                None => Err(Refusal::NotSupported(format!(
                    "no successful deploy of {service} is in the audit log: give the version (:rollback {service} VERSION)"
                ))),
            }
        }
    };
    match planned {
        Ok(plan) => state.mode = Mode::Action(Box::new(ActionView::new(plan))),
        Err(refusal) => notice(
            state,
            NoticeLevel::Error,
            format!("cannot {cmd} {service}: {refusal}"),
        ),
    }
}

/// `:deploys HOST/SERVICE` or `H` on a service row: its history, and who holds its deploy
/// lock now (read from the host).
pub(super) fn open_history(state: &mut State, target: Option<ServiceId>) -> Vec<Effect> {
    let Some(service) = target.or_else(|| state.selected_service().map(|s| s.id.clone())) else {
        notice(
            state,
            NoticeLevel::Warn,
            "select a service to see its deploys",
        );
        return vec![];
    };
    if state.service(&service).is_none() {
        notice(
            state,
            NoticeLevel::Error,
            format!("unknown service {service}"),
        );
        return vec![];
    }
    let has_recipe = state.deployable.iter().any(|d| *d == service.to_string());
    state.screen = Screen::Deploys(service.clone());
    if has_recipe {
        vec![Effect::ReadLock { service }]
    } else {
        vec![]
    }
}

/// Deploys and rollbacks for the history; an event already known (same start) is replaced.
pub(super) fn recorded(state: &mut State, events: Vec<crate::action::deploys::DeployEvent>) {
    for e in events {
        state
            .deploy_history
            .retain(|k| !(k.service == e.service && k.at == e.at));
        state.deploy_history.push(e);
    }
    state.deploy_history.sort_by_key(|e| e.at);
}

/// The service whose versions the palette input `:deploy HOST/SERVICE …` needs and the
/// console does not have (nor is fetching).
pub(super) fn versions_wanted(state: &State, input: &str) -> Option<ServiceId> {
    let rest = input.trim_start().strip_prefix("deploy ")?;
    let (target, _) = rest.split_once(' ')?;
    let service = ServiceId::parse(target)?;
    (state.deployable.iter().any(|d| d == target) && !state.versions.contains_key(&service))
        .then_some(service)
}

/// `:scale HOST/SERVICE N`.
pub(super) fn scale(state: &mut State, config: &Config, arg: &str) {
    let mut words = arg.split_whitespace();
    let (Some(service), Some(n)) = (
        words.next().and_then(ServiceId::parse),
        words.next().and_then(|n| n.parse::<u32>().ok()),
    ) else {
        notice(state, NoticeLevel::Error, "usage: :scale HOST/SERVICE N");
        return;
    };
    match state.dispatcher.plan_scale(config, &service, n) {
        Ok(plan) => state.mode = Mode::Action(Box::new(ActionView::new(plan))),
        Err(refusal) => notice(
            state,
            NoticeLevel::Error,
            format!("cannot scale {service}: {refusal}"),
        ),
    }
}
