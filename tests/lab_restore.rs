//! Backup now, restore and drill against the lab's real databases, through the binary as an
//! operator runs them (`opsdeck backup|restore|drill`): the same plans, dispatcher and
//! executor as the console's `b`, `R` and `D`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use opsdeck::transport::CommandSpec;

const PG: [&str; 4] = ["-h", "/run/postgresql", "-U", "postgres"];

/// These tests run one at a time: they make, delete and restore the same hosts' backups,
/// and one kills triboka's sshd.
static LAB: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Cli {
    state: tempfile::TempDir,
}

struct Ran {
    code: i32,
    out: String,
    took: Duration,
}

impl Cli {
    fn new() -> Self {
        Self {
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Ran {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .arg("--config")
            .arg(lab_hosts_path())
            .arg("--log-file")
            .arg(self.state.path().join("opsdeck.log"))
            .args(args)
            .env("XDG_STATE_HOME", self.state.path())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("$ opsdeck {}\n{text}", args.join(" "));
        Ran {
            code: out.status.code().unwrap_or(-1),
            out: text,
            took: started.elapsed(),
        }
    }

    fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.state.path().join("opsdeck/audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Runs a command on a lab host and returns its trimmed stdout (it must succeed).
async fn on(host: &str, args: &[&str]) -> String {
    let lab = lab_config();
    let conn = ssh(&lab, host).await;
    let out = conn
        .run(
            &CommandSpec::argv(args.iter().copied()),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(
        out.success(),
        "{host}: {args:?} failed: {}{}",
        out.stdout,
        out.stderr
    );
    out.stdout.trim().to_owned()
}

async fn epagal_rows() -> i64 {
    let mut args = vec!["psql"];
    args.extend(PG);
    args.extend(["-d", "epagal", "-tAc", "SELECT COUNT(*) FROM incidencias"]);
    on("epagal", &args).await.parse().unwrap()
}

async fn epagal_sql(sql: &str) {
    let mut args = vec!["psql"];
    args.extend(PG);
    args.extend(["-d", "epagal", "-v", "ON_ERROR_STOP=1", "-c", sql]);
    on("epagal", &args).await;
}

/// The key in a note like `new backup: epagal_20261202_061501.dump (key 20261202_061501, …)`.
fn key_after(out: &str, role: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.contains(&format!("{role}: ")))
        .unwrap_or_else(|| panic!("no `{role}` note in:\n{out}"));
    let at = line.find("key ").expect("the note names the key") + 4;
    line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '_')
        .collect()
}

/// Step timings the CLI prints (`   (1.2s)` after each step), in order.
fn step_times(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('(')?
                .strip_suffix("s)")
                .map(str::to_owned)
        })
        .collect()
}

/// Backups this test made are removed again, here and off-site, so the lab's listings stay
/// what other tests expect.
async fn forget_epagal_backups(keys: &[String]) {
    for key in keys {
        let name = format!("epagal_{key}.dump");
        on("epagal", &["rm", "-f", &format!("/backups/{name}")]).await;
        on(
            "epagal",
            &[
                "aws",
                "--endpoint-url",
                "http://10.77.0.14:5000",
                "s3",
                "rm",
                &format!("s3://epagal-backups/{name}"),
                "--only-show-errors",
            ],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn epagal_postgres_round_trip_with_safety_backup_and_refusals() {
    let _lab = LAB.lock().await;
    let cli = Cli::new();
    let before = epagal_rows().await;
    assert!(before > 10, "the lab's epagal has rows: {before}");

    // Back up now: made, found, verified, said where and how big.
    let made = cli.run(&["backup", "epagal-postgres", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.out);
    let key = key_after(&made.out, "new backup");
    let mut made_keys = vec![key.clone()];

    // Rows lost.
    epagal_sql("DELETE FROM incidencias WHERE id % 3 = 0").await;
    let damaged = epagal_rows().await;
    assert!(damaged < before);

    // A wrong typed name: nothing runs, nothing is written but the refusal.
    let audit_before = cli.audit().len();
    let wrong = cli.run(&[
        "restore",
        "epagal-postgres",
        &key,
        "--yes",
        "--confirm",
        "backend",
    ]);
    assert_eq!(wrong.code, 2, "{}", wrong.out);
    assert!(
        wrong.out.contains("confirmation did not match"),
        "{}",
        wrong.out
    );
    assert_eq!(
        cli.audit().len(),
        audit_before,
        "nothing ran, nothing audited"
    );
    assert_eq!(epagal_rows().await, damaged);

    // Read-only refuses before anything runs.
    let ro = cli.run(&[
        "--read-only",
        "restore",
        "epagal-postgres",
        &key,
        "--yes",
        "--confirm",
        "postgres",
    ]);
    assert_eq!(ro.code, 2, "{}", ro.out);
    assert!(ro.out.contains("read-only"), "{}", ro.out);

    // The dry run prints the whole plan and runs nothing.
    let dry = cli.run(&["restore", "epagal-postgres", &key, "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.out);
    for step in [
        "verify backup",
        "take a safety backup",
        "stop backend",
        "restore backup",
        "start backend",
        "run the integrity query",
    ] {
        assert!(
            dry.out.contains(step),
            "the plan names `{step}`:\n{}",
            dry.out
        );
    }
    assert!(dry.out.contains("nothing was run"));

    // The restore: rows back exactly, the safety backup named.
    let restored = cli.run(&[
        "restore",
        "epagal-postgres",
        &key,
        "--yes",
        "--confirm",
        "postgres",
    ]);
    assert_eq!(restored.code, 0, "{}", restored.out);
    assert_eq!(epagal_rows().await, before, "rows are back exactly");
    let safety = key_after(&restored.out, "safety backup");
    made_keys.push(safety.clone());
    assert_ne!(safety, key);
    eprintln!(
        "figures: epagal restore steps (s): {:?}, total {:.1}s",
        step_times(&restored.out),
        restored.took.as_secs_f64()
    );
    on(
        "epagal",
        &["test", "-s", &format!("/backups/epagal_{safety}.dump")],
    )
    .await;
    let (status, _) = http_get("10.77.0.11:8081", "/health");
    assert_eq!(status, 200, "the backend is running again");

    // The safety backup itself restores: back to the damaged state.
    let undo = cli.run(&[
        "restore",
        "epagal-postgres",
        &safety,
        "--yes",
        "--confirm",
        "postgres",
    ]);
    assert_eq!(undo.code, 0, "{}", undo.out);
    made_keys.push(key_after(&undo.out, "safety backup"));
    assert_eq!(
        epagal_rows().await,
        damaged,
        "the safety backup held the damaged state"
    );

    // Every step is in the audit log.
    let ends: Vec<_> = cli
        .audit()
        .into_iter()
        .filter(|e| e["event"] == "end" && e["action"] == "restore")
        .collect();
    assert_eq!(ends.len(), 2);
    assert!(ends.iter().all(|e| e["result"] == "succeeded"), "{ends:?}");
    let start = cli
        .audit()
        .into_iter()
        .find(|e| e["event"] == "start" && e["action"] == "restore")
        .unwrap();
    assert!(start["commands"].as_array().unwrap().len() >= 6, "{start}");

    // Leave the lab as it was.
    let back = cli.run(&[
        "restore",
        "epagal-postgres",
        &key,
        "--yes",
        "--confirm",
        "postgres",
    ]);
    assert_eq!(back.code, 0, "{}", back.out);
    made_keys.push(key_after(&back.out, "safety backup"));
    assert_eq!(epagal_rows().await, before);
    forget_epagal_backups(&made_keys).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_corrupt_backup_is_refused_before_anything_is_stopped() {
    let _lab = LAB.lock().await;
    let cli = Cli::new();
    // Old enough never to be the newest; not a pg_dump archive.
    let key = "20000101_000000";
    let path = format!("/backups/epagal_{key}.dump");
    on(
        "epagal",
        &["sh", "-c", &format!("head -c 4096 /dev/urandom > {path}")],
    )
    .await;
    let before = epagal_rows().await;
    let ran = cli.run(&[
        "restore",
        "epagal-postgres",
        key,
        "--yes",
        "--confirm",
        "postgres",
    ]);
    on("epagal", &["rm", "-f", &path]).await;
    assert_eq!(ran.code, 1, "{}", ran.out);
    assert!(ran.out.contains("step 1 (verify backup"), "{}", ran.out);
    assert!(
        !ran.out.contains("step 2/"),
        "nothing after the verify ran:\n{}",
        ran.out
    );
    assert_eq!(epagal_rows().await, before);
    let end = cli
        .audit()
        .into_iter()
        .find(|e| e["event"] == "end")
        .unwrap();
    assert_eq!(end["result"], "failed");
    assert_eq!(end["step"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_drill_restores_into_scratch_and_touches_nothing_live() {
    let _lab = LAB.lock().await;
    let cli = Cli::new();
    let before = epagal_rows().await;
    let mut args = vec!["psql"];
    args.extend(PG);
    args.extend([
        "-d",
        "postgres",
        "-tAc",
        "SELECT datname FROM pg_database ORDER BY 1",
    ]);
    let dbs_before = on("epagal", &args).await;
    let ran = cli.run(&["drill", "epagal-postgres", "--yes", "--json"]);
    assert_eq!(ran.code, 0, "{}", ran.out);
    let json_at = ran.out.find('{').unwrap();
    let record: serde_json::Value = serde_json::from_str(ran.out[json_at..].trim())
        .unwrap_or_else(|e| panic!("{e}: {}", ran.out));
    assert_eq!(record["ok"], true, "{record}");
    let rows: i64 = record["integrity"].as_str().unwrap().parse().unwrap();
    assert!(rows > 0);
    eprintln!(
        "figures: epagal drill {} ms, {rows} rows",
        record["duration_ms"]
    );
    assert_eq!(
        epagal_rows().await,
        before,
        "the live database is untouched"
    );
    assert_eq!(
        on("epagal", &args).await,
        dbs_before,
        "no scratch database is left"
    );

    // The SQLite drill leaves the live file alone (same mtime).
    let db = "/home/rootpanel/web/app.triboka.com/backend/instance/triboka.db";
    let mtime = on("triboka", &["stat", "-c", "%Y", db]).await;
    let ran = cli.run(&["drill", "triboka-sqlite", "--yes", "--json"]);
    assert_eq!(ran.code, 0, "{}", ran.out);
    assert!(ran.out.contains("\"integrity\": \"ok\""), "{}", ran.out);
    assert_eq!(on("triboka", &["stat", "-c", "%Y", db]).await, mtime);
    let left = on(
        "triboka",
        &["sh", "-c", "ls -d /tmp/opsdeck-drill-* 2>/dev/null | wc -l"],
    )
    .await;
    assert_eq!(left, "0", "the scratch directory was removed");

    // The result is kept: `opsdeck backups --json` shows it beside the set.
    let listed = cli.run(&["backups", "--json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&listed.out[listed.out.find('{').unwrap()..]).unwrap();
    let set = doc["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "triboka-sqlite")
        .unwrap();
    assert_eq!(set["last_drill"]["ok"], true, "{set}");
}

async fn triboka_contracts() -> i64 {
    on(
        "triboka",
        &[
            "sqlite3",
            "/home/rootpanel/web/app.triboka.com/backend/instance/triboka.db",
            "SELECT COUNT(*) FROM contratos",
        ],
    )
    .await
    .parse()
    .unwrap()
}

/// Microseconds since the epoch at which the unit last became active.
async fn active_since(unit: &str) -> (String, u64) {
    let state = on("triboka", &["systemctl", "is-active", unit]).await;
    let since = on(
        "triboka",
        &[
            "systemctl",
            "show",
            "-p",
            "ActiveEnterTimestampMonotonic",
            "--value",
            unit,
        ],
    )
    .await;
    (state, since.parse().unwrap_or(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn triboka_sqlite_round_trip_stops_both_units_and_starts_them_again() {
    let _lab = LAB.lock().await;
    let cli = Cli::new();
    let before = triboka_contracts().await;
    let made = cli.run(&["backup", "triboka-sqlite", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.out);
    let key = key_after(&made.out, "new backup");
    on(
        "triboka",
        &[
            "sqlite3",
            "/home/rootpanel/web/app.triboka.com/backend/instance/triboka.db",
            "DELETE FROM contratos WHERE estado = 'activo'",
        ],
    )
    .await;
    assert!(triboka_contracts().await < before);
    let (_, flask_before) = active_since("triboka-flask.service").await;
    let (_, front_before) = active_since("triboka-agro-frontend.service").await;

    let restored = cli.run(&[
        "restore",
        "triboka-sqlite",
        &key,
        "--yes",
        "--confirm",
        "triboka-flask",
    ]);
    assert_eq!(restored.code, 0, "{}", restored.out);
    assert_eq!(triboka_contracts().await, before, "the rows are back");
    // Both units were stopped before the copy and are active again, started anew.
    let order: Vec<usize> = [
        "stop triboka-flask",
        "stop triboka-agro-frontend",
        "restore backup",
        "start triboka-flask",
        "start triboka-agro-frontend",
    ]
    .iter()
    .map(|s| {
        restored
            .out
            .lines()
            .position(|l| l.starts_with("── step") && l.contains(&format!(": {s}")))
            .unwrap_or_else(|| panic!("no step `{s}`:\n{}", restored.out))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "steps in order: {order:?}"
    );
    let (flask, flask_after) = active_since("triboka-flask.service").await;
    let (front, front_after) = active_since("triboka-agro-frontend.service").await;
    assert_eq!((flask.as_str(), front.as_str()), ("active", "active"));
    assert!(
        flask_after > flask_before && front_after > front_before,
        "both were restarted"
    );
    assert!(restored.out.contains("integrity: ok"), "{}", restored.out);
    let safety = key_after(&restored.out, "safety backup");
    for k in [&key, &safety] {
        on(
            "triboka",
            &[
                "rm",
                "-f",
                &format!("/home/rootpanel/backups/triboka_backup_{k}.tar.gz"),
            ],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn preventia_three_parts_are_one_backup_restored_by_its_key() {
    let _lab = LAB.lock().await;
    let cli = Cli::new();
    let made = cli.run(&["backup", "preventia-db", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.out);
    let key = key_after(&made.out, "new backup");
    assert!(
        made.out.contains("3 parts"),
        "one backup of three files: {}",
        made.out
    );
    let count = || {
        on(
            "preventia",
            &[
                "psql",
                "-h",
                "/run/postgresql",
                "-U",
                "postgres",
                "-d",
                "preventia_news_prod",
                "-tAc",
                "SELECT COUNT(*) FROM articulos",
            ],
        )
    };
    let before = count().await;
    on(
        "preventia",
        &[
            "psql",
            "-h",
            "/run/postgresql",
            "-U",
            "postgres",
            "-d",
            "preventia_news_prod",
            "-c",
            "DELETE FROM articulos",
        ],
    )
    .await;
    let exports = on(
        "preventia",
        &["sh", "-c", "ls /opt/preventia/exports | head -n1"],
    )
    .await;
    assert!(!exports.is_empty(), "the lab has exports");
    on(
        "preventia",
        &["rm", "-f", &format!("/opt/preventia/exports/{exports}")],
    )
    .await;

    let restored = cli.run(&[
        "restore",
        "preventia-db",
        &key,
        "--yes",
        "--confirm",
        "postgres",
    ]);
    assert_eq!(restored.code, 0, "{}", restored.out);
    assert_eq!(count().await, before, "the database part is back");
    on(
        "preventia",
        &["test", "-f", &format!("/opt/preventia/exports/{exports}")],
    )
    .await;
    let safety = key_after(&restored.out, "safety backup");
    for k in [&key, &safety] {
        on(
            "preventia",
            &["sh", "-c", &format!("rm -f /backups/*/*_{k}.*")],
        )
        .await;
    }
}

/// The SSH connection dies during the restore step: the action ends `interrupted`, in the
/// audit log too, and says what state the service was left in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(feature = "lab"),
    ignore = "needs the lab: scripts/test, or lab/up and cargo test --features lab"
)]
async fn a_restore_cut_by_a_lost_connection_says_what_state_it_left() {
    let _lab = LAB.lock().await;
    use opsdeck::action::ActionOutcome;
    use opsdeck::action::Dispatcher;
    use opsdeck::action::dispatcher::Answer;
    use opsdeck::model::HostId;
    use opsdeck::protocol::{Effect, Update};

    let lab = lab_config();
    let h = lab.find_host(&HostId::new("triboka")).unwrap();
    let dir = "/tmp/opsdeck-cut-test";
    let text = format!(
        r#"
[[hosts]]
name = "triboka"
transport = "ssh"
address = "{addr}"
user = "root"
identity_file = "{id}"
known_hosts = "{kh}"

[[hosts.services]]
name = "app"
kind = "command"
status = ["test", "-f", "{dir}/running"]
start = ["touch", "{dir}/running"]
stop = ["rm", "-f", "{dir}/running"]

[[backups]]
name = "cut"
host = "triboka"
service = "app"
dir = "{dir}"
glob = "cut_*.tar.gz"
pattern = '^cut_(?P<key>\d{{8}}_\d{{6}})\.tar\.gz$'
create = ["sh", "-c", "tar -czf {dir}/cut_$(date +%Y%m%d_%H%M%S).tar.gz -C / etc/hostname"]
verify = ["tar", "-tzf", "{{file}}"]
restore = ["sleep", "30"]
stop_during_restore = ["app"]
"#,
        addr = h.address.as_ref().unwrap().get_ref(),
        id = h.identity_file.as_ref().unwrap().display(),
        kh = h.known_hosts.as_ref().unwrap().display(),
    );
    let config = std::sync::Arc::new(
        opsdeck::config::parse(std::path::Path::new("cut.toml"), &text)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    on("triboka", &["sh", "-c", &format!("rm -rf {dir}; mkdir -p {dir}; touch {dir}/running; tar -czf {dir}/cut_20260101_000000.tar.gz -C / etc/hostname")]).await;

    let mut run = Run::start(config.clone());
    let host = HostId::new("triboka");
    run.until(
        Duration::from_secs(20),
        "triboka up",
        |u, _| matches!(u, Update::HostSampled { host: h, .. } if *h == host),
    )
    .await;
    let mut d = Dispatcher::new(false);
    let listed = opsdeck::backup::list_set(
        &config.file.backups[0],
        &opsdeck::transport::Target::Ssh(host.clone()),
        run.sup.context().transports(),
        Duration::from_secs(20),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let backup = listed.newest().unwrap().clone();
    assert_eq!(backup.key, "20260101_000000");
    let plan = d
        .plan_restore(&config, "cut", &backup, chrono::Utc::now())
        .unwrap();
    let auth = d.confirm(&config, plan, Answer::Typed("app")).unwrap();
    run.sup.perform(Effect::Execute(auth));
    run.until(
        Duration::from_secs(30),
        "the restore step runs",
        |u, _| matches!(u, Update::ActionOutput { line, .. } if line.starts_with("$ sleep")),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    lab_break(&["sshd-kill", "triboka"]);
    let finished = run
        .until(Duration::from_secs(40), "the action ends", |u, _| {
            matches!(u, Update::ActionFinished { .. })
        })
        .await;
    lab_break(&["sshd-start", "triboka"]);
    let Update::ActionFinished { outcome, .. } = finished else {
        unreachable!()
    };
    let ActionOutcome::Interrupted {
        step_title, notes, ..
    } = &outcome
    else {
        panic!("expected interrupted, got {outcome:?}")
    };
    assert!(step_title.starts_with("restore backup"), "{step_title}");
    let left = notes
        .iter()
        .find(|n| n.starts_with("left: "))
        .expect("the state it was left in");
    assert!(
        left.contains("app stopped") && left.contains("safety backup"),
        "{left}"
    );
    let end = run
        .audit()
        .into_iter()
        .find(|e| e["event"] == "end")
        .expect("an end entry");
    assert_eq!(end["result"], "interrupted", "{end}");
    assert!(end["notes"].to_string().contains("app stopped"), "{end}");
    // The console says it too, in the notice that outlives the popup.
    let notice = &run.state.notice.as_ref().expect("a notice").text;
    assert!(
        notice.contains("interrupted") && notice.contains("app stopped"),
        "{notice}"
    );
    on("triboka", &["rm", "-rf", dir]).await;
}
