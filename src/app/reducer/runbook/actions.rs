//! A runbook's action steps: the plan, once what it needs is known, opens the popup; the
//! popup's answer and the action's end become the step's result.

use super::*;

/// An action step's plan, once what it needs is known: into the popup.
pub(in crate::app::reducer) fn prepared(
    state: &mut State,
    config: &Config,
    run_id: &str,
    step: usize,
    result: Result<crate::runbook::exec::Prepared, String>,
) -> Vec<Effect> {
    let Some(pane) = state
        .runbook
        .as_ref()
        .filter(|p| p.run_id() == Some(run_id) && p.waiting == Some(Waiting::Plan(step)))
    else {
        return vec![];
    };
    let filled = pane.filled.clone();
    let planned = result.and_then(|prep| {
        crate::runbook::exec::plan(
            &mut state.dispatcher,
            config,
            &filled[step],
            &prep,
            state.now,
        )
        .unwrap_or_else(|| Err("not an action step".into()))
    });
    let plan = match planned {
        Ok(p) => p,
        Err(e) => return report(state, Some(run_id), step, StepResult::failed(e)),
    };
    if !matches!(state.mode, Mode::Normal | Mode::Help | Mode::Smoke) {
        let why = "its plan could not be shown: another popup or input was open (r tries again)";
        return report(state, Some(run_id), step, StepResult::failed(why));
    }
    if let Some(p) = state.runbook.as_mut() {
        p.waiting = Some(Waiting::Action {
            step,
            action_id: plan.id,
        });
    }
    state.mode = Mode::Action(Box::new(ActionView::new(plan)));
    vec![]
}

/// The popup of a runbook's action was answered no, or the dispatcher refused it.
pub(in crate::app::reducer) fn action_declined(
    state: &mut State,
    action_id: u64,
    why: &str,
) -> Vec<Effect> {
    match step_of_action(state, action_id) {
        Some(step) => report(
            state,
            None,
            step,
            StepResult::failed(format!("not confirmed: {why}")),
        ),
        None => vec![],
    }
}

/// A runbook's action ended: its step's result.
pub(in crate::app::reducer) fn action_finished(
    state: &mut State,
    action_id: u64,
    outcome: &ActionOutcome,
) -> Vec<Effect> {
    let Some(step) = step_of_action(state, action_id) else {
        return vec![];
    };
    let mut tail: Vec<String> = outcome.notes().to_vec();
    if let ActionOutcome::Failed { output_tail, .. } = outcome {
        tail.extend(output_tail.iter().cloned());
    }
    let result = if outcome.succeeded() {
        StepResult::passed(outcome.summary())
    } else {
        StepResult::failed(outcome.summary())
    };
    report(state, None, step, result.with_output(tail))
}

fn step_of_action(state: &State, action_id: u64) -> Option<usize> {
    match state.runbook.as_ref()?.waiting? {
        Waiting::Action {
            step,
            action_id: id,
        } if id == action_id => Some(step),
        _ => None,
    }
}
