//! Rules for hosts and what they hold: services, checks, log sources.

use super::fields::{address_rule, port_rule, secret_rule, url_rule};
use super::*;
use std::time::Duration;

pub(super) fn host_rules(c: &mut Checker, host: &Host, p: &str) {
    c.name(&host.name, p);
    c.argument(&host.user, p, "user");
    c.argument(&host.address, p, "address");
    if let Some(port) = &host.port {
        port_rule(c, port.get_ref().0, port.span(), &format!("{p}.port"));
    }
    if host.transport == TransportKind::Ssh
        && let Some(a) = &host.address
    {
        address_rule(c, a, p);
    }
    if *host.host_key.get_ref() == HostKeyPolicy::AcceptNew
        && host.tags.iter().any(|t| t.get_ref() == "prod")
    {
        c.err(
            host.host_key.span(),
            format!("{p}.host_key"),
            "host_key = \"accept-new\" is not allowed on a host tagged prod: a prod host's key \
             is checked strictly; trust it once with :trust",
        );
    }
    for (name, value) in &host.env {
        let at = format!("{p}.env.{}", echo(name.get_ref()));
        let n = name.get_ref();
        let valid = n
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            c.err(
                name.span(),
                at.clone(),
                format!(
                    "`{}` is not an environment variable name (letters, digits, `_`)",
                    echo(n)
                ),
            );
        }
        if value.get_ref().expose().contains(['\n', '\0']) {
            c.err(
                value.span(),
                at,
                "an environment value cannot hold a newline or NUL",
            );
        }
    }
    for (j, tag) in host.tags.iter().enumerate() {
        if let Err(m) = check_name(tag.get_ref()) {
            c.err(
                tag.span(),
                format!("{p}.tags[{j}]"),
                format!("invalid tag: {m}"),
            );
        }
    }
    if let Some(b) = host.interactive_auth.as_ref().filter(|b| *b.get_ref())
        && host.transport != TransportKind::Ssh
    {
        let at = format!("{p}.interactive_auth");
        c.err(b.span(), at, "interactive_auth needs transport = \"ssh\"");
    }
    match host.transport {
        TransportKind::Local => {
            for (field, v) in [("address", &host.address), ("user", &host.user)] {
                c.only_for(v, p, field, "transport = \"ssh\" or \"http\"");
            }
        }
        TransportKind::Ssh | TransportKind::Http => {
            c.required(
                &host.address,
                host.name.span(),
                p,
                "address",
                "ssh and http hosts need an address",
            );
        }
    }
    if let Some(d) = &host.docker {
        let v = d.get_ref().as_str();
        let ok = matches!(v, "none" | "local" | "ssh")
            || v.strip_prefix("unix://")
                .is_some_and(|s| s.starts_with('/'))
            || v.strip_prefix("tcp://").is_some_and(|s| s.contains(':'));
        if !ok {
            c.err(d.span(), format!("{p}.docker"), format!(
                "invalid docker endpoint `{}`: use \"none\", \"local\", \"ssh\", \"unix:///path\" or \"tcp://host:port\"",
                echo(v)
            ));
        } else if let Some(port) = v
            .strip_prefix("tcp://")
            .and_then(|a| a.rsplit_once(':'))
            .map(|(_, p)| p)
        {
            match port.parse::<i64>() {
                Ok(n) => port_rule(c, n, d.span(), &format!("{p}.docker")),
                Err(_) => c.err(
                    d.span(),
                    format!("{p}.docker"),
                    format!("`{}` is not a port number", echo(port)),
                ),
            }
        } else if v == "ssh" && host.transport != TransportKind::Ssh {
            c.err(
                d.span(),
                format!("{p}.docker"),
                "docker = \"ssh\" needs transport = \"ssh\"",
            );
        }
    }

    if host.transport == TransportKind::Http && !host.discover.is_empty() {
        c.err(
            host.name.span(),
            format!("{p}.discover"),
            "`discover` lists what runs on a host's shell and engine; an http host has neither",
        );
    }
    if let Some(sock) = &host.docker_socket
        && host.docker_value() != Some("ssh")
    {
        c.err(
            sock.span(),
            format!("{p}.docker_socket"),
            "`docker_socket` is only used with docker = \"ssh\"; for a socket on this machine \
             write docker = \"unix:///path/to.sock\"",
        );
    }
    c.unique(
        host.services
            .iter()
            .enumerate()
            .map(|(i, s)| (&s.name, format!("{p}.services[{i}]"))),
        "service",
    );
    for (i, svc) in host.services.iter().enumerate() {
        service_rules(c, host, svc, &format!("{p}.services[{i}]"));
    }
    log_sources(c, &host.logs, None, &format!("{p}.logs"));
}

