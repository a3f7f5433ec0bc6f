//! A deploy step that is an HTTP request (a PaaS deploy hook, seed 001): the request goes
//! out with its secret header, the status decides, a refused deploy is rolled back by a
//! request too, and the secret is in no output and not in the audit log.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

const SECRET: &str = "paas-S3NT-7f3e";

/// Answers 202 to `/deploy?version=…`, 500 when the version is `broken`; keeps each request
/// line and its Authorization header.
fn paas() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            let mut auth = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if line.to_ascii_lowercase().starts_with("authorization:") {
                    auth = line[14..].trim().to_owned();
                }
                line.clear();
            }
            log.lock()
                .unwrap()
                .push(format!("{} | {auth}", first.trim()));
            let status = if first.contains("broken") {
                "500 Internal Server Error"
            } else {
                "202 Accepted"
            };
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    (port, seen)
}

#[test]
fn a_paas_hook_deploys_rolls_back_and_keeps_its_secret() {
    let (port, seen) = paas();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hosts.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[settings]
lock_dir = "{locks}"

[[hosts]]
name = "box"
transport = "local"

[[hosts.services]]
name = "paas"
kind = "command"
status = ["true"]

[[deploys]]
name = "paas"
service = "box/paas"
current_version = ["cat", "{v}"]

[[deploys.steps]]
title = "the PaaS deploy hook"
request = {{ url = "http://127.0.0.1:{port}/deploy?version={{version}}", headers = {{ Authorization = "Bearer ${{PAAS_TOKEN}}" }}, expect_status = 202 }}

[[deploys.rollback]]
title = "the hook with the recorded version"
request = {{ url = "http://127.0.0.1:{port}/deploy?version={{previous_version}}", headers = {{ Authorization = "Bearer ${{PAAS_TOKEN}}" }}, expect_status = 202 }}
"#,
            v = dir.path().join("version").display(),
            locks = dir.path().join("locks").display()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("version"), "v1\n").unwrap();
    // The lock lives in the test's own directory (settings.lock_dir).
    let run = |version: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .arg("--config")
            .arg(&config)
            .arg("--log-file")
            .arg(dir.path().join("opsdeck.log"))
            .args(["deploy", "box/paas", version, "--yes"])
            .env("XDG_STATE_HOME", dir.path())
            .env("PAAS_TOKEN", SECRET)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains("S3NT"), "the secret was shown:\n{text}");
        (out.status.code().unwrap(), text)
    };
    let (code, out) = run("v2");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("POST http://127.0.0.1"), "{out}");
    assert!(out.contains("→ 202"), "{out}");

    let (code, out) = run("broken");
    assert_eq!(code, 1, "refused by the PaaS, rolled back: {out}");
    assert!(out.contains("→ 500"), "{out}");
    assert!(out.contains("rolled back to v1"), "{out}");

    let requests = seen.lock().unwrap().clone();
    assert_eq!(
        requests,
        [
            format!("POST /deploy?version=v2 HTTP/1.1 | Bearer {SECRET}"),
            format!("POST /deploy?version=broken HTTP/1.1 | Bearer {SECRET}"),
            format!("POST /deploy?version=v1 HTTP/1.1 | Bearer {SECRET}"),
        ]
    );
    let audit = std::fs::read_to_string(dir.path().join("opsdeck/audit.jsonl")).unwrap();
    assert!(audit.contains("${PAAS_TOKEN}"), "the template is audited");
    assert!(!audit.contains("S3NT"), "{audit}");
}
