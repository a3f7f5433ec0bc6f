//! One reading of a host's resources.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiskUsage {
    pub mount: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
}

impl DiskUsage {
    pub fn percent(&self) -> f64 {
        percent(self.used_bytes, self.total_bytes)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostSample {
    pub at: DateTime<Utc>,
    /// Busy share of all CPUs, 0–100; `None` on the first reading (needs two).
    pub cpu_total: Option<f64>,
    pub cpu_cores: Vec<f64>,
    pub load: [f64; 3],
    pub mem_total_bytes: u64,
    pub mem_used_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_used_bytes: u64,
    #[serde(with = "secs")]
    pub uptime: Duration,
    pub disks: Vec<DiskUsage>,
}

impl HostSample {
    pub fn mem_percent(&self) -> f64 {
        percent(self.mem_used_bytes, self.mem_total_bytes)
    }
    pub fn swap_percent(&self) -> f64 {
        percent(self.swap_used_bytes, self.swap_total_bytes)
    }
}

pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

mod secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}
