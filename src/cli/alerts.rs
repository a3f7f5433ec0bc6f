//! `opsdeck alerts [--json]`, `opsdeck silence`, `opsdeck unsilence`, and the alerts in
//! `opsdeck status --json`. Silences are plans through the same dispatcher as the
//! console's `M` and `U`: read-only refuses, the audit log records them.
//!
//! `alerts` exits 0 when none fires, 1 when any fires (silenced and inhibited ones do not
//! count), 2 when Alertmanager could not be asked (or none is configured).

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};

use super::act::{ActOptions, EXIT_NOT_STARTED};
use crate::action::Dispatcher;
use crate::action::silences::SilenceRequest;
use crate::config::Config;
use crate::model::{HostId, ServiceId};
use crate::monitor::alertmanager::Matcher;
use crate::monitor::mapping::map_labels;
use crate::monitor::{Alertmanager, MappedAlert, Silence, map_all};

pub const EXIT_NONE_FIRING: i32 = 0;
pub const EXIT_FIRING: i32 = 1;
pub const EXIT_CANNOT_ASK: i32 = 2;

fn client(config: &Config) -> Result<Alertmanager, String> {
    let m = &config.file.monitoring;
    let url = m.alertmanager.as_ref().ok_or_else(|| {
        "no Alertmanager in the config: set [monitoring] alertmanager = \"http://…:9093\""
            .to_owned()
    })?;
    Alertmanager::new(url.get_ref(), m.timeout.get()).map_err(|e| e.to_string())
}

/// Every alert Alertmanager holds, mapped onto the fleet.
pub async fn fetch(config: &Config) -> Result<Vec<MappedAlert>, String> {
    let am = client(config)?;
    let alerts = am.alerts().await.map_err(|e| e.to_string())?;
    Ok(map_all(&config.file, alerts))
}

async fn silences(config: &Config) -> Result<Vec<Silence>, String> {
    client(config)?.silences().await.map_err(|e| e.to_string())
}

pub async fn list(config: &Config, json_out: bool, out: &mut impl Write) -> std::io::Result<i32> {
    let alerts = match fetch(config).await {
        Ok(a) => a,
        Err(e) => {
            if json_out {
                let doc = json!({ "error": e });
                writeln!(out, "{}", super::json(&doc)?)?;
            } else {
                writeln!(out, "error: {}", super::shown(&e))?;
            }
            return Ok(EXIT_CANNOT_ASK);
        }
    };
    let firing = alerts.iter().any(|a| a.alert.is_firing());
    if json_out {
        let list: Vec<_> = alerts.iter().map(MappedAlert::json).collect();
        writeln!(out, "{}", super::json(&json!({ "alerts": list }))?)?;
    } else if alerts.is_empty() {
        writeln!(out, "no alerts")?;
    } else {
        writeln!(
            out,
            "{:<28} {:<10} {:<9} {:<28} {:<20}  SUMMARY",
            "ALERT", "STATE", "SEVERITY", "HOST / SERVICE", "SINCE"
        )?;
        for a in &alerts {
            let place = match (&a.host, &a.service) {
                (_, Some(s)) => s.to_string(),
                (Some(h), None) => h.to_string(),
                (None, None) => "(unmapped)".to_owned(),
            };
            writeln!(
                out,
                "{:<28} {:<10} {:<9} {:<28} {:<20}  {}",
                super::shown(a.alert.name()),
                a.alert.state(),
                super::shown(a.alert.severity().unwrap_or("")),
                super::shown(&place),
                a.alert.starts_at.format("%Y-%m-%d %H:%M:%S"),
                super::shown(
                    a.alert
                        .annotations
                        .get("summary")
                        .map_or("", String::as_str)
                ),
            )?;
        }
    }
    Ok(if firing {
        EXIT_FIRING
    } else {
        EXIT_NONE_FIRING
    })
}

