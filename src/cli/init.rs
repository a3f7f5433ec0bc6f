//! `opsdeck init`: a hosts.toml from `~/.ssh/config` (its aliases, or those matching
//! `--hosts PATTERN`) and `--host [user@]addr[:port]`. Each host is contacted once, with
//! strict host keys as everywhere — an unknown key is listed with its fingerprint and the
//! host written commented out, nothing is trusted — and what discovery finds there is
//! written as services, with checks drafted from compose healthchecks and the well-known
//! health endpoints that answer 2xx. The result is loaded by the real loader before it is
//! printed (`--dry-run`) or written; an existing file is only replaced with `--force`.

mod probe;
mod render;
mod services;
mod ssh_config;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use render::{CheckDraft, HostDraft, ServiceDraft, render};
pub use ssh_config::{SshHost, glob, parse as parse_ssh_config};

use crate::collect::discover::compose::inventory;
use crate::config::validate::check_name;
use crate::transport::docker::{DockerEndpoint, connect as docker_connect};
use crate::transport::ssh::{LOG_CHANNELS, SshError, SshTarget, connect};
use services::{owns, services};

/// How long the host's one discovery command may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, clap::Args)]
pub struct InitArgs {
    /// Only the aliases of the ssh config that match this pattern (`*` and `?`, as ssh).
    #[arg(long = "hosts", value_name = "PATTERN")]
    pub pattern: Option<String>,
    /// A host that is not in the ssh config: `[user@]address[:port]`; may repeat.
    #[arg(long = "host", value_name = "USER@ADDR")]
    pub extra: Vec<String>,
    /// The ssh config to read (default: ~/.ssh/config).
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Where to write (default: $XDG_CONFIG_HOME/opsdeck/hosts.toml).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the file instead of writing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// A host to contact.
#[derive(Debug, Clone)]
struct Candidate {
    name: String,
    ssh: SshHost,
}

/// `opsdeck init`, with its own runtime; returns the exit code (0 every host read and the
/// file written or printed, 1 some host could not be read, 2 nothing could be written).
pub fn main(args: &InitArgs, trusted_file: &Path) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 2;
        }
    };
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    runtime.block_on(run(args, trusted_file, &mut out, &mut err))
}

pub async fn run(
    args: &InitArgs,
    trusted_file: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| crate::config::xdg_dir("XDG_CONFIG_HOME", ".config").join("hosts.toml"));
    if !args.dry_run && output.exists() && !args.force {
        let _ = writeln!(
            err,
            "error: {} exists; nothing was changed (--force replaces it, --dry-run prints the new one)",
            output.display()
        );
        return 2;
    }
    let candidates = match candidates(args, &home) {
        Ok(c) if c.is_empty() => {
            let _ = writeln!(
                err,
                "error: no hosts: the ssh config names none{}; add some with --host user@address",
                args.pattern
                    .as_ref()
                    .map(|p| format!(" matching `{p}`"))
                    .unwrap_or_default()
            );
            return 2;
        }
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    let client = probe::client();
    let drafts =
        futures::future::join_all(candidates.iter().map(|c| contact(c, trusted_file, &client)))
            .await;
    for d in &drafts {
        match &d.problem {
            Some(p) => {
                let _ = writeln!(err, "{}: {}: {p}", d.name, d.address);
            }
            None => {
                let _ = writeln!(
                    err,
                    "{}: {}: {} services, {} checks",
                    d.name,
                    d.address,
                    d.services.len(),
                    d.services
                        .iter()
                        .map(|s| s.clone().checks_mut().len())
                        .sum::<usize>()
                );
            }
        }
    }
    let text = render(&drafts, "opsdeck init");
    let missing = drafts.iter().filter(|d| d.problem.is_some()).count();
    let loads = crate::config::parse(&output, &text);
    if args.dry_run {
        let _ = out.write_all(text.as_bytes());
    }
    if let Err(e) = &loads {
        if missing == drafts.len() {
            let _ = writeln!(err, "error: no host could be read; nothing to write");
        } else {
            let _ = writeln!(err, "error: the drafted file does not load (a bug):\n{e}");
        }
        return 2;
    }
    if !args.dry_run {
        if let Err(e) = write_new(&output, &text) {
            let _ = writeln!(err, "error: cannot write {}: {e}", output.display());
            return 2;
        }
        let _ = writeln!(err, "wrote {}", output.display());
    }
    if missing > 0 { 1 } else { 0 }
}

/// Writes through a temporary file in the same directory, so that a crash leaves the old
/// file or the new one, never half of one.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn candidates(args: &InitArgs, home: &Path) -> Result<Vec<Candidate>, String> {
    let mut found = Vec::new();
    if args.extra.is_empty() || args.pattern.is_some() || args.ssh_config.is_some() {
        let path = args
            .ssh_config
            .clone()
            .unwrap_or_else(|| home.join(".ssh/config"));
        match std::fs::read_to_string(&path) {
            Ok(text) => found.extend(
                parse_ssh_config(&text, home)
                    .into_iter()
                    .filter(|h| args.pattern.as_ref().is_none_or(|p| glob(p, &h.alias))),
            ),
            Err(e) if args.extra.is_empty() || args.ssh_config.is_some() => {
                return Err(format!("cannot read {}: {e}", path.display()));
            }
            Err(_) => {}
        }
    }
    for spec in &args.extra {
        found.push(parse_host_arg(spec)?);
    }
    let mut out: Vec<Candidate> = Vec::new();
    for ssh in found {
        let name = unique(
            config_name(&ssh.alias)?,
            out.iter().map(|c| c.name.as_str()),
        );
        out.push(Candidate { name, ssh });
    }
    Ok(out)
}

