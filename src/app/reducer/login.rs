//! Hosts logged in in the terminal: one whose master is lost or whose login failed is
//! marked "needs login" instead of retrying what cannot work, and `I` on its row (or
//! `:login HOST`) asks the console to suspend itself and run OpenSSH's prompts.

use super::*;
use crate::model::HostId;

/// A host lost (`needs_login`: and waiting for a login) with `reason`; a host that was
/// reachable until now goes in the audit log.
pub(super) fn unreachable(
    state: &mut State,
    host: &HostId,
    reason: String,
    needs_login: bool,
) -> Vec<Effect> {
    let now = state.now;
    let Some(h) = state.host_mut(host) else {
        return vec![];
    };
    let (since, newly) = match &h.status {
        HostStatus::Unreachable { since, .. } => (*since, false),
        _ => (now, true),
    };
    let effect = newly.then(|| super::transitions::host(host, Some(&reason), now, None));
    h.status = HostStatus::Unreachable { since, reason };
    h.needs_login = needs_login;
    effect.into_iter().collect()
}

/// `I` (no name: the host of the selected row, or of the open host detail) or
/// `:login HOST`: a host that needs a login gets one.
pub(super) fn request(state: &mut State, name: Option<&str>) -> Vec<Effect> {
    let host = match name.filter(|n| !n.is_empty()) {
        Some(n) => HostId::new(n),
        None => match selected_host(state) {
            Some(h) => h,
            None => {
                notice(state, NoticeLevel::Warn, "select a host to log in to");
                return vec![];
            }
        },
    };
    let Some(h) = state.host(&host) else {
        notice(state, NoticeLevel::Error, format!("unknown host `{host}`"));
        return vec![];
    };
    if h.needs_login {
        notice(
            state,
            NoticeLevel::Info,
            format!("logging in to {host} in the terminal…"),
        );
        return vec![Effect::Login { host }];
    }
    let why = match &h.status {
        HostStatus::Up => format!("{host} is connected: no login needed"),
        HostStatus::Unreachable { reason, .. } => {
            format!("{host} does not wait for a login (unreachable: {reason})")
        }
        _ => format!("{host} does not wait for a login"),
    };
    notice(state, NoticeLevel::Warn, why);
    vec![]
}

fn selected_host(state: &State) -> Option<HostId> {
    let index = match &state.screen {
        Screen::Host(i) => *i,
        _ => state.selected_row()?.host()?,
    };
    state.hosts.get(index).map(|h| h.id.clone())
}
