//! Runbooks against the lab: the host blocks of the seed 000 "BD corrupta" runbook run on
//! gamelera through `opsdeck run --yes`, a variable holding shell arrives as one argument,
//! a failing step stops the run, and `opsdeck timeline --format json` lists every step
//! with its times.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// A lab config whose runbooks come from `dir` and whose audit log is `dir/audit.jsonl`.
fn config_in(dir: &Path, runbooks: &Path) -> PathBuf {
    let _ = lab_config(); // fails with its clear message when the lab is not up
    let text = std::fs::read_to_string(lab_hosts_path()).unwrap();
    let mut out = String::new();
    let mut in_settings = false;
    for line in text.lines() {
        if line.starts_with("runbooks_dir") || line.starts_with("audit_log") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.trim() == "[settings]" && !in_settings {
            in_settings = true;
            out.push_str(&format!(
                "runbooks_dir = \"{}\"\naudit_log = \"{}\"\n",
                runbooks.display(),
                dir.join("audit.jsonl").display()
            ));
        }
    }
    assert!(in_settings, "the lab config has a [settings] table");
    let path = dir.join("hosts.toml");
    std::fs::write(&path, out).unwrap();
    path
}

fn opsdeck(config: &Path, state: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(state.join("opsdeck.log"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env_remove("SSH_CONNECTION")
        .output()
        .unwrap();
    if std::env::var_os("LAB_DEBUG").is_some() {
        eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    }
    out
}

/// The fenced blocks of the shipped seed 000 runbook that run on a host, each under a
/// heading of its own, as a runbook of their own (the restore and restart actions left out).
fn host_blocks_of_the_example() -> (String, usize) {
    let text = std::fs::read_to_string("examples/runbooks/gamelera-bd-corrupta.md").unwrap();
    let mut doc = String::from("# Seed 000 host blocks\n\n");
    let mut lines = text.lines();
    let mut n = 0;
    while let Some(l) = lines.next() {
        if l.starts_with("```bash {host=gamelera") {
            n += 1;
            doc.push_str(&format!("## block {n}\n\n{l}\n"));
            for body in lines.by_ref() {
                doc.push_str(body);
                doc.push('\n');
                if body == "```" {
                    break;
                }
            }
            doc.push('\n');
        }
    }
    (doc, n)
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn the_seed_000_host_blocks_run_on_gamelera_and_the_timeline_lists_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let books = dir.path().join("runbooks");
    std::fs::create_dir(&books).unwrap();
    let (blocks, n) = host_blocks_of_the_example();
    assert!(n >= 4, "the example has {n} host blocks");
    let canary = format!("/tmp/opsdeck-runbook-canary-{}", std::process::id());
    let doc = format!(
        "{blocks}## Guard\n\n```bash {{host=gamelera name=canary}}\ntouch {canary}\n```\n\n\
         ## A variable is data\n\n```bash {{host=gamelera name=echo-evil}}\nprintf '<%s>\\n' {{{{evil}}}} \"$#\"\n```\n\n\
         ```bash {{host=gamelera name=canary-survived}}\ntest -e {canary} && rm {canary}\n```\n\n\
         ## By hand\n\n```bash\necho run me yourself\n```\n"
    );
    std::fs::write(books.join("seed000-hosts.md"), &doc).unwrap();
    std::fs::write(
        books.join("fails.md"),
        "# Fails\n\n## Once\n\n```bash {host=gamelera retries=1 retry_interval=1s}\necho nope; exit 3\n```\n\n## Never reached\n\n```bash {host=gamelera}\ntrue\n```\n",
    )
    .unwrap();
    let config = config_in(dir.path(), &books);
    let state = dir.path().join("state");

    let evil = format!("; rm -f {canary} #");
    let out = opsdeck(
        &config,
        &state,
        &[
            "run",
            "seed000-hosts",
            "--yes",
            "--var",
            "backup=latest",
            "--var",
            &format!("evil={evil}"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps = n + 4;
    assert!(
        stdout.contains(&format!("completed: {steps}/{steps} steps")),
        "{stdout}"
    );
    // The value reached printf as one argument (and the canary is still there after it).
    assert!(stdout.contains(&format!("<{evil}>\n   <1>")), "{stdout}");
    assert!(
        stdout.contains("{ ok: 1 }"),
        "mongosh answered the ping: {stdout}"
    );
    assert!(
        stdout.contains("readable: /tmp/bovine-backups/mongodb-"),
        "{stdout}"
    );

    // Without --yes the manual step stops the run: exit 1, the steps before it done.
    let out = opsdeck(
        &config,
        &state,
        &[
            "run",
            "seed000-hosts",
            "--var",
            "evil=x",
            "--var",
            "backup=latest",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("stopped at manual step"));
    // Resumed with --yes, it picks up at the manual step: nothing before it runs again.
    let out = opsdeck(
        &config,
        &state,
        &["run", "seed000-hosts", "--resume", "--yes"],
    );
    let resumed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{resumed}");
    assert!(resumed.contains("resuming run"), "{resumed}");
    assert!(!resumed.contains("── step 1/"), "{resumed}");
    assert!(
        resumed.contains(&format!("completed: {steps}/{steps} steps")),
        "{resumed}"
    );

    // A failing step is tried again once, then the run stops with exit 1.
    let out = opsdeck(&config, &state, &["run", "fails"]);
    let fails_out = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{fails_out}");
    assert!(fails_out.contains("(try 2)"), "{fails_out}");
    assert!(!fails_out.contains("Never reached ["), "{fails_out}");
    // Resuming tries the failed step once more.
    let out = opsdeck(&config, &state, &["run", "fails", "--resume"]);
    let again = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{again}");
    assert!(again.contains("(try 3)"), "{again}");

    let out = opsdeck(
        &config,
        &state,
        &["timeline", "--format", "json", "--since", "1h"],
    );
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let first_run = rows
        .iter()
        .find(|r| r["kind"] == "runbook" && r["what"].as_str().unwrap().contains("seed000-hosts"))
        .expect("the run is in the timeline");
    assert_eq!(first_run["outcome"], "completed");
    let run_id = first_run["run_id"].as_str().unwrap();
    let step_rows: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["kind"] == "runbook_step" && r["run_id"] == run_id)
        .collect();
    assert_eq!(step_rows.len(), steps, "{step_rows:#?}");
    for (i, r) in step_rows.iter().enumerate() {
        assert!(
            r["what"]
                .as_str()
                .unwrap()
                .starts_with(&format!("step {}:", i + 1)),
            "{r}"
        );
        assert_eq!(r["outcome"], "passed", "{r}");
        let (start, end) = (r["start"].as_str().unwrap(), r["end"].as_str().unwrap());
        assert!(start <= end, "{r}");
        assert!(r["duration_ms"].is_u64(), "{r}");
        assert_ne!(r["who"], "", "{r}");
        assert!(!r["who"].as_str().unwrap().starts_with("uid:"), "{r}");
    }
    assert!(
        step_rows[..steps - 1]
            .iter()
            .all(|r| r["host"] == "gamelera")
    );
    // The failing run: two tries of step 1, both failed, with the reason.
    let tries: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| {
            r["kind"] == "runbook_step" && r["what"].as_str().unwrap().starts_with("step 1: Once")
        })
        .collect();
    assert_eq!(tries.len(), 3, "{tries:#?}");
    assert!(tries.iter().all(|r| r["outcome"] == "failed"));
    assert_eq!(tries[1]["detail"], "exit 3, expected exit 0");
    assert_eq!(tries[0]["detail"], "exit 3, expected exit 0 (tries again)");

    // The run's state was saved, completed.
    let runs = state.join("opsdeck/runs");
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(runs.join(format!("seed000-hosts-{run_id}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["status"], "completed");

    // The Markdown export has a row per step too.
    let out = opsdeck(&config, &state, &["timeline", "--host", "gamelera"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("# Incident timeline"), "{md}");
    assert!(
        md.contains("| step 1: block 1 |") || md.contains("step 1: mongo-ping"),
        "{md}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
fn the_shipped_runbooks_load_against_the_lab_config() {
    let dir = tempfile::tempdir().unwrap();
    let books = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/runbooks");
    let config = config_in(dir.path(), &books);
    let state = dir.path().join("state");
    let out = opsdeck(&config, &state, &["runbooks", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    for name in [
        "gamelera-bd-corrupta",
        "triboka-deploy",
        "preventia-restore",
    ] {
        let b = list
            .iter()
            .find(|b| b["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {list:?}"));
        assert!(b["steps"].as_u64().unwrap() >= 5, "{b}");
        assert!(
            b["source"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{name}.md")),
            "{b}"
        );
    }
    let out = opsdeck(
        &config,
        &state,
        &["run", "gamelera-bd-corrupta", "--dry-run"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("restore backup latest of gamelera-mongodb"),
        "{text}"
    );
    assert!(text.contains("dry run: nothing was run"), "{text}");
    // The timestamp of a restore has no default: it must be given.
    let out = opsdeck(&config, &state, &["run", "preventia-restore", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--var ts=VALUE"));
    let out = opsdeck(
        &config,
        &state,
        &["run", "triboka-deploy", "--dry-run", "--var", "version=v9"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a choice"));
}

/// Tests of this binary that restore preventia's database take turns (tests/lab_restore.rs
/// touches the same backups, in another binary, which runs before or after this one).
static PREVENTIA: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn the_seed_004_restore_runbook_runs_end_to_end_on_preventia() {
    let _turn = PREVENTIA.lock().await;
    let lab = lab_config();
    let conn = ssh(&lab, "preventia").await;
    let newest = conn
        .run(
            &opsdeck::transport::CommandSpec::argv([
                "sh",
                "-c",
                "ls -1t /backups/database | head -n 1",
            ]),
            std::time::Duration::from_secs(20),
        )
        .await
        .unwrap();
    let ts = newest
        .stdout
        .trim()
        .strip_prefix("db_")
        .and_then(|s| s.strip_suffix(".dump"))
        .unwrap_or_else(|| panic!("no backup on preventia: {newest:?}"))
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let books = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/runbooks");
    let config = config_in(dir.path(), &books);
    let state = dir.path().join("state");
    let run = |args: Vec<String>| {
        let (config, state) = (config.clone(), state.clone());
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            opsdeck(&config, &state, &args)
        })
    };
    // A typed confirmation is needed: --yes alone does not restore production.
    let base = vec![
        "run".to_owned(),
        "preventia-restore".into(),
        "--var".into(),
        format!("ts={ts}"),
        "--yes".into(),
    ];
    let out = run(base.clone()).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("give --confirm postgres"), "{text}");

    let mut confirmed = base.clone();
    confirmed.extend(["--confirm".into(), "postgres".into()]);
    let out = run(confirmed).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("Recuperacion completada: {ts}")),
        "{text}"
    );
    assert!(text.contains("completed: 6/6 steps"), "{text}");

    let out = run(vec!["timeline".into(), "--format".into(), "json".into()])
        .await
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let run_row = rows
        .iter()
        .filter(|r| r["kind"] == "runbook")
        .find(|r| r["outcome"] == "completed")
        .expect("the completed run");
    let run_id = run_row["run_id"].as_str().unwrap();
    let mut numbers: Vec<u64> = vec![];
    for r in rows
        .iter()
        .filter(|r| r["kind"] == "runbook_step" && r["run_id"] == run_id)
    {
        let what = r["what"].as_str().unwrap();
        let n: u64 = what["step ".len()..what.find(':').unwrap()]
            .parse()
            .unwrap();
        if r["outcome"] == "passed" {
            numbers.push(n);
            assert!(
                r["start"].as_str().unwrap() <= r["end"].as_str().unwrap(),
                "{r}"
            );
            assert!(r["duration_ms"].is_u64(), "{r}");
        }
    }
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6], "{rows:#?}");
    // The restore itself is the dispatcher's action, audited as such, in the same timeline.
    let restore = rows
        .iter()
        .find(|r| {
            r["kind"] == "action"
                && r["what"]
                    .as_str()
                    .unwrap()
                    .starts_with("restore preventia/postgres")
        })
        .unwrap_or_else(|| panic!("{rows:#?}"));
    assert_eq!(restore["outcome"], "succeeded", "{restore}");
}
