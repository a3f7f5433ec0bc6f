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
