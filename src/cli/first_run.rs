//! The console's first run: with no hosts.toml anywhere, this machine with what it really
//! runs — its systemd units and its Docker engine's compose projects and containers,
//! discovered live — and a one-line hint on how to add hosts.

use std::path::Path;

use crate::config::load::locate_from;
use crate::config::{Config, load, parse, xdg_dir};

/// The configuration found, or (when `discover_if_missing` and none is found) this
/// machine's discovered one with the hint to show.
pub fn load_or_discover(
    explicit: Option<&Path>,
    discover_if_missing: bool,
) -> Result<(Config, Option<String>), String> {
    let env = std::env::var_os("OPSDECK_CONFIG");
    match locate_from(explicit, env.as_deref()) {
        Ok(path) => load(&path).map(|c| (c, None)).map_err(|e| e.to_string()),
        Err(e) if !discover_if_missing => Err(format!("error: {e}")),
        Err(_) => {
            let path = xdg_dir("XDG_CONFIG_HOME", ".config").join("hosts.toml");
            let machine = Machine::here();
            let config = parse(&path, &machine.config_text()).map_err(|e| e.to_string())?;
            Ok((config, Some(machine.hint(&path))))
        }
    }
}

/// What this machine offers to discover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub name: String,
    pub systemd: bool,
    pub docker: bool,
}

impl Machine {
    pub fn here() -> Self {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|n| n.trim().to_owned())
            .filter(|n| crate::config::validate::check_name(n).is_ok())
            .unwrap_or_else(|| "local".to_owned());
        let docker = std::env::var_os("DOCKER_HOST").is_some_and(|v| !v.is_empty())
            || crate::transport::docker::local_candidates()
                .iter()
                .any(|p| p.exists());
        Machine {
            name,
            systemd: Path::new("/run/systemd/system").is_dir(),
            docker,
        }
    }

    pub fn config_text(&self) -> String {
        let mut kinds = Vec::new();
        if self.docker {
            kinds.extend(["\"compose\"", "\"containers\""]);
        }
        if self.systemd {
            kinds.push("\"systemd\"");
        }
        let docker = if self.docker {
            "docker = \"local\"\n"
        } else {
            ""
        };
        format!(
            "[settings]\nrefresh = \"2s\"\n\n[[hosts]]\nname = {}\ntransport = \"local\"\n{docker}discover = [{}]\n",
            toml::Value::String(self.name.clone()),
            kinds.join(", ")
        )
    }

    /// One line, short enough for an 80-column status bar's first words to say it all.
    pub fn hint(&self, path: &Path) -> String {
        let what = match (self.systemd, self.docker) {
            (true, true) | (true, false) | (false, true) => "this machine, discovered (~)",
            (false, false) => "this machine (no systemd, no Docker engine to discover)",
        };
        format!(
            "no hosts.toml: {what} · add hosts: `opsdeck init` (~/.ssh/config, --host user@addr) writes {}",
            path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_discovered_config_loads_whatever_the_machine_has() {
        for (systemd, docker) in [(true, true), (true, false), (false, true), (false, false)] {
            let m = Machine {
                name: "box".into(),
                systemd,
                docker,
            };
            let c = parse(Path::new("/nowhere/hosts.toml"), &m.config_text())
                .unwrap_or_else(|e| panic!("{e}\n{}", m.config_text()));
            let h = &c.file.hosts[0];
            assert_eq!(h.docker.is_some(), docker);
            assert_eq!(
                h.discovers(crate::config::schema::DiscoverKind::Systemd),
                systemd
            );
            assert!(m.hint(Path::new("x")).contains("opsdeck init"));
        }
    }
}
