//! The live connections of all hosts, shared by collectors and the action executor.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::mpsc;

use super::ssh::SshConnection;
use super::{CommandOutput, CommandSpec, TransportError, local};
use crate::model::HostId;

/// Where a command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Local,
    Ssh(HostId),
}

impl Target {
    /// Where commands for `host` of `config` run: SSH hosts over their master, the rest
    /// here.
    pub fn of(config: &crate::config::Config, host: &HostId) -> Self {
        match config.find_host(host).map(|h| h.transport) {
            Some(crate::config::schema::TransportKind::Ssh) => Target::Ssh(host.clone()),
            _ => Target::Local,
        }
    }
}

#[derive(Default)]
pub struct Transports {
    ssh: RwLock<HashMap<HostId, Arc<SshConnection>>>,
    docker: RwLock<HashMap<HostId, bollard::Docker>>,
    /// How much of local commands' output is kept (SSH hosts carry theirs in their target).
    limits: super::Limits,
    /// The `env` of the config's local host, set on local commands.
    local_env: super::CommandEnv,
}

impl Transports {
    pub fn new(limits: super::Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// For a config: its output limits and its local host's `env`.
    pub fn for_config(config: &crate::config::Config) -> Self {
        let local = config
            .file
            .hosts
            .iter()
            .find(|h| h.transport == crate::config::schema::TransportKind::Local);
        Self {
            limits: super::Limits::from_settings(&config.file.settings),
            local_env: local
                .map(super::CommandEnv::from_config)
                .unwrap_or_default(),
            ..Self::default()
        }
    }

    pub fn limits(&self) -> super::Limits {
        self.limits
    }

    pub fn set_ssh(&self, host: &HostId, conn: Option<Arc<SshConnection>>) {
        let mut map = self.ssh.write().unwrap_or_else(|e| e.into_inner());
        match conn {
            Some(c) => map.insert(host.clone(), c),
            None => map.remove(host),
        };
    }

    pub fn ssh(&self, host: &HostId) -> Option<Arc<SshConnection>> {
        self.ssh
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(host)
            .cloned()
    }

    pub fn set_docker(&self, host: &HostId, client: Option<bollard::Docker>) {
        let mut map = self.docker.write().unwrap_or_else(|e| e.into_inner());
        match client {
            Some(c) => map.insert(host.clone(), c),
            None => map.remove(host),
        };
    }

    pub fn docker(&self, host: &HostId) -> Option<bollard::Docker> {
        self.docker
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(host)
            .cloned()
    }

    pub async fn run_streaming(
        &self,
        target: &Target,
        spec: &CommandSpec,
        timeout: Duration,
        lines: Option<mpsc::Sender<String>>,
    ) -> Result<CommandOutput, TransportError> {
        match target {
            Target::Local => {
                local::run_with_env(spec, timeout, lines, self.limits, &self.local_env).await
            }
            Target::Ssh(host) => match self.ssh(host) {
                Some(conn) => conn.run_streaming(spec, timeout, lines).await,
                None => Err(TransportError::NotConnected(host.to_string())),
            },
        }
    }
}
