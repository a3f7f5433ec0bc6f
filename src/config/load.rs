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
    // A byte-order mark is not part of the first line: columns count from after it.
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    if let Some(err) = control_character(path, source) {
        return Err(ConfigErrors(vec![err]));
    }
    let file: ConfigFile = toml::from_str(source).map_err(|e| {
        let message = explain(source, e.span(), e.message().trim_end());
        let err = match e.span() {
            Some(span) => ConfigError::at(path, source, span, message),
            None => ConfigError::whole_file(path, message),
        };
        ConfigErrors(vec![err])
    })?;
    let mut errors = Vec::new();
    let mut report = |span, field: String, message: String| {
        errors.push(ConfigError::with_path(path, source, span, field, message));
    };
    validate(&file, &mut report);
    unexpanded_references(source, &mut report);
    theme_exists(&file, path, &mut report);
    let keymap = Keymap::with_overrides(&file.keys, &mut report);
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

/// A control character anywhere in the file, named and shown by its symbol, never raw.
fn control_character(path: &Path, source: &str) -> Option<ConfigError> {
    let (at, c) = source
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))?;
    const C0: [&str; 32] = [
        "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
        "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB",
        "ESC", "FS", "GS", "RS", "US",
    ];
    let name = match c as u32 {
        n @ 0..=31 => C0[n as usize],
        0x7f => "DEL",
        _ => "a C1 control",
    };
    Some(ConfigError::at(
        path,
        source,
        at..at + c.len_utf8(),
        format!(
            "control character U+{:04X} ({name}) in the file: remove it (write \\u{:04X} inside a string if it is meant)",
            c as u32, c as u32
        ),
    ))
}

/// TOML's message, with what usually went wrong when it is one of the common slips.
fn explain(source: &str, span: Option<std::ops::Range<usize>>, message: &str) -> String {
    let line = span
        .as_ref()
        .map(|s| {
            let start = source[..s.start.min(source.len())]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let end = source[start..]
                .find('\n')
                .map_or(source.len(), |i| start + i);
            &source[start..end]
        })
        .unwrap_or("");
    let field = span
        .map(|s| super::error::field_path(source, s.start))
        .unwrap_or_default();
    if message.contains("invalid type: map, expected a sequence") {
        let key = field.rsplit('.').next().unwrap_or("hosts");
        let key = key.split('[').next().unwrap_or(key);
        return format!(
            "`{key}` is a list of tables: write [[{}]] (double brackets) for each entry",
            field.split('[').next().unwrap_or(key)
        );
    }
    if (message.contains("escape") || message.contains("unicode")) && line.contains('\\') {
        return format!(
            "{message}\nhint: in \"…\" strings a backslash starts an escape: write a Windows path \
             in single quotes ('C:\\Users\\me\\key') or double each backslash"
        );
    }
    message.to_owned()
}

/// Fields whose values expand `${ENV}`: URLs, headers, commands, a host's `env`.
const EXPANDING: &[&str] = &[
    "url",
    "headers",
    "env",
    "status",
    "start",
    "stop",
    "restart",
    "deploy",
    "rollback",
    "command",
    "offsite",
    "create",
    "restore",
    "verify",
    "integrity",
    "prepare",
    "cleanup",
    "run",
    "current_version",
];

/// `${NAME}` written where it is not expanded would be used as the literal text.
fn unexpanded_references(source: &str, report: &mut super::validate::Report<'_>) {
    let Ok(root) = toml::de::DeTable::parse(source) else {
        return;
    };
    let mut found = Vec::new();
    walk(root.get_ref(), &mut Vec::new(), &mut found);
    for (span, path) in found {
        let field = path
            .iter()
            .rev()
            .find(|k| !k.starts_with('['))
            .cloned()
            .unwrap_or_default();
        report(
            span,
            path.join(".").replace(".[", "["),
            format!(
                "`${{…}}` is not expanded in `{field}`: environment variables are read only in \
                 urls, headers, commands and a host's `env`; write the value itself here"
            ),
        );
    }
}

fn walk(
    table: &toml::de::DeTable<'_>,
    path: &mut Vec<String>,
    found: &mut Vec<(std::ops::Range<usize>, Vec<String>)>,
) {
    for (key, value) in table.iter() {
        if EXPANDING.contains(&key.get_ref().as_ref()) {
            continue;
        }
        path.push(key.get_ref().to_string());
        walk_value(value, path, found);
        path.pop();
    }
}

fn walk_value(
    value: &toml::Spanned<toml::de::DeValue<'_>>,
    path: &mut Vec<String>,
    found: &mut Vec<(std::ops::Range<usize>, Vec<String>)>,
) {
    use toml::de::DeValue;
    match value.get_ref() {
        DeValue::String(s) if references_env(s) => found.push((value.span(), path.clone())),
        DeValue::Table(t) => walk(t, path, found),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                walk_value(item, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// `${` not escaped as `$${`.
fn references_env(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(1))
        .any(|i| b[i] == b'$' && b[i + 1] == b'{' && (i == 0 || b[i - 1] != b'$'))
}

/// The theme the config names exists: built in, or `themes/NAME.toml` next to the config.
fn theme_exists(file: &ConfigFile, path: &Path, report: &mut super::validate::Report<'_>) {
    let theme = &file.settings.theme;
    let name = theme.get_ref();
    if theme.span().is_empty() || super::theme::ThemeSpec::builtin_names().any(|n| n == name) {
        return;
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_path = dir.join("themes").join(format!("{name}.toml"));
    if !file_path.is_file() {
        let builtin: Vec<&str> = super::theme::ThemeSpec::builtin_names().collect();
        report(
            theme.span(),
            "settings.theme".to_owned(),
            format!(
                "unknown theme `{}` (built in: {}; or a file {})",
                super::error::echo(name),
                builtin.join(", "),
                file_path.display()
            ),
        );
    }
}

impl Config {
    /// Nothing that can change `host` may run: its own `read_only`, or the settings'
    /// (which `--read-only` sets).
    pub fn read_only(&self, host: &Host) -> bool {
        self.file.settings.read_only || host.read_only
    }

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
