//! `hosts.toml`: schema, loading with spans, validation, secrets, key map and themes.

pub mod discover;
pub mod duration;
pub mod error;
pub mod include;
pub mod keymap;
pub mod load;
pub mod monitoring;
pub mod port;
pub mod schema;
pub mod secret;
pub mod size;
pub mod theme;
pub mod validate;

pub use error::{ConfigError, ConfigErrors};
pub use load::{Config, expand_home, load, locate, parse, xdg_dir};
