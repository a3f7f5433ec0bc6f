//! `${NAME}` written in a field that does not expand it: found in the raw TOML, because
//! after parsing it is only text.

/// Fields whose values expand `${ENV}`: URLs, headers, commands, a host's `env`.
const EXPANDING: &[&str] = &[
    "url",
    "headers",
    "env",
    "status",
    "start",
    "stop",
    "restart",
    "deploy",
    "rollback",
    "command",
    "offsite",
    "create",
    "restore",
    "verify",
    "integrity",
    "prepare",
    "cleanup",
    "run",
    "current_version",
];

/// `${NAME}` written where it is not expanded would be used as the literal text.
pub(super) fn unexpanded_references(
    source: &str,
    report: &mut crate::config::validate::Report<'_>,
) {
    let Ok(root) = toml::de::DeTable::parse(source) else {
        return;
    };
    let mut found = Vec::new();
    walk(root.get_ref(), &mut Vec::new(), &mut found);
    for (span, path) in found {
        let field = path
            .iter()
            .rev()
            .find(|k| !k.starts_with('['))
            .cloned()
            .unwrap_or_default();
        report(
            span,
            path.join(".").replace(".[", "["),
            format!(
                "`${{…}}` is not expanded in `{field}`: environment variables are read only in \
                 urls, headers, commands and a host's `env`; write the value itself here"
            ),
        );
    }
}

fn walk(
    table: &toml::de::DeTable<'_>,
    path: &mut Vec<String>,
    found: &mut Vec<(std::ops::Range<usize>, Vec<String>)>,
) {
    for (key, value) in table.iter() {
        if EXPANDING.contains(&key.get_ref().as_ref()) {
            continue;
        }
        path.push(key.get_ref().to_string());
        walk_value(value, path, found);
        path.pop();
    }
}

fn walk_value(
    value: &toml::Spanned<toml::de::DeValue<'_>>,
    path: &mut Vec<String>,
    found: &mut Vec<(std::ops::Range<usize>, Vec<String>)>,
) {
    use toml::de::DeValue;
    match value.get_ref() {
        DeValue::String(s) if home_path(path, s) => {}
        DeValue::String(s) if references_env(s) => found.push((value.span(), path.clone())),
        DeValue::Table(t) => walk(t, path, found),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                walk_value(item, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Fields that are paths on this machine: `~`, `$HOME` and `${HOME}` at their start are
/// expanded (see [`expand_home`]).
const LOCAL_PATHS: &[&str] = &[
    "identity_file",
    "known_hosts",
    "audit_log",
    "ca_file",
    "include",
];

/// `${HOME}` leading a local path field, with no other reference after it.
fn home_path(path: &[String], s: &str) -> bool {
    let field = path.iter().rev().find(|k| !k.starts_with('['));
    field.is_some_and(|f| LOCAL_PATHS.contains(&f.as_str()))
        && s.strip_prefix("${HOME}")
            .is_some_and(|rest| !references_env(rest))
}

/// `${` not escaped as `$${`.
fn references_env(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(1))
        .any(|i| b[i] == b'$' && b[i + 1] == b'{' && (i == 0 || b[i - 1] != b'$'))
}
