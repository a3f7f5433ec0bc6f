//! `opsdeck status [--json]`: the fleet once, then exit 0 (all ok) or 1 (something is not).

use std::io::Write;

use crate::collect::snapshot::{HostReport, fleet_once};
use crate::config::Config;
use crate::model::units;

pub async fn run(
    config: &Config,
    known_hosts: &std::path::Path,
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<i32> {
    let alerts = async {
        match config.file.monitoring.alertmanager {
            Some(_) => Some(super::alerts::fetch(config).await),
            None => None,
        }
    };
    let (reports, alerts) = tokio::join!(fleet_once(config, known_hosts), alerts);
    let ok = reports.iter().all(HostReport::all_ok);
    if json {
        let mut doc = serde_json::json!({ "ok": ok, "hosts": reports });
        super::alerts::annotate_status(&mut doc, alerts);
        writeln!(out, "{}", super::json(&doc)?)?;
    } else {
        write_text(&reports, out)?;
    }
    Ok(if ok { 0 } else { 1 })
}

fn write_text(reports: &[HostReport], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<28} {:<12} {:>7} {:>13}  DETAIL",
        "HOST / SERVICE", "STATUS", "CPU", "MEM"
    )?;
    for h in reports {
        let (cpu, mem, detail) = match &h.sample {
            Some(s) => (
                s.cpu_total.map(units::percent).unwrap_or_default(),
                format!(
                    "{}/{}",
                    units::bytes(s.mem_used_bytes),
                    units::bytes(s.mem_total_bytes)
                ),
                format!("load {:.2} · up {}", s.load[0], units::uptime(s.uptime)),
            ),
            None => (
                String::new(),
                String::new(),
                super::shown(h.reason.as_deref().unwrap_or_default()),
            ),
        };
        let status = if h.up { "up" } else { "unreachable" };
        writeln!(
            out,
            "{:<28} {:<12} {:>7} {:>13}  {}",
            super::shown(&h.name),
            status,
            cpu,
            mem,
            detail
        )?;
        for s in &h.services {
            let name = format!("  {}", super::shown(&s.name));
            writeln!(
                out,
                "{:<28} {:<12} {:>7} {:>13}  {}",
                name,
                s.observation.state.label(),
                "",
                "",
                super::shown(&s.observation.detail)
            )?;
        }
    }
    Ok(())
}
