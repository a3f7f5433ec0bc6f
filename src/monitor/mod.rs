//! What the monitoring system already knows: a Prometheus client, node-exporter series as
//! host readings, services' PromQL values, deploys' metrics gates; Alertmanager's alerts and
//! silences, and how an alert's labels name a host or service of the fleet. Nothing here
//! knows about the screen or the collectors.

pub mod alertmanager;
pub mod gate;
pub mod host_metrics;
pub mod http;
pub mod mapping;
pub mod prometheus;
pub mod values;

pub use alertmanager::{Alert, Alertmanager, AmError, Silence};
pub use mapping::{MappedAlert, map_all, runbook_of};
pub use prometheus::{PromClient, PromError, QueryResult, Sample};
