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
    fn substitution_keeps_one_argument() {
        let spec = CommandSpec::argv(["restore", "{file}"]).substitute("file", "a b;c");
        assert_eq!(spec.args(), ["a b;c"]);
        assert_eq!(spec.to_string(), "restore 'a b;c'");
    }
}