/// What `opsdeck silence` silences: every alert of a name, or what `--match k=v` selects.
pub enum Selector<'a> {
    Name(&'a str),
    Matchers(&'a [String]),
}

pub async fn silence(
    config: &Config,
    selector: Selector<'_>,
    duration: Duration,
    comment: &str,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let matchers: Vec<Matcher> = match selector {
        Selector::Name(name) => vec![equal("alertname", name)],
        Selector::Matchers(pairs) => {
            let mut m = Vec::new();
            for p in pairs {
                match p.split_once('=') {
                    Some((k, v)) if !k.trim().is_empty() => m.push(equal(k.trim(), v)),
                    _ => {
                        writeln!(
                            out,
                            "error: `--match {}` is not LABEL=VALUE",
                            super::shown(p)
                        )?;
                        return Ok(EXIT_NOT_STARTED);
                    }
                }
            }
            m
        }
    };
    if matchers.is_empty() {
        writeln!(out, "error: give an alert name or --match LABEL=VALUE")?;
        return Ok(EXIT_NOT_STARTED);
    }
    // The alerts it would silence now say what it is about (the subject of the audit).
    let labels: std::collections::BTreeMap<String, String> = matchers
        .iter()
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    let current = fetch(config).await.unwrap_or_default();
    let hits: Vec<&MappedAlert> = current
        .iter()
        .filter(|a| {
            matchers
                .iter()
                .all(|m| a.alert.labels.get(&m.name) == Some(&m.value))
        })
        .collect();
    let (host, service) = common_place(&hits)
        .unwrap_or_else(|| map_labels(&config.file, &config.file.monitoring.matchers, &labels));
    let mut req = SilenceRequest::for_labels(&labels, host, service, duration, comment);
    req.matchers = matchers;
    let mut dispatcher = Dispatcher::new(config.file.settings.read_only);
    let planned = dispatcher.plan_silence(config, &req);
    super::act::run_plan_local(config, dispatcher, planned, opts, out).await
}

pub async fn unsilence(
    config: &Config,
    id: &str,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let current = fetch(config).await.unwrap_or_default();
    let hits: Vec<&MappedAlert> = current
        .iter()
        .filter(|a| a.alert.status.silenced_by.iter().any(|s| s == id))
        .collect();
    let place = match common_place(&hits) {
        Some(p) => p,
        // No alert is silenced by it now: what its matchers name.
        None => {
            let found = silences(config).await.unwrap_or_default();
            let labels = found
                .iter()
                .find(|s| s.id == id)
                .map(|s| {
                    s.matchers
                        .iter()
                        .filter(|m| m.is_equal && !m.is_regex)
                        .map(|m| (m.name.clone(), m.value.clone()))
                        .collect()
                })
                .unwrap_or_default();
            map_labels(&config.file, &config.file.monitoring.matchers, &labels)
        }
    };
    let mut dispatcher = Dispatcher::new(config.file.settings.read_only);
    let planned = dispatcher.plan_unsilence(config, id, place.0.as_ref(), place.1.as_ref());
    super::act::run_plan_local(config, dispatcher, planned, opts, out).await
}

fn equal(name: &str, value: &str) -> Matcher {
    Matcher {
        name: name.to_owned(),
        value: value.to_owned(),
        is_regex: false,
        is_equal: true,
    }
}

/// The host and service every one of `alerts` is on, when they share one.
fn common_place(alerts: &[&MappedAlert]) -> Option<(Option<HostId>, Option<ServiceId>)> {
    let first = alerts.first()?;
    let same = alerts
        .iter()
        .all(|a| a.host == first.host && a.service == first.service);
    same.then(|| (first.host.clone(), first.service.clone()))
}

/// Adds to `status --json`'s document each host's and service's alerts, the ones no host
/// or service claims, and whether Alertmanager answered.
pub fn annotate_status(doc: &mut Value, alerts: Option<Result<Vec<MappedAlert>, String>>) {
    let Some(alerts) = alerts else { return };
    let list = match alerts {
        Ok(list) => {
            doc["alertmanager"] = json!({ "ok": true });
            list
        }
        Err(e) => {
            doc["alertmanager"] = json!({ "ok": false, "error": e });
            return;
        }
    };
    let of = |pred: &dyn Fn(&MappedAlert) -> bool| -> Value {
        list.iter()
            .filter(|a| pred(a))
            .map(|a| serde_json::to_value(a.json()).unwrap_or(Value::Null))
            .collect()
    };
    if let Some(hosts) = doc["hosts"].as_array_mut() {
        for h in hosts {
            let name = h["name"].as_str().unwrap_or_default().to_owned();
            h["alerts"] =
                of(&|a| a.service.is_none() && a.host.as_ref().is_some_and(|x| x.as_str() == name));
            if let Some(services) = h["services"].as_array_mut() {
                for s in services {
                    let sname = s["name"].as_str().unwrap_or_default().to_owned();
                    s["alerts"] = of(&|a| {
                        a.service
                            .as_ref()
                            .is_some_and(|x| x.host.as_str() == name && *x.name == *sname)
                    });
                }
            }
        }
    }
    doc["unmapped_alerts"] = of(&|a| a.host.is_none());
}

pub const EXIT_HELP: &str = "Exit status: 0 no alert is firing, 1 an alert is firing (silenced and \
inhibited ones do not count), 2 Alertmanager could not be asked or the configuration has an error";

/// `opsdeck silence ALERT_NAME | --match LABEL=VALUE… --for DURATION --comment TEXT`.
#[derive(Debug, clap::Args)]
pub struct SilenceArgs {
    /// The alert's name (`alertname`): every alert of that name.
    #[arg(required_unless_present = "matchers", conflicts_with = "matchers")]
    pub alert: Option<String>,
    /// Silence what these select instead (every one must match): `--match host=preventia`.
    #[arg(long = "match", value_name = "LABEL=VALUE")]
    pub matchers: Vec<String>,
    /// For how long: `2h`, `30m`.
    #[arg(long = "for", value_name = "DURATION", default_value = "2h", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Why (Alertmanager keeps it with the silence).
    #[arg(long)]
    pub comment: String,
    /// Confirm without asking.
    #[arg(long)]
    pub yes: bool,
    /// Print the plan; run nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `opsdeck silence` from its arguments.
pub async fn silence_cmd(
    config: &Config,
    args: &SilenceArgs,
    opts: &ActOptions<'_>,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let selector = match &args.alert {
        Some(name) => Selector::Name(name),
        None => Selector::Matchers(&args.matchers),
    };
    silence(config, selector, args.duration, &args.comment, opts, out).await
}
