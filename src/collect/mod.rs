//! Collectors: tasks that observe hosts and services and send `Update`s — one probe loop
//! per host, Docker engines, health checks, and the log followers the effect runner
//! starts. Nothing here knows about the screen.

pub mod alerts;
pub mod backoff;
pub mod backups;
pub mod cgroups;
pub mod checks;
pub mod command_status;
pub mod context;
pub mod discover;
pub mod docker;
pub mod docker_logs;
pub mod docker_stats;
pub mod host;
pub mod host_metrics;
pub mod logs;
pub mod proc;
pub mod prometheus;
pub mod remote;
pub mod snapshot;
pub mod supervisor;
pub mod systemd;

pub use context::Context;
