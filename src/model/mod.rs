//! Domain types shared by collectors, actions, the app state and the screen.

pub mod action;
pub mod check;
pub mod container;
pub mod discovered;
pub mod history;
pub mod ids;
pub mod log;
pub mod log_ring;
pub mod log_time;
pub mod metrics;
pub mod status;
pub mod text;
pub mod units;

pub use action::Action;
pub use check::{CheckId, CheckResult, Verdict};
pub use history::History;
pub use ids::{HostId, ServiceId};
pub use log::{Level, LogLine};
pub use metrics::{DiskUsage, HostSample};
pub use status::{Health, HostStatus, RunState, ServiceObservation};
