use super::*;
use crate::runbook::model::{CheckTarget, Source, Step, StepKind, Template, WaitFor};
use crate::transport::{CommandSpec, PositionalScript};
use chrono::TimeZone;

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
}

fn step(title: &str, kind: StepKind) -> Step {
    Step {
        title: title.into(),
        section: None,
        text: String::new(),
        kind,
        auto: false,
        retries: 0,
        retry_interval: Duration::from_secs(5),
        timeout: None,
        line: 0,
    }
}

fn run_step(title: &str) -> Step {
    step(
        title,
        StepKind::Run {
            host: "h".into(),
            command: Template::Argv(CommandSpec::argv(["true"])),
            expect: 0,
            output_regex: None,
        },
    )
}

fn book(steps: Vec<Step>) -> Runbook {
    Runbook {
        name: "rb".into(),
        title: "RB".into(),
        description: String::new(),
        source: Source::File("rb.md".into()),
        rto: None,
        rpo: None,
        variables: vec![],
        steps,
    }
}

fn ended(events: &[Event]) -> Vec<(usize, Outcome, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StepEnded {
                step,
                outcome,
                detail,
                ..
            } => Some((*step, *outcome, detail.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn steps_run_in_order_each_after_its_go_ahead() {
    let b = book(vec![run_step("a"), run_step("b")]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.next(t(0)), Next::GoAhead(0));
    // Step b cannot go before a.
    assert_eq!(run.approve(1), Err(EngineError::NotCurrent(1)));
    run.approve(0).unwrap();
    assert_eq!(run.next(t(1)), Next::Execute(0));
    assert_eq!(run.next(t(1)), Next::Busy(0));
    run.report(0, StepResult::passed("exit 0"), t(3)).unwrap();
    assert_eq!(run.next(t(3)), Next::GoAhead(1));
    run.approve(1).unwrap();
    assert_eq!(run.next(t(4)), Next::Execute(1));
    run.report(1, StepResult::passed("exit 0"), t(5)).unwrap();
    assert_eq!(run.next(t(5)), Next::Finished(RunStatus::Completed));
    assert_eq!(run.progress(), (2, 2));
    let events = run.take_events();
    assert_eq!(events.first(), Some(&Event::RunStarted));
    assert!(
        matches!(events.last(), Some(Event::RunEnded { status: RunStatus::Completed, duration }) if *duration == Duration::from_secs(5))
    );
    assert_eq!(
        ended(&events),
        [
            (0, Outcome::Passed, "exit 0".into()),
            (1, Outcome::Passed, "exit 0".into())
        ]
    );
    let s0 = &run.state().steps[0];
    assert_eq!((s0.started_at, s0.ended_at), (Some(t(1)), Some(t(3))));
}

#[test]
fn auto_steps_need_no_go_ahead() {
    let mut a = run_step("a");
    a.auto = true;
    let b = book(vec![a]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.next(t(0)), Next::Execute(0));
}

#[test]
fn a_failing_step_is_retried_after_its_interval_then_fails() {
    let mut a = run_step("a");
    a.retries = 2;
    a.auto = true;
    let b = book(vec![a, run_step("b")]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.next(t(0)), Next::Execute(0));
    run.report(0, StepResult::failed("exit 1"), t(1)).unwrap();
    assert_eq!(run.next(t(2)), Next::Sleep(t(6)));
    assert_eq!(run.next(t(6)), Next::Execute(0));
    run.report(0, StepResult::failed("exit 1"), t(7)).unwrap();
    assert_eq!(run.next(t(12)), Next::Execute(0));
    assert_eq!(run.state().steps[0].attempts, 3);
    run.report(0, StepResult::failed("exit 2"), t(13)).unwrap();
    assert_eq!(run.next(t(20)), Next::Failed(0));
    assert_eq!(run.state().steps[0].reason.as_deref(), Some("exit 2"));
    // The operator retries it: its go-ahead stands, and it passes this time.
    run.retry(0).unwrap();
    assert_eq!(run.next(t(21)), Next::Execute(0));
    run.report(0, StepResult::passed("exit 0"), t(22)).unwrap();
    assert_eq!(run.next(t(22)), Next::GoAhead(1));
    let events = run.take_events();
    let starts = events
        .iter()
        .filter(|e| matches!(e, Event::StepStarted { step: 0, .. }))
        .count();
    assert_eq!(starts, 4);
    // Every try ends in the timeline, the retried ones as failed.
    assert_eq!(
        ended(&events),
        [
            (0, Outcome::Failed, "exit 1 (tries again)".into()),
            (0, Outcome::Failed, "exit 1 (tries again)".into()),
            (0, Outcome::Failed, "exit 2".into()),
            (0, Outcome::Passed, "exit 0".into()),
        ]
    );
}

#[test]
fn a_skip_needs_a_reason_and_is_recorded() {
    let b = book(vec![run_step("a"), run_step("b")]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.skip(0, "  ", t(1)), Err(EngineError::NoReason));
    run.skip(0, "done by hand during the call", t(1)).unwrap();
    assert_eq!(run.state().steps[0].status, StepStatus::Skipped);
    assert_eq!(run.next(t(1)), Next::GoAhead(1));
    assert_eq!(
        ended(&run.take_events()),
        [(0, Outcome::Skipped, "done by hand during the call".into())]
    );
}

#[test]
fn abort_ends_the_run_and_fails_the_try_under_way() {
    let mut a = run_step("a");
    a.auto = true;
    let b = book(vec![a, run_step("b")]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.next(t(0)), Next::Execute(0));
    run.abort("wrong host", t(4)).unwrap();
    let aborted = RunStatus::Aborted {
        reason: "wrong host".into(),
    };
    assert_eq!(run.next(t(5)), Next::Finished(aborted.clone()));
    assert_eq!(run.approve(1), Err(EngineError::Ended));
    assert_eq!(run.abort("again", t(6)), Err(EngineError::Ended));
    assert_eq!(run.state().status, aborted);
    assert_eq!(
        ended(&run.take_events()),
        [(0, Outcome::Failed, "aborted: wrong host".into())]
    );
}

#[test]
fn a_try_past_its_timeout_fails_even_if_its_report_comes_late() {
    let mut a = run_step("a");
    a.auto = true;
    a.timeout = Some(Duration::from_secs(30));
    let b = book(vec![a.clone(), a]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.next(t(0)), Next::Execute(0));
    assert_eq!(run.next(t(29)), Next::Busy(0));
    assert_eq!(run.next(t(30)), Next::Failed(0));
    assert_eq!(
        run.state().steps[0].reason.as_deref(),
        Some("timed out after 30s")
    );
    // A report after the deadline does not make it pass.
    assert!(run.report(0, StepResult::passed("exit 0"), t(31)).is_err());
    run.skip(0, "checked by hand", t(32)).unwrap();
    assert_eq!(run.next(t(40)), Next::Execute(1));
    run.report(1, StepResult::passed("exit 0"), t(80)).unwrap();
    assert_eq!(run.next(t(80)), Next::Failed(1));
    assert_eq!(
        run.state().steps[1].reason.as_deref(),
        Some("timed out after 30s")
    );
}

#[test]
fn wait_sleeps_then_passes_by_itself() {
    let b = book(vec![step(
        "settle",
        StepKind::Wait(WaitFor::Duration(Duration::from_secs(10))),
    )]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.next(t(0)), Next::GoAhead(0));
    run.approve(0).unwrap();
    assert_eq!(run.next(t(1)), Next::Sleep(t(11)));
    assert_eq!(run.next(t(5)), Next::Sleep(t(11)));
    assert_eq!(run.next(t(11)), Next::Finished(RunStatus::Completed));
}

#[test]
fn wait_until_polls_until_the_check_passes_or_times_out() {
    let mut w = step(
        "healthy again",
        StepKind::Wait(WaitFor::Check("h/s/c".into())),
    );
    w.auto = true;
    w.retry_interval = Duration::from_secs(10);
    w.timeout = Some(Duration::from_secs(35));
    let b = book(vec![w.clone(), w]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.next(t(0)), Next::Execute(0));
    run.report(0, StepResult::failed("503"), t(1)).unwrap();
    assert_eq!(run.next(t(1)), Next::Sleep(t(11)));
    assert_eq!(run.next(t(11)), Next::Execute(0));
    run.report(0, StepResult::passed("200"), t(12)).unwrap();
    // The second one never passes: polls at 12, 22, 32, 42; the next would be past
    // its 35 s (12 + 35 = 47).
    assert_eq!(run.next(t(12)), Next::Execute(1));
    run.report(1, StepResult::failed("503"), t(12)).unwrap();
    assert_eq!(run.next(t(22)), Next::Execute(1));
    run.report(1, StepResult::failed("503"), t(22)).unwrap();
    assert_eq!(run.next(t(32)), Next::Execute(1));
    run.report(1, StepResult::failed("503"), t(32)).unwrap();
    assert_eq!(run.next(t(42)), Next::Execute(1));
    run.report(1, StepResult::failed("502"), t(42)).unwrap();
    assert_eq!(run.next(t(43)), Next::Failed(1));
    let why = run.state().steps[1].reason.clone().unwrap();
    assert_eq!(why, "did not pass within 35s (4 polls; last: 502)");
}

#[test]
fn manual_steps_are_confirmed_with_a_note_when_asked() {
    let b = book(vec![
        step(
            "look at the dashboard",
            StepKind::Manual {
                note: true,
                commands: None,
            },
        ),
        step(
            "tell the team",
            StepKind::Manual {
                note: false,
                commands: None,
            },
        ),
    ]);
    let mut run = Run::new(&b, "1", BTreeMap::new(), t(0));
    assert_eq!(run.next(t(0)), Next::Confirm(0));
    assert_eq!(run.confirm(0, None, t(1)), Err(EngineError::NoteRequired));
    run.confirm(0, Some("graphs flat since 06:02".into()), t(2))
        .unwrap();
    assert_eq!(run.next(t(2)), Next::Confirm(1));
    run.confirm(1, None, t(3)).unwrap();
    assert_eq!(run.next(t(3)), Next::Finished(RunStatus::Completed));
    assert_eq!(
        run.state().steps[0].note.as_deref(),
        Some("graphs flat since 06:02")
    );
    assert!(run.take_events().contains(&Event::Note {
        step: Some(0),
        text: "graphs flat since 06:02".into()
    }));
}

#[test]
fn a_saved_run_resumes_where_it_stopped() {
    let b = book(vec![
        run_step("a"),
        run_step("b"),
        step("c", StepKind::Check(CheckTarget::Suite("s".into()))),
    ]);
    let mut run = Run::new(&b, "1", BTreeMap::from([("k".into(), "v".into())]), t(0));
    run.approve(0).unwrap();
    run.next(t(0));
    run.report(0, StepResult::passed("ok"), t(1)).unwrap();
    run.approve(1).unwrap();
    assert_eq!(run.next(t(2)), Next::Execute(1));
    run.note("paged the DBA", t(2));
    // opsdeck dies here, with step b under way; the state went to disk as JSON.
    let saved = serde_json::to_string(run.state()).unwrap();
    let state: RunState = serde_json::from_str(&saved).unwrap();
    assert_eq!(&state, run.state());
    let mut resumed = Run::resume(&b, state, t(100)).unwrap();
    // What ran when opsdeck stopped is not known to have finished: failed, retryable.
    assert_eq!(resumed.next(t(100)), Next::Failed(1));
    assert!(
        resumed.state().steps[1]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("interrupted")
    );
    assert_eq!(resumed.state().steps[0].status, StepStatus::Passed);
    assert_eq!(resumed.state().notes.len(), 1);
    resumed.retry(1).unwrap();
    assert_eq!(resumed.next(t(101)), Next::Execute(1));
    resumed.report(1, StepResult::passed("ok"), t(102)).unwrap();
    assert_eq!(resumed.next(t(102)), Next::GoAhead(2));
    // A runbook whose steps changed since is not resumed.
    let other = book(vec![run_step("a"), run_step("x")]);
    assert!(matches!(
        Run::resume(&other, run.state().clone(), t(0)),
        Err(EngineError::Changed(_))
    ));
}

#[test]
fn a_variable_holding_shell_arrives_as_one_argument() {
    let evil = "; rm -rf / #";
    let vars = BTreeMap::from([("file".to_owned(), evil.to_owned())]);
    // A script block: the value is a positional parameter, quoted in the script.
    let script = PositionalScript::parse("ls -l {{file}} && echo \"got {{file}}\"").unwrap();
    assert_eq!(script.script, "ls -l \"${1}\" && echo \"got ${1}\"");
    let spec = script.command(|n| vars[n].clone());
    assert_eq!(spec.program(), "sh");
    assert_eq!(spec.args()[3..], [evil]);
    // The one shell line ssh sends quotes it whole: the remote shell sees one word.
    assert!(
        spec.to_shell_line().ends_with("opsdeck '; rm -rf / #'"),
        "{}",
        spec.to_shell_line()
    );
    // An argv template: the value stays inside its one argument.
    let argv = CommandSpec::argv(["tar", "-tzf", "{{file}}"]);
    let filled = argv.map_args(|a| crate::runbook::model::fill(a, &vars).unwrap());
    assert_eq!(filled.args(), ["-tzf", evil]);
}
