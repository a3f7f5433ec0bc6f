//! What the monitoring system already knows: a Prometheus client, node-exporter series as
//! host readings, services' PromQL values, and deploys' metrics gates. Nothing here knows
//! about the screen or the collectors.

pub mod gate;
pub mod host_metrics;
pub mod prometheus;
pub mod values;

pub use prometheus::{PromClient, PromError, QueryResult, Sample};
