//! Monitoring systems opsdeck reads: Alertmanager's alerts and silences, and how an alert's
//! labels name a host or service of the fleet. Nothing here knows the screen.

pub mod alertmanager;
pub mod mapping;

pub use alertmanager::{Alert, Alertmanager, AmError, Silence};
pub use mapping::{MappedAlert, map_all, runbook_of};
