//! What the Prometheus collector reports: one refresh's answers, or that Prometheus could
//! not be asked (the data it feeds is then stale, with the reason and since when).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{HostId, HostSample, ServiceId};

#[derive(Debug, Clone)]
pub enum MonitorUpdate {
    Read(Box<MonitorRead>),
    /// Prometheus did not answer; it is asked again in `retry_in`.
    Down {
        reason: String,
        retry_in: Duration,
    },
}

#[derive(Debug, Clone, Default)]
pub struct MonitorRead {
    pub at: DateTime<Utc>,
    /// Readings of the hosts with `metrics = "prometheus"`.
    pub hosts: Vec<(HostId, HostSample)>,
    /// Hosts Prometheus has no series of, with why.
    pub missing: Vec<(HostId, String)>,
    /// Service values by (service, name): `Ok(None)` no data, `Err` the query failed.
    pub values: Vec<(ServiceId, String, Result<Option<f64>, String>)>,
}
