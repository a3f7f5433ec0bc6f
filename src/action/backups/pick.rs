//! Finding the backup an action needs in a set's listing: the one a backup now just
//! made (verified), and the one a restore or drill names.

use chrono::{DateTime, Utc};

use super::{VERIFY_TIMEOUT, set_context};
use crate::backup::{Backup, render};
use crate::config::Config;
use crate::model::HostId;
use crate::transport::Target;

/// After a backup was made: lists the set, takes its newest backup on the host (made
/// after `after`, a few seconds' clock skew allowed), verifies it with the set's `verify`
/// (output to `lines`) and says what it is: "epagal_20261202_061501.dump (key …, 1.2 MiB,
/// 1 part, in /backups, verified)".
pub async fn newest_verified(
    config: &Config,
    transports: &crate::transport::Transports,
    set_name: &str,
    after: DateTime<Utc>,
    lines: tokio::sync::mpsc::Sender<String>,
) -> Result<String, String> {
    let cx = set_context(config, set_name).map_err(|e| e.to_string())?;
    let status =
        crate::backup::list_set(cx.set, &cx.target, transports, VERIFY_TIMEOUT, Utc::now())
            .await
            .map_err(|e| format!("cannot list {set_name}: {e}"))?;
    let skew = chrono::Duration::seconds(5);
    let newest = status
        .backups
        .iter()
        .find(|b| b.local)
        .filter(|b| b.time >= after - skew)
        .ok_or_else(|| {
            format!(
                "no backup of {set_name} newer than {} was found on the host (newest: {})",
                after.format("%H:%M:%S"),
                status.newest().map_or("none".to_owned(), |b| b.key.clone())
            )
        })?;
    let verified = match &cx.set.verify {
        Some(v) => {
            let spec = render(v.get_ref(), newest, &[])?;
            let _ = lines.send(format!("$ {spec}")).await;
            let out = transports
                .run_streaming(&cx.target, &spec, VERIFY_TIMEOUT, None)
                .await
                .map_err(|e| format!("cannot verify backup {}: {e}", newest.key))?;
            if !out.success() {
                let said = out
                    .stderr
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                return Err(format!(
                    "backup {} does not verify (exit {}): {}",
                    newest.key,
                    out.exit_code.map_or("signal".into(), |c| c.to_string()),
                    crate::config::secret::redact(said.trim())
                ));
            }
            "verified"
        }
        None => "not verified: the set has no `verify`",
    };
    let main = newest.parts.first();
    let parts = newest.parts.len();
    Ok(format!(
        "{} (key {}, {}, {parts} part{}, in {}, {verified})",
        main.map_or(newest.key.as_str(), |p| p.name.as_str()),
        newest.key,
        crate::model::units::bytes(newest.size),
        if parts == 1 { "" } else { "s" },
        main.map_or("", |p| p.path.rsplit_once('/').map_or("", |(d, _)| d)),
    ))
}

/// The backup `key` of a set (`latest`: the newest on the host), as listed now: what a
/// restore or drill acts on, from the command line and from a runbook alike.
pub async fn choose(
    config: &Config,
    transports: &crate::transport::Transports,
    set: &str,
    key: &str,
) -> Result<Backup, String> {
    let cfg = config
        .file
        .backups
        .iter()
        .find(|b| b.name.get_ref() == set)
        .ok_or_else(|| format!("unknown backup set `{set}`"))?;
    let target = Target::of(config, &HostId::new(cfg.host.get_ref()));
    let listing = crate::backup::list_set(cfg, &target, transports, VERIFY_TIMEOUT, Utc::now())
        .await
        .map_err(|e| format!("cannot list {set}: {e}"))?;
    let found = if key == "latest" {
        listing.backups.iter().find(|b| b.local)
    } else {
        listing.backups.iter().find(|b| b.key == key)
    };
    match found {
        Some(b) if b.local => Ok(b.clone()),
        Some(b) => Err(format!(
            "backup {} of {set} is only off-site: copy it to the host first",
            b.key
        )),
        None if listing.backups.is_empty() => Err(format!("{set} has no backups")),
        None => {
            let keys: Vec<&str> = listing
                .backups
                .iter()
                .take(5)
                .map(|b| b.key.as_str())
                .collect();
            Err(format!(
                "{set} has no backup `{key}` (newest: {})",
                keys.join(", ")
            ))
        }
    }
}
