//! Non-interactive commands: they reuse the collectors and print instead of drawing.
//!
//! Everything they print that came from a host or the config goes through [`shown`] (text)
//! or [`json`] (documents): secrets redacted, then the screen's sanitiser, so a hostile
//! host's escape sequences or bidi controls never reach the terminal or a CI log raw.

pub mod act;
pub mod alerts;
pub mod args;
pub mod backups;
pub mod check;
pub mod config_check;
pub mod first_run;
pub mod init;
pub mod run;
pub mod runbooks;
pub mod status;
pub mod themes;

use crate::config::secret::{redact, redact_json};
use crate::model::text::plain;

/// What keeps a command-line connection to a host open: the directory of its Docker
/// socket forward (the SSH master lives in the transports).
pub struct HostLink {
    _docker_dir: Option<tempfile::TempDir>,
}

/// Connects one host for a command-line action: its SSH master (strict host keys, as the
/// console) and its Docker engine, if it has one, so that compose steps can run. A Docker
/// engine that does not answer is not an error here: only steps that need it fail.
pub async fn connect_host(
    config: &crate::config::Config,
    transports: &crate::transport::Transports,
    host: &crate::model::HostId,
    known_hosts: &std::path::Path,
) -> Result<HostLink, String> {
    use crate::config::schema::TransportKind;
    use crate::transport::docker::{DockerEndpoint, connect};
    let h = config
        .find_host(host)
        .ok_or_else(|| format!("unknown host {host}"))?;
    let ssh = match h.transport {
        TransportKind::Ssh => {
            let target = crate::transport::ssh::SshTarget::from_config(h, known_hosts)
                .ok_or_else(|| format!("{host} has no address"))?
                .with_settings(&config.file.settings);
            let conn = std::sync::Arc::new(
                crate::transport::ssh::connect(&target)
                    .await
                    .map_err(|e| e.to_string())?,
            );
            transports.set_ssh(host, Some(conn.clone()));
            Some(conn)
        }
        TransportKind::Local => None,
        TransportKind::Http => return Err(format!("{host} is an http-only host")),
    };
    let docker_value = h.docker_value();
    let mut docker_dir = None;
    if let Some(endpoint) = DockerEndpoint::from_config(docker_value, h.docker_socket()) {
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-docker-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        match connect(&endpoint, ssh.as_deref(), dir.path()).await {
            Ok(docker) => transports.set_docker(host, Some(docker)),
            Err(e) => tracing::warn!(%host, "docker engine not reached: {e}"),
        }
        docker_dir = Some(dir);
    }
    Ok(HostLink {
        _docker_dir: docker_dir,
    })
}

/// Whether text written to a stream gets colour: never with `NO_COLOR` set (non-empty),
/// always with `CLICOLOR_FORCE` set (non-empty, not `0`) even into a pipe or a CI log, else
/// only when the stream is a terminal. <https://no-color.org>, <https://bixense.com/clicolors/>
pub fn colour(is_terminal: bool) -> bool {
    colour_from(
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("CLICOLOR_FORCE").as_deref(),
        is_terminal,
    )
}

/// [`colour`] with the two variables' values given.
pub fn colour_from(
    no_color: Option<&std::ffi::OsStr>,
    force: Option<&std::ffi::OsStr>,
    is_terminal: bool,
) -> bool {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if force.is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    is_terminal
}

/// One line of text fit for a terminal: secrets redacted, control and invisible characters
/// and escape sequences shown as `·`.
pub fn shown(text: &str) -> String {
    plain(&redact(text))
}

/// A JSON document fit for a terminal or a file: every string (and key) redacted and
/// sanitised before it is serialised, so no escaped secret or raw control survives.
pub fn json<T: serde::Serialize>(doc: &T) -> serde_json::Result<String> {
    let mut value = serde_json::to_value(doc)?;
    redact_json(&mut value);
    sanitise_json(&mut value);
    serde_json::to_string_pretty(&value)
}

fn sanitise_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if s.chars()
                .any(|c| c.is_control() || crate::model::text::is_invisible(c))
            {
                *s = s.lines().map(plain).collect::<Vec<_>>().join("\n");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sanitise_json),
        Value::Object(map) => map.values_mut().for_each(sanitise_json),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_and_clicolor_force_forces() {
        use std::ffi::OsStr;
        let set = |v: &'static str| Some(OsStr::new(v));
        assert!(colour_from(None, None, true));
        assert!(!colour_from(None, None, false));
        assert!(!colour_from(set("1"), None, true));
        assert!(!colour_from(set("1"), set("1"), true));
        assert!(
            colour_from(set(""), None, true),
            "an empty NO_COLOR is unset"
        );
        assert!(colour_from(None, set("1"), false));
        assert!(!colour_from(None, set("0"), false));
        assert!(!colour_from(None, set(""), false));
    }

    #[test]
    fn hostile_text_is_neutralised_in_text_and_json() {
        let evil = "ok\u{1b}]52;c;cm0gLXJm\u{7}\u{202e}txt.exe\u{1b}[2J";
        assert_eq!(shown(evil), "ok··txt.exe·");
        let doc = serde_json::json!({ "detail": evil, "lines": [format!("a\n{evil}")] });
        let text = json(&doc).unwrap();
        assert!(!text.contains("\\u001b"), "{text}");
        assert!(!text.contains('\u{202e}'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["lines"][0], "a\nok··txt.exe·");
    }
}
