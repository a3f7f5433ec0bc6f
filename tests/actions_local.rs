//! Actions on real local processes through the whole path: reducer → dispatcher →
//! supervisor → executor → audit log, with a planted secret that must never leak.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use opsdeck::action::audit::AuditLog;
use opsdeck::action::execute::{ExecEnv, execute};
use opsdeck::action::{ActionKind, ActionOutcome, Dispatcher, Refusal};
use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::{Mode, Row, State};
use opsdeck::collect::Context;
use opsdeck::collect::command_status::probe;
use opsdeck::config::Config;
use opsdeck::model::Action;
use opsdeck::model::{HostId, RunState, ServiceId};
use opsdeck::protocol::{Effect, Update};
use opsdeck::runner::{EffectRunner, RunnerOptions};
use opsdeck::transport::{CommandSpec, Target, Transports};
use opsdeck::ui::theme::Theme;
use tokio::sync::mpsc;

/// A quote and a backslash: JSON and `{:?}` escape them, so redacting the serialised text
/// would miss it.
const SENTINEL: &str = r#"S3NTINEL"d41d\8cd98f00b204"#;
/// What must not appear in any form (raw, escaped or half-redacted).
const CORE: &str = "S3NTINEL";

fn config(dir: &Path, extra_host: &str) -> Config {
    // SAFETY: set once, before any thread reads the environment for this variable.
    unsafe { std::env::set_var("OPSDECK_TEST_SECRET", SENTINEL) };
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
start = ["touch", "{d}/running"]
stop = ["rm", "-f", "{d}/running"]
restart = ["sh", "-c", "printf 'token=%s\\n' \"$1\"; echo restarting; touch {d}/running; touch {d}/restarted", "sh", "${{OPSDECK_TEST_SECRET}}"]

[[hosts.services]]
name = "broken"
kind = "command"
status = ["false"]
restart = ["sh", "-c", "echo about to fail; echo 'disk full' >&2; exit 7"]
{extra_host}
"#
    );
    opsdeck::config::parse(Path::new("test.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

fn select(state: &mut State, service: &str) {
    state.selected = state
        .rows()
        .iter()
        .position(
            |r| matches!(*r, Row::Service(h, s) if &*state.hosts[h].services[s].id.name == service),
        )
        .unwrap();
}

/// Runs the real effect runner for the effects and feeds updates back until the action ends.
async fn run_action(config: Arc<Config>, state: &mut State, audit: AuditLog) -> ActionOutcome {
    let (tx, mut rx) = mpsc::channel(256);
    let known_hosts = std::env::temp_dir().join("opsdeck-test-known_hosts");
    let ctx = Context::new(config.clone(), tx, known_hosts);
    let opts = RunnerOptions {
        audit,
        read_only: false,
    };
    let supervisor = EffectRunner::new(ctx, opts);
    let effects = update(state, &config, Msg::Input(TextInput::Char('y')));
    assert!(
        matches!(effects.as_slice(), [Effect::Execute(_)]),
        "confirmation must yield one Execute"
    );
    for e in effects {
        supervisor.perform(e);
    }
    loop {
        let u = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("action ended in time")
            .unwrap();
        let done = match &u {
            Update::ActionFinished { outcome, .. } => Some(outcome.clone()),
            _ => None,
        };
        update(state, &config, Msg::Update(u));
        if let Some(o) = done {
            return o;
        }
    }
}

fn audit_entries(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn rendered(state: &State) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    t.draw(|f| opsdeck::ui::render(f, state, &Theme::default()))
        .unwrap();
    t.backend().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_runs_audits_and_never_leaks_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("opsdeck.log");
    opsdeck::logging::init(&log_path).unwrap();
    let config = Arc::new(config(dir.path(), ""));
    let audit = AuditLog::new(dir.path().join("audit.jsonl"));
    let mut state = State::new(
        &config,
        false,
        vec!["default".into()],
        0,
        chrono::Utc::now(),
    );
    state.size = (120, 40);

    let worker = ServiceId::new(&HostId::new("box"), "worker");
    let status = CommandSpec::from_config(
        config
            .find_service(&worker)
            .unwrap()
            .1
            .status
            .as_ref()
            .unwrap()
            .get_ref(),
    );
    assert_eq!(
        probe(
            &Target::Local,
            &Transports::default(),
            &status,
            Duration::from_secs(5)
        )
        .await
        .state,
        RunState::Stopped
    );

    select(&mut state, "worker");
    update(&mut state, &config, Msg::Action(Action::RestartService));
    let Mode::Action(view) = &state.mode else {
        panic!("plan popup expected")
    };
    assert_eq!(view.plan.location, "local (this machine)");
    let popup = rendered(&state);
    assert!(
        popup.contains("${OPSDECK_TEST_SECRET}"),
        "the plan shows the template:\n{popup}"
    );
    assert!(!popup.contains(CORE));

    let outcome = run_action(config.clone(), &mut state, audit.clone()).await;
    assert!(
        matches!(outcome, ActionOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    assert!(
        dir.path().join("restarted").exists(),
        "the restart command really ran"
    );
    assert_eq!(
        probe(
            &Target::Local,
            &Transports::default(),
            &status,
            Duration::from_secs(5)
        )
        .await
        .state,
        RunState::Running
    );
    assert!(
        !state
            .dispatcher
            .is_busy(&opsdeck::action::Subject::Service(worker.clone())),
        "lock released"
    );

    // The popup's live output has the redacted line.
    let Mode::Action(view) = &state.mode else {
        panic!()
    };
    let output: Vec<&String> = view.output.last_n(50).collect();
    assert!(
        output.iter().any(|l| l.as_str() == "token=***"),
        "{output:?}"
    );
    let screen = rendered(&state);
    assert!(
        screen.contains("token=***") && !screen.contains(CORE),
        "{screen}"
    );

    let entries = audit_entries(audit.path());
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["event"], "start");
    assert_eq!(entries[0]["service"], "box/worker");
    assert_eq!(entries[0]["action"], "restart");
    assert!(
        entries[0]["commands"][0]
            .as_str()
            .unwrap()
            .contains("${OPSDECK_TEST_SECRET}")
    );
    assert_eq!(entries[1]["event"], "end");
    assert_eq!(entries[1]["result"], "succeeded");
    assert!(entries[1]["duration_ms"].as_u64().is_some());
    let raw_audit = std::fs::read_to_string(audit.path()).unwrap();
    assert!(!raw_audit.contains(CORE), "secret in the audit log");

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("output: token=***"),
        "the tracing log has the redacted output:\n{log}"
    );
    assert!(!log.contains(CORE), "secret in the tracing log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_says_which_and_what_it_printed() {
    let dir = tempfile::tempdir().unwrap();
    let config = Arc::new(config(dir.path(), ""));
    let audit = AuditLog::new(dir.path().join("audit.jsonl"));
    let mut state = State::new(
        &config,
        false,
        vec!["default".into()],
        0,
        chrono::Utc::now(),
    );
    select(&mut state, "broken");
    update(&mut state, &config, Msg::Action(Action::RestartService));
    let outcome = run_action(config.clone(), &mut state, audit.clone()).await;
    let ActionOutcome::Failed {
        step,
        exit_code,
        error,
        output_tail,
        ..
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(*step, 0);
    assert_eq!(*exit_code, Some(7));
    assert_eq!(
        error, "exit code 7: disk full",
        "the error says what it printed last"
    );
    assert!(
        output_tail.contains(&"disk full".to_owned()),
        "{output_tail:?}"
    );
    assert!(
        state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("step 1 (restart) failed: exit code 7")
    );
    let entries = audit_entries(audit.path());
    assert_eq!(entries[1]["result"], "failed");
    assert_eq!(entries[1]["exit_code"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let extra = r#"
[[hosts]]
name = "frozen"
transport = "local"
read_only = true

[[hosts.services]]
name = "db"
kind = "command"
status = ["true"]
restart = ["touch", "/nonexistent-dir/never"]
"#;
    let config = config(dir.path(), extra);
    let worker = ServiceId::new(&HostId::new("box"), "worker");
    let frozen = ServiceId::new(&HostId::new("frozen"), "db");
    for kind in [ActionKind::Restart, ActionKind::Stop, ActionKind::Start] {
        let mut global = Dispatcher::new(true);
        assert!(
            matches!(
                global.plan(&config, kind, &worker, &[]),
                Err(Refusal::ReadOnly(_))
            ),
            "{kind}"
        );
        let mut per_host = Dispatcher::new(false);
        let err = per_host
            .plan(&config, ActionKind::Restart, &frozen, &[])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "read-only: host frozen is read_only in the config"
        );
    }

    // An authorized plan handed to an executor running read-only still does nothing.
    let mut d = Dispatcher::new(false);
    let plan = d.plan(&config, ActionKind::Restart, &worker, &[]).unwrap();
    let auth = d
        .confirm(&config, plan, opsdeck::action::dispatcher::Answer::Yes)
        .unwrap();
    let (tx, _rx) = mpsc::channel(16);
    let audit = AuditLog::new(dir.path().join("audit.jsonl"));
    let transports = Transports::default();
    let outcome = execute(
        &auth,
        &ExecEnv {
            config: &config,
            audit: &audit,
            read_only: true,
            transports: &transports,
            known_hosts: &std::env::temp_dir().join("opsdeck-test-known_hosts"),
        },
        &tx,
    )
    .await;
    assert!(matches!(outcome, ActionOutcome::Refused { .. }));
    assert!(!dir.path().join("restarted").exists());
    assert!(!audit.path().exists(), "nothing ran, nothing to audit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwritable_audit_log_blocks_the_action() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), "");
    let worker = ServiceId::new(&HostId::new("box"), "worker");
    let mut d = Dispatcher::new(false);
    let plan = d.plan(&config, ActionKind::Restart, &worker, &[]).unwrap();
    let auth = d
        .confirm(&config, plan, opsdeck::action::dispatcher::Answer::Yes)
        .unwrap();
    let (tx, _rx) = mpsc::channel(16);
    // A directory where the file should be: the append fails.
    std::fs::create_dir(dir.path().join("audit-dir.jsonl")).unwrap();
    let audit = AuditLog::new(dir.path().join("audit-dir.jsonl"));
    let transports = Transports::default();
    let ActionOutcome::Refused { reason } = execute(
        &auth,
        &ExecEnv {
            config: &config,
            audit: &audit,
            read_only: false,
            transports: &transports,
            known_hosts: &std::env::temp_dir().join("opsdeck-test-known_hosts"),
        },
        &tx,
    )
    .await
    else {
        panic!()
    };
    assert!(reason.starts_with("cannot write the audit log"), "{reason}");
    assert!(
        !dir.path().join("restarted").exists(),
        "nothing may run unaudited"
    );
}

/// `:note TEXT` goes through the effect runner into the audit log, where `opsdeck
/// timeline` finds it with who wrote it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_from_the_palette_lands_in_the_audit_and_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let config = Arc::new(config(dir.path(), ""));
    let mut state = State::new(
        &config,
        false,
        vec!["default".into()],
        0,
        chrono::Utc::now(),
    );
    update(&mut state, &config, Msg::Action(Action::Palette));
    for c in "note paged the DBA; restore started".chars() {
        update(&mut state, &config, Msg::Input(TextInput::Char(c)));
    }
    let effects = update(&mut state, &config, Msg::Input(TextInput::Submit));
    assert!(
        matches!(effects.as_slice(), [Effect::Note { .. }]),
        "{effects:?}"
    );

    let (tx, mut rx) = mpsc::channel(16);
    let ctx = Context::new(config.clone(), tx, dir.path().join("known_hosts"));
    let audit = AuditLog::new(dir.path().join("audit.jsonl"));
    let runner = EffectRunner::new(
        ctx,
        RunnerOptions {
            audit: audit.clone(),
            read_only: false,
        },
    );
    for e in effects {
        runner.perform(e);
    }
    let u = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(u, Update::Noted { result: Ok(()) }), "{u:?}");
    update(&mut state, &config, Msg::Update(u));
    assert!(state.notice.as_ref().unwrap().text.contains("noted"));
    let entries = audit_entries(audit.path());
    assert_eq!(entries[0]["kind"], "note");
    assert_eq!(entries[0]["text"], "paged the DBA; restore started");

    let text = std::fs::read_to_string(audit.path()).unwrap();
    let (rows, bad) =
        opsdeck::runbook::timeline::build(&text, &opsdeck::runbook::timeline::Filter::default());
    assert_eq!(bad, 0);
    assert!(
        format!("{rows:?}").contains("paged the DBA; restore started"),
        "{rows:?}"
    );
}
