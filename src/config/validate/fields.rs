//! Rules for single values: ports, SSH addresses, URLs, secrets on command lines.

use super::*;

pub(super) fn port_rule(c: &mut Checker, port: i64, span: Range<usize>, at: &str) {
    if !(1..=65535).contains(&port) {
        c.err(
            span,
            at.to_owned(),
            format!("port {port} is out of range: a port is 1 to 65535"),
        );
    }
}

/// An SSH address is a name or an IP: the user and the port have fields of their own.
pub(super) fn address_rule(c: &mut Checker, a: &Spanned<String>, p: &str) {
    let v = a.get_ref();
    let at = format!("{p}.address");
    if let Some((user, host)) = v.split_once('@') {
        c.err(
            a.span(),
            at,
            format!(
                "`address` holds a user: write user = \"{}\" and address = \"{}\"",
                echo(user),
                echo(host)
            ),
        );
        return;
    }
    let port = match v.strip_prefix('[') {
        Some(rest) => rest.split_once("]:"),
        None => v.split_once(':').filter(|(_, p)| !p.contains(':')),
    };
    if let Some((host, port)) = port
        && !port.is_empty()
        && port.chars().all(|c| c.is_ascii_digit())
    {
        c.err(
            a.span(),
            at,
            format!(
                "`address` holds a port: write address = \"{}\" and port = {}",
                echo(host),
                echo(port)
            ),
        );
    }
}

pub(super) fn url_rule(c: &mut Checker, url: &str, span: Range<usize>, at: &str) {
    if url.starts_with("http://") || url.starts_with("https://") {
        return;
    }
    let message = if url.contains("://") {
        format!("`{}` is not an http:// or https:// URL", echo(url))
    } else {
        format!(
            "`{}` has no scheme: write http://{} or https://{}",
            echo(url),
            echo(url),
            echo(url)
        )
    };
    c.err(span, at.to_owned(), message);
}

/// A secret in the arguments of a command on an SSH host would be on the host's process
/// list for every user there to read.
pub(super) fn secret_rule(
    c: &mut Checker,
    host: &Host,
    cmd: &Option<Spanned<CommandLine>>,
    p: &str,
    field: &str,
) {
    if host.transport != TransportKind::Ssh {
        return;
    }
    let Some(cmd) = cmd else { return };
    let secret = match cmd.get_ref() {
        CommandLine::Argv(args) => args.iter().any(|a| a.is_secret()),
        CommandLine::Script(s) => s.is_secret(),
    };
    if secret {
        c.err(
            cmd.span(),
            format!("{p}.{field}"),
            format!(
                "a `${{…}}` secret in the command line of a command on SSH host `{}` would show in \
                 `ps` there: put it in the host's `env` table and read it from the environment",
                host.name.get_ref()
            ),
        );
    }
}

/// The same rule for commands that name their host (backups, deploy and runbook steps).
pub(super) fn no_secret_on_command_line(
    c: &mut Checker,
    file: &ConfigFile,
    host: &str,
    cmd: &Option<Spanned<CommandLine>>,
    p: &str,
    field: &str,
) {
    if let Some(h) = file.hosts.iter().find(|h| h.name.get_ref() == host) {
        secret_rule(c, h, cmd, p, field);
    }
}
