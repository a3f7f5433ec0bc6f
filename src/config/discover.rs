//! `discover = ["compose", "systemd", "containers"]`: what a host lists as discovered
//! services beside the configured ones.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiscoverKind {
    /// Compose projects and their services on the host's Docker engine.
    Compose,
    /// Running and failed systemd units that are not the system's own.
    Systemd,
    /// Containers outside compose projects.
    Containers,
}

impl DiscoverKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiscoverKind::Compose => "compose",
            DiscoverKind::Systemd => "systemd",
            DiscoverKind::Containers => "containers",
        }
    }

    /// Whether this kind is read from a Docker engine.
    pub fn needs_docker(self) -> bool {
        matches!(self, DiscoverKind::Compose | DiscoverKind::Containers)
    }
}

impl super::schema::Host {
    pub fn discovers(&self, kind: DiscoverKind) -> bool {
        self.discover.contains(&kind)
    }

    /// The Docker endpoint as configured, or the host's own one when it discovers compose
    /// projects or containers without naming one (`local` here, `ssh` on an SSH host).
    pub fn docker_value(&self) -> Option<&str> {
        use super::schema::TransportKind;
        match &self.docker {
            Some(d) => Some(d.get_ref().as_str()),
            None if self.discover.iter().any(|k| k.needs_docker()) => match self.transport {
                TransportKind::Local => Some("local"),
                TransportKind::Ssh => Some("ssh"),
                TransportKind::Http => None,
            },
            None => None,
        }
    }
}
