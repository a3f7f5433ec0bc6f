//! The reducer: `Msg` in, state changed, `Effect`s out. No I/O, no clock, no runtime.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::effect::Effect;
use super::state::{
    ActionPhase, ActionView, LogView, Mode, Notice, NoticeLevel, QueryKind, QuitReason, Row,
    Screen, SmokeRun, State,
};
use super::update::Update;
use crate::action::dispatcher::Answer;
use crate::action::{ActionKind, ActionOutcome, Confirmation, Refusal};
use crate::config::Config;
use crate::model::{HostStatus, ServiceId, Verdict};
use crate::ui::layout;

/// How long a notice stays in the status line.
const NOTICE_SECS: i64 = 6;

#[derive(Debug, Clone)]
pub enum Msg {
    Action(Action),
    /// Text typed into the active input (filter, palette, typed confirmation).
    Input(TextInput),
    Click {
        column: u16,
        row: u16,
    },
    Scroll(i32),
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Update(Update),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextInput {
    Char(char),
    Backspace,
    Submit,
    Cancel,
}

pub fn update(state: &mut State, config: &Config, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(a) => on_action(state, config, a),
        Msg::Input(i) => on_input(state, config, i),
        Msg::Click { column, row } => {
            on_click(state, column, row);
            vec![]
        }
        Msg::Scroll(n) if state.screen == Screen::Logs => {
            let action = if n < 0 { Action::Up } else { Action::Down };
            for _ in 0..n.unsigned_abs() {
                on_log_action(state, action);
            }
            vec![]
        }
        Msg::Scroll(n) => {
            move_selection(state, n as i64);
            vec![]
        }
        Msg::Resize(w, h) => {
            state.size = (w, h);
            keep_selection_visible(state);
            vec![]
        }
        Msg::Tick(now) => {
            state.now = now;
            if state
                .notice
                .as_ref()
                .is_some_and(|n| (now - n.at).num_seconds() >= NOTICE_SECS)
            {
                state.notice = None;
            }
            vec![]
        }
        Msg::Update(u) => on_update(state, u),
    }
}

fn notice(state: &mut State, level: NoticeLevel, text: impl Into<String>) {
    state.notice = Some(Notice {
        level,
        text: text.into(),
        at: state.now,
    });
}

fn on_action(state: &mut State, config: &Config, action: Action) -> Vec<Effect> {
    if state.screen == Screen::Logs
        && matches!(state.mode, Mode::Normal)
        && let Some(effects) = on_log_action(state, action)
    {
        return effects;
    }
    match action {
        Action::Quit => {
            // Quitting ends running actions mid-way; ask once more.
            let running = state.dispatcher.busy_services();
            if running.is_empty() || state.quit_armed {
                state.quit = Some(QuitReason::Requested);
            } else {
                state.quit_armed = true;
                let names: Vec<String> = running.iter().map(ToString::to_string).collect();
                notice(
                    state,
                    NoticeLevel::Warn,
                    format!("{} still running: quit again to stop it", names.join(", ")),
                );
            }
        }
        Action::Back => match (&state.mode, &state.screen) {
            (Mode::Normal, Screen::Host(_)) => state.screen = Screen::Fleet,
            (Mode::Normal, Screen::Fleet) if !state.filter.is_empty() => {
                state.filter.clear();
                clamp_selection(state);
            }
            (Mode::Normal, Screen::Fleet) => state.notice = None,
            _ => state.mode = Mode::Normal,
        },
        Action::Up => move_selection(state, -1),
        Action::Down => move_selection(state, 1),
        Action::PageUp => move_selection(state, -(page(state) as i64)),
        Action::PageDown => move_selection(state, page(state) as i64),
        Action::Top => move_selection(state, i64::MIN / 2),
        Action::Bottom => move_selection(state, i64::MAX / 2),
        Action::Open => open_selected(state),
        Action::OpenLogs => return open_logs(state, config),
        // Keys of the log screen; elsewhere they do nothing.
        Action::LogFilter
        | Action::NextMatch
        | Action::PrevMatch
        | Action::MoreContext
        | Action::LessContext
        | Action::SaveLog => {}
        Action::ToggleExpand => {
            if let Some(id) = state
                .selected_service()
                .filter(|s| s.group.is_some())
                .map(|s| s.id.clone())
            {
                if !state.expanded.remove(&id) {
                    state.expanded.insert(id);
                }
                clamp_selection(state);
            }
        }
        Action::Help => state.mode = Mode::Help,
        Action::Filter => {
            state.mode = Mode::Filter {
                input: state.filter.clone(),
            }
        }
        Action::Palette => {
            state.mode = Mode::Palette {
                input: String::new(),
            }
        }
        Action::RestartService => request(state, config, ActionKind::Restart, None),
        Action::StopService => request(state, config, ActionKind::Stop, None),
        Action::StartService => request(state, config, ActionKind::Start, None),
        Action::Refresh => {
            notice(state, NoticeLevel::Info, "refreshing…");
            return vec![Effect::RefreshNow];
        }
        Action::CycleTheme => {
            state.theme = (state.theme + 1) % state.themes.len().max(1);
            notice(
                state,
                NoticeLevel::Info,
                format!("theme {}", state.theme_name()),
            );
        }
    }
    vec![]
}

