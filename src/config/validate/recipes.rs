//! Rules for deploy recipes and runbooks.

use super::*;

pub(super) fn deploy_step(c: &mut Checker, refs: &References, s: &DeployStep, p: &str) {
    if let Some(h) = &s.host {
        refs.host(c, h, &format!("{p}.host"));
    }
    match (&s.run, &s.request) {
        (Some(_), None) => c.command(&s.run, Some(s.shell), p, "run"),
        (None, Some(r)) => {
            let url = r.url.get_ref().shown();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                c.err(
                    r.url.span(),
                    format!("{p}.request.url"),
                    format!("`{}` is not an http:// or https:// URL", echo(url)),
                );
            }
            if let Some(m) = &r.method
                && !matches!(
                    m.get_ref().to_ascii_uppercase().as_str(),
                    "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
                )
            {
                c.err(
                    m.span(),
                    format!("{p}.request.method"),
                    format!(
                        "unknown method `{}` (GET, POST, PUT, PATCH, DELETE)",
                        echo(m.get_ref())
                    ),
                );
            }
            if let Some(st) = &r.expect_status
                && !(100..=599).contains(st.get_ref())
            {
                c.err(
                    st.span(),
                    format!("{p}.request.expect_status"),
                    format!("{} is not an HTTP status (100-599)", st.get_ref()),
                );
            }
        }
        (Some(_), Some(r)) => c.err(
            r.url.span(),
            format!("{p}.request"),
            "a step either runs a command (`run`) or makes a `request`, not both",
        ),
        (None, None) => c.err(
            s.title.span(),
            p.to_owned(),
            "a deploy step needs `run` (a command) or `request` (an HTTP call)",
        ),
    }
    c.opt_duration(&s.timeout, p, "timeout", super::TIMEOUT);
}

const RUNBOOK_ACTIONS: &[&str] = &[
    "restart", "stop", "start", "deploy", "rollback", "backup", "restore", "drill",
];
/// Actions on a backup set rather than on a service.
const SET_ACTIONS: &[&str] = &["backup", "restore", "drill"];

/// A value holding a `{{variable}}`: known only when the runbook runs, so its reference is
/// checked then.
fn templated(v: &str) -> bool {
    v.contains("{{")
}

