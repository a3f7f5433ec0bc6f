//! The console's runbook pane through the whole path, on real local processes: the palette
//! opens a runbook, the reducer drives its run, the real effect runner carries out the
//! steps (a command, an action through the popup and the dispatcher, a manual step with a
//! note, a failing step skipped with a reason), every transition lands in the audit log and
//! the run is saved; a second console offers to resume the run where the first stopped.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use opsdeck::action::audit::AuditLog;
use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Mode, State};
use opsdeck::collect::Context;
use opsdeck::config::Config;
use opsdeck::model::Action;
use opsdeck::protocol::{Effect, Update};
use opsdeck::runbook::{Next, RunStatus, StepStatus};
use opsdeck::runner::{EffectRunner, RunnerOptions};
use tokio::sync::mpsc;

fn config(dir: &Path) -> Config {
    let d = dir.display();
    let text = format!(
        r#"
[settings]
refresh = "1s"
audit_log = "{d}/audit.jsonl"

[[hosts]]
name = "box"
transport = "local"

[[hosts.services]]
name = "worker"
kind = "command"
status = ["test", "-f", "{d}/running"]
restart = ["sh", "-c", "echo restarting the worker; touch {d}/running"]

[[runbooks]]
name = "fix-worker"
title = "Fix the worker"
rto = "10m"

[[runbooks.variables]]
name = "why"
default = "none given"

[[runbooks.steps]]
title = "say why"
kind = "run"
host = "box"
command = ["printf", "why=[%s]\n", "{{{{why}}}}"]
output_regex = "why=\\[.*\\]"

[[runbooks.steps]]
title = "restart it"
kind = "action"
action = "restart"
service = "box/worker"

[[runbooks.steps]]
title = "look at it yourself"
kind = "manual"
text = "Open the worker's page and say what you saw."
note = true

[[runbooks.steps]]
title = "a check that fails"
kind = "run"
host = "box"
command = ["sh", "-c", "echo the disk is full >&2; exit 3"]

[[runbooks.steps]]
title = "after the failure"
kind = "run"
host = "box"
command = ["touch", "{d}/after"]
"#
    );
    opsdeck::config::parse(&dir.join("hosts.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

struct Console {
    config: Arc<Config>,
    state: State,
    runner: EffectRunner,
    rx: mpsc::Receiver<Update>,
}

impl Console {
    fn new(config: Arc<Config>, dir: &Path) -> Self {
        let (tx, rx) = mpsc::channel(256);
        // Runs are saved beside opsdeck's known_hosts, in the state directory.
        let ctx = Context::new(config.clone(), tx, dir.join("state/known_hosts"));
        let runner = EffectRunner::new(
            ctx,
            RunnerOptions {
                audit: AuditLog::new(dir.join("audit.jsonl")),
                read_only: false,
            },
        );
        let mut state = State::new(
            &config,
            false,
            vec!["default".into()],
            0,
            chrono::Utc::now(),
        );
        state.runbooks = vec!["fix-worker".into()];
        Self {
            config,
            state,
            runner,
            rx,
        }
    }

    fn msg(&mut self, msg: Msg) {
        for e in update(&mut self.state, &self.config, msg) {
            // The log and refresh effects have nothing to do here.
            if !matches!(e, Effect::RefreshNow) {
                self.runner.perform(e);
            }
        }
    }

    fn key(&mut self, a: Action) {
        self.msg(Msg::Action(a));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.msg(Msg::Input(TextInput::Char(c)));
        }
        self.msg(Msg::Input(TextInput::Submit));
    }

    /// Feeds updates (and the clock) until `done` holds.
    async fn until(&mut self, what: &str, done: impl Fn(&State) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.state) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {what}: {:#?}",
                self.pane_steps()
            );
            match tokio::time::timeout(Duration::from_millis(200).min(left), self.rx.recv()).await {
                Ok(Some(u)) => self.msg(Msg::Update(u)),
                Ok(None) => panic!("the runner stopped"),
                Err(_) => self.msg(Msg::Tick(chrono::Utc::now())),
            }
        }
    }

    fn next(&self) -> Option<Next> {
        self.state.runbook.as_ref()?.next(chrono::Utc::now())
    }

    fn pane_steps(&self) -> Vec<(String, StepStatus)> {
        self.state
            .runbook
            .as_ref()
            .and_then(|p| p.run.as_ref())
            .map(|r| {
                r.state()
                    .steps
                    .iter()
                    .map(|s| (s.title.clone(), s.status))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn palette(&mut self, line: &str) {
        self.key(Action::Palette);
        self.type_text(line);
    }
}

fn entries(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_runs_in_the_pane_is_recorded_and_resumes_in_a_new_console() {
    let dir = tempfile::tempdir().unwrap();
    let config = Arc::new(config(dir.path()));
    let mut c = Console::new(config.clone(), dir.path());

    // A variable holding shell syntax arrives as one argument, as data.
    c.palette("runbook fix-worker why=a;b$(id)'c");
    c.until("the pane", |s| s.runbook.is_some()).await;
    assert_eq!(
        c.next(),
        Some(Next::GoAhead(0)),
        "nothing runs before the go-ahead"
    );
    c.key(Action::Open);
    c.until("step 1", |s| {
        s.runbook.as_ref().unwrap().run.as_ref().unwrap().current() == Some(1)
    })
    .await;
    let out: Vec<String> = c
        .state
        .runbook
        .as_ref()
        .unwrap()
        .output
        .last_n(10)
        .cloned()
        .collect();
    assert!(out.iter().any(|l| l == "why=[a;b$(id)'c]"), "{out:?}");

    // The action step: its plan in the popup, answered there; then it runs as any action.
    c.key(Action::Open);
    c.until("the popup", |s| matches!(s.mode, Mode::Action(_)))
        .await;
    c.msg(Msg::Input(TextInput::Char('y')));
    c.until("the manual step", |s| {
        s.runbook.as_ref().unwrap().next(chrono::Utc::now()) == Some(Next::Confirm(2))
    })
    .await;
    assert!(dir.path().join("running").exists(), "the restart ran");
    c.msg(Msg::Input(TextInput::Cancel)); // hides the finished popup
    // A manual step that asks for a note takes it when confirmed.
    c.key(Action::Open);
    assert!(matches!(c.state.mode, Mode::RunbookInput { .. }));
    c.type_text("the page loads again");
    c.until("the failing step", |s| {
        s.runbook.as_ref().unwrap().next(chrono::Utc::now()) == Some(Next::GoAhead(3))
    })
    .await;
    c.key(Action::Open);
    c.until("the failure", |s| {
        s.runbook.as_ref().unwrap().next(chrono::Utc::now()) == Some(Next::Failed(3))
    })
    .await;
    // A note, then quit here: the run is saved with the failed step.
    c.key(Action::NextMatch);
    c.type_text("paged the storage team");
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(c);

    let mut c = Console::new(config.clone(), dir.path());
    c.palette("runbook fix-worker");
    c.until("the offer", |s| {
        s.runbook.as_ref().is_some_and(|p| p.offer.is_some())
    })
    .await;
    c.key(Action::Open);
    assert_eq!(c.next(), Some(Next::Failed(3)), "{:?}", c.pane_steps());
    // Skipping wants a reason.
    c.key(Action::StopService);
    c.type_text("");
    assert_eq!(c.next(), Some(Next::Failed(3)));
    c.key(Action::StopService);
    c.type_text("disk cleaned by hand");
    assert_eq!(c.next(), Some(Next::GoAhead(4)));
    c.key(Action::Open);
    c.until("the end", |s| s.runbook.as_ref().unwrap().finished())
        .await;
    assert!(dir.path().join("after").exists());
    let run = c.state.runbook.as_ref().unwrap().run.as_ref().unwrap();
    assert_eq!(run.state().status, RunStatus::Completed);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let log = entries(&dir.path().join("audit.jsonl"));
    let steps: Vec<(u64, String)> = log
        .iter()
        .filter(|e| e["kind"] == "runbook_step" && e["event"] == "end")
        .map(|e| {
            (
                e["step"].as_u64().unwrap(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (1, "passed".into()),
            (2, "passed".into()),
            (3, "passed".into()),
            (4, "failed".into()),
            (4, "skipped".into()),
            (5, "passed".into())
        ],
        "{log:#?}"
    );
    let skip = log.iter().find(|e| e["outcome"] == "skipped").unwrap();
    assert_eq!(skip["detail"], "disk cleaned by hand");
    let notes: Vec<&str> = log
        .iter()
        .filter(|e| e["kind"] == "note")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["the page loads again", "paged the storage team"]);
    // The restart is the dispatcher's action, audited as any action is.
    assert!(
        log.iter()
            .any(|e| e["action"] == "restart" && e["result"] == "succeeded"),
        "{log:#?}"
    );
    let runs: Vec<&serde_json::Value> = log.iter().filter(|e| e["kind"] == "runbook").collect();
    assert_eq!(runs.first().unwrap()["event"], "start");
    assert_eq!(runs.last().unwrap()["outcome"], "completed");
    // One run, resumed: the same id from start to end.
    assert_eq!(
        runs.first().unwrap()["run_id"],
        runs.last().unwrap()["run_id"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_popup_fails_the_action_step_and_abort_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = Arc::new(config(dir.path()));
    let mut c = Console::new(config, dir.path());
    c.palette("runbook fix-worker");
    c.until("the pane", |s| s.runbook.is_some()).await;
    c.key(Action::Open);
    c.until("step 2", |s| {
        s.runbook.as_ref().unwrap().next(chrono::Utc::now()) == Some(Next::GoAhead(1))
    })
    .await;
    c.key(Action::Open);
    c.until("the popup", |s| matches!(s.mode, Mode::Action(_)))
        .await;
    c.msg(Msg::Input(TextInput::Char('n')));
    assert_eq!(c.next(), Some(Next::Failed(1)));
    assert!(!dir.path().join("running").exists(), "nothing ran");
    let reason = c
        .state
        .runbook
        .as_ref()
        .unwrap()
        .run
        .as_ref()
        .unwrap()
        .state()
        .steps[1]
        .reason
        .clone()
        .unwrap();
    assert!(reason.contains("cancelled in the popup"), "{reason}");
    c.key(Action::RunbookAbort);
    c.type_text("wrong runbook");
    assert!(c.state.runbook.as_ref().unwrap().finished());
    // Once ended, the same key closes the pane.
    c.key(Action::RunbookAbort);
    assert!(c.state.runbook.is_none());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = entries(&dir.path().join("audit.jsonl"));
    let end = log.iter().rfind(|e| e["kind"] == "runbook").unwrap();
    assert_eq!(
        (end["outcome"].as_str(), end["detail"].as_str()),
        (Some("aborted"), Some("wrong runbook"))
    );
}
