//! Finding, reading and parsing `hosts.toml`.

use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigErrors};
use super::include;
use super::keymap::Keymap;
use super::schema::{ConfigFile, Host, Service};
use super::validate::validate;
use crate::model::{HostId, ServiceId};

mod env_refs;
use env_refs::unexpanded_references;

/// A loaded, validated configuration.
#[derive(Debug)]
pub struct Config {
    /// The main file.
    pub path: PathBuf,
    /// The main file with every included file's hosts, backups, deploys, runbooks and
    /// suites appended, in the order they were read.
    pub file: ConfigFile,
    pub keymap: Keymap,
    /// Every file read: the main one first, then the included ones.
    pub files: Vec<PathBuf>,
}

// Called once at start-up; the error's size does not matter.
#[allow(clippy::result_large_err)]
/// `--config`, then `$OPSDECK_CONFIG`, then `./hosts.toml`, then
/// `$XDG_CONFIG_HOME/opsdeck/hosts.toml`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    locate_from(explicit, std::env::var_os("OPSDECK_CONFIG").as_deref())
}

#[allow(clippy::result_large_err)]
/// [`locate`] with `$OPSDECK_CONFIG`'s value given. The first two are taken as given (a
/// missing file is then the loader's "cannot read", naming it), with `~` expanded; the
/// others only when they exist.
pub fn locate_from(
    explicit: Option<&Path>,
    env: Option<&std::ffi::OsStr>,
) -> Result<PathBuf, ConfigError> {
    let home = std::env::var_os("HOME");
    if let Some(p) = explicit {
        return Ok(expand_home(p, home.as_deref()));
    }
    if let Some(p) = env.filter(|v| !v.is_empty()) {
        return Ok(expand_home(Path::new(p), home.as_deref()));
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
                    "no configuration found (looked at --config, $OPSDECK_CONFIG, {})",
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

/// A configuration from `source`, the text of the file at `path`. The files its `include`
/// names are read from disk, relative to `path`'s directory.
pub fn parse(path: &Path, source: &str) -> Result<Config, ConfigErrors> {
    // A byte-order mark is not part of the first line: columns count from after it.
    let source = strip_bom(source);
    let mut file = parse_one(path, source).map_err(|e| ConfigErrors(vec![e]))?;
    let mut sources = vec![Source {
        path: path.to_owned(),
        text: source.to_owned(),
    }];
    let mut origins = Origins::default();
    origins.add(0, &file);

    // Included files: every one is read and parsed, so that one run reports them all.
    let mut errors: Vec<(usize, ConfigError)> = Vec::new();
    let home = std::env::var_os("HOME");
    let mut seen = vec![canonical(path)];
    for pattern in &file.include {
        let found = match include::resolve(&dir_of(path), pattern.get_ref(), home.as_deref()) {
            Ok(found) => found,
            Err(message) => {
                errors.push((0, ConfigError::at(path, source, pattern.span(), message)));
                continue;
            }
        };
        for included in found {
            let key = canonical(&included);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let text = match std::fs::read_to_string(&included) {
                Ok(text) => strip_bom(&text).to_owned(),
                Err(e) => {
                    let message = format!("cannot read {}: {e}", included.display());
                    errors.push((0, ConfigError::at(path, source, pattern.span(), message)));
                    continue;
                }
            };
            let index = sources.len();
            match parse_one(&included, &text) {
                Ok(part) => {
                    for (span, message) in include::main_file_only(&text) {
                        errors.push((index, ConfigError::at(&included, &text, span, message)));
                    }
                    origins.add(index, &part);
                    file.hosts.extend(part.hosts);
                    file.backups.extend(part.backups);
                    file.deploys.extend(part.deploys);
                    file.runbooks.extend(part.runbooks);
                    file.suites.extend(part.suites);
                }
                Err(e) => errors.push((index, e)),
            }
            sources.push(Source {
                path: included,
                text,
            });
        }
    }
    if !errors.is_empty() {
        return Err(sorted(errors));
    }

    expand_paths(&mut file, home.as_deref());
    {
        // A merged entry's field path names its index in the merged lists; the error names
        // the file it came from and its index there.
        let mut report = |span, field: String, message: String| {
            let (index, field) = origins.locate(&field);
            let s = &sources[index];
            errors.push((
                index,
                ConfigError::with_path(&s.path, &s.text, span, field, message),
            ));
        };
        let place = |field: &str, span: std::ops::Range<usize>| {
            let (index, field) = origins.locate(field);
            let s = &sources[index];
            let e = ConfigError::with_path(&s.path, &s.text, span, field, String::new());
            format!("{}:{}:{}", s.path.display(), e.line, e.column)
        };
        validate(&file, &mut report, &place);
    }
    for (index, s) in sources.iter().enumerate() {
        let mut report = |span, field: String, message: String| {
            errors.push((
                index,
                ConfigError::with_path(&s.path, &s.text, span, field, message),
            ));
        };
        unexpanded_references(&s.text, &mut report);
    }
    let mut report = |span, field: String, message: String| {
        errors.push((
            0,
            ConfigError::with_path(path, source, span, field, message),
        ));
    };
    theme_exists(&file, path, &mut report);
    let keymap = Keymap::with_overrides(&file.keys, &mut report);
    if errors.is_empty() {
        Ok(Config {
            path: path.to_owned(),
            file,
            keymap,
            files: sources.into_iter().map(|s| s.path).collect(),
        })
    } else {
        Err(sorted(errors))
    }
}

fn strip_bom(source: &str) -> &str {
    source.strip_prefix('\u{feff}').unwrap_or(source)
}

/// One file's text as TOML: its first syntax or schema error, located in that file.
// A failed parse is reported and ends the load; the error's size does not matter.
#[allow(clippy::result_large_err)]
fn parse_one(path: &Path, source: &str) -> Result<ConfigFile, ConfigError> {
    if let Some(err) = control_character(path, source) {
        return Err(err);
    }
    toml::from_str(source).map_err(|e| {
        let message = explain(source, e.span(), e.message().trim_end());
        match e.span() {
            Some(span) => ConfigError::at(path, source, span, message),
            None => ConfigError::whole_file(path, message),
        }
    })
}

/// Errors in file order (the main file first, then the included ones as they were read),
/// each file's by position.
fn sorted(mut errors: Vec<(usize, ConfigError)>) -> ConfigErrors {
    errors.sort_by_key(|(index, e)| (*index, e.line, e.column));
    ConfigErrors(errors.into_iter().map(|(_, e)| e).collect())
}

/// One file of the configuration and its text.
struct Source {
    path: PathBuf,
    text: String,
}

/// Where each entry of the merged lists came from: (file index, index in that file), per
/// includable table.
#[derive(Default)]
struct Origins {
    tables: [Vec<(usize, usize)>; include::TABLES.len()],
}

impl Origins {
    fn add(&mut self, index: usize, part: &ConfigFile) {
        let lens = [
            part.hosts.len(),
            part.backups.len(),
            part.deploys.len(),
            part.runbooks.len(),
            part.suites.len(),
        ];
        for (table, len) in self.tables.iter_mut().zip(lens) {
            table.extend((0..len).map(|i| (index, i)));
        }
    }

    /// The file a field path of the merged configuration is in, and the path there:
    /// `hosts[7].services[0]` may be `hosts[2].services[0]` of the second included file.
    /// Anything else (`settings`, `keys`, `hosts` itself) is in the main file.
    fn locate(&self, field: &str) -> (usize, String) {
        let found = include::TABLES.iter().enumerate().find_map(|(t, name)| {
            let rest = field.strip_prefix(name)?.strip_prefix('[')?;
            let (number, rest) = rest.split_once(']')?;
            let (file, local) = *self.tables[t].get(number.parse::<usize>().ok()?)?;
            Some((file, format!("{name}[{local}]{rest}")))
        });
        found.unwrap_or_else(|| (0, field.to_owned()))
    }
}

/// The directory relative paths in the file at `path` start from.
fn dir_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned()
}

/// A file's identity for "read once": its canonical path, or the path as given.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// `~` and `$HOME` at the start of the fields that are paths on this machine. Paths on a
/// host (`dir` of a backup set, a log file's `path`) are that host's and left alone.
fn expand_paths(file: &mut ConfigFile, home: Option<&std::ffi::OsStr>) {
    let path = |p: &mut Option<PathBuf>| {
        if let Some(p) = p {
            *p = expand_home(p, home);
        }
    };
    path(&mut file.settings.audit_log);
    for host in &mut file.hosts {
        path(&mut host.identity_file);
        path(&mut host.known_hosts);
        for check in host.services.iter_mut().flat_map(|s| s.checks.iter_mut()) {
            if let Some(ca) = &mut check.ca_file {
                let expanded = expand_home(Path::new(ca.get_ref()), home);
                *ca = toml::Spanned::new(ca.span(), expanded.to_string_lossy().into_owned());
            }
        }
    }
}

/// `~`, `~/rest`, `$HOME`, `${HOME}` and `$HOME/rest` with the home directory in front;
/// anything else (and everything when there is no home) as written. `~user` is not
/// expanded.
pub fn expand_home(path: &Path, home: Option<&std::ffi::OsStr>) -> PathBuf {
    let Some(home) = home.filter(|h| !h.is_empty()) else {
        return path.to_owned();
    };
    let Some(text) = path.to_str() else {
        return path.to_owned();
    };
    for prefix in ["~", "${HOME}", "$HOME"] {
        if let Some(rest) = text.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return Path::new(home).join(rest.trim_start_matches('/'));
        }
    }
    path.to_owned()
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
