//! One round trip to a host for `opsdeck init`: its discovery candidates (systemd units),
//! its Docker sockets, its listening TCP ports and which cgroup (container or unit) owns
//! each; then the well-known health endpoints on those ports, asked from here.

use std::time::Duration;

use crate::collect::discover::units::discovery_script;
use crate::collect::systemd::{UnitStatus, parse_show};
use crate::transport::CommandSpec;

const MARK: &str = "@@opsdeck:";
/// Paths tried on every listening port; the first that answers 2xx becomes a check.
pub const WELL_KNOWN: &[&str] = &["/health", "/api/health", "/healthz"];
/// Ports asked at most per host, so that a host with hundreds of listeners stays quick.
const MAX_PORTS: usize = 24;

/// The script: units, sockets, listeners and the owners of the listening processes.
pub fn command() -> CommandSpec {
    let script = format!(
        "{units}; echo {MARK}sockets; for s in /var/run/docker.sock /run/docker.sock /run/podman/podman.sock; \
         do [ -S \"$s\" ] && echo \"$s\"; done; echo {MARK}listen; ss -ltnpH 2>/dev/null; \
         echo {MARK}cgroups; for p in $(ss -ltnpH 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); \
         do echo \"$p $(tr '\\n' ' ' < /proc/$p/cgroup 2>/dev/null)\"; done; true",
        units = discovery_script(MARK)
    );
    CommandSpec::argv(["sh".to_owned(), "-c".to_owned(), script])
}

#[derive(Debug, Default)]
pub struct HostFacts {
    pub units: Vec<UnitStatus>,
    pub docker_sockets: Vec<String>,
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub port: u16,
    /// Bound to loopback only: not reachable from another machine.
    pub loopback: bool,
    pub owner: Owner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A container, by the id in its cgroup path.
    Container(String),
    Unit(String),
    Unknown,
}

pub fn parse(text: &str) -> HostFacts {
    let mut sections: Vec<(String, String)> = vec![("discover".into(), String::new())];
    for line in text.lines() {
        if let Some(name) = line.strip_prefix(MARK) {
            sections.push((name.trim().to_owned(), String::new()));
        } else if let Some(last) = sections.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    let get = |n: &str| {
        sections
            .iter()
            .filter(|(name, _)| name == n)
            .map(|(_, t)| t.as_str())
            .collect::<String>()
    };
    let owners: Vec<(u32, Owner)> = get("cgroups")
        .lines()
        .filter_map(|l| {
            let (pid, cgroup) = l.split_once(' ')?;
            Some((pid.parse().ok()?, owner_of(cgroup)))
        })
        .collect();
    let mut listeners: Vec<Listener> = Vec::new();
    for line in get("listen").lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(local) = fields.get(3) else { continue };
        let Some((addr, port)) = local.rsplit_once(':') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        let loopback = addr.starts_with("127.") || addr == "[::1]";
        let owner = pids(line)
            .into_iter()
            .find_map(|p| owners.iter().find(|(q, _)| *q == p).map(|(_, o)| o.clone()))
            .unwrap_or(Owner::Unknown);
        match listeners.iter_mut().find(|l| l.port == port) {
            // One port on several addresses: reachable when any of them is.
            Some(l) => l.loopback &= loopback,
            None => listeners.push(Listener {
                port,
                loopback,
                owner,
            }),
        }
    }
    HostFacts {
        units: parse_show(&get("discover")),
        docker_sockets: get("sockets").lines().map(str::to_owned).collect(),
        listeners,
    }
}

fn pids(line: &str) -> Vec<u32> {
    line.split("pid=")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// A container id (`libpod-<id>`, `docker-<id>.scope`, `/docker/<id>`) or a unit
/// (`…/name.service`) from a process's cgroup lines.
fn owner_of(cgroup: &str) -> Owner {
    for marker in ["libpod-", "docker-", "/docker/"] {
        if let Some(i) = cgroup.find(marker) {
            let id: String = cgroup[i + marker.len()..]
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect();
            if id.len() >= 12 {
                // A container may hold a systemd (triboka): a unit under it wins.
                if let Some(unit) = unit_in(cgroup) {
                    return Owner::Unit(unit);
                }
                return Owner::Container(id);
            }
        }
    }
    unit_in(cgroup).map_or(Owner::Unknown, Owner::Unit)
}

fn unit_in(cgroup: &str) -> Option<String> {
    cgroup
        .split(|c: char| c == '/' || c.is_whitespace())
        .rfind(|part| part.ends_with(".service"))
        .map(str::to_owned)
}

/// The first well-known path on `address:port` that answers 2xx, if any.
pub async fn health_endpoint(client: &reqwest::Client, address: &str, port: u16) -> Option<String> {
    for path in WELL_KNOWN {
        let url = format!("http://{}:{port}{path}", bracket(address));
        if answers(client, &url).await {
            return Some(url);
        }
    }
    None
}

/// Whether `url` answers 2xx within the client's timeout.
pub async fn answers(client: &reqwest::Client, url: &str) -> bool {
    matches!(client.get(url).send().await, Ok(r) if r.status().is_success())
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Ports worth asking: reachable from here, not SSH, at most [`MAX_PORTS`].
pub fn candidates(facts: &HostFacts, local: bool) -> Vec<&Listener> {
    facts
        .listeners
        .iter()
        .filter(|l| l.port != 22 && (local || !l.loopback))
        .take(MAX_PORTS)
        .collect()
}

fn bracket(address: &str) -> String {
    if address.contains(':') && !address.starts_with('[') {
        format!("[{address}]")
    } else {
        address.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_and_their_owners() {
        let text = format!(
            "{MARK}discover\nId=app.service\nActiveState=active\n\n{MARK}sockets\n/run/docker.sock\n{MARK}listen\n\
             LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:((\"sshd\",pid=10,fd=3))\n\
             LISTEN 0 9 *:8000 *:* users:((\"httpd\",pid=20,fd=3))\n\
             LISTEN 0 5 127.0.0.1:5432 0.0.0.0:* users:((\"postgres\",pid=30,fd=3))\n\
             LISTEN 0 5 0.0.0.0:5003 0.0.0.0:*\n\
             {MARK}cgroups\n10 0::/system.slice/ssh.service \n\
             20 9:name=systemd:/libpod_parent/libpod-52e5ed8473ffea6b323f56cb999beecff43a1a1ccd6d3c152f0cb5dafaa30703 \n\
             30 0::/system.slice/postgresql@15-main.service \n"
        );
        let f = parse(&text);
        assert_eq!(f.units.len(), 1);
        assert_eq!(f.docker_sockets, ["/run/docker.sock"]);
        assert_eq!(f.listeners.len(), 4);
        assert_eq!(f.listeners[0].owner, Owner::Unit("ssh.service".into()));
        assert!(matches!(&f.listeners[1].owner, Owner::Container(id) if id.starts_with("52e5ed")));
        assert!(f.listeners[2].loopback);
        assert_eq!(f.listeners[3].owner, Owner::Unknown);
        let asked: Vec<u16> = candidates(&f, false).iter().map(|l| l.port).collect();
        assert_eq!(asked, [8000, 5003]);
    }
}
