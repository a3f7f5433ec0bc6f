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

const RUNBOOK_ACTIONS: &[&str] = &["restart", "stop", "start", "deploy", "rollback", "backup"];

pub(super) fn runbook_step(
    c: &mut Checker,
    refs: &References,
    r: &Runbook,
    s: &RunbookStep,
    p: &str,
) {
    // Errors about a step point at the step (its title), not at the runbook.
    let _ = r;
    let span = s.title.span();
    if let Some(h) = &s.host {
        refs.host(c, h, &format!("{p}.host"));
    }
    if let Some(svc) = &s.service {
        refs.service(c, svc.get_ref(), svc.span(), &format!("{p}.service"));
    }
    if let Some(chk) = &s.check {
        refs.check(c, chk, &format!("{p}.check"));
    }
    c.command(&s.command, Some(s.shell), p, "command");
    c.opt_duration(
        &s.duration,
        p,
        "duration",
        (
            std::time::Duration::from_millis(1),
            std::time::Duration::from_secs(86_400),
        ),
    );
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
