//! The runbook pane. `:runbook NAME [k=v…]` opens it beside the fleet; the engine
//! (`runbook::Run`) says what is due; the operator's keys give the go-ahead, confirm a
//! manual step, retry, skip with a reason, add a note, abort. Steps are carried out by the
//! effect runner; an action step's plan opens the usual popup, so the dispatcher's
//! confirmation, locks, read-only refusal and audit apply as they do to any action. Every
//! transition is written to the audit log and the run saved, so a run outlives the console.

use super::*;
use crate::app::state::{PANE_OUTPUT_LINES, PaneInput, RunbookPane, Waiting};
use crate::model::History;
use crate::protocol::OpenedRunbook;
use crate::runbook::{Next, Run, StepResult};

/// `:runbook NAME [k=v…]`, `:runbook close`.
pub(super) fn open(state: &mut State, arg: &str) -> Vec<Effect> {
    let mut words = arg.split_whitespace();
    let Some(name) = words.next() else {
        let names = if state.runbooks.is_empty() {
            "none".to_owned()
        } else {
            state.runbooks.join(", ")
        };
        notice(
            state,
            NoticeLevel::Error,
            format!("usage: :runbook NAME [VAR=VALUE…] (runbooks: {names})"),
        );
        return vec![];
    };
    if name == "close" {
        close(state);
        return vec![];
    }
    if let Some(p) = state.runbook.as_mut()
        && p.run.is_some()
        && !p.finished()
    {
        if p.book.name == name {
            p.focused = true;
            return vec![];
        }
        let open = p.book.name.clone();
        notice(
            state,
            NoticeLevel::Error,
            format!(
                "a run of {open} is open: finish or abort it (x), or :runbook close to leave it for later"
            ),
        );
        return vec![];
    }
    let mut vars = Vec::new();
    for w in words {
        match w.split_once('=') {
            Some((k, v)) if !k.is_empty() => vars.push((k.to_owned(), v.to_owned())),
            _ => {
                notice(
                    state,
                    NoticeLevel::Error,
                    format!("`{w}`: write variables as NAME=VALUE"),
                );
                return vec![];
            }
        }
    }
    notice(state, NoticeLevel::Info, format!("opening runbook {name}…"));
    vec![Effect::OpenRunbook {
        name: name.to_owned(),
        vars,
    }]
}

/// Closes the pane; an unfinished run stays saved and is offered again by `:runbook NAME`.
fn close(state: &mut State) {
    let Some(pane) = state.runbook.take() else {
        notice(state, NoticeLevel::Warn, "no runbook is open");
        return;
    };
    if let Some(w) = pane.waiting {
        let text = format!("step {} is under way: wait for it to end", w.step() + 1);
        state.runbook = Some(pane);
        notice(state, NoticeLevel::Warn, text);
        return;
    }
    let text = if pane.run.is_some() && !pane.finished() {
        format!(
            "runbook {} closed; its run is saved: :runbook {} offers to resume it",
            pane.book.name, pane.book.name
        )
    } else {
        format!("runbook {} closed", pane.book.name)
    };
    notice(state, NoticeLevel::Info, text);
}

pub(super) fn opened(state: &mut State, result: Result<Box<OpenedRunbook>, String>) -> Vec<Effect> {
    let o = match result {
        Ok(o) => *o,
        Err(e) => {
            notice(state, NoticeLevel::Error, e);
            return vec![];
        }
    };
    let mut pane = RunbookPane {
        book: o.book,
        filled: o.filled,
        facts: o.facts,
        run: None,
        offer: None,
        waiting: None,
        output_step: None,
        output: History::new(PANE_OUTPUT_LINES),
        focused: true,
        error: None,
    };
    let text = match o.saved {
        Some(saved) => {
            let done = saved.steps.iter().filter(|s| s.status.settled()).count();
            let text = format!(
                "{}: an unfinished run from {} ({done}/{} steps done) — enter resumes it, n starts anew",
                pane.book.name,
                saved.started_at.format("%Y-%m-%d %H:%M"),
                saved.steps.len()
            );
            pane.offer = Some((saved, o.new_id));
            text
        }
        None => {
            pane.run = Some(Run::new(&pane.book, o.new_id, o.vars, state.now));
            format!(
                "runbook {}: enter runs the current step (tab: keys back to the fleet)",
                pane.book.name
            )
        }
    };
    state.runbook = Some(pane);
    notice(state, NoticeLevel::Info, text);
    drive(state)
}

