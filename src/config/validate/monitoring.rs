//! Rules for `[monitoring]` (URLs, time limits, alert label lists), hosts' `metrics`/`instance`, services' `[[promql]]` and
//! deploys' `[[metrics_gate]]`.

use super::fields::url_rule;
use super::*;
use crate::config::monitoring::{GateThreshold, MetricsSource, ServicePromql};

const HOLD: Bounds = (secs(1), secs(3_600));

pub(super) fn monitoring_rules(c: &mut Checker, file: &ConfigFile) {
    let m = &file.monitoring;
    for (field, url) in [
        ("prometheus", &m.prometheus),
        ("alertmanager", &m.alertmanager),
    ] {
        let Some(url) = url else { continue };
        let at = format!("monitoring.{field}");
        let v = url.get_ref();
        if !(v.starts_with("http://") || v.starts_with("https://")) {
            url_rule(c, v, url.span(), &at);
        } else if reqwest::Url::parse(v).map_or(true, |u| u.host_str().is_none_or(str::is_empty)) {
            c.err(
                url.span(),
                at,
                format!("`{}` is not a URL with a host", echo(v)),
            );
        }
    }
    c.duration(
        &m.alerts_refresh,
        "monitoring",
        "alerts_refresh",
        (secs(1), secs(3_600)),
    );
    for (field, labels) in [("host", &m.matchers.host), ("service", &m.matchers.service)] {
        for (i, label) in labels.iter().enumerate() {
            label_name(c, label, &format!("monitoring.match.{field}[{i}]"));
        }
    }
    c.duration(&m.timeout, "monitoring", "timeout", TIMEOUT);
    c.opt_duration(&m.refresh, "monitoring", "refresh", (ms(200), secs(3_600)));
    c.duration(
        &m.rate_window,
        "monitoring",
        "rate_window",
        (secs(1), secs(3_600)),
    );
    label_name(c, &m.instance_label, "monitoring.instance_label");
    let needs = |what: &str| {
        format!("{what} needs Prometheus: set `prometheus = \"http://HOST:9090\"` in [monitoring]")
    };
    for (i, h) in file.hosts.iter().enumerate() {
        let p = format!("hosts[{i}]");
        if *h.metrics.get_ref() == MetricsSource::Prometheus && m.prometheus.is_none() {
            c.err(
                h.metrics.span(),
                format!("{p}.metrics"),
                needs("metrics = \"prometheus\""),
            );
        }
        if let Some(inst) = &h.instance {
            text(c, inst, &format!("{p}.instance"), "instance");
        }
        for (j, s) in h.services.iter().enumerate() {
            let sp = format!("{p}.services[{j}]");
            c.unique(
                s.promql
                    .iter()
                    .enumerate()
                    .map(|(k, q)| (&q.name, format!("{sp}.promql[{k}]"))),
                "promql",
            );
            for (k, q) in s.promql.iter().enumerate() {
                let qp = format!("{sp}.promql[{k}]");
                if m.prometheus.is_none() && k == 0 {
                    c.err(q.name.span(), qp.clone(), needs("[[promql]]"));
                }
                promql(c, q, &qp);
            }
        }
    }
    for (i, d) in file.deploys.iter().enumerate() {
        for (k, g) in d.metrics_gate.iter().enumerate() {
            let gp = format!("deploys[{i}].metrics_gate[{k}]");
            if m.prometheus.is_none() && k == 0 {
                c.err(g.name.span(), gp.clone(), needs("[[metrics_gate]]"));
            }
            gate(c, g, &gp);
        }
    }
}

fn promql(c: &mut Checker, q: &ServicePromql, p: &str) {
    c.name(&q.name, p);
    expr(c, &q.expr, p);
    if let Some(u) = &q.unit {
        text(c, u, &format!("{p}.unit"), "unit");
    }
    for (field, v) in [("warn", &q.warn), ("fail", &q.fail)] {
        if let Some(v) = v {
            finite(c, v, p, field);
        }
    }
    if let (Some(w), Some(f)) = (&q.warn, &q.fail)
        && q.bad.crossed(*w.get_ref(), *f.get_ref())
    {
        c.err(
            w.span(),
            format!("{p}.warn"),
            format!(
                "`warn` = {} is past `fail` = {}: with bad = \"{}\" the warning comes first",
                w.get_ref(),
                f.get_ref(),
                if q.bad.symbol() == ">" {
                    "above"
                } else {
                    "below"
                }
            ),
        );
    }
    scale(c, q.scale, q.name.span(), p);
    for label in q.labels.keys() {
        if !is_label_name(label) {
            c.err(
                q.name.span(),
                format!("{p}.labels"),
                format!("`{}` is not a Prometheus label name", echo(label)),
            );
        }
    }
}

fn gate(c: &mut Checker, g: &GateThreshold, p: &str) {
    c.name(&g.name, p);
    expr(c, &g.expr, p);
    finite(c, &g.threshold, p, "threshold");
    c.duration(&g.hold, p, "hold", HOLD);
    c.opt_duration(&g.every, p, "every", PAUSE);
    scale(c, g.scale, g.name.span(), p);
    if let Some(u) = &g.unit {
        text(c, u, &format!("{p}.unit"), "unit");
    }
}

fn expr(c: &mut Checker, e: &Spanned<String>, p: &str) {
    if e.get_ref().trim().is_empty() {
        c.err(
            e.span(),
            format!("{p}.expr"),
            "the PromQL expression is empty",
        );
    } else if let Some(ch) = e
        .get_ref()
        .chars()
        .find(|ch| ch.is_control() && *ch != '\n')
    {
        c.err(
            e.span(),
            format!("{p}.expr"),
            format!("the PromQL expression contains a control character ({ch:?})"),
        );
    }
}

fn text(c: &mut Checker, v: &Spanned<String>, at: &str, what: &str) {
    if v.get_ref().is_empty() {
        c.err(v.span(), at.to_owned(), format!("`{what}` is empty"));
    } else if let Some(ch) = v.get_ref().chars().find(|ch| ch.is_control()) {
        c.err(
            v.span(),
            at.to_owned(),
            format!("`{what}` contains a control character ({ch:?})"),
        );
    }
}

fn finite(c: &mut Checker, v: &Spanned<f64>, p: &str, field: &str) {
    if !v.get_ref().is_finite() {
        c.err(
            v.span(),
            format!("{p}.{field}"),
            format!("`{field}` must be a finite number"),
        );
    }
}

fn scale(c: &mut Checker, s: Option<f64>, span: Range<usize>, p: &str) {
    if let Some(s) = s
        && !(s.is_finite() && s != 0.0)
    {
        c.err(
            span,
            format!("{p}.scale"),
            "`scale` must be a finite number other than 0",
        );
    }
}

fn label_name(c: &mut Checker, v: &Spanned<String>, at: &str) {
    if !is_label_name(v.get_ref()) {
        c.err(
            v.span(),
            at.to_owned(),
            format!(
                "`{}` is not a Prometheus label name (letters, digits and `_`, not starting with a digit)",
                echo(v.get_ref())
            ),
        );
    }
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
