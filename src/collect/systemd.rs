//! `systemctl show` output for several units at once, into service observations.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{RunState, ServiceObservation};

pub const PROPERTIES: &str = "Id,ActiveState,SubState,MainPID,NRestarts,ActiveEnterTimestampMonotonic,MemoryCurrent,CPUUsageNSec";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitStatus {
    pub id: String,
    pub active: String,
    pub sub: String,
    pub main_pid: u32,
    pub restarts: u32,
    /// Microseconds since boot when the unit last became active; 0 when never.
    pub active_enter_monotonic_us: u64,
    pub memory_bytes: Option<u64>,
    pub cpu_nsec: Option<u64>,
    /// `enabled`, `static`, `disabled` …; empty when not asked for.
    pub unit_file_state: String,
    /// `loaded`, `not-found` …; empty when not asked for.
    pub load_state: String,
}

/// Blocks of `Key=Value` lines separated by blank lines, one block per unit.
pub fn parse_show(text: &str) -> Vec<UnitStatus> {
    let mut units = Vec::new();
    let mut cur: Option<UnitStatus> = None;
    for line in text.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if let Some(u) = cur.take() {
                units.push(u);
            }
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let u = cur.get_or_insert_with(UnitStatus::default);
        let num = |v: &str| v.parse::<u64>().ok();
        match k {
            "Id" => u.id = v.to_owned(),
            "ActiveState" => u.active = v.to_owned(),
            "SubState" => u.sub = v.to_owned(),
            "MainPID" => u.main_pid = v.parse().unwrap_or(0),
            "NRestarts" => u.restarts = v.parse().unwrap_or(0),
            "ActiveEnterTimestampMonotonic" => u.active_enter_monotonic_us = num(v).unwrap_or(0),
            // "[not set]" and u64::MAX both mean accounting is off.
            "MemoryCurrent" => u.memory_bytes = num(v).filter(|n| *n != u64::MAX),
            "CPUUsageNSec" => u.cpu_nsec = num(v).filter(|n| *n != u64::MAX),
            "UnitFileState" => u.unit_file_state = v.to_owned(),
            "LoadState" => u.load_state = v.to_owned(),
            _ => {}
        }
    }
    units
}

impl UnitStatus {
    pub fn run_state(&self) -> RunState {
        match self.active.as_str() {
            "active" => RunState::Running,
            "activating" | "deactivating" | "reloading" => RunState::Degraded,
            "failed" => RunState::Failed,
            "inactive" => RunState::Stopped,
            _ => RunState::Unknown,
        }
    }

    /// `host_uptime` is the host's /proc/uptime from the same reading.
    pub fn observation(
        &self,
        at: DateTime<Utc>,
        host_uptime: Duration,
        cpu_percent: Option<f64>,
    ) -> ServiceObservation {
        let state = self.run_state();
        let since = Duration::from_micros(self.active_enter_monotonic_us);
        let uptime = (state == RunState::Running && self.active_enter_monotonic_us > 0)
            .then(|| host_uptime.saturating_sub(since));
        let mut detail = format!("{} ({})", self.active, self.sub);
        if self.main_pid > 0 {
            detail.push_str(&format!(" · pid {}", self.main_pid));
        }
        if self.restarts > 0 {
            detail.push_str(&format!(" · {} restarts", self.restarts));
        }
        if self.active.is_empty() {
            detail = format!("unit {} not found", self.id);
        }
        ServiceObservation {
            at,
            state,
            detail,
            uptime,
            cpu_percent,
            mem_bytes: self.memory_bytes,
        }
    }
}

/// CPU % of each unit from two readings of CPUUsageNSec.
#[derive(Debug, Default)]
pub struct CpuTracker {
    last: HashMap<String, (u64, DateTime<Utc>)>,
}

impl CpuTracker {
    pub fn percent(&mut self, unit: &UnitStatus, at: DateTime<Utc>) -> Option<f64> {
        let now = unit.cpu_nsec?;
        let prev = self.last.insert(unit.id.clone(), (now, at));
        let (before, then) = prev?;
        let wall = (at - then).num_nanoseconds()? as f64;
        (wall > 0.0 && now >= before).then(|| (now - before) as f64 / wall * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOW: &str = "Id=triboka-flask.service\nActiveState=active\nSubState=running\nMainPID=412\nNRestarts=2\nActiveEnterTimestampMonotonic=5000000\nMemoryCurrent=31457280\nCPUUsageNSec=2000000000\n\nId=triboka-agro-frontend.service\nActiveState=failed\nSubState=failed\nMainPID=0\nNRestarts=0\nActiveEnterTimestampMonotonic=0\nMemoryCurrent=[not set]\nCPUUsageNSec=[not set]\n";

    #[test]
    fn parses_units() {
        let units = parse_show(SHOW);
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].id, "triboka-flask.service");
        assert_eq!(units[0].main_pid, 412);
        assert_eq!(units[0].memory_bytes, Some(31457280));
        assert_eq!(units[1].run_state(), RunState::Failed);
        assert_eq!(units[1].memory_bytes, None);
        let o = units[0].observation(Utc::now(), Duration::from_secs(65), None);
        assert_eq!(o.state, RunState::Running);
        assert_eq!(o.uptime, Some(Duration::from_secs(60)));
        assert_eq!(o.detail, "active (running) · pid 412 · 2 restarts");
    }

    #[test]
    fn cpu_from_two_readings() {
        let mut t = CpuTracker::default();
        let mut u = parse_show(SHOW).remove(0);
        let t0 = Utc::now();
        assert_eq!(t.percent(&u, t0), None);
        u.cpu_nsec = Some(2_500_000_000);
        let p = t.percent(&u, t0 + chrono::Duration::seconds(1)).unwrap();
        assert!((p - 50.0).abs() < 1e-6);
    }
}
