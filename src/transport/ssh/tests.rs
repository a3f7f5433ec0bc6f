use super::host_keys::{on_record, refused_key};
use super::record_stream::next_record;
use super::*;

#[tokio::test]
async fn a_record_read_across_a_cancelled_call_is_whole() {
    let (mut tx, rx) = tokio::io::duplex(64);
    let mut reader = tokio::io::BufReader::new(rx);
    let (mut line, mut record) = (Vec::new(), String::new());
    use tokio::io::AsyncWriteExt;
    tx.write_all(b"cpu 1 2\nmem 3").await.unwrap();
    // The first call is dropped mid-line, as a select! does when another branch wins.
    let cut = tokio::time::timeout(
        Duration::from_millis(50),
        next_record(
            &mut reader,
            &mut line,
            &mut record,
            "END",
            Limits::default(),
        ),
    )
    .await;
    assert!(cut.is_err(), "no record yet");
    tx.write_all(b" 4\nEND\nnext\nEND\n").await.unwrap();
    let whole = next_record(
        &mut reader,
        &mut line,
        &mut record,
        "END",
        Limits::default(),
    )
    .await
    .unwrap();
    assert_eq!(whole.as_deref(), Some("cpu 1 2\nmem 3 4\n"));
    let next = next_record(
        &mut reader,
        &mut line,
        &mut record,
        "END",
        Limits::default(),
    )
    .await
    .unwrap();
    assert_eq!(next.as_deref(), Some("next\n"));
}

/// OpenSSH's words for a host offering a key of a type it has no record of.
const OTHER_TYPE: &str = "No ED25519 host key is known for [10.77.0.13]:22 and you have \
                          requested strict checking.\r\nHost key verification failed.\r\n";

#[test]
fn a_key_of_an_unrecorded_type_is_a_refused_key() {
    assert!(refused_key(OTHER_TYPE));
    assert!(!refused_key(
        "ssh: connect to host 10.0.0.1 port 22: Connection refused"
    ));
}

#[tokio::test]
async fn anything_on_record_makes_a_refused_key_a_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let recorded = dir.path().join("known_hosts");
    std::fs::write(
        &recorded,
        "[10.77.0.13]:2222 ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WTVN9eE9s+OA0M=\n",
    )
    .unwrap();
    let target = SshTarget {
        name: "preventia".into(),
        destination: "10.77.0.13".into(),
        port: Some(2222),
        user: None,
        identity_file: None,
        known_hosts: Some(recorded),
        trusted_file: dir.path().join("ours"),
        policy: HostKeyPolicy::Strict,
        connect_timeout: Duration::from_secs(1),
        limits: Limits::default(),
        log_channels: LOG_CHANNELS,
        env: Default::default(),
        login_socket: None,
    };
    assert!(
        on_record(&target).await,
        "an ECDSA key is on record for the host"
    );
    let other = SshTarget {
        port: Some(2200),
        ..target
    };
    assert!(
        !on_record(&other).await,
        "nothing is on record for another port"
    );
}

#[tokio::test]
async fn a_refused_login_is_an_auth_failure() {
    let dir = tempfile::tempdir().unwrap();
    let target = SshTarget {
        name: "epagal".into(),
        destination: "10.77.0.11".into(),
        port: None,
        user: Some("root".into()),
        identity_file: None,
        known_hosts: Some(dir.path().join("kh")),
        trusted_file: dir.path().join("ours"),
        policy: HostKeyPolicy::Strict,
        connect_timeout: Duration::from_secs(1),
        limits: Limits::default(),
        log_channels: LOG_CHANNELS,
        env: Default::default(),
        login_socket: None,
    };
    let log = "root@10.77.0.11: Permission denied (publickey).\r\n";
    assert_eq!(
        super::host_keys::classify_failure(&target, log, Some(255)).await,
        SshError::AuthFailed("root@10.77.0.11: Permission denied (publickey).".into())
    );
    let refused = "ssh: connect to host 10.77.0.11 port 22: Connection refused\r\n";
    assert!(matches!(
        super::host_keys::classify_failure(&target, refused, Some(255)).await,
        SshError::Connect(_)
    ));
}

const FLEET: &str = r#"
[[hosts]]
name = "web"
transport = "ssh"
address = "10.0.0.1"

[[hosts]]
name = "db"
transport = "ssh"
address = "10.0.0.2"
interactive_auth = true

[[hosts]]
name = "here"
transport = "local"
"#;

#[test]
fn interactive_hosts_are_those_marked_and_those_connect_first_names() {
    let config = crate::config::load::parse(Path::new("hosts.toml"), FLEET).unwrap();
    let names = |l: &login::Logins| l.hosts().map(|h| h.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&login::Logins::new(&config, None).unwrap()), ["db"]);
    let all = login::Logins::new(&config, Some(&[])).unwrap();
    assert_eq!(names(&all), ["web", "db"], "every SSH host, in order");
    let web = login::Logins::new(&config, Some(&["web".to_owned()])).unwrap();
    assert_eq!(names(&web), ["web", "db"]);
    let trusted = Path::new("/nonexistent/kh");
    let t = web
        .target(&config, &crate::model::HostId::new("web"), trusted)
        .unwrap();
    assert!(t.login_socket.is_some(), "logged in hosts have a socket");
    let err = login::Logins::new(&config, Some(&["here".to_owned()])).unwrap_err();
    assert!(err.contains("`here` is not an SSH host"), "{err}");
    assert!(err.contains("web, db"), "{err}");
}
