//! Commands on this machine, without a shell, each with a timeout.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;
use tokio::sync::mpsc;

use super::output::{Limits, collect, forward_lines};
use super::{CommandEnv, CommandOutput, CommandSpec, TransportError};

/// Runs `spec` to completion, killing it when `timeout` passes.
pub async fn run(spec: &CommandSpec, timeout: Duration) -> Result<CommandOutput, TransportError> {
    run_streaming(spec, timeout, None, Limits::default()).await
}

/// Like [`run`], also sending each output line (stdout and stderr) to `lines` as it comes.
pub async fn run_streaming(
    spec: &CommandSpec,
    timeout: Duration,
    lines: Option<mpsc::Sender<String>>,
    limits: Limits,
) -> Result<CommandOutput, TransportError> {
    run_with_env(spec, timeout, lines, limits, &CommandEnv::default()).await
}

/// [`run_streaming`] with variables set on the child (the local host's `env`).
pub async fn run_with_env(
    spec: &CommandSpec,
    timeout: Duration,
    lines: Option<mpsc::Sender<String>>,
    limits: Limits,
    env: &CommandEnv,
) -> Result<CommandOutput, TransportError> {
    let started = Instant::now();
    let mut child = spawn(spec, Stdio::piped(), env)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let work = async {
        let (out, err) = tokio::join!(
            collect(stdout, lines.clone(), limits),
            collect(stderr, lines, limits)
        );
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, out?, err?))
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok((status, stdout, stderr))) => Ok(CommandOutput {
            exit_code: status.code(),
            stdout,
            stderr,
            duration: started.elapsed(),
        }),
        Ok(Err(e)) => Err(TransportError::Io(e)),
        Err(_) => Err(TransportError::Timeout(timeout)),
    }
}

/// Runs a long-lived command locally and sends its stdout lines until it ends or the
/// receiver goes away.
pub async fn stream(
    spec: &CommandSpec,
    lines: mpsc::Sender<String>,
    max_line: usize,
) -> Result<Option<i32>, TransportError> {
    let mut child = spawn(spec, Stdio::null(), &CommandEnv::default())?;
    let stdout = child.stdout.take().expect("stdout is piped");
    if !forward_lines(stdout, &lines, max_line).await? {
        return Ok(None);
    }
    Ok(child.wait().await?.code())
}

/// Starts `spec` with stdin closed and stdout piped; killed when dropped.
fn spawn(
    spec: &CommandSpec,
    stderr: Stdio,
    env: &CommandEnv,
) -> Result<tokio::process::Child, TransportError> {
    Command::new(spec.program())
        .args(spec.args())
        .envs(env.vars())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| TransportError::Spawn {
            program: spec.program().to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_argv_without_shell() {
        let out = run(
            &CommandSpec::argv(["printf", "%s", "a b $HOME `x`"]),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(out.stdout, "a b $HOME `x`");
        assert!(out.success());
    }

    #[tokio::test]
    async fn reports_exit_code_and_timeout() {
        let out = run(
            &CommandSpec::script("echo oops >&2; exit 3"),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.stderr, "oops\n");
        let err = run(
            &CommandSpec::argv(["sleep", "5"]),
            Duration::from_millis(100),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, TransportError::Timeout(_)));
    }

    #[tokio::test]
    async fn missing_program_is_a_clear_error() {
        let err = run(
            &CommandSpec::argv(["/nonexistent/prog"]),
            Duration::from_secs(1),
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot start `/nonexistent/prog`")
        );
    }
}
