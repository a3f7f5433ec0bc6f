//! The conventions of the command line, through the built binary: `config check` and its
//! exit codes and JSON, where the configuration is looked for (`--config`,
//! `$OPSDECK_CONFIG`, `./hosts.toml`), colour (`NO_COLOR`, `CLICOLOR_FORCE`), completions,
//! the man page and `--version`.

use std::path::Path;
use std::process::{Command, Output};

fn opsdeck() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    // What the tests' own environment says must not decide the outcome.
    for var in [
        "OPSDECK_CONFIG",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "XDG_CONFIG_HOME",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("opsdeck runs");
    (
        status.code().expect("exited, not killed"),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// A config with `n` local hosts.
fn hosts(n: usize) -> String {
    (0..n)
        .map(|i| format!("[[hosts]]\nname = \"h{i}\"\ntransport = \"local\"\n\n"))
        .collect()
}

#[test]
fn config_check_of_a_valid_file_prints_a_summary_and_exits_0() {
    let (code, out, err) =
        run(opsdeck().args(["--config", "examples/fleet.toml", "config", "check"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("ok: examples/fleet.toml is valid\n"),
        "{out}"
    );
    assert!(out.contains("  files     examples/fleet.toml\n"), "{out}");
    assert!(out.contains("  hosts     5\n"), "{out}");
    assert!(!out.contains('\x1b'), "no colour into a pipe: {out:?}");

    let (code, out, _) =
        run(opsdeck().args(["-c", "examples/fleet.toml", "config", "check", "--json"]));
    assert_eq!(code, 0);
    let doc = json(&out);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["config"], "examples/fleet.toml");
    assert_eq!(doc["errors"], serde_json::json!([]));
    let s = &doc["summary"];
    assert_eq!(s["files"], serde_json::json!(["examples/fleet.toml"]));
    assert_eq!(s["hosts"], 5);
    for key in [
        "services", "checks", "backups", "deploys", "runbooks", "suites",
    ] {
        assert!(s[key].as_u64().is_some_and(|n| n > 0), "{key}: {s}");
    }
}

#[test]
fn config_check_of_a_bad_file_exits_2_and_names_the_place() {
    let bad = "tests/config_errors/11_duplicate_host.toml";
    let (code, out, err) = run(opsdeck().args(["-c", bad, "config", "check"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with(&format!(
            "error: {bad}:6:8: `hosts[1].name`: duplicate host name `web`"
        )),
        "{err}"
    );
    assert!(
        err.ends_with("invalid: 1 error in the configuration\n"),
        "{err}"
    );

    let (code, out, _) = run(opsdeck().args(["-c", bad, "config", "check", "--json"]));
    assert_eq!(code, 2);
    let doc = json(&out);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["summary"], serde_json::Value::Null);
    let e = &doc["errors"][0];
    assert_eq!(e["file"], bad);
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(6), Some(8))
    );
    assert_eq!(e["path"], "hosts[1].name");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("duplicate host name `web`"),
        "{e}"
    );

    // A file that is not there is an error about the whole file: line and column 0.
    let (code, out, _) = run(opsdeck().args(["-c", "nowhere.toml", "config", "check", "--json"]));
    assert_eq!(code, 2);
    let doc = json(&out);
    assert_eq!(doc["errors"][0]["line"], 0);
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot read")
    );
}

#[test]
fn config_check_lists_included_files_and_reports_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("hosts.toml");
    std::fs::write(
        &main,
        format!("include = [\"fleet.d/*.toml\"]\n{}", hosts(1)),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("fleet.d")).unwrap();
    let db = dir.path().join("fleet.d/db.toml");
    std::fs::write(&db, "[[hosts]]\nname = \"db\"\n\n[[hosts.services]]\nname = \"pg\"\nkind = \"systemd\"\nunit = \"postgresql\"\n").unwrap();
    let (code, out, err) = run(opsdeck()
        .arg("-c")
        .arg(&main)
        .args(["config", "check", "--json"]));
    assert_eq!(code, 0, "{out}{err}");
    let doc = json(&out);
    let files: Vec<&str> = doc["summary"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(files, [main.to_str().unwrap(), db.to_str().unwrap()]);
    assert_eq!(
        (
            doc["summary"]["hosts"].as_u64(),
            doc["summary"]["services"].as_u64()
        ),
        (Some(2), Some(1))
    );

    std::fs::write(&db, "[[hosts]]\nname = \"db\"\nport = \"22\"\n").unwrap();
    let (code, out, _) = run(opsdeck()
        .arg("-c")
        .arg(&main)
        .args(["config", "check", "--json"]));
    assert_eq!(code, 2);
    let e = &json(&out)["errors"][0];
    assert_eq!(e["file"], db.to_str().unwrap());
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(3), Some(8))
    );
}

