//! The `:` palette's vocabulary and its completions: what can follow what has been typed.
//! Pure; the reducer recomputes the candidates as the operator types, the screen lists them.

use super::state::State;

/// What a command takes after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    /// Free text (a filter, a time, a pattern): nothing to complete.
    Text,
    Host,
    /// A host whose unknown key waits for `:trust`.
    PendingHost,
    /// A host that waits for `:login`.
    LoginHost,
    /// `HOST/SERVICE`.
    Service,
    /// `HOST/SERVICE` of a service that can be acted on (not an HTTP endpoint).
    ActionService,
    Theme,
    Suite,
    /// `HOST/SERVICE` of a service with a `[[deploys]]` recipe.
    DeployService,
    /// A runbook's name (or `close`).
    Runbook,
}

/// The palette's commands, what they take and one line of help each.
pub const COMMANDS: &[(&str, Arg, &str)] = &[
    ("host", Arg::Host, "open a host's detail"),
    ("filter", Arg::Text, "filter the fleet"),
    ("restart", Arg::ActionService, "restart HOST/SERVICE"),
    ("stop", Arg::ActionService, "stop HOST/SERVICE"),
    ("start", Arg::ActionService, "start HOST/SERVICE"),
    ("smoke", Arg::Suite, "run a smoke suite"),
    ("deploy", Arg::DeployService, "deploy HOST/SERVICE VERSION"),
    (
        "rollback",
        Arg::DeployService,
        "roll HOST/SERVICE back to what its last deploy recorded",
    ),
    (
        "deploys",
        Arg::DeployService,
        "the deploy history of HOST/SERVICE",
    ),
    (
        "scale",
        Arg::ActionService,
        "scale HOST/SERVICE N: run N replicas",
    ),
    (
        "note",
        Arg::Text,
        "a note for the incident timeline (the audit log)",
    ),
    (
        "runbook",
        Arg::Runbook,
        "open a runbook beside the fleet: runbook NAME [VAR=VALUE…]; runbook close",
    ),
    (
        "timeline",
        Arg::Text,
        "the audit log as an incident timeline (timeline 2h: since then)",
    ),
    (
        "alerts",
        Arg::None,
        "Alertmanager's alerts: M silences, U expires the silence, enter opens the runbook",
    ),
    (
        "trust",
        Arg::PendingHost,
        "trust the host key a host offered",
    ),
    (
        "login",
        Arg::LoginHost,
        "log in to a host that needs it, in the plain terminal",
    ),
    ("theme", Arg::Theme, "switch the colour theme"),
    (
        "since",
        Arg::Text,
        "logs: read from a time (10m, 2026-11-25 09:30)",
    ),
    ("until", Arg::Text, "logs: end the window at a time"),
    (
        "grep",
        Arg::Text,
        "logs: lines matching a pattern, narrowed on the server",
    ),
    ("live", Arg::None, "logs: drop the window and follow again"),
    ("refresh", Arg::None, "collect everything now"),
    ("help", Arg::None, "every key binding"),
    ("quit", Arg::None, "leave opsdeck"),
];

/// At most this many candidates are listed.
pub const MAX_CANDIDATES: usize = 8;

/// One completion: the whole line it would make, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub line: String,
    pub help: &'static str,
}