/// Asks the dispatcher for a plan and opens the confirmation popup, or says why not.
fn request(state: &mut State, config: &Config, kind: ActionKind, target: Option<ServiceId>) {
    let Some(service) = target.or_else(|| state.selected_service().map(|s| s.id.clone())) else {
        notice(
            state,
            NoticeLevel::Warn,
            format!("select a service to {kind}"),
        );
        return;
    };
    let containers = state
        .hosts
        .iter()
        .find(|h| h.id == service.host)
        .and_then(|h| h.services.iter().find(|s| s.id == service))
        .map(|s| crate::app::containers::container_names(state, &service.host, s))
        .unwrap_or_default();
    match state.dispatcher.plan(config, kind, &service, &containers) {
        Ok(plan) => state.mode = Mode::Action(Box::new(ActionView::new(plan))),
        Err(refusal) => notice(
            state,
            NoticeLevel::Error,
            format!("cannot {kind} {service}: {refusal}"),
        ),
    }
}

fn on_input(state: &mut State, config: &Config, input: TextInput) -> Vec<Effect> {
    match std::mem::replace(&mut state.mode, Mode::Normal) {
        Mode::Filter { input: mut text } => match input {
            TextInput::Submit => clamp_selection(state),
            TextInput::Cancel => {
                state.filter.clear();
                clamp_selection(state);
            }
            edit => {
                edit_text(&mut text, &edit);
                // The table follows the filter while it is typed.
                state.filter = text.clone();
                state.selected = 0;
                state.offset = 0;
                state.mode = Mode::Filter { input: text };
            }
        },
        Mode::Palette { input: mut text } => match input {
            TextInput::Submit => return run_command(state, config, text.trim()),
            TextInput::Cancel => {}
            edit => {
                edit_text(&mut text, &edit);
                state.mode = Mode::Palette { input: text };
            }
        },
        Mode::Help | Mode::Smoke | Mode::LogLine { .. } => {}
        Mode::LogQuery {
            kind,
            input: mut text,
            ..
        } => {
            let Some(view) = state.logs.as_mut() else {
                return vec![];
            };
            let apply = |view: &mut LogView, raw: &str| match kind {
                QueryKind::Search => view.set_search(raw),
                QueryKind::Filter => view.set_filter(raw),
            };
            match input {
                // An invalid pattern stays open with its error; a valid one is kept.
                TextInput::Submit => {
                    if let Err(e) = apply(view, &text) {
                        state.mode = Mode::LogQuery {
                            kind,
                            input: text,
                            error: Some(e),
                        };
                    }
                }
                TextInput::Cancel => {
                    let _ = apply(view, "");
                }
                edit => {
                    edit_text(&mut text, &edit);
                    // Applied as typed; while the pattern does not compile the last good one stays.
                    let error = apply(view, &text).err();
                    state.mode = Mode::LogQuery {
                        kind,
                        input: text,
                        error,
                    };
                }
            }
        }
        Mode::Action(view) => return on_action_input(state, config, view, input),
        Mode::Normal => {}
    }
    vec![]
}