#[test]
fn opsdeck_config_comes_after_the_flag_and_before_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, n: usize| {
        let p = dir.path().join(name);
        std::fs::write(&p, hosts(n)).unwrap();
        p
    };
    write("hosts.toml", 1);
    let from_env = write("env.toml", 2);
    let from_flag = write("flag.toml", 3);
    let count = |cmd: &mut Command| {
        let (code, out, err) = run(cmd
            .current_dir(dir.path())
            .args(["config", "check", "--json"]));
        assert_eq!(code, 0, "{out}{err}");
        json(&out)["summary"]["hosts"].as_u64().unwrap()
    };
    assert_eq!(count(&mut opsdeck()), 1, "./hosts.toml");
    assert_eq!(
        count(opsdeck().env("OPSDECK_CONFIG", &from_env)),
        2,
        "$OPSDECK_CONFIG"
    );
    assert_eq!(
        count(
            opsdeck()
                .env("OPSDECK_CONFIG", &from_env)
                .arg("--config")
                .arg(&from_flag)
        ),
        3,
        "--config"
    );
    assert_eq!(
        count(opsdeck().env("OPSDECK_CONFIG", "")),
        1,
        "empty is unset"
    );
    // `~` in the variable is the home directory.
    assert_eq!(
        count(
            opsdeck()
                .env("HOME", dir.path())
                .env("OPSDECK_CONFIG", "~/env.toml")
        ),
        2
    );
    // A variable naming a file that is not there is an error, not a fallback.
    let (code, _, err) = run(opsdeck()
        .current_dir(dir.path())
        .env("OPSDECK_CONFIG", "gone.toml")
        .args(["config", "check"]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: gone.toml: cannot read"), "{err}");
}

#[test]
fn colour_only_when_forced_and_never_with_no_color() {
    let args = ["-c", "examples/fleet.toml", "config", "check"];
    let (_, out, _) = run(opsdeck().args(args).env("CLICOLOR_FORCE", "1"));
    assert!(out.starts_with("\x1b[1;32mok\x1b[0m: "), "{out:?}");
    let (_, out, _) = run(opsdeck()
        .args(args)
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1"));
    assert!(out.starts_with("ok: "), "{out:?}");
    let (_, _, err) = run(opsdeck()
        .args([
            "-c",
            "tests/config_errors/11_duplicate_host.toml",
            "config",
            "check",
        ])
        .env("CLICOLOR_FORCE", "1"));
    assert!(err.starts_with("\x1b[1;31merror\x1b[0m: "), "{err:?}");
    // JSON is never coloured.
    let (_, out, _) = run(opsdeck()
        .args(args)
        .arg("--json")
        .env("CLICOLOR_FORCE", "1"));
    assert!(!out.contains('\x1b'), "{out:?}");
}

#[test]
fn completions_and_man_page_name_the_subcommands_without_a_config() {
    // Run where there is no hosts.toml: generating these must not need one.
    let empty = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = run(opsdeck()
            .current_dir(empty.path())
            .args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {err}");
        for sub in [
            "status",
            "check",
            "backups",
            "restore",
            "config",
            "completions",
            "man",
        ] {
            assert!(out.contains(sub), "{shell} completions lack {sub}");
        }
    }
    let (code, _, err) = run(opsdeck().args(["completions", "tcsh"]));
    assert_eq!(code, 2, "clap's usage error: {err}");

    let (code, out, err) = run(opsdeck().current_dir(empty.path()).arg("man"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(".ie") || out.contains(".TH opsdeck"),
        "{}",
        &out[..out.len().min(200)]
    );
    for sub in ["status", "check", "backups", "config", "completions"] {
        assert!(out.contains(sub), "the man page lacks {sub}");
    }
}

#[test]
fn version_names_the_git_revision_in_a_checkout() {
    let (code, out, _) = run(opsdeck().arg("--version"));
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("opsdeck {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(manifest)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match rev {
        Some(rev) => assert_eq!(
            out.trim(),
            format!("opsdeck {} (git {rev})", env!("CARGO_PKG_VERSION"))
        ),
        None => assert_eq!(out.trim(), format!("opsdeck {}", env!("CARGO_PKG_VERSION"))),
    }
}

#[test]
fn every_subcommand_lists_its_exit_codes_in_help() {
    for args in [
        &["--help"][..],
        &["tui", "--help"],
        &["status", "--help"],
        &["check", "--help"],
        &["config", "check", "--help"],
        &["man", "--help"],
    ] {
        let (code, out, err) = run(opsdeck().args(args));
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("Exit status: 0 "), "{args:?}:\n{out}");
    }
}

#[test]
fn built_in_themes_and_key_map_need_no_files_from_the_repository() {
    // A config far from the repository naming a built-in theme and rebinding a key: both
    // come from inside the binary (include_str!), as after `cargo install --path .`.
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("hosts.toml");
    let text = format!(
        "[settings]\ntheme = \"high-contrast\"\n\n[keys]\n\"ctrl-r\" = \"refresh\"\n\n{}",
        hosts(1)
    );
    std::fs::write(&main, text).unwrap();
    let (code, out, err) = run(opsdeck().current_dir(dir.path()).args(["config", "check"]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(opsdeck()
        .current_dir(dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .args(["--theme", "light", "status", "--json"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["ok"], true);
}
