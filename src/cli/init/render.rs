//! The hosts.toml that `opsdeck init` writes: one `[[hosts]]` table per host contacted,
//! its discovered services and drafted checks; hosts that could not be read are written
//! commented out with the reason.

use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct HostDraft {
    pub name: String,
    pub address: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    pub docker_socket: Option<String>,
    pub services: Vec<ServiceDraft>,
    /// Why the host is written commented out (unknown key, unreachable), if it is.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceDraft {
    Compose {
        name: String,
        project: String,
        service: String,
        checks: Vec<CheckDraft>,
    },
    Container {
        name: String,
        container: String,
        checks: Vec<CheckDraft>,
    },
    Systemd {
        name: String,
        unit: String,
        checks: Vec<CheckDraft>,
    },
    /// A health endpoint on a port no discovered service owns.
    Http {
        name: String,
        checks: Vec<CheckDraft>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDraft {
    pub name: String,
    pub url: String,
    /// Where the check came from, written as a comment.
    pub origin: String,
}

impl ServiceDraft {
    pub fn name(&self) -> &str {
        match self {
            ServiceDraft::Compose { name, .. }
            | ServiceDraft::Container { name, .. }
            | ServiceDraft::Systemd { name, .. }
            | ServiceDraft::Http { name, .. } => name,
        }
    }

    pub fn checks_mut(&mut self) -> &mut Vec<CheckDraft> {
        match self {
            ServiceDraft::Compose { checks, .. }
            | ServiceDraft::Container { checks, .. }
            | ServiceDraft::Systemd { checks, .. }
            | ServiceDraft::Http { checks, .. } => checks,
        }
    }

    fn checks(&self) -> &[CheckDraft] {
        match self {
            ServiceDraft::Compose { checks, .. }
            | ServiceDraft::Container { checks, .. }
            | ServiceDraft::Systemd { checks, .. }
            | ServiceDraft::Http { checks, .. } => checks,
        }
    }
}

/// A TOML basic string: quoted and escaped by the toml crate.
fn q(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

pub fn render(hosts: &[HostDraft], command: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Written by `{command}`.");
    let _ = writeln!(
        out,
        "# Services were discovered on each host; `discover` keeps listing new ones (marked ~)."
    );
    let _ = writeln!(
        out,
        "# Reference of every key: opsdeck's README (\"hosts.toml\").\n"
    );
    let _ = writeln!(out, "[settings]\nrefresh = \"2s\"");
    for h in hosts {
        let mut block = String::new();
        host_block(&mut block, h);
        out.push('\n');
        match &h.problem {
            None => out.push_str(&block),
            Some(why) => {
                let _ = writeln!(out, "# {} — not written: {why}", h.name);
                for line in block.lines() {
                    let _ = writeln!(out, "# {line}");
                }
            }
        }
    }
    out
}

fn host_block(out: &mut String, h: &HostDraft) {
    let _ = writeln!(out, "[[hosts]]\nname = {}\ntransport = \"ssh\"", q(&h.name));
    let _ = writeln!(out, "address = {}", q(&h.address));
    if let Some(p) = h.port {
        let _ = writeln!(out, "port = {p}");
    }
    if let Some(u) = &h.user {
        let _ = writeln!(out, "user = {}", q(u));
    }
    if let Some(p) = &h.identity_file {
        let _ = writeln!(out, "identity_file = {}", q(&p.to_string_lossy()));
    }
    if let Some(p) = &h.known_hosts {
        let _ = writeln!(out, "known_hosts = {}", q(&p.to_string_lossy()));
    }
    if let Some(s) = &h.docker_socket {
        let _ = writeln!(out, "docker = \"ssh\"\ndocker_socket = {}", q(s));
        let _ = writeln!(out, "discover = [\"compose\", \"systemd\", \"containers\"]");
    } else {
        let _ = writeln!(out, "discover = [\"systemd\"]");
    }
    for s in &h.services {
        let _ = writeln!(out, "\n[[hosts.services]]\nname = {}", q(s.name()));
        match s {
            ServiceDraft::Compose {
                project, service, ..
            } => {
                let _ = writeln!(out, "kind = \"compose\"\nproject = {}", q(project));
                if service != s.name() {
                    let _ = writeln!(out, "compose_service = {}", q(service));
                }
            }
            ServiceDraft::Container { container, .. } => {
                let _ = writeln!(out, "kind = \"container\"\ncontainer = {}", q(container));
            }
            ServiceDraft::Systemd { unit, .. } => {
                let _ = writeln!(out, "kind = \"systemd\"\nunit = {}", q(unit));
            }
            ServiceDraft::Http { checks, .. } => {
                let url = checks.first().map_or("", |c| c.url.as_str());
                let _ = writeln!(out, "kind = \"http\"\nurl = {}", q(url));
            }
        }
        for c in s.checks() {
            let _ = writeln!(
                out,
                "\n[[hosts.services.checks]]\n# {}\nname = {}\nkind = \"http\"\nurl = {}",
                c.origin.replace('\n', " "),
                q(&c.name),
                q(&c.url)
            );
        }
    }
}
