//! The `:` palette: commands typed by the operator, and smoke suites started from it.

use super::*;

const PALETTE_HELP: &str = "host NAME, filter TEXT, theme NAME, restart|stop|start HOST/SERVICE, \
     deploy HOST/SERVICE VERSION, rollback HOST/SERVICE, deploys HOST/SERVICE, scale HOST/SERVICE N, note TEXT, runbook NAME [VAR=VALUE…], runbook close, timeline [SINCE], login HOST, alerts, smoke SUITE, since|until TIME, grep PATTERN, live, refresh, help, quit";

pub(super) fn run_command(state: &mut State, config: &Config, line: &str) -> Vec<Effect> {
    let (cmd, arg) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(c, a)| (c, a.trim()));
    match (cmd, arg) {
        ("", _) => {}
        ("q" | "quit", _) => state.quit = Some(QuitReason::Requested),
        ("help", _) => state.mode = Mode::Help,
        ("refresh", _) => return vec![Effect::RefreshNow],
        ("smoke", name) => return start_smoke(state, config, name),
        ("filter", text) => {
            state.filter = text.to_owned();
            clamp_selection(state);
        }
        ("host", name) => match state.hosts.iter().position(|h| h.id.as_str() == name) {
            Some(i) => {
                // Leaving the log screen ends its streams, as Back does.
                let was_logs = matches!(state.screen, Screen::Logs(_));
                state.screen = Screen::Host(i);
                if let Some(row) = state.rows().iter().position(|r| *r == Row::Host(i)) {
                    state.selected = row;
                    keep_selection_visible(state);
                }
                if was_logs {
                    return vec![Effect::StopLogs];
                }
            }
            None => {
                let names: Vec<&str> = state.hosts.iter().map(|h| h.id.as_str()).collect();
                notice(
                    state,
                    NoticeLevel::Error,
                    format!("unknown host `{name}` (hosts: {})", names.join(", ")),
                );
            }
        },
        ("trust", name) => {
            let host = crate::model::HostId::new(name);
            let pending = state.host(&host).map(|h| h.pending_key.clone());
            match pending {
                // The plan binds to the fingerprint shown: that key and no other is trusted.
                Some(Some(key)) => {
                    match state.dispatcher.plan_trust(
                        config,
                        &host,
                        &key.fingerprint,
                        &key.key_lines,
                    ) {
                        Ok(plan) => state.mode = Mode::Action(Box::new(ActionView::new(plan))),
                        Err(refusal) => notice(
                            state,
                            NoticeLevel::Error,
                            format!("cannot trust {host}: {refusal}"),
                        ),
                    }
                }
                Some(None) => notice(
                    state,
                    NoticeLevel::Error,
                    format!("no unknown host key is waiting for {name}"),
                ),
                None => notice(state, NoticeLevel::Error, format!("unknown host `{name}`")),
            }
        }
        ("login", name) => return super::login::request(state, Some(name)),
        ("since" | "until" | "grep" | "live", arg) => {
            return super::log_sources::narrow_logs(state, cmd, arg);
        }
        ("theme", name) => match state.themes.iter().position(|t| t == name) {
            Some(i) => {
                state.theme = i;
                notice(state, NoticeLevel::Info, format!("theme {name}"));
            }
            None => {
                let msg = format!(
                    "unknown theme `{name}` (themes: {})",
                    state.themes.join(", ")
                );
                notice(state, NoticeLevel::Error, msg);
            }
        },
        ("deploy" | "rollback", arg) => super::deploys::request(state, config, cmd, arg),
        ("deploys", target) => {
            return super::deploys::open_history(state, ServiceId::parse(target));
        }
        ("runbook", arg) => return super::runbook::open(state, arg),
        ("timeline", since) => return super::timeline::open_timeline(state, since),
        ("alerts", _) => super::alerts::open_alerts(state),
        ("scale", arg) => super::deploys::scale(state, config, arg),
        ("note", "") => notice(state, NoticeLevel::Error, "usage: :note TEXT"),
        ("note", text) => {
            if let Some(effects) = super::runbook::note(state, text) {
                return effects;
            }
            return vec![Effect::Note {
                text: text.to_owned(),
            }];
        }
        ("restart" | "stop" | "start", target) => {
            let kind = match cmd {
                "restart" => ActionKind::Restart,
                "stop" => ActionKind::Stop,
                _ => ActionKind::Start,
            };
            match target.split_once('/') {
                Some((h, s)) if !s.contains('/') => {
                    let host = crate::model::HostId::new(h);
                    request(state, config, kind, Some(ServiceId::new(&host, s)));
                }
                _ => notice(
                    state,
                    NoticeLevel::Error,
                    format!("usage: :{cmd} HOST/SERVICE"),
                ),
            }
        }
        (other, _) => notice(
            state,
            NoticeLevel::Error,
            format!("unknown command `{other}` (try: {PALETTE_HELP})"),
        ),
    }
    vec![]
}

/// `:smoke NAME`: runs the suite once and shows its results as they arrive.
fn start_smoke(state: &mut State, config: &Config, name: &str) -> Vec<Effect> {
    let known: Vec<&str> = config
        .file
        .suites
        .iter()
        .map(|s| s.name.get_ref().as_str())
        .collect();
    let Some(suite) = config.file.suites.iter().find(|s| s.name.get_ref() == name) else {
        let text = if name.is_empty() {
            format!("usage: :smoke SUITE (suites: {})", known.join(", "))
        } else {
            format!("unknown suite `{name}` (suites: {})", known.join(", "))
        };
        notice(state, NoticeLevel::Error, text);
        return vec![];
    };
    if state.smoke.as_ref().is_some_and(|s| !s.finished) {
        notice(
            state,
            NoticeLevel::Warn,
            "a smoke suite is already running; wait for it to finish",
        );
        state.mode = Mode::Smoke;
        return vec![];
    }
    state.smoke = Some(SmokeRun {
        suite: name.to_owned(),
        checks: suite
            .checks
            .iter()
            .filter_map(|r| crate::model::CheckId::parse(r.get_ref()))
            .collect(),
        results: vec![],
        finished: false,
    });
    state.mode = Mode::Smoke;
    notice(state, NoticeLevel::Info, format!("smoke {name}: running…"));
    vec![Effect::RunSuite {
        suite: name.to_owned(),
    }]
}

/// The palette after an edit: the input and what it can become.
pub(super) fn typed(state: &State, input: String) -> Mode {
    Mode::Palette {
        candidates: crate::app::palette::complete(state, &input),
        input,
        selected: None,
    }
}

/// Tab: take the only candidate or the prefix all share; when that adds nothing, step
/// through the candidates (shift-tab backwards), putting the chosen one in the input.
pub(super) fn tab(
    state: &State,
    input: String,
    candidates: Vec<crate::app::palette::Candidate>,
    selected: Option<usize>,
    back: bool,
) -> Mode {
    if selected.is_none()
        && let Some(longer) = crate::app::palette::extend(&input, &candidates)
    {
        return typed(state, longer);
    }
    let n = candidates.len();
    if n == 0 {
        return Mode::Palette {
            input,
            candidates,
            selected,
        };
    }
    let next = match (selected, back) {
        (None, false) => 0,
        (None, true) => n - 1,
        (Some(i), false) => (i + 1) % n,
        (Some(i), true) => (i + n - 1) % n,
    };
    Mode::Palette {
        input: candidates[next].line.clone(),
        candidates,
        selected: Some(next),
    }
}
