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

mod hosts;
mod recipes;
mod references;

use hosts::host_rules;
use recipes::{deploy_step, runbook_step};
use references::References;
