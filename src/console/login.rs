//! Logging hosts in in the plain terminal, one after another, with OpenSSH's own prompts:
//! before the console takes the screen (`interactive_auth = true`, `--connect-first`), and
//! while it is suspended for `I` / `:login HOST`. ctrl-c at a prompt skips that host.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use tokio::signal::unix::Signal;

use crate::config::Config;
use crate::model::HostId;
use crate::transport::ssh::SshTarget;
use crate::transport::ssh::login::{LoginOutcome, Logins, log_in};

/// A ctrl-c that ended ssh can reach opsdeck just after ssh has gone: this long is waited
/// for it, so that it is taken here and not by the console as a request to quit.
const LATE_SIGINT: Duration = Duration::from_millis(150);

/// Logs `hosts` in, in order, and keeps each outcome in `logins` (the host's collector
/// reads it). `sigint` is the console's: a ctrl-c at a prompt is taken here.
pub async fn log_in_hosts(
    config: &Config,
    logins: &Logins,
    known_hosts: &Path,
    hosts: &[HostId],
    sigint: &mut Signal,
) -> Vec<(HostId, LoginOutcome)> {
    let mut outcomes = Vec::new();
    for host in hosts {
        let Some(target) = logins.target(config, host, known_hosts) else {
            continue;
        };
        if target.login_socket.is_none() {
            continue;
        }
        say(&format!(
            "logging in to {host} ({}): OpenSSH asks below; ctrl-c skips this host",
            destination(&target)
        ));
        let outcome = log_in_one(&target, sigint).await;
        match outcome.reason() {
            None => say(&format!("{host}: logged in")),
            Some(reason) => say(&format!("{host}: not logged in: {reason}")),
        }
        logins.record(host, &outcome);
        outcomes.push((host.clone(), outcome));
    }
    outcomes
}

async fn log_in_one(target: &SshTarget, sigint: &mut Signal) -> LoginOutcome {
    let login = log_in(target);
    tokio::pin!(login);
    let mut interrupted = false;
    let outcome = loop {
        tokio::select! {
            outcome = &mut login => break outcome,
            Some(()) = sigint.recv() => interrupted = true,
        }
    };
    if let Ok(Some(())) = tokio::time::timeout(LATE_SIGINT, sigint.recv()).await {
        interrupted = true;
    }
    match outcome {
        LoginOutcome::LoggedIn => LoginOutcome::LoggedIn,
        _ if interrupted => LoginOutcome::Cancelled,
        other => other,
    }
}

fn destination(t: &SshTarget) -> String {
    let user = t.user.as_ref().map(|u| format!("{u}@")).unwrap_or_default();
    let port = t.port.map(|p| format!(":{p}")).unwrap_or_default();
    format!("{user}{}{port}", t.destination)
}

/// A line in the plain terminal (never while the console owns it).
fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "opsdeck: {line}");
    let _ = err.flush();
}
