//! Non-interactive commands: they reuse the collectors and print instead of drawing.

pub mod backups;
pub mod check;
pub mod status;
