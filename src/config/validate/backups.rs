//! Rules for backup sets: where their files are, how they are keyed, and that every
//! template names only placeholders it will be given.

use super::*;

/// A command field of a set: its name, the command, and the placeholders it may use.
type Template<'a> = (String, &'a Option<Spanned<CommandLine>>, &'a [&'a str]);

/// Placeholders that are not part names.
const RESERVED: &[&str] = &["file", "key", "scratch"];

pub(super) fn backup_set(
    c: &mut Checker,
    file: &ConfigFile,
    refs: &References,
    b: &BackupSet,
    p: &str,
) {
    c.name(&b.name, p);
    refs.host(c, &b.host, &format!("{p}.host"));
    if let Some(h) = file
        .hosts
        .iter()
        .find(|h| h.name.get_ref() == b.host.get_ref())
        && h.transport == TransportKind::Http
    {
        c.err(
            b.host.span(),
            format!("{p}.host"),
            format!(
                "backup sets need an ssh or local host (`{}` is http-only): its files are \
                 listed and its commands run there",
                echo(b.host.get_ref())
            ),
        );
    }
    if let Some(s) = &b.service {
        refs.service_of(c, &b.host, s, &format!("{p}.service"));
    }
    for (j, s) in b.stop_during_restore.iter().enumerate() {
        refs.service_of(c, &b.host, s, &format!("{p}.stop_during_restore[{j}]"));
    }
    if b.dir.is_none() && b.offsite.is_none() {
        c.err(
            b.name.span(),
            p.to_owned(),
            "a backup set needs `dir` (with `glob`) or an `offsite` listing command",
        );
    }
    if let Some(d) = &b.dir {
        directory(c, d, &format!("{p}.dir"));
    } else if let Some(g) = &b.glob {
        c.err(
            g.span(),
            format!("{p}.glob"),
            "`glob` picks files in `dir`: this set has no `dir`",
        );
    } else if let Some(part) = b.parts.first() {
        c.err(
            part.name.span(),
            format!("{p}.parts[0]"),
            "`parts` are more files of each backup in `dir`: this set has no `dir`",
        );
    }
    if let Some(g) = &b.glob {
        glob(c, g, &format!("{p}.glob"));
    }
    parts(c, b, p);
    if let Some(re) = &b.pattern {
        pattern(c, re, &format!("{p}.pattern"));
    }
    if let Some(f) = &b.offsite_format
        && b.offsite.is_none()
    {
        c.err(
            f.span(),
            format!("{p}.offsite_format"),
            "`offsite_format` says what `offsite` prints: this set has no `offsite` command",
        );
    }
    match &b.max_age {
        Some(d) if !d.span().is_empty() && d.get().is_zero() => c.err(
            d.span(),
            format!("{p}.max_age"),
            "`max_age` (the RPO) of 0 would make every backup stale: write how old the newest \
             backup may be, e.g. \"24h\"",
        ),
        d => c.opt_duration(d, p, "max_age", (secs(60), secs(400 * 86_400))),
    }

    let names = b.placeholder_names();
    let with_scratch: Vec<&str> = names.iter().copied().chain(["scratch"]).collect();
    let mut commands: Vec<Template> = vec![
        ("offsite".into(), &b.offsite, &[][..]),
        ("create".into(), &b.create, &[][..]),
        ("restore".into(), &b.restore, &names),
        ("verify".into(), &b.verify, &names),
    ];
    let integrity_command = b.integrity.as_ref().map(|i| Some(i.command.clone()));
    if let Some(cmd) = &integrity_command {
        commands.push(("integrity.command".into(), cmd, &names));
    }
    let drill_restore = b.drill.as_ref().map(|d| Some(d.restore.clone()));
    if let (Some(d), Some(restore)) = (&b.drill, &drill_restore) {
        commands.push(("drill.prepare".into(), &d.prepare, &with_scratch));
        commands.push(("drill.restore".into(), restore, &with_scratch));
        commands.push(("drill.integrity".into(), &d.integrity, &with_scratch));
        commands.push(("drill.cleanup".into(), &d.cleanup, &with_scratch));
    }
    for (field, cmd, known) in commands {
        c.command(cmd, None, p, &field);
        fields::no_secret_on_command_line(c, file, b.host.get_ref(), cmd, p, &field);
        unknown_placeholders(c, cmd, known, &format!("{p}.{field}"));
    }
    if let Some(i) = &b.integrity {
        integrity(c, i, &format!("{p}.integrity"));
    }
}

