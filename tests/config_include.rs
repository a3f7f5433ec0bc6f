//! A fleet in several files (`include = ["fleet.d/*.toml"]`) and `~`/`$HOME` in local
//! paths: errors name the file they are in, with line and column; duplicates across files
//! name both places. The corpus in tests/config_errors/ is one file per case; these cases
//! need a directory of files each, written here into temporary directories.

use std::path::{Path, PathBuf};

/// A directory holding `files` (relative path, text); returns it and the main file's path.
fn fleet(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let main = dir.path().join("hosts.toml");
    (dir, main)
}

fn errors(main: &Path) -> String {
    match opsdeck::config::load(main) {
        Ok(_) => panic!("{} loaded without error", main.display()),
        Err(e) => e.to_string(),
    }
}

const MAIN: &str = r#"include = ["fleet.d/*.toml"]

[[hosts]]
name = "box"
transport = "local"

[[hosts.services]]
name = "web"
kind = "systemd"
unit = "nginx.service"
"#;

#[test]
fn included_files_are_merged_in_order_and_may_refer_to_each_other() {
    let (dir, main) = fleet(&[
        ("hosts.toml", MAIN),
        (
            "fleet.d/b-backups.toml",
            r#"[[backups]]
name = "db"
host = "db"
service = "postgres"
dir = "/var/backups"

[[suites]]
name = "smoke"
checks = ["db/postgres/ready", "box/web/up"]
"#,
        ),
        (
            "fleet.d/a-db.toml",
            r#"[[hosts]]
name = "db"
transport = "local"

[[hosts.services]]
name = "postgres"
kind = "systemd"
unit = "postgresql.service"

[[hosts.services.checks]]
name = "ready"
kind = "command"
command = ["pg_isready"]
"#,
        ),
        // Neither of these is read: not `*.toml`, and a hidden file.
        ("fleet.d/notes.md", "not toml"),
        ("fleet.d/.draft.toml", "[[hosts]]\nname = \"draft\"\n"),
    ]);
    // The check the suite names in the main file's service comes after it is used.
    let text = format!(
        "{MAIN}\n[[hosts.services.checks]]\nname = \"up\"\nkind = \"command\"\ncommand = [\"true\"]\n"
    );
    std::fs::write(&main, text).unwrap();
    let config = opsdeck::config::load(&main).unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path().join("fleet.d");
    assert_eq!(
        config.files,
        vec![main.clone(), d.join("a-db.toml"), d.join("b-backups.toml")]
    );
    let hosts: Vec<&str> = config
        .file
        .hosts
        .iter()
        .map(|h| h.name.get_ref().as_str())
        .collect();
    assert_eq!(hosts, ["box", "db"]);
    assert_eq!(config.file.backups.len(), 1);
    assert_eq!(config.file.suites.len(), 1);
}

#[test]
fn an_error_in_an_included_file_names_that_file_with_line_and_column() {
    let (dir, main) = fleet(&[
        ("hosts.toml", MAIN),
        (
            "fleet.d/triboka.toml",
            r#"[[hosts]]
name = "triboka"
transport = "local"

[[hosts.services]]
name = "flask"
kind = "systemd"
unit = "--all"
"#,
        ),
    ]);
    let file = dir.path().join("fleet.d/triboka.toml");
    // The path is the included file's own: its first host, not the merged list's second.
    let expected = format!(
        "error: {}:8:8: `hosts[0].services[0].unit`: invalid unit: `--all` must not start with `-`\n  |\n8 | unit = \"--all\"\n  |        ^^^^^^^",
        file.display()
    );
    assert_eq!(errors(&main), expected);
}

#[test]
fn a_syntax_error_in_an_included_file_names_it_and_every_file_is_reported() {
    let (dir, main) = fleet(&[
        ("hosts.toml", MAIN),
        ("fleet.d/a.toml", "[[hosts]]\nname = \"a\nport = 22\n"),
        ("fleet.d/b.toml", "[[hosts]]\nname = \"b\"\nprot = 22\n"),
    ]);
    let text = errors(&main);
    let a = dir.path().join("fleet.d/a.toml");
    let b = dir.path().join("fleet.d/b.toml");
    assert!(
        text.starts_with(&format!("error: {}:2:", a.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "error: {}:3:1: `hosts[0].prot`: unknown field `prot`",
            b.display()
        )),
        "{text}"
    );
}

#[test]
fn duplicate_host_names_across_files_name_both_places() {
    let (dir, main) = fleet(&[
        ("hosts.toml", MAIN),
        (
            "fleet.d/more.toml",
            "# the same machine, again\n[[hosts]]\nname = \"box\"\ntransport = \"local\"\n",
        ),
    ]);
    let more = dir.path().join("fleet.d/more.toml");
    let expected = format!(
        "error: {}:3:8: `hosts[0].name`: duplicate host name `box` (first defined at {}:4:8)",
        more.display(),
        main.display()
    );
    let text = errors(&main);
    assert!(text.starts_with(&expected), "{text}\nwanted: {expected}");
}

