//! `[monitoring]`: URLs, time limits and the label lists.

use super::*;
use crate::config::monitoring::MonitoringConfig;

pub(super) fn monitoring_rules(c: &mut Checker, m: &MonitoringConfig) {
    let p = "monitoring";
    for (field, url) in [
        ("alertmanager", &m.alertmanager),
        ("prometheus", &m.prometheus),
    ] {
        let Some(url) = url else { continue };
        let at = format!("{p}.{field}");
        let v = url.get_ref();
        if !(v.starts_with("http://") || v.starts_with("https://")) {
            fields::url_rule(c, v, url.span(), &at);
        } else if reqwest::Url::parse(v).map_or(true, |u| u.host_str().is_none_or(str::is_empty)) {
            c.err(
                url.span(),
                at,
                format!("`{}` is not a URL with a host", echo(v)),
            );
        }
    }
    c.duration(&m.timeout, p, "timeout", TIMEOUT);
    c.duration(
        &m.alerts_refresh,
        p,
        "alerts_refresh",
        (secs(1), secs(3_600)),
    );
    for (field, labels) in [("host", &m.matchers.host), ("service", &m.matchers.service)] {
        for (i, label) in labels.iter().enumerate() {
            let name = label.get_ref();
            let ok = name
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
            if !ok {
                c.err(
                    label.span(),
                    format!("{p}.match.{field}[{i}]"),
                    format!(
                        "`{}` is not a Prometheus label name (letters, digits and `_`, not \
                         starting with a digit)",
                        echo(name)
                    ),
                );
            }
        }
    }
}