fn service_rules(c: &mut Checker, host: &Host, s: &Service, p: &str) {
    c.name(&s.name, p);
    let span = s.name.span();
    c.opt_duration(&s.timeout, p, "timeout", TIMEOUT);
    if let Some(u) = &s.unit
        && u.get_ref().contains('/')
    {
        let name = u.get_ref().rsplit('/').next().unwrap_or_default();
        c.err(
            u.span(),
            format!("{p}.unit"),
            format!(
                "`unit` is the unit's name, not its file: write unit = \"{}\"",
                echo(name)
            ),
        );
    }
    if let Some(u) = &s.url {
        url_rule(c, u.get_ref().shown(), u.span(), &format!("{p}.url"));
    }
    for (field, v) in [
        ("project", &s.project),
        ("compose_service", &s.compose_service),
        ("container", &s.container),
        ("unit", &s.unit),
    ] {
        c.argument(v, p, field);
    }
    match s.kind {
        ServiceKind::Compose => {
            c.required(
                &s.project,
                span.clone(),
                p,
                "project",
                "kind = \"compose\" needs the compose project",
            );
        }
        ServiceKind::Container => {
            c.required(
                &s.container,
                span.clone(),
                p,
                "container",
                "kind = \"container\" needs the container name",
            );
        }
        ServiceKind::Systemd => {
            c.required(
                &s.unit,
                span.clone(),
                p,
                "unit",
                "kind = \"systemd\" needs the unit name",
            );
            if host.transport == TransportKind::Http {
                c.err(
                    span.clone(),
                    format!("{p}.kind"),
                    "systemd services need an ssh or local host",
                );
            }
        }
        ServiceKind::Http => {
            c.required(
                &s.url,
                span.clone(),
                p,
                "url",
                "kind = \"http\" needs the endpoint URL",
            );
        }
        ServiceKind::Command => {
            c.required(
                &s.status,
                span.clone(),
                p,
                "status",
                "kind = \"command\" needs a status command",
            );
        }
    }
    if s.kind != ServiceKind::Compose {
        c.only_for(&s.project, p, "project", "kind = \"compose\"");
        c.only_for(
            &s.compose_service,
            p,
            "compose_service",
            "kind = \"compose\"",
        );
    }
    if s.kind != ServiceKind::Container {
        c.only_for(&s.container, p, "container", "kind = \"container\"");
    }
    if s.kind != ServiceKind::Systemd {
        c.only_for(&s.unit, p, "unit", "kind = \"systemd\"");
    }
    if s.kind != ServiceKind::Http {
        c.only_for(&s.url, p, "url", "kind = \"http\"");
    }
    let commands = [
        ("status", &s.status),
        ("start", &s.start),
        ("stop", &s.stop),
        ("restart", &s.restart),
        ("deploy", &s.deploy),
        ("rollback", &s.rollback),
    ];
    for (field, cmd) in commands {
        if s.kind == ServiceKind::Command {
            c.command(cmd, Some(s.shell), p, field);
            secret_rule(c, host, cmd, p, field);
        } else {
            c.only_for(cmd, p, field, "kind = \"command\"");
        }
    }
    if s.kind == ServiceKind::Compose {
        c.command(&s.scale, Some(s.shell), p, "scale");
        secret_rule(c, host, &s.scale, p, "scale");
    } else {
        c.only_for(&s.scale, p, "scale", "kind = \"compose\"");
    }

    c.unique(
        s.checks
            .iter()
            .enumerate()
            .map(|(i, k)| (&k.name, format!("{p}.checks[{i}]"))),
        "check",
    );
    for (i, chk) in s.checks.iter().enumerate() {
        check_rules(c, host, chk, &format!("{p}.checks[{i}]"));
    }
    log_sources(c, &s.logs, Some(s), &format!("{p}.logs"));
}

