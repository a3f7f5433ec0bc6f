//! What references may point at (`host`, `host/service`, `host/service/check`), with
//! "did you mean" hints.

use super::*;

pub(super) struct References {
    hosts: Vec<String>,
    services: Vec<String>,
    checks: Vec<String>,
}

impl References {
    pub(super) fn new(file: &ConfigFile) -> Self {
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

    pub(super) fn host(&self, c: &mut Checker, name: &Spanned<String>, path: &str) {
        if !self.hosts.contains(name.get_ref()) {
            c.err(
                name.span(),
                path,
                format!(
                    "unknown host `{}`{}",
                    echo(name.get_ref()),
                    hint(name.get_ref(), &self.hosts)
                ),
            );
        }
    }

    pub(super) fn service(&self, c: &mut Checker, full: &str, span: Range<usize>, path: &str) {
        if full.split('/').count() != 2 {
            c.err(
                span,
                path,
                format!(
                    "`{}` is not a service reference (write `host/service`)",
                    echo(full)
                ),
            );
        } else if !self.services.iter().any(|s| s == full) {
            c.err(
                span,
                path,
                format!(
                    "unknown service `{}`{}",
                    echo(full),
                    hint(full, &self.services)
                ),
            );
        }
    }

    /// `service` names a service of host `host` (a backup set's service, say): written
    /// with the host in front, say so instead of echoing `host/host/service`.
    pub(super) fn service_of(
        &self,
        c: &mut Checker,
        host: &Spanned<String>,
        service: &Spanned<String>,
        path: &str,
    ) {
        let (h, s) = (host.get_ref(), service.get_ref());
        if let Some((prefix, name)) = s.split_once('/') {
            let hint = if prefix == h {
                format!("write \"{}\", without the host", echo(name))
            } else {
                format!("it names a service of host `{}` only", echo(h))
            };
            c.err(
                service.span(),
                path,
                format!("`{}` is not a service name: {hint}", echo(s)),
            );
            return;
        }
        self.service(c, &format!("{h}/{s}"), service.span(), path);
    }

    pub(super) fn check(&self, c: &mut Checker, r: &Spanned<String>, path: &str) {
        let full = r.get_ref();
        if full.split('/').count() != 3 {
            c.err(
                r.span(),
                path,
                format!(
                    "`{}` is not a check reference (write `host/service/check`)",
                    echo(full)
                ),
            );
        } else if !self.checks.contains(full) {
            c.err(
                r.span(),
                path,
                format!("unknown check `{}`{}", echo(full), hint(full, &self.checks)),
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
