//! A host's `env`: variables every command opsdeck runs there starts with. Values may be
//! secrets, so they never go on a command line (where `ps` on the host would show them):
//! over SSH a small POSIX prelude reads `NAME=value` lines from the command's stdin,
//! exports them and `exec`s the real argv; locally they are set on the child process.

use std::fmt;

use super::command::{CommandSpec, quote};
use crate::config::schema::Host;

/// Reads `NAME=value` lines until an empty one, exports each, then runs `"$@"`. The value is
/// one word to `export`, so nothing in it is parsed by the shell.
const PRELUDE: &str = r#"while IFS= read -r kv && [ -n "$kv" ]; do export "$kv"; done; exec "$@""#;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct CommandEnv(Vec<(String, String)>);

impl CommandEnv {
    /// The host's `env` table (names and values validated at load: no newline, no NUL).
    pub fn from_config(host: &Host) -> Self {
        Self(
            host.env
                .iter()
                .map(|(k, v)| (k.get_ref().clone(), v.get_ref().expose().to_owned()))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Name and real value of each variable; for the child process only.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The shell line for ssh: the prelude, then `spec`'s argv as its arguments. Without
    /// variables, just `spec`'s own line.
    pub fn shell_line(&self, spec: &CommandSpec) -> String {
        if self.is_empty() {
            return spec.to_shell_line();
        }
        let mut line = format!("sh -c {} sh", quote(PRELUDE));
        for arg in spec.expose_argv() {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        line
    }

    /// What the prelude reads: one `NAME=value` line per variable and the empty line that
    /// ends them. The command's stdin is closed after it.
    pub fn stdin_block(&self) -> Vec<u8> {
        let mut block = String::new();
        for (k, v) in &self.0 {
            block.push_str(k);
            block.push('=');
            block.push_str(v);
            block.push('\n');
        }
        block.push('\n');
        block.into_bytes()
    }
}

/// Names only: the values may be secrets.
impl fmt::Debug for CommandEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    fn env(vars: &[(&str, &str)]) -> CommandEnv {
        CommandEnv(
            vars.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// What `sh -c LINE` (how sshd runs a command) does with the line and the block.
    fn run(env: &CommandEnv, spec: &CommandSpec) -> (String, String) {
        let line = env.shell_line(spec);
        let mut child = Command::new("sh")
            .args(["-c", &line])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&env.stdin_block())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (line, String::from_utf8(out.stdout).unwrap())
    }

    #[test]
    fn values_reach_the_command_by_stdin_and_never_its_line() {
        let secret = "p4ss 'w$(rm -rf /)\"`x`\\ ;|&";
        let env = env(&[("DB_PASSWORD", secret), ("MODE", "prod")]);
        let spec = CommandSpec::argv([
            "sh",
            "-c",
            r#"printf '%s|%s|%s' "$DB_PASSWORD" "$MODE" "$1""#,
            "x",
            "an arg",
        ]);
        let (line, out) = run(&env, &spec);
        assert_eq!(out, format!("{secret}|prod|an arg"));
        assert!(!line.contains("p4ss"), "{line}");
        assert!(!format!("{env:?}").contains("p4ss"));
    }

    #[test]
    fn no_variables_is_the_plain_line() {
        let spec = CommandSpec::argv(["echo", "a b"]);
        assert_eq!(
            CommandEnv::default().shell_line(&spec),
            spec.to_shell_line()
        );
    }
}