fn directory(c: &mut Checker, d: &Spanned<String>, at: &str) {
    let v = d.get_ref();
    if !v.starts_with('/') {
        c.err(
            d.span(),
            at.to_owned(),
            format!("`{}` is not an absolute path", echo(v)),
        );
    } else if v.chars().any(char::is_control) {
        c.err(
            d.span(),
            at.to_owned(),
            "a directory must not contain control characters",
        );
    }
}

fn glob(c: &mut Checker, g: &Spanned<String>, at: &str) {
    let v = g.get_ref();
    let problem = if v.is_empty() {
        Some("must not be empty".to_owned())
    } else if v.contains('/') {
        Some(format!(
            "`{}` holds a `/`: a glob matches file names in the directory; put the \
             directory in `dir`",
            echo(v)
        ))
    } else if v.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    };
    if let Some(m) = problem {
        c.err(g.span(), at.to_owned(), format!("invalid glob: {m}"));
    }
}

fn parts(c: &mut Checker, b: &BackupSet, p: &str) {
    let mut seen: Vec<&str> = Vec::new();
    for (j, part) in b.parts.iter().enumerate() {
        let at = format!("{p}.parts[{j}]");
        let name = part.name.get_ref();
        let identifier = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !identifier {
            c.err(
                part.name.span(),
                format!("{at}.name"),
                format!(
                    "invalid part name `{}`: it is the placeholder `{{name}}` in templates, so \
                     lowercase letters, digits and `_` only",
                    echo(name)
                ),
            );
        } else if RESERVED.contains(&name.as_str()) {
            c.err(
                part.name.span(),
                format!("{at}.name"),
                format!("`{name}` is a placeholder of its own: name the part otherwise"),
            );
        } else if seen.contains(&name.as_str()) {
            c.err(
                part.name.span(),
                format!("{at}.name"),
                format!("duplicate part name `{name}`"),
            );
        }
        seen.push(name);
        directory(c, &part.dir, &format!("{at}.dir"));
        glob(c, &part.glob, &format!("{at}.glob"));
    }
}

fn pattern(c: &mut Checker, re: &Spanned<String>, at: &str) {
    match regex::Regex::new(re.get_ref()) {
        Err(e) => {
            let first = e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_owned();
            c.err(re.span(), at.to_owned(), format!("invalid regex: {first}"));
        }
        Ok(r) if !r.capture_names().any(|n| n == Some("key")) => c.err(
            re.span(),
            at.to_owned(),
            "`pattern` has no group named `key`: write (?P<key>…) around the part of the file \
             name that the files of one backup share, e.g. '_(?P<key>\\d{8}_\\d{6})\\.'",
        ),
        Ok(_) => {}
    }
}

fn unknown_placeholders(
    c: &mut Checker,
    cmd: &Option<Spanned<CommandLine>>,
    known: &[&str],
    at: &str,
) {
    let Some(cmd) = cmd else { return };
    let CommandLine::Argv(args) = cmd.get_ref() else {
        return;
    };
    let mut reported: Vec<&str> = Vec::new();
    for arg in args {
        for name in placeholders(arg.shown()) {
            if known.contains(&name) || reported.contains(&name) {
                continue;
            }
            reported.push(name);
            let field = at.rsplit('.').next().unwrap_or(at);
            let known = if known.is_empty() {
                format!("`{field}` takes no placeholders")
            } else {
                let list: Vec<String> = known.iter().map(|k| format!("{{{k}}}")).collect();
                format!("`{field}` knows {}", list.join(", "))
            };
            let why = if name == "scratch" {
                " (`{scratch}` is only for drill commands)"
            } else {
                ""
            };
            c.err(
                cmd.span(),
                at.to_owned(),
                format!("unknown placeholder `{{{name}}}`: {known}{why}"),
            );
        }
    }
}

fn integrity(c: &mut Checker, i: &Integrity, at: &str) {
    let given: Vec<&str> = [
        ("expect", i.expect.is_some()),
        ("expect_regex", i.expect_regex.is_some()),
        ("at_least", i.at_least.is_some()),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(n, _)| *n)
    .collect();
    if given.len() > 1 {
        c.err(
            i.command.span(),
            at.to_owned(),
            format!(
                "an integrity query has at most one expectation: `{}` and `{}` are both given",
                given[0], given[1]
            ),
        );
    }
    if let Some(re) = &i.expect_regex
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
            format!("{at}.expect_regex"),
            format!("invalid regex: {first}"),
        );
    }
}