#[test]
fn duplicate_names_between_two_included_files_name_both() {
    let host = "[[hosts]]\nname = \"twin\"\ntransport = \"local\"\n";
    let (dir, main) = fleet(&[
        ("hosts.toml", MAIN),
        ("fleet.d/one.toml", host),
        ("fleet.d/two.toml", host),
    ]);
    let d = dir.path().join("fleet.d");
    let text = errors(&main);
    assert!(
        text.starts_with(&format!(
            "error: {}:2:8: `hosts[0].name`: duplicate host name `twin` (first defined at {}:2:8)",
            d.join("two.toml").display(),
            d.join("one.toml").display()
        )),
        "{text}"
    );
}

#[test]
fn settings_keys_and_include_stay_in_the_main_file() {
    let (dir, main) = fleet(&[
        ("hosts.toml", MAIN),
        (
            "fleet.d/bad.toml",
            "include = [\"x.toml\"]\n\n[settings]\nrefresh = \"5s\"\n\n[keys]\n\"x\" = \"quit\"\n",
        ),
    ]);
    let bad = dir.path().join("fleet.d/bad.toml");
    let text = errors(&main);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(&format!(
            "error: {}:1:1: `include`: includes do not nest",
            bad.display()
        )),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "error: {}:3:2: `settings`: `settings` belongs in the main file; an included file \
             holds only [[hosts]], [[backups]], [[deploys]], [[runbooks]], [[suites]]",
            bad.display()
        )),
        "{text}"
    );
    assert!(lines[2].contains(":6:2: `keys`:"), "{text}");
}

#[test]
fn an_include_naming_a_missing_file_points_at_the_entry() {
    let (dir, main) = fleet(&[(
        "hosts.toml",
        "include = [\n  \"fleet.d/*.toml\",\n  \"db.toml\",\n]\n\n[[hosts]]\nname = \"box\"\n",
    )]);
    let text = errors(&main);
    // The directory of the glob does not exist either: both entries are reported.
    assert!(
        text.contains(&format!(
            "{}:2:3: `include[0]`: cannot list",
            main.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}:3:3: `include[1]`: included file {} does not exist",
            main.display(),
            dir.path().join("db.toml").display()
        )),
        "{text}"
    );
}

#[test]
fn a_file_matched_twice_and_the_main_file_itself_are_read_once() {
    let (dir, main) = fleet(&[
        (
            "hosts.toml",
            "include = [\"*.toml\", \"db.toml\", \"d*.toml\"]\n[[hosts]]\nname = \"box\"\n",
        ),
        ("db.toml", "[[hosts]]\nname = \"db\"\n"),
    ]);
    let config = opsdeck::config::load(&main).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.files, vec![main.clone(), dir.path().join("db.toml")]);
    assert_eq!(config.file.hosts.len(), 2);
}

#[test]
fn home_is_expanded_in_local_paths() {
    let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
        return; // nothing to expand to
    };
    let home = PathBuf::from(home);
    let text = r#"
[settings]
audit_log = "${HOME}/audit.jsonl"

[[hosts]]
name = "web"
transport = "ssh"
address = "10.0.0.1"
identity_file = "~/.ssh/id_ed25519"
known_hosts = "$HOME/.ssh/known_hosts"

[[hosts.services]]
name = "api"
kind = "http"
url = "https://10.0.0.1/"

[[hosts.services.checks]]
name = "up"
kind = "http"
url = "https://10.0.0.1/health"
ca_file = "~/ca.pem"
"#;
    let config =
        opsdeck::config::parse(Path::new("t.toml"), text).unwrap_or_else(|e| panic!("{e}"));
    let f = &config.file;
    assert_eq!(f.settings.audit_log, Some(home.join("audit.jsonl")));
    let h = &f.hosts[0];
    assert_eq!(h.identity_file, Some(home.join(".ssh/id_ed25519")));
    assert_eq!(h.known_hosts, Some(home.join(".ssh/known_hosts")));
    let ca = h.services[0].checks[0].ca_file.as_ref().unwrap();
    assert_eq!(Path::new(ca.get_ref()), home.join("ca.pem"));
}

#[test]
fn a_relative_ca_file_is_still_refused_after_expansion() {
    let text = "[[hosts]]\nname = \"w\"\n[[hosts.services]]\nname = \"a\"\nkind = \"http\"\nurl = \"http://x/\"\n[[hosts.services.checks]]\nname = \"up\"\nkind = \"http\"\nurl = \"http://x/\"\nca_file = \"~user/ca.pem\"\n";
    let e = opsdeck::config::parse(Path::new("t.toml"), text).unwrap_err();
    assert!(
        e.to_string()
            .contains("`~user/ca.pem` is not an absolute path"),
        "{e}"
    );
}

#[test]
fn expand_home_forms() {
    use opsdeck::config::expand_home;
    let home = Some(std::ffi::OsStr::new("/home/op"));
    let x = |p: &str| expand_home(Path::new(p), home);
    assert_eq!(x("~"), PathBuf::from("/home/op"));
    assert_eq!(x("~/k"), PathBuf::from("/home/op/k"));
    assert_eq!(x("$HOME/k"), PathBuf::from("/home/op/k"));
    assert_eq!(x("${HOME}/a/b"), PathBuf::from("/home/op/a/b"));
    assert_eq!(x("~other/k"), PathBuf::from("~other/k"));
    assert_eq!(x("$HOMEDIR/k"), PathBuf::from("$HOMEDIR/k"));
    assert_eq!(x("/etc/~/k"), PathBuf::from("/etc/~/k"));
    assert_eq!(expand_home(Path::new("~/k"), None), PathBuf::from("~/k"));
}