fn edit_text(text: &mut String, edit: &TextInput) {
    match edit {
        TextInput::Char(c) => text.push(*c),
        TextInput::Backspace => {
            text.pop();
        }
        TextInput::Submit | TextInput::Cancel => {}
    }
}

fn on_action_input(
    state: &mut State,
    config: &Config,
    mut view: Box<ActionView>,
    input: TextInput,
) -> Vec<Effect> {
    if view.phase != ActionPhase::Confirm {
        // Running or done: any of these closes the popup; a running action goes on.
        if !matches!(
            input,
            TextInput::Submit | TextInput::Cancel | TextInput::Char('q')
        ) {
            state.mode = Mode::Action(view);
        }
        return vec![];
    }
    let answer = match (&view.plan.confirmation, &input) {
        (_, TextInput::Cancel) => Answer::No,
        (Confirmation::YesNo, TextInput::Char('y' | 'Y')) => Answer::Yes,
        (Confirmation::YesNo, TextInput::Char('n' | 'N')) => Answer::No,
        (Confirmation::YesNo, _) => {
            state.mode = Mode::Action(view);
            return vec![];
        }
        (Confirmation::TypeName(_), TextInput::Submit) => Answer::Typed(&view.typed),
        (Confirmation::TypeName(_), edit) => {
            edit_text(&mut view.typed, edit);
            view.error = None;
            state.mode = Mode::Action(view);
            return vec![];
        }
    };
    let plan = view.plan.clone();
    match state.dispatcher.confirm(config, plan, answer) {
        Ok(authorized) => {
            view.phase = ActionPhase::Running;
            view.error = None;
            state.mode = Mode::Action(view);
            vec![Effect::Execute(authorized)]
        }
        Err(Refusal::Cancelled) => {
            notice(
                state,
                NoticeLevel::Info,
                format!("{} cancelled", view.plan.title()),
            );
            vec![]
        }
        Err(e @ Refusal::ConfirmationMismatch { .. }) => {
            view.error = Some(e.to_string());
            view.typed.clear();
            state.mode = Mode::Action(view);
            vec![]
        }
        Err(e) => {
            notice(
                state,
                NoticeLevel::Error,
                format!("cannot {}: {e}", view.plan.title()),
            );
            vec![]
        }
    }
}

const PALETTE_HELP: &str = "host NAME, filter TEXT, theme NAME, restart|stop|start HOST/SERVICE, \
     smoke SUITE, refresh, help, quit";