/// Moves the run on: starts what is due (a step in the runner, an action step's plan), and
/// records the transitions. Called after every change and on the clock's tick.
pub(super) fn drive(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let Some(pane) = state.runbook.as_mut() else {
        return vec![];
    };
    let Some(run) = pane.run.as_mut() else {
        return vec![];
    };
    let mut effects = Vec::new();
    let next = run.next(now);
    if pane.waiting.is_none()
        && let Next::Execute(i) | Next::Busy(i) = next
    {
        let run_id = run.state().id.clone();
        if pane.output_step != Some(i) {
            pane.output = History::new(PANE_OUTPUT_LINES);
            pane.output_step = Some(i);
        }
        if pane.filled[i].is_action() {
            pane.waiting = Some(Waiting::Plan(i));
            effects.push(Effect::RunbookPrepare {
                run_id,
                step: i,
                filled: pane.filled.clone(),
            });
        } else {
            pane.waiting = Some(Waiting::Step(i));
            effects.push(Effect::RunbookStep {
                run_id,
                step: i,
                book: pane.book.clone(),
                filled: pane.filled.clone(),
            });
        }
    }
    let events = run.take_events();
    if !events.is_empty() {
        effects.push(Effect::RunbookSave {
            book: pane.book.clone(),
            state: Box::new(run.state().clone()),
            facts: pane.facts.clone(),
            events,
        });
    }
    effects
}

/// Keys while the pane has them. `None`: not the pane's key (the fleet handles it).
pub(super) fn on_key(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let pane = state.runbook.as_mut().filter(|p| p.focused)?;
    let now = state.now;
    if let Some((saved, new_id)) = pane.offer.clone() {
        match action {
            Action::Open => match Run::resume(&pane.book, saved.clone(), now) {
                Ok(run) => {
                    pane.run = Some(run);
                    pane.offer = None;
                }
                Err(e) => {
                    pane.error = Some(format!("{e}: n starts a new run"));
                    return Some(vec![]);
                }
            },
            Action::NextMatch => {
                pane.run = Some(Run::new(&pane.book, new_id, saved.vars.clone(), now));
                pane.offer = None;
            }
            Action::RunbookAbort => {
                close(state);
                return Some(vec![]);
            }
            Action::Back | Action::RunbookFocus => pane.focused = false,
            Action::Quit | Action::Palette | Action::Help => return None,
            _ => {}
        }
        return Some(drive(state));
    }
    let next = pane.next(now)?;
    let busy = pane.waiting.is_some();
    let result: Result<(), String>;
    match (action, next) {
        (Action::Open, Next::GoAhead(i)) => {
            result = pane
                .run
                .as_mut()
                .map_or(Ok(()), |r| r.approve(i).map_err(|e| e.to_string()));
        }
        (Action::Open, Next::Confirm(i)) => {
            let wants_note = matches!(
                &pane.filled[i],
                crate::runbook::Filled::Manual { note: true, .. }
            );
            if wants_note {
                state.mode = Mode::RunbookInput {
                    purpose: PaneInput::Confirm,
                    input: String::new(),
                };
                return Some(vec![]);
            }
            result = pane.run.as_mut().map_or(Ok(()), |r| {
                r.confirm(i, None, now).map_err(|e| e.to_string())
            });
        }
        (Action::RestartService | Action::Open, Next::Failed(i)) => {
            result = pane
                .run
                .as_mut()
                .map_or(Ok(()), |r| r.retry(i).map_err(|e| e.to_string()));
        }
        (Action::StopService, Next::Finished(_)) => {
            result = Err("the run has ended".into());
        }
        (Action::StopService, _) if !busy => {
            state.mode = Mode::RunbookInput {
                purpose: PaneInput::Skip,
                input: String::new(),
            };
            return Some(vec![]);
        }
        (Action::StopService, _) => {
            result = Err("a try is under way: wait for it to end (or x to abort the run)".into());
        }
        (Action::NextMatch, Next::Finished(_)) => {
            result = Err("the run has ended".into());
        }
        (Action::NextMatch, _) => {
            state.mode = Mode::RunbookInput {
                purpose: PaneInput::Note,
                input: String::new(),
            };
            return Some(vec![]);
        }
        (Action::RunbookAbort, Next::Finished(_)) => {
            close(state);
            return Some(vec![]);
        }
        (Action::RunbookAbort, _) => {
            state.mode = Mode::RunbookInput {
                purpose: PaneInput::Abort,
                input: String::new(),
            };
            return Some(vec![]);
        }
        (Action::Back | Action::RunbookFocus, _) => {
            pane.focused = false;
            return Some(vec![]);
        }
        (Action::Open, Next::Busy(i) | Next::Execute(i)) => {
            result = Err(format!("step {} is under way", i + 1));
        }
        (Action::Open, Next::Sleep(until)) => {
            result = Err(format!("waiting until {}", until.format("%H:%M:%S")));
        }
        (Action::Open, Next::Finished(_)) => {
            result = Err("the run has ended: x closes the pane".into());
        }
        (Action::Up | Action::Down | Action::PageUp | Action::PageDown, _) => {
            return Some(vec![]);
        }
        // Everything else (quit, palette, help, refresh …) works as anywhere.
        _ => return None,
    }
    if let Err(e) = result {
        pane.error = Some(e);
    } else {
        pane.error = None;
    }
    Some(drive(state))
}

