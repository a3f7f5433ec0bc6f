//! The deploy lock on a host: one file per service holding who took it, from where, when
//! and for what; taken with noclobber, released only by its taker, broken only on purpose.

use chrono::{DateTime, Utc};

use super::{LOCK_TIMEOUT, Recipe};
use crate::action::plan::{PlanStep, StepOp};
use crate::config::Config;
use crate::model::ServiceId;
use crate::transport::CommandSpec;

/// Where deploy locks live on a host: one file per service, kept until released (a lock
/// left by a crashed opsdeck is broken only by `opsdeck lock release`, audited).
pub const LOCK_DIR: &str = "/var/lib/opsdeck/locks";

/// Takes the lock: creates the file only if it does not exist (`set -C`), or says who holds
/// it. `$1` the path, `$2` who takes it: both are data, never parsed as shell.
pub(super) const TAKE_LOCK: &str = r#"mkdir -p -- "${1%/*}" && { ( set -C; printf '%s\n' "$2" > "$1" ) 2>/dev/null && echo "lock taken: $1" || { echo "deploy lock held by: $(cat -- "$1" 2>/dev/null)" >&2; exit 1; }; }"#;

/// Releases the lock only if it is still ours (`$2`): never someone else's.
pub(super) const RELEASE_LOCK: &str = r#"if [ "$(cat -- "$1" 2>/dev/null)" = "$2" ]; then rm -f -- "$1" && echo "lock released"; else echo "lock not ours any more, left as it is"; fi"#;

/// Breaks the lock whoever holds it, saying whose it was.
pub(super) const BREAK_LOCK: &str = r#"if [ -e "$1" ]; then echo "was held by: $(cat -- "$1")"; rm -f -- "$1"; else echo "no lock at $1"; fi"#;

/// The lock file of `service` on its host (`settings.lock_dir`, or [`LOCK_DIR`]).
pub fn lock_path(config: &Config, service: &ServiceId) -> String {
    let dir = config.file.settings.lock_dir.as_deref().unwrap_or(LOCK_DIR);
    format!("{}/{}.lock", dir.trim_end_matches('/'), service.name)
}

/// Who takes a lock: login name, where from (the SSH client when opsdeck runs over SSH),
/// when, what.
pub fn holder(what: &str, now: DateTime<Utc>) -> String {
    let user = crate::action::audit::operator();
    let from = crate::action::audit::ssh_client()
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "this machine".to_owned());
    format!(
        "{user} from {from} at {}: {what} (opsdeck pid {})",
        now.format("%Y-%m-%d %H:%M:%S UTC"),
        std::process::id()
    )
}

pub(super) fn lock_steps(
    r: &Recipe<'_>,
    config: &Config,
    service: &ServiceId,
    holder: &str,
) -> (PlanStep, PlanStep) {
    let path = lock_path(config, service);
    let release = PlanStep::new(
        "release the deploy lock",
        r.target.clone(),
        StepOp::Command(CommandSpec::argv([
            "sh",
            "-c",
            RELEASE_LOCK,
            "opsdeck-lock",
            path.as_str(),
            holder,
        ])),
        LOCK_TIMEOUT,
    );
    let mut take = PlanStep::new(
        "take the deploy lock",
        r.target.clone(),
        StepOp::Command(CommandSpec::argv([
            "sh",
            "-c",
            TAKE_LOCK,
            "opsdeck-lock",
            path.as_str(),
            holder,
        ])),
        LOCK_TIMEOUT,
    );
    take.undo = Some(Box::new(release.clone()));
    // A lock that was not taken is not ours to release.
    take.undo_own_failure = false;
    (take, release)
}
