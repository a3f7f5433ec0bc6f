//! The malformed-config corpus: every file in tests/config_errors/ must fail to load with
//! exactly the message in its snapshot, naming file:line:column and the field path.

use std::path::Path;

#[test]
fn every_malformed_file_has_its_exact_error() {
    let dir = Path::new("tests/config_errors");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    assert!(
        files.len() >= 30,
        "the corpus needs at least 30 files, has {}",
        files.len()
    );
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let result = std::panic::catch_unwind(|| opsdeck::config::parse(&path, &source));
        let errors = match result {
            Ok(Ok(_)) => panic!("{} loaded without error", path.display()),
            Ok(Err(e)) => e,
            Err(_) => panic!("{} made the loader panic", path.display()),
        };
        for e in &errors.0 {
            assert!(
                e.line > 0 && e.column > 0,
                "{}: error without a position: {e}",
                path.display()
            );
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        insta::assert_snapshot!(name, errors.to_string());
    }
}

#[test]
fn valid_configs_load() {
    for path in [
        "hosts.toml",
        "examples/fleet.toml",
        "examples/split/hosts.toml",
    ] {
        if let Err(e) = opsdeck::config::load(Path::new(path)) {
            panic!("{path} should load:\n{e}");
        }
    }
}

#[test]
fn missing_file_is_a_clear_error() {
    let err =
        opsdeck::config::load(Path::new("tests/config_errors/does-not-exist.toml")).unwrap_err();
    assert!(
        err.to_string().contains("does-not-exist.toml: cannot read"),
        "{err}"
    );
}
