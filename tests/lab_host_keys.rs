//! Host keys that cannot be talked around, against the lab's real sshd: opsdeck writes
//! only its own known_hosts (also with `accept-new`), a key of another type than the one
//! on record is a changed key, and `:trust` trusts only the key the operator saw.

mod common;

use common::*;
use opsdeck::action::audit::AuditLog;
use opsdeck::action::dispatcher::Answer;
use opsdeck::action::execute::{ExecEnv, execute};
use opsdeck::action::{ActionOutcome, Confirmation, Dispatcher};
use opsdeck::config::schema::HostKeyPolicy;
use opsdeck::model::HostId;
use opsdeck::transport::Transports;
use opsdeck::transport::ssh::{SshError, connect, scan_host_key};
use tokio::sync::{Mutex, mpsc};

static SERIAL: Mutex<()> = Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn accept_new_writes_only_opsdecks_own_known_hosts() {
    let _serial = SERIAL.lock().await;
    let config = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let trusted = dir.path().join("opsdeck-known_hosts");
    let users = dir.path().join("users-known_hosts");
    std::fs::write(&users, "# the user's own file\n").unwrap();
    let mut t = target(&config, "epagal", &trusted);
    t.known_hosts = Some(users.clone());
    t.policy = HostKeyPolicy::AcceptNew;
    let conn = connect(&t).await.expect("accept-new connects a new host");
    assert!(conn.is_alive().await);
    assert_eq!(
        std::fs::read_to_string(&users).unwrap(),
        "# the user's own file\n",
        "the user's known_hosts was written"
    );
    let ours = std::fs::read_to_string(&trusted).expect("opsdeck's known_hosts holds the key");
    assert!(ours.contains("ssh-ed25519"), "{ours}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_key_of_another_type_than_on_record_is_a_changed_key() {
    let _serial = SERIAL.lock().await;
    let config = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let trusted = dir.path().join("opsdeck-known_hosts");
    let mut t = target(&config, "gamelera", &trusted);
    // On record: an ECDSA key for the host, which offers only ED25519.
    let key = dir.path().join("other");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ecdsa", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let record = public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let recorded = dir.path().join("recorded");
    std::fs::write(&recorded, format!("{} {record}\n", t.destination)).unwrap();
    t.known_hosts = Some(recorded);
    match connect(&t).await {
        Err(SshError::KeyTypeChanged { .. } | SshError::ChangedHostKey { .. }) => {}
        Err(SshError::UnknownHostKey { .. }) => {
            panic!("a key of another type was taken for an unknown key: :trust would accept it")
        }
        Err(e) => panic!("expected a changed-key refusal, got: {e}"),
        Ok(_) => panic!("connected despite a key of another type on record"),
    }
    assert!(!trusted.exists(), "opsdeck's known_hosts was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn trust_takes_only_the_key_the_operator_saw() {
    let _serial = SERIAL.lock().await;
    let config = lab_config();
    let dir = tempfile::tempdir().unwrap();
    let trusted = dir.path().join("opsdeck-known_hosts");
    let host = HostId::new("preventia");
    let t = target(&config, "preventia", &trusted);
    let (seen, lines) = scan_host_key(&t).await.unwrap();

    let mut d = Dispatcher::new(false);
    let plan = d.plan_trust(&config, &host, &seen, &lines).unwrap();
    assert_eq!(
        plan.confirmation,
        Confirmation::TypeName("preventia".into()),
        "a prod host asks for its name"
    );
    assert!(plan.steps[0].command.to_string().contains(&seen));
    let auth = d
        .confirm(&config, plan, Answer::Typed("preventia"))
        .unwrap();

    // Between the look and the go-ahead the host starts offering another key.
    lab_break(&["hostkey-change", "preventia"]);
    let audit = AuditLog::new(dir.path().join("audit.jsonl"));
    let (tx, _rx) = mpsc::channel(16);
    let env = ExecEnv {
        config: &config,
        audit: &audit,
        read_only: false,
        transports: &Transports::default(),
        known_hosts: &trusted,
    };
    let outcome = execute(&auth, &env, &tx).await;
    lab_break(&["hostkey-restore", "preventia"]);
    let ActionOutcome::Failed { error, .. } = &outcome else {
        panic!("the changed key was trusted: {outcome:?}")
    };
    assert!(
        error.contains("now offers") && error.contains(&seen),
        "{error}"
    );
    assert!(
        !trusted.exists(),
        "a key the operator did not see was written"
    );
    let entries = std::fs::read_to_string(audit.path()).unwrap();
    assert!(
        entries.contains("\"action\":\"trust_host_key\"") && entries.contains("\"event\":\"end\""),
        "{entries}"
    );

    // With the key the operator saw on offer again, the same plan trusts it.
    d.finished(&opsdeck::action::Subject::Host(host.clone()));
    let plan = d.plan_trust(&config, &host, &seen, &lines).unwrap();
    let auth = d
        .confirm(&config, plan, Answer::Typed("preventia"))
        .unwrap();
    let outcome = execute(&auth, &env, &tx).await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let written = std::fs::read_to_string(&trusted).unwrap();
    assert!(written.contains("ssh-ed25519"), "{written}");
}
