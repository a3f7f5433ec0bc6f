//! Commands as argument vectors; the one place that turns them into shell text.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::config::schema::CommandLine;

/// A command ready to run: the real argv (secrets expanded) and what may be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandSpec {
    argv: Vec<String>,
    /// The same arguments with secrets left as their `${NAME}` templates.
    shown: Vec<String>,
}

impl CommandSpec {
    /// An argument vector; nothing in it is interpreted by a shell.
    pub fn argv<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let argv: Vec<String> = args.into_iter().map(Into::into).collect();
        Self {
            shown: argv.clone(),
            argv,
        }
    }

    /// A script for `sh -c`, only when the config says `shell = true`.
    pub fn script(script: &str) -> Self {
        Self::argv(["sh", "-c", script])
    }

    pub fn from_config(line: &CommandLine) -> Self {
        match line {
            CommandLine::Argv(args) => Self {
                argv: args.iter().map(|a| a.expose().to_owned()).collect(),
                shown: args.iter().map(|a| a.shown().to_owned()).collect(),
            },
            CommandLine::Script(s) => Self {
                argv: vec!["sh".into(), "-c".into(), s.expose().to_owned()],
                shown: vec!["sh".into(), "-c".into(), s.shown().to_owned()],
            },
        }
    }

    /// Replaces `{name}` placeholders in every argument (each stays one argument).
    pub fn substitute(&self, name: &str, value: &str) -> Self {
        let pat = format!("{{{name}}}");
        Self {
            argv: self.argv.iter().map(|a| a.replace(&pat, value)).collect(),
            shown: self.shown.iter().map(|a| a.replace(&pat, value)).collect(),
        }
    }

    /// Replaces every `{name}` placeholder that `values` names, in one pass: a value that
    /// itself holds `{name}` is not substituted again. Each argument stays one argument.
    pub fn substitute_all(&self, values: &[(&str, &str)]) -> Self {
        let fill = |arg: &String| {
            let mut out = String::with_capacity(arg.len());
            let mut rest = arg.as_str();
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let after = &rest[open + 1..];
                let hit = after.find('}').and_then(|close| {
                    let name = &after[..close];
                    values
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, v)| (*v, close))
                });
                match hit {
                    Some((value, close)) => {
                        out.push_str(value);
                        rest = &after[close + 1..];
                    }
                    None => {
                        out.push('{');
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            out
        };
        Self {
            argv: self.argv.iter().map(fill).collect(),
            shown: self.shown.iter().map(fill).collect(),
        }
    }

    /// The same command with `f` applied to every argument (the real and the shown one
    /// alike); each argument stays one argument.
    pub fn map_args(&self, f: impl Fn(&str) -> String) -> Self {
        Self {
            argv: self.argv.iter().map(|a| f(a)).collect(),
            shown: self.shown.iter().map(|a| f(a)).collect(),
        }
    }

    /// The same command with one argument replaced by `f` of it.
    pub fn map_arg(&self, index: usize, f: impl Fn(&str) -> String) -> Self {
        let mut next = self.clone();
        if let (Some(a), Some(s)) = (next.argv.get_mut(index), next.shown.get_mut(index)) {
            *a = f(a);
            *s = f(s);
        }
        next
    }

    /// The same command with more arguments at the end (as data: never re-parsed).
    pub fn with_args<I, S>(&self, extra: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut next = self.clone();
        for a in extra {
            let a = a.into();
            next.shown.push(a.clone());
            next.argv.push(a);
        }
        next
    }

    pub fn program(&self) -> &str {
        self.argv.first().map_or("", String::as_str)
    }

    pub fn args(&self) -> &[String] {
        self.argv.get(1..).unwrap_or_default()
    }

    /// The full argv with secrets; for execution only.
    pub fn expose_argv(&self) -> &[String] {
        &self.argv
    }

    /// One POSIX shell line that runs exactly this argv (for ssh, which takes a string).
    pub fn to_shell_line(&self) -> String {
        join_quoted(self.argv.iter().map(String::as_str))
    }
}

/// Displays the command as it may be shown: secrets as their `${NAME}` templates.
impl fmt::Display for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&join_quoted(self.shown.iter().map(String::as_str)))
    }
}

impl fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommandSpec({self})")
    }
}

fn join_quoted<'a>(args: impl IntoIterator<Item = &'a str>) -> String {
    args.into_iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// Quotes one argument for a POSIX shell; safe words stay bare for readability.
pub fn quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if safe {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// A `{{name}}` placeholder of a shell script template, where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptPlaceholder {
    pub name: String,
    /// 1-based line within the script.
    pub line: usize,
}

/// A shell script whose `{{name}}` placeholders became positional parameters: run it as
/// `sh -c SCRIPT opsdeck VALUE…` with the values of `names` in order, and each value reaches
/// the script as one word, never parsed as shell. A placeholder outside quotes becomes
/// `"${N}"`, inside double quotes `${N}`; inside single quotes it could not expand, so it
/// is an error that names the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionalScript {
    pub script: String,
    /// Each variable once, in the order of its first use: `$1`, `$2`, …
    pub names: Vec<String>,
}

