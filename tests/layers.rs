//! The layers `src/lib.rs` describes, checked against the code: a module may import the
//! modules below it and never one above; the core knows nothing of the terminal.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Bottom to top, as in `src/lib.rs`. Modules on one line may not import each other.
const LAYERS: &[&[&str]] = &[
    &["model"],
    &["config"],
    &["logging"],
    &["transport"],
    &["monitor"],
    &["check"],
    &["monitor"],
    &["backup"],
    &["action"],
    &["runbook"],
    &["protocol"],
    &["collect"],
    &["runner"],
    &["app"],
    &["ui"],
    &["console"],
    &["cli", "fixture"],
];

/// Modules that must not know about the terminal libraries.
const NO_TERMINAL: &[&str] = &[
    "model",
    "config",
    "logging",
    "transport",
    "monitor",
    "check",
    "monitor",
    "backup",
    "action",
    "runbook",
    "protocol",
    "collect",
    "runner",
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file names through `crate::`.
fn crate_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(inner) = rest.strip_prefix('{') {
            let group = &inner[..inner.find('}').unwrap_or(inner.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let own = rank(&module).unwrap_or_else(|| {
            panic!("src/{module} is not in the layer table (tests/layers.rs and src/lib.rs)")
        });
        // Unit tests may use the fixture fleet: only what ships is checked.
        if rel.components().any(|c| c.as_os_str() == "tests") {
            continue;
        }
        let whole = std::fs::read_to_string(&file).unwrap();
        let text = whole.split("#[cfg(test)]").next().unwrap_or_default();
        for used in crate_modules(text) {
            let Some(theirs) = rank(&used) else { continue };
            if used != module && theirs >= own {
                wrong.push(format!("{} imports crate::{used}", rel.display()));
            }
        }
        if NO_TERMINAL.contains(&module.as_str()) {
            for lib in ["ratatui", "crossterm"] {
                if text.contains(&format!("{lib}::")) {
                    wrong.push(format!("{} uses {lib}", rel.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_imports() {
    let found =
        crate_modules("use crate::{app::State, ui::render};\nlet x = crate::model::HostId;");
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["app", "model", "ui"]
    );
}
