//! Sets `OPSDECK_VERSION`: the package version, with the git revision it is built from when
//! the source is a git checkout and `git` is there (`0.1.0 (git 1a2b3c4)`), else the
//! package version alone (a source tarball, `cargo install` from a registry). Nothing here
//! touches the network.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    // Only this package's own checkout: a source tarball unpacked inside some other
    // repository is not that repository's revision.
    let own = git(&dir, &["rev-parse", "--show-toplevel"])
        .and_then(|top| std::fs::canonicalize(top).ok())
        .is_some_and(|top| std::fs::canonicalize(&dir).is_ok_and(|d| d == top));
    let rev = own
        .then(|| git(&dir, &["rev-parse", "--short", "HEAD"]))
        .flatten();
    let full = match rev {
        Some(rev) => format!("{version} (git {rev})"),
        None => version,
    };
    println!("cargo:rustc-env=OPSDECK_VERSION={full}");
    // Build again when HEAD moves (a commit, a checkout): the files git changes then. In a
    // worktree these are the worktree's own.
    for file in ["HEAD", "logs/HEAD"] {
        if let Some(path) = git(&dir, &["rev-parse", "--git-path", file]) {
            let path = Path::new(&dir).join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// `git ARGS` in `dir`, its trimmed output when it succeeded with some.
fn git(dir: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}
