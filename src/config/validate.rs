//! Rules serde cannot express: names, kind-specific fields and references between tables.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::schema::*;

/// Receives (span, field path, message) for every problem found.
pub type Report<'a> = dyn FnMut(Range<usize>, String, String) + 'a;

/// Names of hosts, services, checks and other config objects: they end up in references
/// (`host/service/check`), in remote commands and on screen.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "must not contain control characters (found {:?})",
            c
        ));
    }
    if name.starts_with('-') {
        return Err(format!("`{name}` must not start with `-`"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "`{name}` may only contain letters, digits, `-`, `_` and `.` (found {c:?})"
        ));
    }
    Ok(())
}

/// Values passed to remote programs as arguments (units, users, addresses, containers).
pub fn check_argument(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.starts_with('-') {
        return Err(format!("`{value}` must not start with `-`"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "must not contain whitespace or control characters (found {c:?})"
        ));
    }
    Ok(())
}

struct Checker<'r, 'a> {
    report: &'r mut Report<'a>,
}

impl Checker<'_, '_> {
    fn err(&mut self, span: Range<usize>, path: impl Into<String>, msg: impl Into<String>) {
        (self.report)(span, path.into(), msg.into());
    }

    fn name(&mut self, name: &Spanned<String>, path: &str) {
        if let Err(m) = check_name(name.get_ref()) {
            self.err(
                name.span(),
                format!("{path}.name"),
                format!("invalid name: {m}"),
            );
        }
    }

    fn argument(&mut self, value: &Option<Spanned<String>>, path: &str, field: &str) {
        if let Some(v) = value
            && let Err(m) = check_argument(v.get_ref())
        {
            self.err(
                v.span(),
                format!("{path}.{field}"),
                format!("invalid {field}: {m}"),
            );
        }
    }

    fn unique<'n>(
        &mut self,
        names: impl IntoIterator<Item = (&'n Spanned<String>, String)>,
        what: &str,
    ) {
        let mut seen: HashMap<&str, ()> = HashMap::new();
        for (name, path) in names {
            if seen.insert(name.get_ref().as_str(), ()).is_some() {
                self.err(
                    name.span(),
                    format!("{path}.name"),
                    format!("duplicate {what} name `{}`", name.get_ref()),
                );
            }
        }
    }

    fn command(
        &mut self,
        cmd: &Option<Spanned<CommandLine>>,
        shell: bool,
        path: &str,
        field: &str,
    ) {
        let Some(cmd) = cmd else { return };
        let at = format!("{path}.{field}");
        match cmd.get_ref() {
            CommandLine::Script(_) if !shell => self.err(
                cmd.span(),
                at,
                "a command is an argument list like [\"systemctl\", \"restart\", \"x\"]; \
                 a string is only allowed with `shell = true`",
            ),
            CommandLine::Argv(argv) if argv.is_empty() => {
                self.err(cmd.span(), at, "the argument list is empty")
            }
            CommandLine::Argv(argv) if argv[0].expose().is_empty() => {
                self.err(cmd.span(), at, "the program name is empty")
            }
            CommandLine::Argv(_) if shell => self.err(
                cmd.span(),
                at,
                "with `shell = true` a command is one string (a script for `sh -c`)",
            ),
            _ => {}
        }
    }

    /// A field that only makes sense for some kind.
    fn only_for<T>(&mut self, value: &Option<Spanned<T>>, path: &str, field: &str, kind: &str) {
        if let Some(v) = value {
            self.err(
                v.span(),
                format!("{path}.{field}"),
                format!("`{field}` is only valid for {kind}"),
            );
        }
    }

    fn required<T>(
        &mut self,
        value: &Option<T>,
        span: Range<usize>,
        path: &str,
        field: &str,
        why: &str,
    ) {
        if value.is_none() {
            self.err(
                span,
                path.to_owned(),
                format!("missing field `{field}` ({why})"),
            );
        }
    }
}

