//! opsdeck: a terminal operations console for the engineer on call.
//!
//! Data flows one way: collectors (`collect`) and actions (`action`) report typed facts;
//! the console (`console`) applies them and the operator's `Action`s to its `State` in a
//! reducer (`app`) that does no I/O and returns `Effect`s; the effect runner (`runner`)
//! carries those out; `ui` draws the state.
//!
//! Layers, top to bottom. A module may import the ones below it, never one above:
//!
//! ```text
//! main.rs, cli, fixture     the commands: console, status, check …
//! console                   the loop, the terminal, events → messages
//! ui                        pure drawing of app::State with theme styles
//! app                       State + reducer (no I/O, no terminal)
//! runner                    carries out Effects (actions, log streams, suites, trust, saves)
//! collect                   the supervisor and collectors (hosts, Docker, checks, logs)
//! protocol                  Update, Effect and what they carry — the core↔console vocabulary
//! runbook                   runbooks (config, TOML, Markdown), the run engine, its executor, the timeline
//! action                    plan → confirm (the dispatcher) → execute → audit
//! backup                    backup sets: listing here and off-site, grouping by key, freshness
//! check                     the check engine
//! monitor                   Prometheus (client, node-exporter host readings, service values, metrics gates); Alertmanager (alerts, silences, labels → hosts and services)
//! transport                 local and SSH commands, Docker endpoints; the only shell quoting
//! config                    hosts.toml, validation, secrets, key map and theme data
//! model                     domain types: ids, samples, statuses, log lines, Action
//! logging                   tracing to a file, secrets redacted
//! ```
//!
//! `transport`, `monitor`, `check`, `backup`, `collect`, `runbook` and `action` never import `app` or `ui`, nor ratatui or
//! crossterm; `config` imports neither ratatui nor crossterm.

pub mod action;
pub mod app;
pub mod backup;
pub mod check;
pub mod cli;
pub mod collect;
pub mod config;
pub mod console;
#[doc(hidden)]
pub mod fixture;
pub mod logging;
pub mod model;
pub mod monitor;
pub mod protocol;
pub mod runbook;
pub mod runner;
pub mod transport;
pub mod ui;