fn check_rules(c: &mut Checker, host: &Host, k: &Check, p: &str) {
    c.name(&k.name, p);
    let span = k.name.span();
    c.opt_duration(
        &k.interval,
        p,
        "interval",
        (Duration::from_secs(1), Duration::from_secs(86_400)),
    );
    c.opt_duration(
        &k.timeout,
        p,
        "timeout",
        (Duration::from_millis(100), Duration::from_secs(3_600)),
    );
    c.opt_duration(&k.retry_interval, p, "retry_interval", PAUSE);
    for (field, d) in [
        ("warn_latency", &k.warn_latency),
        ("max_latency", &k.max_latency),
    ] {
        c.opt_duration(
            d,
            p,
            field,
            (Duration::from_millis(1), Duration::from_secs(3_600)),
        );
    }
    if let (Some(w), Some(m)) = (&k.warn_latency, &k.max_latency)
        && w.get() > m.get()
    {
        c.err(
            w.span(),
            format!("{p}.warn_latency"),
            format!(
                "`warn_latency` ({w}) is above `max_latency` ({m}): a check fails before it could warn"
            ),
        );
    }
    if let Some(st) = &k.expect_status
        && !(100..=599).contains(st.get_ref())
    {
        c.err(
            st.span(),
            format!("{p}.expect_status"),
            format!(
                "`expect_status` = {} is not an HTTP status (100 to 599)",
                st.get_ref()
            ),
        );
    }
    if let Some(r) = k.retries
        && r > 1000
    {
        c.err(
            k.name.span(),
            format!("{p}.retries"),
            format!("`retries` = {r} is out of range: at most 1000"),
        );
    }
    match k.kind {
        CheckKind::Http => c.required(
            &k.url,
            span.clone(),
            p,
            "url",
            "kind = \"http\" needs a URL",
        ),
        CheckKind::Command => c.required(
            &k.command,
            span.clone(),
            p,
            "command",
            "kind = \"command\" needs a command",
        ),
        CheckKind::Container => {}
    }
    if let Some(u) = &k.url {
        url_rule(c, u.get_ref().shown(), u.span(), &format!("{p}.url"));
    }
    c.command(&k.command, None, p, "command");
    secret_rule(c, host, &k.command, p, "command");
    if k.kind != CheckKind::Http {
        c.only_for(&k.ca_file, p, "ca_file", "kind = \"http\"");
    }
    if let Some(ca) = &k.ca_file
        && !ca.get_ref().starts_with('/')
    {
        c.err(
            ca.span(),
            format!("{p}.ca_file"),
            format!("`{}` is not an absolute path", ca.get_ref()),
        );
    }
    if k.kind == CheckKind::Command && host.transport == TransportKind::Http {
        c.err(
            span.clone(),
            format!("{p}.kind"),
            "command checks need an ssh or local host (this host is http-only)",
        );
    }
    for (field, re) in [
        ("body_regex", &k.body_regex),
        ("stdout_regex", &k.stdout_regex),
    ] {
        if let Some(re) = re
            && let Err(e) = regex::Regex::new(re.get_ref())
        {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_owned();
            c.err(
                re.span(),
                format!("{p}.{field}"),
                format!("invalid regex: {first}"),
            );
        }
    }
    for (i, x) in k.expect_json.iter().enumerate() {
        let at = format!("{p}.expect_json[{i}]");
        let ptr = x.pointer.get_ref();
        if !(ptr.is_empty() || ptr.starts_with('/')) {
            c.err(
                x.pointer.span(),
                format!("{at}.pointer"),
                format!("`{ptr}` is not a JSON pointer (it must start with `/`)"),
            );
        }
        let n = [
            x.equals.is_some(),
            x.contains.is_some(),
            x.all.is_some(),
            x.matches.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if let Some(re) = &x.matches
            && let Err(e) = regex::Regex::new(re.get_ref())
        {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_owned();
            c.err(
                re.span(),
                format!("{at}.matches"),
                format!("invalid regex: {first}"),
            );
        }
        if n != 1 {
            c.err(
                x.pointer.span(),
                at,
                "give exactly one of `equals`, `contains`, `all` or `matches`",
            );
        }
    }
}

fn log_sources(c: &mut Checker, logs: &[LogSource], service: Option<&Service>, p: &str) {
    c.unique(
        logs.iter()
            .enumerate()
            .map(|(i, l)| (&l.name, format!("{p}[{i}]"))),
        "log source",
    );
    for (i, l) in logs.iter().enumerate() {
        let at = format!("{p}[{i}]");
        c.name(&l.name, &at);
        c.argument(&l.unit, &at, "unit");
        c.argument(&l.container, &at, "container");
        let span = l.name.span();
        match l.kind {
            LogKind::File => c.required(
                &l.path,
                span,
                &at,
                "path",
                "kind = \"file\" needs the file's path",
            ),
            LogKind::Journald => {
                if l.unit.is_none() && service.is_none_or(|s| s.unit.is_none()) {
                    c.err(span, at.clone(), "missing field `unit` (a journald source needs a unit, or a systemd service around it)");
                }
            }
            LogKind::Docker => {
                let has_containers = service.is_some_and(|s| {
                    matches!(s.kind, ServiceKind::Compose | ServiceKind::Container)
                });
                if l.container.is_none() && !has_containers {
                    c.err(span, at.clone(), "missing field `container` (a docker source outside a compose or container service needs one)");
                }
            }
        }
        if let Some(path) = &l.path
            && !path.get_ref().starts_with('/')
        {
            c.err(
                path.span(),
                format!("{at}.path"),
                "log file paths must be absolute",
            );
        }
    }
}