pub fn validate(file: &ConfigFile, report: &mut Report<'_>) {
    let mut c = Checker { report };
    c.unique(
        file.hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (&h.name, format!("hosts[{i}]"))),
        "host",
    );
    for (i, host) in file.hosts.iter().enumerate() {
        host_rules(&mut c, host, &format!("hosts[{i}]"));
    }

    let refs = References::new(file);
    c.unique(
        file.backups
            .iter()
            .enumerate()
            .map(|(i, b)| (&b.name, format!("backups[{i}]"))),
        "backup set",
    );
    for (i, b) in file.backups.iter().enumerate() {
        let p = format!("backups[{i}]");
        c.name(&b.name, &p);
        refs.host(&mut c, &b.host, &format!("{p}.host"));
        if let Some(s) = &b.service {
            refs.service(
                &mut c,
                &format!("{}/{}", b.host.get_ref(), s.get_ref()),
                s.span(),
                &format!("{p}.service"),
            );
        }
        if b.dir.is_none() && b.list.is_none() {
            c.err(
                b.name.span(),
                p.clone(),
                "a backup set needs `dir` (with `glob`) or a `list` command",
            );
        }
        for (field, cmd) in [
            ("list", &b.list),
            ("create", &b.create),
            ("restore", &b.restore),
            ("verify", &b.verify),
        ] {
            c.command(cmd, false, &p, field);
        }
        for (j, s) in b.stop_during_restore.iter().enumerate() {
            refs.service(
                &mut c,
                &format!("{}/{}", b.host.get_ref(), s.get_ref()),
                s.span(),
                &format!("{p}.stop_during_restore[{j}]"),
            );
        }
    }

    c.unique(
        file.deploys
            .iter()
            .enumerate()
            .map(|(i, d)| (&d.name, format!("deploys[{i}]"))),
        "deploy recipe",
    );
    for (i, d) in file.deploys.iter().enumerate() {
        let p = format!("deploys[{i}]");
        c.name(&d.name, &p);
        refs.service(
            &mut c,
            d.service.get_ref(),
            d.service.span(),
            &format!("{p}.service"),
        );
        if let Some(g) = &d.health_gate {
            refs.check(&mut c, g, &format!("{p}.health_gate"));
        }
        c.command(&d.current_version, false, &p, "current_version");
        if d.steps.is_empty() {
            c.err(
                d.name.span(),
                format!("{p}.steps"),
                "a deploy recipe needs at least one step",
            );
        }
        for (j, s) in d.steps.iter().enumerate() {
            deploy_step(&mut c, &refs, s, &format!("{p}.steps[{j}]"));
        }
        for (j, s) in d.rollback.iter().enumerate() {
            deploy_step(&mut c, &refs, s, &format!("{p}.rollback[{j}]"));
        }
    }

    c.unique(
        file.runbooks
            .iter()
            .enumerate()
            .map(|(i, r)| (&r.name, format!("runbooks[{i}]"))),
        "runbook",
    );
    for (i, r) in file.runbooks.iter().enumerate() {
        let p = format!("runbooks[{i}]");
        c.name(&r.name, &p);
        for (j, s) in r.steps.iter().enumerate() {
            runbook_step(&mut c, &refs, r, s, &format!("{p}.steps[{j}]"));
        }
    }

    c.unique(
        file.suites
            .iter()
            .enumerate()
            .map(|(i, s)| (&s.name, format!("suites[{i}]"))),
        "suite",
    );
    for (i, s) in file.suites.iter().enumerate() {
        let p = format!("suites[{i}]");
        c.name(&s.name, &p);
        for (j, chk) in s.checks.iter().enumerate() {
            refs.check(&mut c, chk, &format!("{p}.checks[{j}]"));
        }
    }
}

