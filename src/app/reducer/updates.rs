//! Facts from collectors and actions applied to the state.

use super::*;

pub(super) fn on_update(state: &mut State, config: &Config, update: Update) -> Vec<Effect> {
    match update {
        Update::RunbookOpened(result) => return super::runbook::opened(state, result),
        Update::RunbookOutput { run_id, step, line } => {
            super::runbook::output(state, &run_id, step, line)
        }
        Update::RunbookStepDone {
            run_id,
            step,
            result,
        } => return super::runbook::step_done(state, &run_id, step, result),
        Update::RunbookPrepared {
            run_id,
            step,
            result,
        } => return super::runbook::prepared(state, config, &run_id, step, result),
        Update::RunbookNotSaved { run_id, error } => {
            if let Some(p) = state
                .runbook
                .as_mut()
                .filter(|p| p.run_id() == Some(&run_id))
            {
                p.error = Some(error.clone());
            }
            notice(
                state,
                NoticeLevel::Error,
                format!("runbook run {run_id}: {error}"),
            );
        }
        Update::TimelineLoaded(loaded) => super::timeline::timeline_loaded(state, loaded),
        Update::Alerts(u) => super::alerts::on_alerts_update(state, u),
        Update::BackupsListed { set, result } => super::backups::listed(state, &set, result),
        Update::DrillRecorded(record) => super::backups::drilled(state, record),
        Update::DeploysRecorded(events) => super::deploys::recorded(state, events),
        Update::Noted { result } => match result {
            Ok(()) => notice(
                state,
                NoticeLevel::Info,
                "noted in the audit log (opsdeck timeline shows it)",
            ),
            Err(e) => notice(
                state,
                NoticeLevel::Error,
                format!("the note was not written: {e}"),
            ),
        },
        Update::LockRead { service, holder } => {
            state.locks.insert(service, holder);
        }
        Update::VersionsListed { service, result } => {
            state.versions.insert(service, result);
            // The palette waiting for them shows them now.
            if let Mode::Palette { input, .. } = &state.mode {
                let input = input.clone();
                state.mode = super::palette::typed(state, input);
            }
        }
        Update::HostSampled { host, sample } => {
            let now = state.now;
            let mut effects = vec![];
            if let Some(h) = state.host_mut(&host) {
                if let HostStatus::Unreachable { since, .. } = &h.status {
                    effects.push(super::transitions::host(&host, None, now, Some(*since)));
                }
                h.status = HostStatus::Up;
                h.pending_key = None;
                h.needs_login = false;
                if let Some(cpu) = sample.cpu_total {
                    h.cpu_history.push(cpu.round() as u64);
                }
                h.mem_history.push(sample.mem_percent().round() as u64);
                h.load_history.push((sample.load[0] * 100.0).round() as u64);
                h.last_sample = Some(sample);
            }
            return effects;
        }
        Update::HostReached { host } => return super::monitor::reached(state, &host),
        Update::Monitor(update) => return super::monitor::applied(state, update),
        Update::HostUnreachable { host, reason } => {
            return super::login::unreachable(state, &host, reason, false);
        }
        Update::HostNeedsLogin { host, reason } => {
            return super::login::unreachable(state, &host, reason, true);
        }
        Update::HostKeyUnknown {
            host,
            fingerprint,
            key_lines,
        } => {
            if let Some(h) = state.host_mut(&host) {
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
            if let Some(s) = state.service_mut(&service) {
                s.observation = Some(observation);
            }
        }
        Update::UnitsDiscovered { host, units } => {
            crate::app::discovered::apply_units(state, &host, units)
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
            view,
            source,
            lines,
        } => {
            if let Some(v) = state.logs_mut().filter(|v| v.id == view) {
                if let Some(s) = v.sources.get_mut(source) {
                    s.gap = None;
                }
                v.push(lines);
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
            view,
            source,
            reason,
        } => {
            if let Some(s) = log_source(state, view, source) {
                s.gap = Some(reason);
            }
        }
        Update::LogEnd { view, source } => {
            if let Some(s) = log_source(state, view, source) {
                s.ended = true;
            }
        }
        Update::ActionStep { action_id, step } => {
            if let Mode::Action(view) = &mut state.mode
                && view.plan.id == action_id
            {
                view.step = step;
            }
        }
        Update::ActionOutput { action_id, line } => {
            super::runbook::action_output(state, action_id, &line);
            if let Mode::Action(view) = &mut state.mode
                && view.plan.id == action_id
            {
                view.output.push(line);
            }
        }
        Update::ActionFinished {
            action_id,
            subject,
            outcome,
        } => {
            state.dispatcher.finished(&subject);
            let (level, verb) = match &outcome {
                ActionOutcome::Succeeded { .. } => (NoticeLevel::Info, "✔"),
                _ => (NoticeLevel::Error, "✘"),
            };
            // What state it left things in comes with the summary: the popup may be gone.
            // What state it left things in comes with the summary: the popup may be gone.
            // A success says how it settled: "active after 0.4 s · health ok after 1.2 s".
            let left = match &outcome {
                ActionOutcome::Succeeded { notes, .. } => notes
                    .iter()
                    .filter(|n| n.contains(" after ") && !n.starts_with("left: "))
                    .map(|n| format!(" · {n}"))
                    .collect::<String>(),
                _ => outcome
                    .notes()
                    .iter()
                    .find(|n| n.starts_with("left: "))
                    .map(|n| format!(" — {n}"))
                    .unwrap_or_default(),
            };
            let text = match &state.mode {
                Mode::Action(v) if v.plan.id == action_id => {
                    format!("{verb} {}: {}{left}", v.plan.title(), outcome.summary())
                }
                _ => format!("{verb} action on {subject}: {}{left}", outcome.summary()),
            };
            notice(state, level, text);
            if let Mode::Action(view) = &mut state.mode
                && view.plan.id == action_id
            {
                view.phase = ActionPhase::Done;
                view.outcome = Some(outcome.clone());
            }
            let mut effects = vec![Effect::RefreshNow];
            effects.extend(super::runbook::action_finished(state, action_id, &outcome));
            return effects;
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
                let before = c.last.as_ref().map(|r| r.verdict);
                let effect = super::transitions::check(&check, before, &result);
                c.record(result);
                if let Some(s) = state.service_mut(&check.service) {
                    s.observe_endpoint();
                }
                return effect.into_iter().collect();
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
        Update::TaskPanicked {
            task,
            host,
            message,
            restart_in,
        } => {
            let now = state.now;
            let again = match restart_in {
                Some(d) => format!("; started again in {}", humantime::format_duration(d)),
                None => String::new(),
            };
            notice(
                state,
                NoticeLevel::Error,
                format!("background task `{task}` panicked: {message}{again}"),
            );
            if let Some(h) = host.as_ref().and_then(|h| state.host_mut(h)) {
                h.fault = Some(crate::app::state::TaskFault {
                    task,
                    message,
                    at: now,
                    restarting: restart_in.is_some(),
                });
            }
        }
    }
    vec![]
}

/// Source `source` of the log view on screen, if that is view `view`.
fn log_source(
    state: &mut State,
    view: u64,
    source: usize,
) -> Option<&mut crate::app::log_view::ViewSource> {
    state
        .logs_mut()
        .filter(|v| v.id == view)?
        .sources
        .get_mut(source)
}