impl PositionalScript {
    pub fn parse(template: &str) -> Result<Self, (usize, String)> {
        #[derive(PartialEq, Clone, Copy)]
        enum Q {
            None,
            Single,
            Double,
        }
        let mut q = Q::None;
        let mut out = String::with_capacity(template.len());
        let mut names: Vec<String> = Vec::new();
        let mut line = 1;
        let mut rest = template;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("{{") {
                let close = rest
                    .find("}}")
                    .ok_or_else(|| (line, "`{{` without a closing `}}`".to_owned()))?;
                let name = rest[2..close].trim();
                let valid = name
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !valid {
                    return Err((
                        line,
                        format!("`{}` is not a variable name", &rest[..close + 2]),
                    ));
                }
                if q == Q::Single {
                    return Err((
                        line,
                        format!(
                            "`{{{{{name}}}}}` is inside single quotes, where the shell would not \
                             expand it: move it out of the quotes"
                        ),
                    ));
                }
                let n = match names.iter().position(|x| x == name) {
                    Some(i) => i + 1,
                    None => {
                        names.push(name.to_owned());
                        names.len()
                    }
                };
                if q == Q::Double {
                    out.push_str(&format!("${{{n}}}"));
                } else {
                    out.push_str(&format!("\"${{{n}}}\""));
                }
                rest = &rest[close + 2..];
                continue;
            }
            let len = c.len_utf8();
            match (q, c) {
                (Q::None, '\'') => q = Q::Single,
                (Q::Single, '\'') => q = Q::None,
                (Q::None, '"') => q = Q::Double,
                (Q::Double, '"') => q = Q::None,
                (Q::None | Q::Double, '\\') => {
                    // The escaped character is copied as it is.
                    if let Some(next) = rest[1..].chars().next() {
                        out.push('\\');
                        out.push(next);
                        if next == '\n' {
                            line += 1;
                        }
                        rest = &rest[1 + next.len_utf8()..];
                        continue;
                    }
                }
                _ => {}
            }
            if c == '\n' {
                line += 1;
            }
            out.push(c);
            rest = &rest[len..];
        }
        if q != Q::None {
            return Err((
                line,
                format!(
                    "unclosed {} quote",
                    if q == Q::Single { "single" } else { "double" }
                ),
            ));
        }
        Ok(Self { script: out, names })
    }

    /// The command: `sh -c SCRIPT opsdeck VALUE…`, values looked up by name.
    pub fn command(&self, value: impl Fn(&str) -> String) -> CommandSpec {
        CommandSpec::argv(["sh", "-c", self.script.as_str(), "opsdeck"])
            .with_args(self.names.iter().map(|n| value(n)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandOutput {
    /// `None` when the process was killed by a signal.
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    #[serde(skip)]
    pub duration: Duration,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::ConfigString;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("systemctl"), "systemctl");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }

    #[test]
    fn shows_templates_not_secrets() {
        let secret = ConfigString::expand("token=${T}", |_| Some("hunter22".into())).unwrap();
        let line = CommandLine::Argv(vec![ConfigString::plain("curl"), secret]);
        let spec = CommandSpec::from_config(&line);
        assert_eq!(spec.to_string(), "curl 'token=${T}'");
        assert_eq!(spec.expose_argv()[1], "token=hunter22");
    }

    #[test]
    fn substituting_all_is_one_pass() {
        let spec = CommandSpec::argv(["cp", "{file}", "{dest}/{key}", "{other}", "{"])
            .substitute_all(&[("file", "a{key}"), ("key", "k"), ("dest", "/d")]);
        assert_eq!(spec.args(), ["a{key}", "/d/k", "{other}", "{"]);
    }

    #[test]
    fn placeholders_become_positional_parameters() {
        let p = PositionalScript::parse("echo {{a}} \"x {{b}}\" {{a}}\n# {{ b }}").unwrap();
        assert_eq!(p.script, "echo \"${1}\" \"x ${2}\" \"${1}\"\n# \"${2}\"");
        assert_eq!(p.names, ["a", "b"]);
        let spec = p.command(|n| {
            if n == "a" {
                "; rm -rf /".into()
            } else {
                "$(id)".into()
            }
        });
        assert_eq!(spec.args()[2..], ["opsdeck", "; rm -rf /", "$(id)"]);
        let err = PositionalScript::parse("ok\necho '{{a}}'").unwrap_err();
        assert_eq!(err.0, 2, "{err:?}");
        assert!(PositionalScript::parse("echo \"{{a}}").is_err());
        assert!(PositionalScript::parse("echo {{a b}}").is_err());
        // An escaped quote does not open a quote.
        assert_eq!(
            PositionalScript::parse("echo \\'{{a}}").unwrap().script,
            "echo \\'\"${1}\""
        );
    }

    #[test]
    fn substitution_keeps_one_argument() {
        let spec = CommandSpec::argv(["restore", "{file}"]).substitute("file", "a b;c");
        assert_eq!(spec.args(), ["a b;c"]);
        assert_eq!(spec.to_string(), "restore 'a b;c'");
    }
}
