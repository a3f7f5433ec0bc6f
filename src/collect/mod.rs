//! Collectors: one supervisor, tasks that observe hosts and services and send `Update`s.
//! Nothing here knows about the screen.

pub mod command_status;
pub mod docker;
pub mod docker_logs;
pub mod host_metrics;
pub mod logs;
pub mod proc;
pub mod remote;
pub mod snapshot;
pub mod ssh_host;
pub mod supervisor;
pub mod systemd;

pub use supervisor::Supervisor;