fn run_command(state: &mut State, config: &Config, line: &str) -> Vec<Effect> {
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
                state.screen = Screen::Host(i);
                if let Some(row) = state.rows().iter().position(|r| *r == Row::Host(i)) {
                    state.selected = row;
                    keep_selection_visible(state);
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
        ("trust", name) => match state.hosts.iter_mut().find(|h| h.id.as_str() == name) {
            Some(h) => match h.pending_key.take() {
                Some(key) => {
                    let host = h.id.clone();
                    notice(
                        state,
                        NoticeLevel::Info,
                        format!("trusting {host} ({}); reconnecting", key.fingerprint),
                    );
                    return vec![Effect::TrustHostKey {
                        host,
                        key_lines: key.key_lines,
                    }];
                }
                None => notice(
                    state,
                    NoticeLevel::Error,
                    format!("no unknown host key is waiting for {name}"),
                ),
            },
            None => notice(state, NoticeLevel::Error, format!("unknown host `{name}`")),
        },
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

fn on_update(state: &mut State, update: Update) -> Vec<Effect> {
    match update {
        Update::HostSampled { host, sample } => {
            if let Some(h) = state.hosts.iter_mut().find(|h| h.id == host) {
                h.status = HostStatus::Up;
                h.pending_key = None;
                if let Some(cpu) = sample.cpu_total {
                    h.cpu_history.push(cpu.round() as u64);
                }
                h.mem_history.push(sample.mem_percent().round() as u64);
                h.load_history.push((sample.load[0] * 100.0).round() as u64);
                h.last_sample = Some(sample);
            }
        }
        Update::HostUnreachable { host, reason } => {
            let now = state.now;
            if let Some(h) = state.hosts.iter_mut().find(|h| h.id == host) {
                let since = match &h.status {
                    HostStatus::Unreachable { since, .. } => *since,
                    _ => now,
                };
                h.status = HostStatus::Unreachable { since, reason };
            }
        }
        Update::HostKeyUnknown {
            host,
            fingerprint,
            key_lines,
        } => {
            if let Some(h) = state.hosts.iter_mut().find(|h| h.id == host) {
                h.pending_key = Some(crate::app::state::PendingKey {
                    fingerprint,
                    key_lines,
                });
            }
        }
        Update::ServiceObserved {
            service,
            observation,
        } => {
            if let Some(s) = state
                .hosts
                .iter_mut()
                .filter(|h| h.id == service.host)
                .flat_map(|h| h.services.iter_mut())
                .find(|s| s.id == service)
            {
                s.observation = Some(observation);
            }
        }
        Update::ContainersListed { host, containers } => {
            crate::app::containers::apply_list(state, &host, containers)
        }
        Update::ContainerStats { host, id, sample } => {
            crate::app::containers::apply_stats(state, &host, id, sample)
        }
        Update::DockerGap { host, reason } => {
            crate::app::containers::apply_gap(state, &host, reason)
        }
        Update::LogLines {
            service,
            source,
            lines,
        } => {
            if let Some(view) = state
                .logs
                .as_mut()
                .filter(|v| v.service == service && v.source == source)
            {
                view.gap = None;
                view.push(lines);
            }
        }
        Update::LogSaved { result } => match result {
            Ok((path, lines)) => notice(
                state,
                NoticeLevel::Info,
                format!("saved {lines} lines to {}", path.display()),
            ),
            Err(e) => notice(
                state,
                NoticeLevel::Error,
                format!("could not save the log view: {e}"),
            ),
        },
        Update::LogGap {
            service,
            source,
            reason,
        } => {
            if let Some(view) = state
                .logs
                .as_mut()
                .filter(|v| v.service == service && v.source == source)
            {
                view.gap = Some(reason);
            }
        }
        Update::ActionOutput { action_id, line } => {
            if let Mode::Action(view) = &mut state.mode
                && view.plan.id == action_id
            {
                view.output.push(line);
            }
        }
        Update::ActionFinished {
            action_id,
            service,
            outcome,
        } => {
            state.dispatcher.finished(&service);
            let (level, verb) = match &outcome {
                ActionOutcome::Succeeded { .. } => (NoticeLevel::Info, "✔"),
                _ => (NoticeLevel::Error, "✘"),
            };
            let text = match &state.mode {
                Mode::Action(v) if v.plan.id == action_id => {
                    format!("{verb} {}: {}", v.plan.title(), outcome.summary())
                }
                _ => format!("{verb} action on {service}: {}", outcome.summary()),
            };
            notice(state, level, text);
            if let Mode::Action(view) = &mut state.mode
                && view.plan.id == action_id
            {
                view.phase = ActionPhase::Done;
                view.outcome = Some(outcome);
            }
            return vec![Effect::RefreshNow];
        }
        Update::CheckResult { check, result } => {
            if let Some(run) = state
                .smoke
                .as_mut()
                .filter(|r| !r.finished && r.checks.contains(&check))
            {
                run.results.retain(|(id, _)| *id != check);
                run.results.push((check.clone(), result.clone()));
            }
            if let Some(c) = state.check_mut(&check) {
                c.record(result);
            }
        }
        Update::SuiteFinished { suite, results } => {
            let total = results.len();
            let count = |v: Verdict| results.iter().filter(|(_, r)| r.verdict == v).count();
            let (passed, warned, failed, errors) = (
                count(Verdict::Pass),
                count(Verdict::Warn),
                count(Verdict::Fail),
                count(Verdict::Error),
            );
            let ok = failed + errors == 0;
            let text = format!(
                "{} smoke {suite}: {}/{total} passed{}{}{}",
                if ok { "✔" } else { "✘" },
                passed + warned,
                if warned > 0 {
                    format!(", {warned} warned")
                } else {
                    String::new()
                },
                if failed > 0 {
                    format!(", {failed} failed")
                } else {
                    String::new()
                },
                if errors > 0 {
                    format!(", {errors} errors")
                } else {
                    String::new()
                },
            );
            if let Some(run) = state.smoke.as_mut().filter(|r| r.suite == suite) {
                run.results = results;
                run.finished = true;
            }
            notice(
                state,
                if ok {
                    NoticeLevel::Info
                } else {
                    NoticeLevel::Error
                },
                text,
            );
        }
        Update::TaskPanicked { task, message } => {
            state.quit = Some(QuitReason::Error(format!(
                "background task `{task}` panicked: {message}"
            )));
        }
    }
    vec![]
}

/// Keys on the log screen: scrolling pauses, the bottom follows, back stops the stream.
fn on_log_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let page = layout::fleet_visible_rows(state.size).max(1);
    let view = state.logs.as_mut()?;
    let max = view.visible_len().saturating_sub(1);
    let scroll_to = |view: &mut LogView, to: usize| {
        view.scroll = to.min(max);
        if view.scroll == 0 {
            view.unseen = 0;
        }
    };
    match action {
        Action::Back => {
            state.logs = None;
            state.screen = Screen::Fleet;
            return Some(vec![Effect::StopLogs]);
        }
        Action::Up => scroll_to(view, view.scroll + 1),
        Action::Down => scroll_to(view, view.scroll.saturating_sub(1)),
        Action::PageUp => scroll_to(view, view.scroll + page),
        Action::PageDown => scroll_to(view, view.scroll.saturating_sub(page)),
        Action::Top => scroll_to(view, max),
        Action::Bottom => scroll_to(view, 0),
        Action::Filter => {
            let input = view
                .search
                .as_ref()
                .map(|q| q.raw.clone())
                .unwrap_or_default();
            state.mode = Mode::LogQuery {
                kind: QueryKind::Search,
                input,
                error: None,
            };
        }
        Action::LogFilter => {
            let input = view
                .filter
                .as_ref()
                .map(|q| q.raw.clone())
                .unwrap_or_default();
            state.mode = Mode::LogQuery {
                kind: QueryKind::Filter,
                input,
                error: None,
            };
        }
        Action::NextMatch | Action::PrevMatch => {
            if view.search.is_none() {
                notice(state, NoticeLevel::Warn, "no search: press / first");
            } else if !view.jump(action == Action::NextMatch) {
                notice(state, NoticeLevel::Info, "no more matches");
            }
        }
        Action::MoreContext | Action::LessContext => {
            let n = if action == Action::MoreContext {
                view.context + 1
            } else {
                view.context.saturating_sub(1)
            };
            view.set_context(n);
            notice(
                state,
                NoticeLevel::Info,
                format!("{n} lines of context around filter matches"),
            );
        }
        Action::SaveLog => {
            let name = format!("{}-{}", view.service, view.source).replace('/', "_");
            return Some(vec![Effect::SaveLog {
                name,
                text: view.export(),
            }]);
        }
        Action::Open => {
            if let Some(seq) = view.cursor() {
                state.mode = Mode::LogLine { seq };
            }
        }
        _ => return None,
    }
    Some(vec![])
}

/// Opens the log screen on the selected service's first log source.
fn open_logs(state: &mut State, config: &Config) -> Vec<Effect> {
    use crate::collect::logs::LogSpec;
    use crate::config::schema::{LogKind, ServiceKind, TransportKind};
    let Some(service) = state.selected_service().map(|s| s.id.clone()) else {
        notice(
            state,
            NoticeLevel::Warn,
            "select a service to follow its logs",
        );
        return vec![];
    };
    let Some((host, svc)) = config.find_service(&service) else {
        return vec![];
    };
    // The first configured source; containers' own logs when none is configured.
    let docker_names = || {
        let svc_state = state
            .hosts
            .iter()
            .flat_map(|h| &h.services)
            .find(|s| s.id == service);
        svc_state
            .map(|s| crate::app::containers::container_names(state, &service.host, s))
            .unwrap_or_default()
    };
    let (name, spec, tail) = match svc.logs.first() {
        Some(l) => {
            let spec = match l.kind {
                LogKind::Journald => {
                    let unit = l
                        .unit
                        .as_ref()
                        .or(svc.unit.as_ref())
                        .map(|u| u.get_ref().clone())
                        .unwrap_or_default();
                    LogSpec::Journald { unit }
                }
                LogKind::File => LogSpec::File {
                    path: l
                        .path
                        .as_ref()
                        .map(|p| p.get_ref().clone())
                        .unwrap_or_default(),
                },
                LogKind::Docker => match &l.container {
                    Some(c) => LogSpec::Docker {
                        containers: vec![c.get_ref().clone()],
                    },
                    None => LogSpec::Docker {
                        containers: docker_names(),
                    },
                },
            };
            (l.name.get_ref().clone(), spec, l.tail.unwrap_or(200))
        }
        None if svc.kind == ServiceKind::Systemd => {
            let unit = svc
                .unit
                .as_ref()
                .map(|u| u.get_ref().clone())
                .unwrap_or_default();
            ("journal".to_owned(), LogSpec::Journald { unit }, 200)
        }
        None if matches!(svc.kind, ServiceKind::Compose | ServiceKind::Container) => (
            "containers".to_owned(),
            LogSpec::Docker {
                containers: docker_names(),
            },
            200,
        ),
        None => {
            notice(
                state,
                NoticeLevel::Warn,
                format!("{service} has no log source in the config"),
            );
            return vec![];
        }
    };
    if matches!(&spec, LogSpec::Docker { containers } if containers.is_empty()) {
        notice(
            state,
            NoticeLevel::Warn,
            format!("no containers of {service} are known yet"),
        );
        return vec![];
    }
    let target = match host.transport {
        TransportKind::Local => crate::transport::Target::Local,
        TransportKind::Ssh => crate::transport::Target::Ssh(service.host.clone()),
        TransportKind::Http => {
            notice(
                state,
                NoticeLevel::Warn,
                format!("{} is http-only: no logs to read", service.host),
            );
            return vec![];
        }
    };
    state.logs = Some(LogView::new(
        service.clone(),
        name.clone(),
        config.file.settings.log_buffer_lines,
    ));
    state.screen = Screen::Logs;
    vec![Effect::FollowLogs {
        service,
        source: name,
        spec,
        target,
        tail,
    }]
}

fn open_selected(state: &mut State) {
    if let Some(row) = state.selected_row() {
        let (Row::Host(h) | Row::Service(h, _) | Row::Replica(h, ..) | Row::Discovered(h, _)) = row;
        state.screen = Screen::Host(h);
    }
}

fn page(state: &State) -> usize {
    layout::fleet_visible_rows(state.size).max(1)
}

fn move_selection(state: &mut State, delta: i64) {
    if let Screen::Host(h) = state.screen {
        // In a host's detail, up/down walk the hosts.
        let n = state.hosts.len() as i64;
        if n > 0 {
            state.screen = Screen::Host((h as i64 + delta.signum()).clamp(0, n - 1) as usize);
        }
        return;
    }
    let n = state.rows().len() as i64;
    state.selected = (state.selected as i64 + delta).clamp(0, (n - 1).max(0)) as usize;
    keep_selection_visible(state);
}

fn clamp_selection(state: &mut State) {
    let n = state.rows().len();
    state.selected = state.selected.min(n.saturating_sub(1));
    keep_selection_visible(state);
}

fn keep_selection_visible(state: &mut State) {
    let visible = layout::fleet_visible_rows(state.size).max(1);
    if state.selected < state.offset {
        state.offset = state.selected;
    } else if state.selected >= state.offset + visible {
        state.offset = state.selected + 1 - visible;
    }
    let n = state.rows().len();
    state.offset = state.offset.min(n.saturating_sub(visible));
}

fn on_click(state: &mut State, column: u16, row: u16) {
    if !matches!(state.mode, Mode::Normal) || state.screen != Screen::Fleet {
        return;
    }
    let Some(index) = layout::fleet_row_at(state.size, column, row) else {
        return;
    };
    let target = state.offset + index;
    if target < state.rows().len() {
        if target == state.selected {
            open_selected(state);
        } else {
            state.selected = target;
        }
    }
}

#[cfg(test)]
#[path = "reducer_tests.rs"]
mod tests;