/// The candidates for `input`: commands while the first word is typed, then the values its
/// argument can take. Prefix matches come first, then other matches of the typed text.
pub fn complete(state: &State, input: &str) -> Vec<Candidate> {
    let input = input.trim_start();
    let Some((cmd, arg)) = input.split_once(' ') else {
        return ranked(
            COMMANDS
                .iter()
                .map(|(name, _, help)| (name.to_string(), *help)),
            input,
        )
        .into_iter()
        .map(|(name, help)| Candidate { line: name, help })
        .collect();
    };
    let Some((_, kind, help)) = COMMANDS.iter().find(|(n, _, _)| *n == cmd) else {
        return vec![];
    };
    // `deploy HOST/SERVICE ` goes on with the service's versions, the running one marked.
    if cmd == "deploy"
        && let Some((target, typed)) = arg.trim_start().split_once(' ')
    {
        let Some(service) = crate::model::ServiceId::parse(target) else {
            return vec![];
        };
        return match state.versions.get(&service) {
            None => vec![Candidate {
                line: format!("deploy {target} "),
                help: "listing the versions…",
            }],
            Some(Err(_)) => vec![Candidate {
                line: format!("deploy {target} "),
                help: "versions could not be listed: type one",
            }],
            Some(Ok(v)) => {
                let mut items: Vec<(String, &'static str)> = v
                    .available
                    .iter()
                    .rev()
                    .map(|ver| {
                        let running = v.running.as_deref().is_some_and(|r| {
                            r == ver
                                || r.ends_with(&format!("/{ver}"))
                                || r.ends_with(&format!(":{ver}"))
                        });
                        (
                            ver.clone(),
                            if running { "running now" } else { "deployable" },
                        )
                    })
                    .collect();
                items.dedup();
                ranked(items.into_iter(), typed.trim_start())
                    .into_iter()
                    .map(|(ver, help)| Candidate {
                        line: format!("deploy {target} {ver}"),
                        help,
                    })
                    .collect()
            }
        };
    }
    let values: Vec<String> = match kind {
        Arg::None | Arg::Text => vec![],
        Arg::Host => state.hosts.iter().map(|h| h.id.to_string()).collect(),
        Arg::PendingHost => state
            .hosts
            .iter()
            .filter(|h| h.pending_key.is_some())
            .map(|h| h.id.to_string())
            .collect(),
        Arg::LoginHost => state
            .hosts
            .iter()
            .filter(|h| h.needs_login)
            .map(|h| h.id.to_string())
            .collect(),
        Arg::Service => state
            .hosts
            .iter()
            .flat_map(|h| h.services.iter().map(|s| s.id.to_string()))
            .collect(),
        Arg::ActionService => state
            .hosts
            .iter()
            .filter(|h| h.transport != crate::config::schema::TransportKind::Http)
            .flat_map(|h| h.services.iter())
            .filter(|s| s.kind != crate::config::schema::ServiceKind::Http)
            .map(|s| s.id.to_string())
            .collect(),
        Arg::Theme => state.themes.clone(),
        Arg::Suite => state.suites.clone(),
        Arg::DeployService => state.deployable.clone(),
        Arg::Runbook => {
            let mut names = state.runbooks.clone();
            if state.runbook.is_some() {
                names.push("close".into());
            }
            names
        }
    };
    ranked(values.into_iter().map(|v| (v, *help)), arg.trim_start())
        .into_iter()
        .map(|(v, help)| Candidate {
            line: format!("{cmd} {v}"),
            help,
        })
        .collect()
}

/// Prefix matches in their order, then matches elsewhere in the text; capped.
fn ranked(
    items: impl Iterator<Item = (String, &'static str)>,
    typed: &str,
) -> Vec<(String, &'static str)> {
    let needle = typed.to_lowercase();
    let (mut prefix, mut inner): (Vec<_>, Vec<_>) = items
        .filter(|(v, _)| v.to_lowercase().contains(&needle))
        .partition(|(v, _)| v.to_lowercase().starts_with(&needle));
    prefix.append(&mut inner);
    prefix.truncate(MAX_CANDIDATES);
    prefix
}

/// What `tab` makes of the input: the only candidate (with a space when a command takes an
/// argument), else the longest prefix all candidates share when it is longer than what was
/// typed; `None` when tab has nothing to add (the caller then cycles through the list).
pub fn extend(input: &str, candidates: &[Candidate]) -> Option<String> {
    match candidates {
        [] => None,
        [one] => {
            let takes_arg = COMMANDS
                .iter()
                .any(|(n, a, _)| *n == one.line && *a != Arg::None);
            let line = if takes_arg {
                format!("{} ", one.line)
            } else {
                one.line.clone()
            };
            (line != input).then_some(line)
        }
        many => {
            let first = &many[0].line;
            let common = many.iter().skip(1).fold(first.len(), |n, c| {
                first
                    .chars()
                    .zip(c.line.chars())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a.len_utf8())
                    .sum::<usize>()
                    .min(n)
            });
            let shared = &first[..common];
            (shared.len() > input.len() && shared.starts_with(input)).then(|| shared.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        let config = crate::fixture::config();
        crate::fixture::state(&config, (120, 40))
    }

    fn lines(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.line.as_str()).collect()
    }

    #[test]
    fn commands_then_arguments() {
        let s = state();
        assert_eq!(
            lines(&complete(&s, "st")),
            ["stop", "start", "host", "restart", "trust"]
        );
        assert_eq!(lines(&complete(&s, "host tri")), ["host triboka"]);
        let svc = complete(&s, "restart gamelera/m");
        assert_eq!(
            lines(&svc),
            [
                "restart gamelera/mongodb",
                "restart gamelera/minio",
                "restart gamelera/mlflow"
            ]
        );
        assert_eq!(lines(&complete(&s, "smoke ")), ["smoke post-deploy"]);
        assert!(complete(&s, "filter x").is_empty());
        assert!(complete(&s, "nonsense x").is_empty());
        assert!(complete(&s, "trust ").is_empty(), "no host key is waiting");
    }

    #[test]
    fn deploy_completes_versions_newest_first_with_the_running_one_marked() {
        let mut s = state();
        let c = complete(&s, "deploy gamelera/backend ");
        assert_eq!(
            lines(&c),
            [
                "deploy gamelera/backend v3",
                "deploy gamelera/backend v2",
                "deploy gamelera/backend v1"
            ]
        );
        assert_eq!(c[1].help, "running now");
        assert_eq!(
            lines(&complete(&s, "deploy gamelera/backend v1")),
            ["deploy gamelera/backend v1"]
        );
        s.versions.clear();
        assert_eq!(
            complete(&s, "deploy gamelera/backend ")[0].help,
            "listing the versions…"
        );
    }

    #[test]
    fn tab_takes_the_only_candidate_or_the_shared_prefix() {
        let s = state();
        assert_eq!(extend("sm", &complete(&s, "sm")).as_deref(), Some("smoke "));
        assert_eq!(
            extend("refr", &complete(&s, "refr")).as_deref(),
            Some("refresh")
        );
        let c = complete(&s, "restart gamelera/m");
        assert_eq!(extend("restart gamelera/m", &c), None);
        let c = complete(&s, "restart gam");
        assert_eq!(
            extend("restart gam", &c).as_deref(),
            Some("restart gamelera/")
        );
    }
}