/// `[user@]address[:port]`.
fn parse_host_arg(spec: &str) -> Result<SshHost, String> {
    let (user, rest) = match spec.split_once('@') {
        Some((u, r)) => (Some(u.to_owned()), r),
        None => (None, spec),
    };
    let (addr, port) = match rest.rsplit_once(':') {
        Some((a, p)) if !a.contains(':') => (
            a,
            Some(
                p.parse::<u16>()
                    .map_err(|_| format!("--host {spec}: `{p}` is not a port"))?,
            ),
        ),
        _ => (rest, None),
    };
    for v in user.iter().map(String::as_str).chain([addr]) {
        crate::config::validate::check_argument(v).map_err(|m| format!("--host {spec}: {m}"))?;
    }
    Ok(SshHost {
        alias: addr.to_owned(),
        hostname: Some(addr.to_owned()),
        user,
        port,
        ..SshHost::default()
    })
}

/// A name fit for hosts.toml: characters a name may not hold become `-`.
pub(super) fn config_name(raw: &str) -> Result<String, String> {
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    check_name(&name).map_err(|m| format!("`{raw}` cannot be a name: {m}"))?;
    Ok(name)
}

pub(super) fn unique<'a>(name: String, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.clone().any(|t| t == candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    candidate
}

async fn contact(c: &Candidate, trusted_file: &Path, client: &reqwest::Client) -> HostDraft {
    let address = c
        .ssh
        .hostname
        .clone()
        .unwrap_or_else(|| c.ssh.alias.clone());
    let mut draft = HostDraft {
        name: c.name.clone(),
        // Through a jump host only ssh's own config knows the way: keep the alias.
        address: if c.ssh.proxy_jump.is_some() {
            c.ssh.alias.clone()
        } else {
            address.clone()
        },
        port: c.ssh.port,
        user: c.ssh.user.clone(),
        identity_file: c.ssh.identity_file.clone(),
        known_hosts: c.ssh.known_hosts.clone(),
        ..HostDraft::default()
    };
    let target = SshTarget {
        name: c.name.clone(),
        destination: draft.address.clone(),
        port: c.ssh.port,
        user: c.ssh.user.clone(),
        identity_file: c.ssh.identity_file.clone(),
        known_hosts: c.ssh.known_hosts.clone(),
        trusted_file: trusted_file.to_owned(),
        policy: crate::config::schema::HostKeyPolicy::Strict,
        connect_timeout: Duration::from_secs(5),
        limits: crate::transport::Limits::default(),
        log_channels: LOG_CHANNELS,
        env: crate::transport::CommandEnv::default(),
        login_socket: None,
    };
    let conn = match connect(&target).await {
        Ok(conn) => conn,
        Err(SshError::UnknownHostKey { fingerprint, .. }) => {
            draft.problem = Some(format!(
                "host key unknown ({fingerprint}), not trusted: check it, add it to known_hosts \
                 (or start the console and :trust {}), then run init again",
                c.name
            ));
            return draft;
        }
        Err(e) => {
            draft.problem = Some(format!("not reached: {e}"));
            return draft;
        }
    };
    let facts = match conn.run(&probe::command(), PROBE_TIMEOUT).await {
        Ok(o) => probe::parse(&o.stdout),
        Err(e) => {
            draft.problem = Some(format!("discovery failed: {e}"));
            return draft;
        }
    };
    let mut containers = Vec::new();
    if let Some(socket) = facts.docker_sockets.first() {
        let endpoint = DockerEndpoint::Ssh {
            remote_socket: PathBuf::from(socket),
        };
        if let Ok(dir) = tempfile::Builder::new().prefix("opsdeck-init-").tempdir() {
            match docker_connect(&endpoint, Some(&conn), dir.path()).await {
                Ok(docker) => match inventory(&docker).await {
                    Ok(found) => {
                        containers = found;
                        draft.docker_socket = Some(socket.clone());
                    }
                    Err(e) => tracing::warn!(host = %c.name, "docker inventory: {e}"),
                },
                Err(e) => tracing::warn!(host = %c.name, "docker: {e}"),
            }
        }
    }
    let mut owners: Vec<(probe::Owner, usize)> = Vec::new();
    draft.services = services(&containers, &facts, &address, &mut owners);
    for l in probe::candidates(&facts, false) {
        let owner = owners
            .iter()
            .find(|(o, _)| owns(o, &l.owner))
            .map(|(_, i)| *i);
        let system = matches!(&l.owner, probe::Owner::Unit(_)) && owner.is_none();
        if system || owner.is_some_and(|i| !draft.services[i].checks_mut().is_empty()) {
            continue;
        }
        let Some(url) = probe::health_endpoint(client, &address, l.port).await else {
            continue;
        };
        let check = CheckDraft {
            name: "health".into(),
            url,
            origin: "answered 2xx when opsdeck init asked".into(),
        };
        match owner {
            Some(i) => draft.services[i].checks_mut().push(check),
            None => {
                let taken: Vec<String> =
                    draft.services.iter().map(|s| s.name().to_owned()).collect();
                let name = unique(format!("http-{}", l.port), taken.iter().map(String::as_str));
                draft.services.push(ServiceDraft::Http {
                    name,
                    checks: vec![check],
                });
            }
        }
    }
    draft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_arguments() {
        let h = parse_host_arg("root@10.0.0.1:2222").unwrap();
        assert_eq!((h.user.as_deref(), h.port), (Some("root"), Some(2222)));
        assert_eq!(h.hostname.as_deref(), Some("10.0.0.1"));
        assert!(parse_host_arg("-oProxyCommand=x").is_err());
        assert!(parse_host_arg("a@b:port").is_err());
        assert_eq!(config_name("web.example.com").unwrap(), "web.example.com");
        assert_eq!(unique("a".into(), ["a", "a-2"].into_iter()), "a-3");
    }
}
