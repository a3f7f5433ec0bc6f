//! opsdeck: a terminal operations console for the engineer on call.
//!
//! Data flows one way: collectors (`collect`) and actions (`action`) send typed
//! `Update`s; the app (`app`) applies them and operator `Action`s to its `State` in a
//! reducer that returns `Effect`s; `ui` draws the state. `transport` runs commands and
//! holds the only shell quoting. `transport` and `collect` know nothing of the screen.

pub mod action;
pub mod app;
pub mod check;
pub mod cli;
pub mod collect;
pub mod config;
#[doc(hidden)]
pub mod fixture;
pub mod logging;
pub mod model;
pub mod transport;
pub mod ui;
