//! `opsdeck backups [--stale] [--json]`: every backup set listed once, each host at the same
//! time (a host that does not answer holds up only its own sets), and exit 0 when every
//! set is fresh, 1 when one is stale or has no off-site copy within its RPO, 2 when one
//! could not be checked (2 wins over 1).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::shown;
use crate::action::backups::DrillRecord;
use crate::backup::{Flag, ListError, Offsite, Part, SetStatus, list_set};
use crate::config::Config;
use crate::config::schema::{BackupSet, Host, TransportKind};
use crate::model::HostId;
use crate::model::units;
use crate::transport::ssh::{SshTarget, connect};
use crate::transport::{Target, Transports};

/// One set as listed.
#[derive(Debug)]
pub struct SetReport {
    pub name: String,
    pub host: String,
    pub service: Option<String>,
    pub result: Result<SetStatus, ListError>,
}

impl SetReport {
    /// Could not be checked: the listing failed, or the off-site copies could not be read.
    pub fn unchecked(&self) -> bool {
        match &self.result {
            Ok(s) => s.has(Flag::OffsiteUnchecked),
            Err(_) => true,
        }
    }

    pub fn ok(&self) -> bool {
        self.result.as_ref().is_ok_and(SetStatus::ok)
    }
}

/// Lists every set of the config, in config order: per host one connection, its sets
/// listed together once it is open.
pub async fn list_all(config: &Config, known_hosts: &Path, now: DateTime<Utc>) -> Vec<SetReport> {
    let settings = &config.file.settings;
    let transports = Arc::new(Transports::for_config(config));
    let slots = tokio::sync::Semaphore::new(settings.connect_concurrency());
    let timeout = settings.command_timeout.get();
    let mut hosts: Vec<&str> = Vec::new();
    for set in &config.file.backups {
        if !hosts.contains(&set.host.get_ref().as_str()) {
            hosts.push(set.host.get_ref());
        }
    }
    let per_host = hosts.into_iter().map(|name| {
        let transports = transports.clone();
        let slots = &slots;
        async move {
            let id = HostId::new(name);
            let sets: Vec<&BackupSet> = config
                .file
                .backups
                .iter()
                .filter(|s| s.host.get_ref() == name)
                .collect();
            let target = match config.find_host(&id) {
                Some(host) => {
                    let _slot = slots.acquire().await.expect("never closed");
                    open(host, &id, &transports, known_hosts, config).await
                }
                None => Err(format!("unknown host {name}")),
            };
            let results = match &target {
                Ok(target) => {
                    futures::future::join_all(
                        sets.iter()
                            .map(|s| list_set(s, target, &transports, timeout, now)),
                    )
                    .await
                }
                Err(reason) => sets
                    .iter()
                    .map(|_| Err(ListError::Unreachable(reason.clone())))
                    .collect(),
            };
            transports.set_ssh(&id, None);
            sets.into_iter()
                .zip(results)
                .map(|(s, result)| SetReport {
                    name: s.name.get_ref().clone(),
                    host: s.host.get_ref().clone(),
                    service: s.service.as_ref().map(|v| v.get_ref().clone()),
                    result,
                })
                .collect::<Vec<_>>()
        }
    });
    let mut reports: Vec<SetReport> = futures::future::join_all(per_host)
        .await
        .into_iter()
        .flatten()
        .collect();
    let order = |name: &str| {
        config
            .file
            .backups
            .iter()
            .position(|s| s.name.get_ref() == name)
    };
    reports.sort_by_key(|r| order(&r.name));
    reports
}

/// Where the host's commands run: here, or over a new SSH master kept in `transports`.
async fn open(
    host: &Host,
    id: &HostId,
    transports: &Transports,
    known_hosts: &Path,
    config: &Config,
) -> Result<Target, String> {
    match host.transport {
        TransportKind::Local => Ok(Target::Local),
        TransportKind::Http => Err("http-only host: nothing to list files with".into()),
        TransportKind::Ssh => {
            let target = SshTarget::from_config(host, known_hosts)
                .ok_or("ssh host without an address")?
                .with_settings(&config.file.settings);
            let conn = connect(&target).await.map_err(|e| e.to_string())?;
            transports.set_ssh(id, Some(Arc::new(conn)));
            Ok(Target::Ssh(id.clone()))
        }
    }
}

pub async fn run(
    config: &Config,
    known_hosts: &Path,
    drills: &Path,
    stale_only: bool,
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let now = Utc::now();
    let reports = list_all(config, known_hosts, now).await;
    let drills = DrillRecord::load_all(drills).unwrap_or_else(|e| {
        tracing::warn!("cannot read the drill records in {}: {e}", drills.display());
        vec![]
    });
    let last_drill = |set: &str| drills.iter().find(|d| d.set == set);
    let code = if reports.iter().any(SetReport::unchecked) {
        2
    } else if reports.iter().all(SetReport::ok) {
        0
    } else {
        1
    };
    let listed: Vec<&SetReport> = reports.iter().filter(|r| !stale_only || !r.ok()).collect();
    if json {
        #[derive(Serialize)]
        struct Doc<'a> {
            sets: Vec<SetJson<'a>>,
        }
        let doc = Doc {
            sets: listed
                .iter()
                .map(|r| SetJson::of(r, last_drill(&r.name), now))
                .collect(),
        };
        writeln!(out, "{}", super::json(&doc)?)?;
    } else {
        write_text(&listed, &last_drill, now, out)?;
    }
    Ok(code)
}