fn host_rules(c: &mut Checker, host: &Host, p: &str) {
    c.name(&host.name, p);
    c.argument(&host.user, p, "user");
    c.argument(&host.address, p, "address");
    for (j, tag) in host.tags.iter().enumerate() {
        if let Err(m) = check_name(tag.get_ref()) {
            c.err(
                tag.span(),
                format!("{p}.tags[{j}]"),
                format!("invalid tag: {m}"),
            );
        }
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
                "invalid docker endpoint `{v}`: use \"none\", \"local\", \"ssh\", \"unix:///path\" or \"tcp://host:port\""
            ));
        } else if v == "ssh" && host.transport != TransportKind::Ssh {
            c.err(
                d.span(),
                format!("{p}.docker"),
                "docker = \"ssh\" needs transport = \"ssh\"",
            );
        }
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
            c.command(cmd, s.shell, p, field);
        } else {
            c.only_for(cmd, p, field, "kind = \"command\"");
        }
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
        let v = u.get_ref().expose();
        if !(v.starts_with("http://") || v.starts_with("https://")) {
            c.err(
                u.span(),
                format!("{p}.url"),
                format!("`{}` is not an http:// or https:// URL", u.get_ref()),
            );
        }
    }
    c.command(&k.command, false, p, "command");
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
        let n = [x.equals.is_some(), x.contains.is_some(), x.all.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if n != 1 {
            c.err(
                x.pointer.span(),
                at,
                "give exactly one of `equals`, `contains` or `all`",
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

fn deploy_step(c: &mut Checker, refs: &References, s: &DeployStep, p: &str) {
    if let Some(h) = &s.host {
        refs.host(c, h, &format!("{p}.host"));
    }
    c.command(&Some(s.run.clone()), s.shell, p, "run");
}

const RUNBOOK_ACTIONS: &[&str] = &["restart", "stop", "start", "deploy", "rollback", "backup"];

fn runbook_step(c: &mut Checker, refs: &References, r: &Runbook, s: &RunbookStep, p: &str) {
    let span = r.name.span();
    if let Some(h) = &s.host {
        refs.host(c, h, &format!("{p}.host"));
    }
    if let Some(svc) = &s.service {
        refs.service(c, svc.get_ref(), svc.span(), &format!("{p}.service"));
    }
    if let Some(chk) = &s.check {
        refs.check(c, chk, &format!("{p}.check"));
    }
    c.command(&s.command, s.shell, p, "command");
    match s.kind {
        RunbookStepKind::Command => {
            c.required(
                &s.host,
                span.clone(),
                p,
                "host",
                "a command step runs on a host",
            );
            c.required(
                &s.command,
                span,
                p,
                "command",
                "a command step needs a command",
            );
        }
        RunbookStepKind::Action => {
            c.required(
                &s.service,
                span.clone(),
                p,
                "service",
                "an action step acts on a `host/service`",
            );
            match &s.action {
                None => c.err(
                    span,
                    p.to_owned(),
                    "missing field `action` (restart, stop, start, deploy, rollback or backup)",
                ),
                Some(a) if !RUNBOOK_ACTIONS.contains(&a.get_ref().as_str()) => c.err(
                    a.span(),
                    format!("{p}.action"),
                    format!(
                        "unknown action `{}`, expected one of {}",
                        a.get_ref(),
                        RUNBOOK_ACTIONS.join(", ")
                    ),
                ),
                Some(_) => {}
            }
        }
        RunbookStepKind::Check => c.required(
            &s.check,
            span,
            p,
            "check",
            "a check step names a `host/service/check`",
        ),
        RunbookStepKind::Wait => c.required(
            &s.duration,
            span,
            p,
            "duration",
            "a wait step needs a duration",
        ),
        RunbookStepKind::Manual => c.required(
            &s.text,
            span,
            p,
            "text",
            "a manual step tells the operator what to do",
        ),
    }
}

/// What references may point at: `host`, `host/service`, `host/service/check`.
struct References {
    hosts: Vec<String>,
    services: Vec<String>,
    checks: Vec<String>,
}

impl References {
    fn new(file: &ConfigFile) -> Self {
        let mut r = Self {
            hosts: vec![],
            services: vec![],
            checks: vec![],
        };
        for h in &file.hosts {
            r.hosts.push(h.name.get_ref().clone());
            for s in &h.services {
                let svc = format!("{}/{}", h.name.get_ref(), s.name.get_ref());
                for k in &s.checks {
                    r.checks.push(format!("{svc}/{}", k.name.get_ref()));
                }
                r.services.push(svc);
            }
        }
        r
    }

    fn host(&self, c: &mut Checker, name: &Spanned<String>, path: &str) {
        if !self.hosts.contains(name.get_ref()) {
            c.err(
                name.span(),
                path,
                format!(
                    "unknown host `{}`{}",
                    name.get_ref(),
                    hint(name.get_ref(), &self.hosts)
                ),
            );
        }
    }

    fn service(&self, c: &mut Checker, full: &str, span: Range<usize>, path: &str) {
        if full.split('/').count() != 2 {
            c.err(
                span,
                path,
                format!("`{full}` is not a service reference (write `host/service`)"),
            );
        } else if !self.services.iter().any(|s| s == full) {
            c.err(
                span,
                path,
                format!("unknown service `{full}`{}", hint(full, &self.services)),
            );
        }
    }

    fn check(&self, c: &mut Checker, r: &Spanned<String>, path: &str) {
        let full = r.get_ref();
        if full.split('/').count() != 3 {
            c.err(
                r.span(),
                path,
                format!("`{full}` is not a check reference (write `host/service/check`)"),
            );
        } else if !self.checks.contains(full) {
            c.err(
                r.span(),
                path,
                format!("unknown check `{full}`{}", hint(full, &self.checks)),
            );
        }
    }
}

/// ", did you mean `x`?" for a close known name.
fn hint(name: &str, known: &[String]) -> String {
    known
        .iter()
        .map(|k| (strsim(name, k), k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!(", did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance; names are short.
fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}
