//! The parts of `~/.ssh/config` that `opsdeck init` needs: each `Host` alias without
//! wildcards, with its HostName, User, Port, IdentityFile, UserKnownHostsFile and ProxyJump.
//! Later values of a keyword do not override earlier ones, as in ssh.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshHost {
    pub alias: String,
    pub hostname: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    pub proxy_jump: Option<String>,
}

/// A `Host` block: its patterns and its `keyword value` settings.
type Block = (Vec<String>, Vec<(String, String)>);

/// Every concrete alias of the file, in order; `Host *` blocks give defaults to the hosts
/// they match, as ssh applies them (first value wins). `Match` blocks are skipped.
pub fn parse(text: &str, home: &Path) -> Vec<SshHost> {
    // (patterns, settings) per block; the settings before any Host line apply to all.
    let mut blocks: Vec<Block> = vec![(vec!["*".into()], vec![])];
    let mut skipping = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = split_keyword(line);
        let key = key.to_ascii_lowercase();
        match key.as_str() {
            "host" => {
                skipping = false;
                blocks.push((value.split_whitespace().map(unquote).collect(), vec![]));
            }
            "match" => skipping = true,
            _ if skipping => {}
            _ => {
                if let Some(last) = blocks.last_mut() {
                    last.1.push((key, unquote(value)));
                }
            }
        }
    }
    let mut aliases: Vec<String> = Vec::new();
    for (patterns, _) in &blocks {
        for p in patterns {
            let concrete = !p.contains(['*', '?', '!']);
            if concrete && !aliases.contains(p) {
                aliases.push(p.clone());
            }
        }
    }
    aliases
        .into_iter()
        .map(|alias| {
            let mut host = SshHost {
                alias: alias.clone(),
                ..SshHost::default()
            };
            for (patterns, settings) in &blocks {
                if !matches_any(patterns, &alias) {
                    continue;
                }
                for (k, v) in settings {
                    apply(&mut host, k, v, home);
                }
            }
            host
        })
        .collect()
}

fn apply(host: &mut SshHost, key: &str, value: &str, home: &Path) {
    let path = |v: &str| {
        let first = v.split_whitespace().next().unwrap_or(v);
        match first.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => PathBuf::from(first),
        }
    };
    match key {
        "hostname" if host.hostname.is_none() => host.hostname = Some(value.to_owned()),
        "user" if host.user.is_none() => host.user = Some(value.to_owned()),
        "port" if host.port.is_none() => host.port = value.parse().ok(),
        "identityfile" if host.identity_file.is_none() => host.identity_file = Some(path(value)),
        "userknownhostsfile" if host.known_hosts.is_none() => host.known_hosts = Some(path(value)),
        "proxyjump" if host.proxy_jump.is_none() && value != "none" => {
            host.proxy_jump = Some(value.to_owned())
        }
        _ => {}
    }
}

/// `Keyword value`, `Keyword=value` or `Keyword = value`.
fn split_keyword(line: &str) -> (&str, &str) {
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (key, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    (key, rest)
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_owned()
}

fn matches_any(patterns: &[String], name: &str) -> bool {
    let mut matched = false;
    for p in patterns {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(neg, name) {
                return false;
            }
        } else if glob(p, name) {
            matched = true;
        }
    }
    matched
}

/// ssh's patterns: `*` any run of characters, `?` one.
pub fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_with_their_settings_and_wildcard_defaults() {
        let text = "\
User fallback
# comment
Host web1 web2
    HostName 10.0.0.1
    Port=2222
    IdentityFile ~/.ssh/id_web
Host db
  HostName = db.internal
  User postgres
  ProxyJump bastion
Host *.example.com !skip.example.com
  User ops
Host *
  User everyone
  UserKnownHostsFile ~/.ssh/kh
Match host foo
  User matched
";
        let hosts = parse(text, Path::new("/home/me"));
        let names: Vec<&str> = hosts.iter().map(|h| h.alias.as_str()).collect();
        assert_eq!(names, ["web1", "web2", "db"]);
        assert_eq!(hosts[0].hostname.as_deref(), Some("10.0.0.1"));
        assert_eq!(hosts[0].port, Some(2222));
        assert_eq!(hosts[0].user.as_deref(), Some("fallback"));
        assert_eq!(
            hosts[0].identity_file.as_deref(),
            Some(Path::new("/home/me/.ssh/id_web"))
        );
        assert_eq!(hosts[2].user.as_deref(), Some("fallback"));
        assert_eq!(hosts[2].proxy_jump.as_deref(), Some("bastion"));
        assert_eq!(
            hosts[2].known_hosts.as_deref(),
            Some(Path::new("/home/me/.ssh/kh"))
        );
        assert!(glob("web*", "web1") && !glob("web?", "web12") && glob("*", ""));
    }
}