/// One set in `--json`, fields in this order.
#[derive(Debug, Serialize)]
pub struct SetJson<'a> {
    pub name: &'a str,
    pub host: &'a str,
    pub service: Option<&'a str>,
    pub rpo_s: Option<u64>,
    /// Null when the set could not be listed.
    pub fresh: Option<bool>,
    pub newest: Option<NewestJson<'a>>,
    pub count: usize,
    /// The set's last restore drill (`opsdeck drill`, `D` in the console).
    pub last_drill: Option<LastDrill<'a>>,
    pub flags: Vec<Flag>,
    /// Why the set (or its off-site copies) could not be listed.
    pub error: Option<String>,
}

/// A drill record and how long ago it ran.
#[derive(Debug, Serialize)]
pub struct LastDrill<'a> {
    #[serde(flatten)]
    pub record: &'a DrillRecord,
    pub age_s: u64,
}

#[derive(Debug, Serialize)]
pub struct NewestJson<'a> {
    pub key: &'a str,
    pub age_s: u64,
    pub size: u64,
    /// Its files on the host, or its off-site objects when it has none here.
    pub parts: &'a [Part],
    pub local: bool,
    pub offsite: bool,
}

impl<'a> SetJson<'a> {
    pub fn of(r: &'a SetReport, drill: Option<&'a DrillRecord>, now: DateTime<Utc>) -> Self {
        let mut doc = SetJson {
            name: &r.name,
            host: &r.host,
            service: r.service.as_deref(),
            rpo_s: None,
            fresh: None,
            newest: None,
            count: 0,
            last_drill: drill.map(|record| LastDrill {
                record,
                age_s: (now - record.at).to_std().unwrap_or_default().as_secs(),
            }),
            flags: vec![],
            error: None,
        };
        match &r.result {
            Err(e) => doc.error = Some(e.to_string()),
            Ok(s) => {
                doc.rpo_s = s.rpo.map(|d| d.as_secs());
                doc.fresh = Some(s.fresh);
                doc.newest = s.newest().map(|b| NewestJson {
                    key: &b.key,
                    age_s: b.age(s.checked_at).as_secs(),
                    size: b.size,
                    parts: if b.local { &b.parts } else { &b.offsite_parts },
                    local: b.local,
                    offsite: b.offsite,
                });
                doc.count = s.count();
                doc.flags = s.flags.clone();
                if let Offsite::Failed(e) = &s.offsite {
                    doc.error = Some(format!("off-site listing: {e}"));
                }
            }
        }
        doc
    }
}

fn write_text<'a>(
    reports: &[&SetReport],
    last_drill: &dyn Fn(&str) -> Option<&'a DrillRecord>,
    now: DateTime<Utc>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<22} {:<28} {:<18} {:>7} {:>5} {:>6} {:>7}  STATE",
        "SET", "HOST / SERVICE", "NEWEST", "AGE", "RPO", "SIZE", "BACKUPS"
    )?;
    for r in reports {
        let place = match &r.service {
            Some(s) => format!("{}/{s}", r.host),
            None => r.host.clone(),
        };
        match &r.result {
            Err(e) => {
                writeln!(
                    out,
                    "{:<22} {:<28} {:<18} {:>7} {:>5} {:>6} {:>7}  could not check",
                    r.name, place, "", "", "", "", ""
                )?;
                writeln!(out, "  ! {}", shown(&e.to_string()))?;
            }
            Ok(s) => {
                let rpo = s.rpo.map(rpo_text).unwrap_or_else(|| "—".into());
                let (key, age, size) = match s.newest() {
                    Some(b) => (
                        shown(&b.key),
                        units::uptime(b.age(s.checked_at)),
                        units::bytes(b.size),
                    ),
                    None => ("none".into(), String::new(), String::new()),
                };
                let count = if s.offsite == Offsite::NotConfigured {
                    s.count().to_string()
                } else {
                    format!("{}/{}", s.count(), s.offsite_count())
                };
                let mut state = vec![if s.fresh { "fresh" } else { "STALE" }.to_owned()];
                if let Some(b) = s.newest() {
                    let copies = match (b.local, b.offsite) {
                        (true, true) => "here + off-site",
                        (true, false) => "here only",
                        (false, _) => "off-site only",
                    };
                    state.push(copies.to_owned());
                }
                writeln!(
                    out,
                    "{:<22} {:<28} {:<18} {:>7} {:>5} {:>6} {:>7}  {}",
                    r.name,
                    place,
                    key,
                    age,
                    rpo,
                    size,
                    count,
                    state.join(" · ")
                )?;
                for f in &s.flags {
                    writeln!(out, "  ! {}", f.label())?;
                }
                if let Offsite::Failed(e) = &s.offsite {
                    writeln!(out, "  ! off-site listing: {}", shown(e))?;
                }
                for w in &s.warnings {
                    writeln!(out, "  · {}", shown(w))?;
                }
                if let Some(b) = s.newest().filter(|b| !b.missing.is_empty()) {
                    writeln!(
                        out,
                        "  ! newest backup lacks: {}",
                        shown(&b.missing.join(", "))
                    )?;
                }
            }
        }
        if let Some(d) = last_drill(&r.name) {
            let age = units::uptime((now - d.at).to_std().unwrap_or_default());
            let mut said = vec![
                if d.ok { "ok" } else { "FAILED" }.to_owned(),
                format!("{age} ago"),
            ];
            if let Some(i) = &d.integrity {
                said.push(shown(i));
            }
            writeln!(out, "  last drill: {}", said.join(", "))?;
        }
    }
    Ok(())
}

/// An RPO as written in configs: `24h`, `7d`, else like an age.
fn rpo_text(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 2 * 86_400 && s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else {
        units::uptime(d)
    }
}
