//! The interactive console: the terminal, its events turned into messages, and the loop
//! that joins the reducer (`app`), the screen (`ui`), the collectors and the effect runner.

pub mod input;
mod login;
pub mod memory;
pub mod run;
mod suspend;
pub mod terminal;

pub use run::{RunOptions, run};
