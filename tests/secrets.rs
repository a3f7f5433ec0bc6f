//! Planted secrets of several shapes must never come out: not in `status --json`, not in
//! `check` as text, JSON or JUnit, not in the tracing log, not in live log lines. Each
//! sentinel has an escape-proof core (`S3NT…`) that survives any quoting, so a secret that
//! was only half redacted (escaped in JSON, XML or `{:?}`) is still caught. The audit log,
//! the action popup and saved logs are covered in `actions_local.rs` and
//! `log_viewer.rs`; panic text in `terminal_restore.rs`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// (environment variable, value, its escape-proof core or the whole value when short).
const SECRETS: &[(&str, &str, &str)] = &[
    // A quote and a backslash: escaped differently by JSON, XML and Debug.
    ("SENT_QUOTE", r#"qu"o\te-S3NTA1"#, "S3NTA1"),
    // Non-ASCII.
    ("SENT_UNI", "ünï-S3NTB2-ß", "S3NTB2"),
    // Short: redacted where it stands as a word.
    ("SENT_SHORT", "Zq9", "Zq9"),
    // Shell metacharacters.
    ("SENT_SHELL", "$(x)`y`;S3NTC3|&", "S3NTC3"),
];

/// An HTTP server that answers every request with the Authorization header it was sent.
fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut auth = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("authorization:") {
                    auth = line[line.len() - v.len()..].trim().to_owned();
                }
                line.clear();
            }
            let body = format!("auth={auth}");
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    let all = r#"$TOKEN $UNI $SHORT $SHELL"#;
    let text = format!(
        r#"
[[hosts]]
name = "box"
transport = "local"
env = {{ TOKEN = "${{SENT_QUOTE}}", UNI = "${{SENT_UNI}}", SHORT = "${{SENT_SHORT}}", SHELL = "${{SENT_SHELL}}" }}

[[hosts.services]]
name = "app"
kind = "command"
status = ["sh", "-c", "printf 'up %s\n' \"{all}\"; exit 3"]

[[hosts.services.checks]]
name = "leaky-command"
kind = "command"
command = ["sh", "-c", "printf '%s\n' \"{all}\"; printf 'err %s\n' \"{all}\" >&2; exit 1"]
read_only_safe = true

[[hosts.services.checks]]
name = "leaky-http"
kind = "http"
url = "http://127.0.0.1:{port}/"
headers = {{ Authorization = "${{SENT_QUOTE}} ${{SENT_UNI}} ${{SENT_SHORT}} ${{SENT_SHELL}}" }}
body_regex = "^never$"
"#
    );
    let path = dir.join("hosts.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn opsdeck(dir: &Path, config: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(dir.join("opsdeck.log"))
        .args(args)
        .env("XDG_STATE_HOME", dir);
    for (name, value, _) in SECRETS {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_leaks_nothing(&format!("opsdeck {}", args.join(" ")), &text);
    text
}

fn assert_leaks_nothing(what: &str, text: &str) {
    for (_, _, core) in SECRETS {
        let found = if core.len() < 4 {
            text.split(|c: char| !c.is_alphanumeric())
                .any(|w| w == *core)
        } else {
            text.contains(core)
        };
        assert!(!found, "{what} shows the secret {core:?}:\n{text}");
    }
}

#[test]
fn no_output_of_status_or_check_holds_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), echo_server());

    let status = opsdeck(dir.path(), &config, &["status", "--json"]);
    // The probe ran with the host's env and its output was redacted, not lost.
    assert!(status.contains("up *** *** *** ***"), "{status}");
    let text = opsdeck(dir.path(), &config, &["status"]);
    assert!(text.contains("up *** *** *** ***"), "{text}");

    let json = opsdeck(dir.path(), &config, &["check", "--format", "json"]);
    assert!(
        json.contains("auth=***"),
        "the header was sent and echoed: {json}"
    );
    opsdeck(dir.path(), &config, &["check", "--format", "junit"]);
    let text = opsdeck(dir.path(), &config, &["check"]);
    assert!(text.contains("FAIL"), "{text}");

    let log = std::fs::read_to_string(dir.path().join("opsdeck.log")).unwrap();
    assert!(!log.is_empty());
    assert_leaks_nothing("opsdeck.log", &log);
}

#[test]
fn read_only_skips_checks_that_could_change_a_host() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hosts.toml");
    let port = echo_server();
    let marker = dir.path().join("posted");
    std::fs::write(
        &config,
        format!(
            r#"
[[hosts]]
name = "box"
transport = "local"

[[hosts.services]]
name = "app"
kind = "command"
status = ["touch", "{m}.status"]

[[hosts.services.checks]]
name = "writes"
kind = "command"
command = ["touch", "{m}"]

[[hosts.services.checks]]
name = "safe-command"
kind = "command"
command = ["true"]
read_only_safe = true

[[hosts.services.checks]]
name = "post"
kind = "http"
method = "POST"
url = "http://127.0.0.1:{port}/"

[[hosts.services.checks]]
name = "get"
kind = "http"
url = "http://127.0.0.1:{port}/"
"#,
            m = marker.display()
        ),
    )
    .unwrap();
    let json = opsdeck(
        dir.path(),
        &config,
        &["--read-only", "check", "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let verdict = |name: &str| {
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap()["verdict"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(verdict("writes"), "skipped");
    assert_eq!(verdict("post"), "skipped");
    assert_eq!(verdict("safe-command"), "pass");
    assert_eq!(verdict("get"), "pass");
    assert_eq!(doc["counts"]["skipped"], 2);
    assert_eq!(doc["exit_code"], 0);
    assert!(!marker.exists(), "the command check ran under --read-only");

    let status = opsdeck(dir.path(), &config, &["--read-only", "status"]);
    assert!(status.contains("not probed: read-only"), "{status}");
    assert!(
        !dir.path().join("posted.status").exists(),
        "the status probe ran"
    );

    // Without --read-only both run.
    opsdeck(dir.path(), &config, &["check"]);
    assert!(marker.exists());
}
