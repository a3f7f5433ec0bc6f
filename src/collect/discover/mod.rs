//! Discovery: what a host runs that its configuration does not name — systemd units
//! (read on the same round trip as the status poll), compose projects and containers
//! (from the Docker engine), and HTTP health endpoints declared in compose healthchecks.

pub mod compose;
pub mod units;

pub use units::{DiscoveredUnit, discovered_units, is_system_unit, worth_listing};
