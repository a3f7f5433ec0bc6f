//! Rules serde cannot express: names, kind-specific fields and references between tables.

use std::collections::HashMap;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::duration::HumanDuration;
use super::error::echo;
use super::schema::*;

/// Receives (span, field path, message) for every problem found.
pub type Report<'a> = dyn FnMut(Range<usize>, String, String) + 'a;

/// Says where a (field path, span) is, as `file:line:column`, for messages that point at a
/// second place ("first defined at …"); with included files the two may be different files.
pub type Place<'a> = dyn Fn(&str, Range<usize>) -> String + 'a;

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
        return Err(format!("`{}` must not start with `-`", echo(name)));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "`{}` may only contain letters, digits, `-`, `_` and `.` (found {c:?})",
            echo(name)
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
        return Err(format!("`{}` must not start with `-`", echo(value)));
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
    place: &'r Place<'r>,
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
        let mut seen: HashMap<&str, (Range<usize>, String)> = HashMap::new();
        for (name, path) in names {
            let at = format!("{path}.name");
            match seen.get(name.get_ref().as_str()) {
                Some((first_span, first_path)) => {
                    let first = (self.place)(first_path, first_span.clone());
                    self.err(
                        name.span(),
                        at,
                        format!(
                            "duplicate {what} name `{}` (first defined at {first})",
                            echo(name.get_ref())
                        ),
                    );
                }
                None => {
                    seen.insert(name.get_ref().as_str(), (name.span(), at));
                }
            }
        }
    }

    /// `shell` is the table's `shell` key, `None` when the table has no such key.
    fn command(
        &mut self,
        cmd: &Option<Spanned<CommandLine>>,
        shell: Option<bool>,
        path: &str,
        field: &str,
    ) {
        let Some(cmd) = cmd else { return };
        let at = format!("{path}.{field}");
        let shell_on = shell == Some(true);
        match cmd.get_ref() {
            CommandLine::Script(_) if shell.is_none() => self.err(
                cmd.span(),
                at,
                "a command is an argument list like [\"systemctl\", \"restart\", \"x\"]; \
                 for a shell script write [\"sh\", \"-c\", \"…\"]",
            ),
            CommandLine::Script(_) if !shell_on => self.err(
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
            CommandLine::Argv(_) if shell_on => self.err(
                cmd.span(),
                at,
                "with `shell = true` a command is one string (a script for `sh -c`)",
            ),
            _ => {}
        }
    }

    /// A duration from the file within `min..=max` (defaults are not checked).
    fn duration(&mut self, d: &HumanDuration, path: &str, field: &str, (min, max): Bounds) {
        if d.span().is_empty() {
            return;
        }
        let v = d.get();
        let show = short;
        if v < min {
            let zero = if v.is_zero() {
                " (0 would never wait)"
            } else {
                ""
            };
            self.err(
                d.span(),
                format!("{path}.{field}"),
                format!(
                    "`{field}` of {} is too short{zero}: it must be at least {}",
                    show(v),
                    show(min)
                ),
            );
        } else if v > max {
            self.err(
                d.span(),
                format!("{path}.{field}"),
                format!(
                    "`{field}` of {} is too long: it must be at most {}",
                    show(v),
                    show(max)
                ),
            );
        }
    }

    fn opt_duration(&mut self, d: &Option<HumanDuration>, path: &str, field: &str, b: Bounds) {
        if let Some(d) = d {
            self.duration(d, path, field, b);
        }
    }

    /// A count from the file within `min..=max`.
    fn count(
        &mut self,
        v: &Spanned<u64>,
        path: &str,
        field: &str,
        (min, max): (u64, u64),
        why: &str,
    ) {
        let n = *v.get_ref();
        if v.span().is_empty() || (min..=max).contains(&n) {
            return;
        }
        self.err(
            v.span(),
            format!("{path}.{field}"),
            format!("`{field}` = {n} is out of range: it must be {min} to {max} ({why})"),
        );
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

/// A duration in its largest whole unit: `400 days`, `24h`, `200ms`.
fn short(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 86_400_000 && ms.is_multiple_of(86_400_000) {
        let days = ms / 86_400_000;
        return format!("{days} day{}", if days == 1 { "" } else { "s" });
    }
    for (unit, n) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms >= n && ms.is_multiple_of(n) {
            return format!("{}{unit}", ms / n);
        }
    }
    if ms >= 1_000 {
        return format!("{:.1}s", d.as_secs_f64());
    }
    format!("{ms}ms")
}

/// Shortest and longest a duration field may be.
type Bounds = (Duration, Duration);

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Timeouts of commands and requests.
pub(super) const TIMEOUT: Bounds = (ms(100), secs(86_400));
/// Waits between attempts and polls.
pub(super) const PAUSE: Bounds = (ms(10), secs(3_600));

/// Every rule over a whole (merged) configuration; `place` names the first of two
/// duplicates.
pub fn validate(file: &ConfigFile, report: &mut Report<'_>, place: &Place<'_>) {
    let mut c = Checker { report, place };
    if file.hosts.is_empty() {
        c.err(
            0..0,
            "hosts".to_owned(),
            "no hosts: a fleet needs at least one [[hosts]] table (see examples/fleet.toml)",
        );
    }
    settings_rules(&mut c, &file.settings);
    monitoring::monitoring_rules(&mut c, &file.monitoring);
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
        backups::backup_set(&mut c, file, &refs, b, &format!("backups[{i}]"));
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
        c.command(&d.current_version, None, &p, "current_version");
        c.command(&d.versions, None, &p, "versions");
        if let Some(set) = &d.backup_before
            && !file
                .backups
                .iter()
                .any(|b| b.name.get_ref() == set.get_ref())
        {
            c.err(
                set.span(),
                format!("{p}.backup_before"),
                format!("no backup set `{}` in the config", echo(set.get_ref())),
            );
        }
        if let Some(suite) = &d.smoke_after
            && !file
                .suites
                .iter()
                .any(|x| x.name.get_ref() == suite.get_ref())
        {
            c.err(
                suite.span(),
                format!("{p}.smoke_after"),
                format!("no smoke suite `{}` in the config", echo(suite.get_ref())),
            );
        }
        c.opt_duration(&d.gate_interval, &p, "gate_interval", PAUSE);
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
        runbook_variables(&mut c, r, &p);
        for (j, s) in r.steps.iter().enumerate() {
            runbook_step(&mut c, &refs, file, s, &format!("{p}.steps[{j}]"));
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

/// Settings that load but would make the console useless or exhaust memory.
fn settings_rules(c: &mut Checker, s: &Settings) {
    let p = "settings";
    c.duration(&s.refresh, p, "refresh", (ms(200), secs(3_600)));
    c.duration(&s.command_timeout, p, "command_timeout", TIMEOUT);
    c.count(
        &s.connect_concurrency,
        p,
        "connect_concurrency",
        (1, 1024),
        "hosts contacted at once",
    );
    c.count(
        &s.log_buffer_lines,
        p,
        "log_buffer_lines",
        (100, 10_000_000),
        "lines kept per log view, about 34 bytes each beyond their text",
    );
    c.count(
        &s.log_channels,
        p,
        "log_channels",
        (1, 5),
        "of a host's 8 channels, one reads the host and at least two stay for commands",
    );
    let size = |c: &mut Checker, v: &super::size::ByteSize, field: &str, min: u64, max: u64| {
        if !v.span().is_empty() && !(min..=max).contains(&v.bytes()) {
            c.err(
                v.span(),
                format!("{p}.{field}"),
                format!(
                    "`{field}` = {v} is out of range: it must be {} to {}",
                    super::size::show(min),
                    super::size::show(max)
                ),
            );
        }
    };
    size(c, &s.max_output, "max_output", 64 << 10, 256 << 20);
    size(
        c,
        &s.max_line,
        "max_line",
        1 << 10,
        s.max_output.bytes().max(1 << 10),
    );
}

mod backups;
mod fields;
mod hosts;
mod monitoring;
mod recipes;
mod references;

use hosts::host_rules;
use recipes::{deploy_step, runbook_step, runbook_variables};
use references::References;
