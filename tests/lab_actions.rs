//! Actions against the lab's hosts, through the dispatcher and the effect runner as the
//! console runs them.

mod common;

use std::time::Duration;

use common::*;
use opsdeck::action::dispatcher::Answer;
use opsdeck::action::{ActionKind, ActionOutcome, Dispatcher};
use opsdeck::model::{HostId, ServiceId};
use opsdeck::protocol::{Effect, Update};

/// A config of one lab host with one `command` service, written next to the test.
fn one_host(host: &str, service: &str) -> std::sync::Arc<opsdeck::config::Config> {
    let lab = lab_config();
    let h = lab.find_host(&HostId::new(host)).unwrap();
    let text = format!(
        "[[hosts]]\nname = \"{host}\"\ntransport = \"ssh\"\naddress = \"{}\"\nuser = \"root\"\n\
         identity_file = \"{}\"\nknown_hosts = \"{}\"\n\n{service}",
        h.address.as_ref().unwrap().get_ref(),
        h.identity_file.as_ref().unwrap().display(),
        h.known_hosts.as_ref().unwrap().display(),
    );
    std::sync::Arc::new(
        opsdeck::config::parse(std::path::Path::new("one-host.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

/// The SSH connection dies in the middle of a step: the action ends `interrupted` (what
/// the step did on the host is not known), in the audit log too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_step_cut_short_by_a_lost_connection_is_interrupted() {
    let config = one_host(
        "triboka",
        "[[hosts.services]]\nname = \"slow\"\nkind = \"command\"\nstatus = [\"true\"]\n\
         restart = [\"sleep\", \"30\"]\n",
    );
    let mut run = Run::start(config.clone());
    let host = HostId::new("triboka");
    run.until(
        Duration::from_secs(20),
        "triboka up",
        |u, _| matches!(u, Update::HostSampled { host: h, .. } if *h == host),
    )
    .await;
    let mut d = Dispatcher::new(false);
    let service = ServiceId::new(&host, "slow");
    let plan = d.plan(&config, ActionKind::Restart, &service, &[]).unwrap();
    let auth = d.confirm(&config, plan, Answer::Yes).unwrap();
    run.sup.perform(Effect::Execute(auth));
    run.until(
        Duration::from_secs(10),
        "the step runs",
        |u, _| matches!(u, Update::ActionOutput { line, .. } if line.starts_with("$ sleep")),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    lab_break(&["sshd-kill", "triboka"]);
    let finished = run
        .until(Duration::from_secs(30), "the action ends", |u, _| {
            matches!(u, Update::ActionFinished { .. })
        })
        .await;
    lab_break(&["sshd-start", "triboka"]);
    let Update::ActionFinished { outcome, .. } = finished else {
        unreachable!()
    };
    let ActionOutcome::Interrupted {
        step_title, reason, ..
    } = &outcome
    else {
        panic!("expected interrupted, got {outcome:?}")
    };
    assert_eq!(step_title, "restart");
    assert!(reason.contains("connection"), "{reason}");
    assert!(
        outcome.summary().contains("not known"),
        "the operator is told the state is unknown: {}",
        outcome.summary()
    );
    let end = run
        .audit()
        .into_iter()
        .find(|e| e["event"] == "end")
        .expect("an end entry");
    assert_eq!(end["result"], "interrupted", "{end}");
}

/// A host's `env` reaches every command over SSH on its stdin: the value is in the
/// command's environment and on no command line `ps` on the host can show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn host_env_secrets_reach_commands_but_never_a_command_line() {
    const SECRET: &str = "p4ss w'o\"rd-S3NTENV";
    let lab = lab_config();
    let mut target = target(
        &lab,
        "epagal",
        &std::env::temp_dir().join("opsdeck-tests-known_hosts"),
    );
    let config = opsdeck::config::parse(
        std::path::Path::new("env.toml"),
        &format!(
            "[[hosts]]\nname = \"x\"\ntransport = \"local\"\nenv = {{ DB_PASSWORD = {SECRET:?} }}\n"
        ),
    )
    .unwrap();
    target.env = opsdeck::transport::CommandEnv::from_config(&config.file.hosts[0]);
    let conn = std::sync::Arc::new(opsdeck::transport::ssh::connect(&target).await.unwrap());
    let spec = |args: &[&str]| opsdeck::transport::CommandSpec::argv(args.iter().copied());
    let out = conn
        .run(
            &spec(&["sh", "-c", "printf '%s' \"$DB_PASSWORD\""]),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout, SECRET);

    // While a command with the variable runs, every process's arguments on the host.
    let sleeper = {
        let conn = conn.clone();
        tokio::spawn(async move {
            conn.run(
                &spec(&["sh", "-c", "sleep 3; test -n \"$DB_PASSWORD\""]),
                Duration::from_secs(10),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let ps = conn
        .run(&spec(&["ps", "-eo", "args"]), Duration::from_secs(10))
        .await
        .unwrap();
    assert!(ps.stdout.contains("sleep 3"), "{}", ps.stdout);
    assert!(!ps.stdout.contains("S3NTENV"), "{}", ps.stdout);
    assert!(sleeper.await.unwrap().unwrap().success());
}

/// A restart waits for its own outcome: the unit active again with a new
/// ActiveEnterTimestamp, then the service's checks; the outcome says both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_systemd_restart_reports_its_new_active_time_and_health() {
    let config = lab_config();
    let mut run = Run::start(config.clone());
    let host = HostId::new("triboka");
    run.until(
        Duration::from_secs(20),
        "triboka up",
        |u, _| matches!(u, Update::HostSampled { host: h, .. } if *h == host),
    )
    .await;
    let mut d = Dispatcher::new(false);
    let service = ServiceId::new(&host, "triboka-flask");
    let plan = d.plan(&config, ActionKind::Restart, &service, &[]).unwrap();
    let auth = d
        .confirm(&config, plan, Answer::Typed("triboka-flask"))
        .unwrap();
    run.sup.perform(Effect::Execute(auth));
    let finished = run
        .until(Duration::from_secs(90), "the restart ends", |u, _| {
            matches!(u, Update::ActionFinished { .. })
        })
        .await;
    let Update::ActionFinished { outcome, .. } = finished else {
        unreachable!()
    };
    assert!(outcome.succeeded(), "{outcome:?}");
    let notes = outcome.notes().join(" · ");
    assert!(
        notes.contains("triboka-flask.service active after"),
        "{notes}"
    );
    assert!(notes.contains("health ok after"), "{notes}");
    let notice = &run.state.notice.as_ref().unwrap().text;
    assert!(
        notice.contains("active after") && notice.contains("health ok after"),
        "{notice}"
    );
}
