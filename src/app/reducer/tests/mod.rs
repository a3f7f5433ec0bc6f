//! Reducer tests: messages in, state and effects out; no runtime, no sleeps.

use super::*;
use crate::action::ActionKind;
use crate::app::state::{ActionPhase, Mode, Row, Screen};
use crate::fixture;
use crate::model::{HostId, HostStatus, RunState};

pub(super) fn setup() -> (Config, State) {
    let config = fixture::config();
    let state = fixture::state(&config, (120, 40));
    (config, state)
}

pub(super) fn select(state: &mut State, host: &str, service: &str) {
    let rows = state.rows();
    state.selected = rows
        .iter()
        .position(|r| match *r {
            Row::Service(h, s) => {
                state.hosts[h].id.as_str() == host
                    && &*state.hosts[h].services[s].id.name == service
            }
            _ => false,
        })
        .expect("service row");
}

pub(super) fn act(state: &mut State, config: &Config, a: Action) -> Vec<Effect> {
    update(state, config, Msg::Action(a))
}

pub(super) fn type_text(state: &mut State, config: &Config, text: &str) -> Vec<Effect> {
    let mut effects = vec![];
    for c in text.chars() {
        effects.extend(update(state, config, Msg::Input(TextInput::Char(c))));
    }
    effects
}

mod actions;
mod alerts;
mod backups;
mod fleet_view;
mod login;
mod logs;
mod navigation;
mod updates;