/// Text typed for the pane: a skip's or an abort's reason, a note, a manual step's note.
pub(super) fn on_text(
    state: &mut State,
    purpose: PaneInput,
    mut text: String,
    input: TextInput,
) -> Vec<Effect> {
    match input {
        TextInput::Cancel => return vec![],
        TextInput::Submit => {}
        edit => {
            super::edit_text(&mut text, &edit);
            state.mode = Mode::RunbookInput {
                purpose,
                input: text,
            };
            return vec![];
        }
    }
    let now = state.now;
    let Some(pane) = state.runbook.as_mut() else {
        return vec![];
    };
    let Some(next) = pane.next(now) else {
        return vec![];
    };
    let Some(run) = pane.run.as_mut() else {
        return vec![];
    };
    let current = match next {
        Next::GoAhead(i)
        | Next::Execute(i)
        | Next::Busy(i)
        | Next::Confirm(i)
        | Next::Failed(i) => Some(i),
        Next::Sleep(_) => run.current(),
        Next::Finished(_) => None,
    };
    let result = match (purpose, current) {
        (PaneInput::Skip, Some(i)) => run.skip(i, &text, now).map_err(|e| e.to_string()),
        (PaneInput::Confirm, Some(i)) => run.confirm(i, Some(text), now).map_err(|e| e.to_string()),
        (PaneInput::Abort, _) => run.abort(text.trim(), now).map_err(|e| e.to_string()),
        (PaneInput::Note, _) if text.trim().is_empty() => Err("an empty note is not kept".into()),
        (PaneInput::Note, _) => {
            run.note(text.trim(), now);
            Ok(())
        }
        (_, None) => Err("the run has ended".into()),
    };
    pane.error = result.err();
    drive(state)
}

/// `:note TEXT` while a run is open goes in the run's timeline (the audit log too).
pub(super) fn note(state: &mut State, text: &str) -> Option<Vec<Effect>> {
    let now = state.now;
    let run = state
        .runbook
        .as_mut()
        .filter(|p| !p.finished())?
        .run
        .as_mut()?;
    run.note(text, now);
    notice(state, NoticeLevel::Info, "noted in the run's timeline");
    Some(drive(state))
}

pub(super) fn output(state: &mut State, run_id: &str, step: usize, line: String) {
    if let Some(p) = state
        .runbook
        .as_mut()
        .filter(|p| p.run_id() == Some(run_id) && p.output_step == Some(step))
    {
        p.output.push(line);
    }
}

/// A line of an action's output: the pane shows it too when the action is its step.
pub(super) fn action_output(state: &mut State, action_id: u64, line: &str) {
    if let Some(p) = state.runbook.as_mut().filter(
        |p| matches!(p.waiting, Some(Waiting::Action { action_id: id, .. }) if id == action_id),
    ) {
        p.output.push(line.to_owned());
    }
}

pub(super) fn report(
    state: &mut State,
    run_id: Option<&str>,
    step: usize,
    result: StepResult,
) -> Vec<Effect> {
    let now = state.now;
    let Some(pane) = state
        .runbook
        .as_mut()
        .filter(|p| run_id.is_none_or(|id| p.run_id() == Some(id)))
    else {
        return vec![];
    };
    if pane.waiting.is_some_and(|w| w.step() == step) {
        pane.waiting = None;
    }
    if let Some(run) = pane.run.as_mut()
        && let Err(e) = run.report(step, result, now)
    {
        // A late result (the step timed out meanwhile, or was skipped) is not the step's.
        pane.error = Some(format!(
            "a late result of step {} was not kept: {e}",
            step + 1
        ));
    }
    drive(state)
}

pub(super) fn step_done(
    state: &mut State,
    run_id: &str,
    step: usize,
    result: StepResult,
) -> Vec<Effect> {
    report(state, Some(run_id), step, result)
}

mod actions;
pub(super) use actions::{action_declined, action_finished, prepared};
