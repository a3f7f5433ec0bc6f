//! Finding, reading and parsing `hosts.toml`.

use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigErrors};
use super::keymap::Keymap;
use super::schema::{ConfigFile, Host, Service};
use super::validate::validate;
use crate::model::{HostId, ServiceId};

/// A loaded, validated configuration.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub file: ConfigFile,
    pub keymap: Keymap,
}

// Called once at start-up; the error's size does not matter.
#[allow(clippy::result_large_err)]
/// `--config`, then `./hosts.toml`, then `$XDG_CONFIG_HOME/opsdeck/hosts.toml`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(p.to_owned());
    }
    let candidates = [
        PathBuf::from("hosts.toml"),
        xdg_dir("XDG_CONFIG_HOME", ".config").join("hosts.toml"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            ConfigError::whole_file(
                Path::new("hosts.toml"),
                format!(
                    "no configuration found (looked at --config, {})",
                    looked.join(", ")
                ),
            )
        })
}

/// `$VAR/opsdeck`, or `~/FALLBACK/opsdeck` when the variable is unset.
pub fn xdg_dir(var: &str, fallback: &str) -> PathBuf {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("opsdeck"),
        None => {
            let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from);
            home.join(fallback).join("opsdeck")
        }
    }
}

pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError::whole_file(
            path,
            format!("cannot read: {e}"),
        )])
    })?;
    parse(path, &source)
}

pub fn parse(path: &Path, source: &str) -> Result<Config, ConfigErrors> {
    let file: ConfigFile = toml::from_str(source).map_err(|e| {
        let message = e.message().trim_end().to_owned();
        let err = match e.span() {
            Some(span) => ConfigError::at(path, source, span, message),
            None => ConfigError::whole_file(path, message),
        };
        ConfigErrors(vec![err])
    })?;
    let mut errors = Vec::new();
    validate(&file, &mut |span, field: String, message: String| {
        errors.push(ConfigError::with_path(path, source, span, field, message));
    });
    let keymap = Keymap::with_overrides(&file.keys, &mut |span, field, message| {
        errors.push(ConfigError::with_path(path, source, span, field, message));
    });
    if errors.is_empty() {
        Ok(Config {
            path: path.to_owned(),
            file,
            keymap,
        })
    } else {
        errors.sort_by_key(|e| (e.line, e.column));
        Err(ConfigErrors(errors))
    }
}

impl Config {
    pub fn find_host(&self, id: &HostId) -> Option<&Host> {
        self.file
            .hosts
            .iter()
            .find(|h| h.name.get_ref() == id.as_str())
    }

    pub fn find_service(&self, id: &ServiceId) -> Option<(&Host, &Service)> {
        let host = self.find_host(&id.host)?;
        let svc = host
            .services
            .iter()
            .find(|s| s.name.get_ref().as_str() == &*id.name)?;
        Some((host, svc))
    }

    /// The directory the config lives in (themes are looked up next to it).
    pub fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}