/// The variables of a runbook: names, and defaults among the choices.
pub(super) fn runbook_variables(c: &mut Checker, r: &Runbook, p: &str) {
    c.unique(
        r.variables
            .iter()
            .enumerate()
            .map(|(i, v)| (&v.name, format!("{p}.variables[{i}]"))),
        "variable",
    );
    for (i, v) in r.variables.iter().enumerate() {
        let vp = format!("{p}.variables[{i}]");
        let name = v.name.get_ref();
        let well_formed = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !well_formed {
            c.err(
                v.name.span(),
                format!("{vp}.name"),
                format!(
                    "invalid variable name `{}`: a letter or `_`, then letters, digits, `_` or `-`",
                    echo(name)
                ),
            );
        }
        if let Some(d) = &v.default
            && !v.choices.is_empty()
            && !v.choices.iter().any(|ch| ch.get_ref() == d.get_ref())
        {
            c.err(
                d.span(),
                format!("{vp}.default"),
                format!(
                    "default `{}` is not one of the choices ({})",
                    echo(d.get_ref()),
                    v.choices
                        .iter()
                        .map(|ch| ch.get_ref().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
}

pub(super) fn runbook_step(
    c: &mut Checker,
    refs: &References,
    file: &ConfigFile,
    s: &RunbookStep,
    p: &str,
) {
    // Errors about a step point at the step (its title), not at the runbook.
    let span = s.title.span();
    if let Some(h) = &s.host
        && !templated(h.get_ref())
    {
        refs.host(c, h, &format!("{p}.host"));
    }
    if let Some(svc) = &s.service
        && !templated(svc.get_ref())
    {
        refs.service(c, svc.get_ref(), svc.span(), &format!("{p}.service"));
    }
    if let Some(chk) = &s.check
        && !templated(chk.get_ref())
    {
        refs.check(c, chk, &format!("{p}.check"));
    }
    if let Some(suite) = &s.suite
        && !templated(suite.get_ref())
        && !file
            .suites
            .iter()
            .any(|x| x.name.get_ref() == suite.get_ref())
    {
        c.err(
            suite.span(),
            format!("{p}.suite"),
            format!("unknown suite `{}`", echo(suite.get_ref())),
        );
    }
    if let Some(set) = &s.set
        && !templated(set.get_ref())
        && !file
            .backups
            .iter()
            .any(|b| b.name.get_ref() == set.get_ref())
    {
        c.err(
            set.span(),
            format!("{p}.set"),
            format!("unknown backup set `{}`", echo(set.get_ref())),
        );
    }
    if let Some(re) = &s.output_regex
        && let Err(e) = regex::Regex::new(re.get_ref())
    {
        c.err(
            re.span(),
            format!("{p}.output_regex"),
            format!(
                "invalid regex: {}",
                e.to_string().lines().last().unwrap_or("")
            ),
        );
    }
    if let Some(code) = &s.expect
        && !(0..=255).contains(code.get_ref())
    {
        c.err(
            code.span(),
            format!("{p}.expect"),
            format!(
                "exit code {} is out of range: it must be 0 to 255",
                code.get_ref()
            ),
        );
    }
    c.command(&s.command, Some(s.shell), p, "command");
    if let Some(cmd) = &s.command {
        match cmd.get_ref() {
            // In `["sh", "-c", "… {{x}} …"]` the value would become shell text.
            CommandLine::Argv(argv) => {
                let shell = argv.first().is_some_and(|a| {
                    let prog = a.expose().rsplit('/').next().unwrap_or("");
                    matches!(prog, "sh" | "bash" | "dash" | "zsh" | "ksh")
                });
                let script = argv
                    .iter()
                    .skip_while(|a| a.expose() != "-c")
                    .nth(1)
                    .filter(|a| a.expose().contains("{{"));
                if shell && script.is_some() {
                    c.err(
                        cmd.span(),
                        format!("{p}.command"),
                        "a `{{variable}}` in a `sh -c` script would be run as shell text: \
                         write the script as one string with `shell = true`, where variables \
                         are passed as data",
                    );
                }
            }
            // A script's placeholders are checked when the runbook is read (its quoting is
            // the transport's business, which the config does not know).
            CommandLine::Script(_) => {}
        }
    }
    let day = (
        std::time::Duration::from_millis(1),
        std::time::Duration::from_secs(86_400),
    );
    c.opt_duration(&s.duration, p, "duration", day);
    c.opt_duration(&s.timeout, p, "timeout", day);
    c.opt_duration(&s.retry_interval, p, "retry_interval", day);
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
        RunbookStepKind::Action => match &s.action {
            None => c.err(
                span,
                p.to_owned(),
                format!("missing field `action` ({})", RUNBOOK_ACTIONS.join(", ")),
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
            // `service` alone names the set that backs that service up (the older form).
            Some(a) if SET_ACTIONS.contains(&a.get_ref().as_str()) => match (&s.set, &s.service) {
                (Some(_), _) => {}
                (None, Some(svc)) if !templated(svc.get_ref()) => {
                    let backs_up = |b: &&BackupSet| {
                        b.service.as_ref().is_some_and(|bs| {
                            format!("{}/{}", b.host.get_ref(), bs.get_ref()) == *svc.get_ref()
                        })
                    };
                    if !file.backups.iter().any(|b| backs_up(&b)) {
                        c.err(
                            svc.span(),
                            format!("{p}.service"),
                            format!(
                                "no backup set backs up `{}`: name the backup `set`",
                                echo(svc.get_ref())
                            ),
                        );
                    }
                }
                (None, Some(_)) => {}
                (None, None) => c.required(
                    &s.set,
                    span,
                    p,
                    "set",
                    "a backup, restore or drill step names its backup `set`",
                ),
            },
            Some(_) => c.required(
                &s.service,
                span,
                p,
                "service",
                "an action step acts on a `host/service`",
            ),
        },
        RunbookStepKind::Check => {
            if s.check.is_none() && s.suite.is_none() {
                c.err(
                    span,
                    p.to_owned(),
                    "a check step names a `check` (host/service/check) or a `suite`",
                );
            }
        }
        RunbookStepKind::Wait => match (&s.duration, &s.check) {
            (None, None) => c.required(
                &s.duration,
                span,
                p,
                "duration",
                "a wait step needs a duration, or a `check` to wait for",
            ),
            (Some(_), Some(_)) => c.err(
                span,
                p.to_owned(),
                "a wait step has either a `duration` or a `check` (with a `timeout`), not both",
            ),
            _ => {}
        },
        RunbookStepKind::Manual => c.required(
            &s.text,
            span,
            p,
            "text",
            "a manual step tells the operator what to do",
        ),
    }
}
