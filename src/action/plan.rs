//! What an action will do, shown to the operator before it runs.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::model::{HostId, ServiceId};
use crate::transport::{CommandSpec, Target};

mod step_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Restart,
    Stop,
    Start,
    /// Trust the host key a host offered, the one the operator saw.
    TrustHostKey,
    /// Make a backup of a set now, verify it and say where it is.
    Backup,
    /// Put a backup back: verify, safety backup, stop, restore, start, checks.
    Restore,
    /// Restore the newest backup into a scratch target and check it, touching nothing live.
    Drill,
    /// Move a service to a version behind a health gate; roll back on failure.
    Deploy,
    /// Return a service to the version a deploy recorded before it changed anything.
    Rollback,
    /// Break a deploy lock left on a host (a crashed opsdeck's).
    LockRelease,
    /// Run a compose service with another number of replicas.
    Scale,
    /// Silence an alert in Alertmanager for a while.
    Silence,
    /// Expire a silence in Alertmanager.
    Unsilence,
}

impl ActionKind {
    pub fn verb(self) -> &'static str {
        match self {
            ActionKind::Restart => "restart",
            ActionKind::Stop => "stop",
            ActionKind::Start => "start",
            ActionKind::TrustHostKey => "trust the host key of",
            ActionKind::Backup => "back up",
            ActionKind::Restore => "restore",
            ActionKind::Drill => "drill a restore of",
            ActionKind::Deploy => "deploy",
            ActionKind::Rollback => "roll back",
            ActionKind::LockRelease => "release the deploy lock of",
            ActionKind::Scale => "scale",
            ActionKind::Silence => "silence the alerts of",
            ActionKind::Unsilence => "expire a silence of",
        }
    }

    /// The name the audit log and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Restart => "restart",
            ActionKind::Stop => "stop",
            ActionKind::Start => "start",
            ActionKind::TrustHostKey => "trust_host_key",
            ActionKind::Backup => "backup",
            ActionKind::Restore => "restore",
            ActionKind::Drill => "drill",
            ActionKind::Deploy => "deploy",
            ActionKind::Rollback => "rollback",
            ActionKind::LockRelease => "lock_release",
            ActionKind::Scale => "scale",
            ActionKind::Silence => "silence",
            ActionKind::Unsilence => "unsilence",
        }
    }

    /// Restart, stop and start as a unit or container verb.
    pub fn lifecycle(self) -> Option<Lifecycle> {
        match self {
            ActionKind::Restart => Some(Lifecycle::Restart),
            ActionKind::Stop => Some(Lifecycle::Stop),
            ActionKind::Start => Some(Lifecycle::Start),
            ActionKind::TrustHostKey
            | ActionKind::Backup
            | ActionKind::Restore
            | ActionKind::Drill
            | ActionKind::Deploy
            | ActionKind::Rollback
            | ActionKind::LockRelease
            | ActionKind::Scale
            | ActionKind::Silence
            | ActionKind::Unsilence => None,
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// What a unit or a container is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    Restart,
    Stop,
    Start,
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lifecycle::Restart => "restart",
            Lifecycle::Stop => "stop",
            Lifecycle::Start => "start",
        })
    }
}

/// What an action acts on; at most one action runs on a subject at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Service(ServiceId),
    Host(HostId),
}

impl Subject {
    pub fn host(&self) -> &HostId {
        match self {
            Subject::Service(s) => &s.host,
            Subject::Host(h) => h,
        }
    }

    pub fn service(&self) -> Option<&ServiceId> {
        match self {
            Subject::Service(s) => Some(s),
            Subject::Host(_) => None,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Service(s) => write!(f, "{s}"),
            Subject::Host(h) => write!(f, "{h}"),
        }
    }
}

/// What one step does: a command, a Docker API call on a container, or writing a host key.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOp {
    Command(CommandSpec),
    Docker {
        verb: Lifecycle,
        container: String,
    },
    /// Add the key the host offers to opsdeck's own known_hosts — only if its fingerprint
    /// is still the one the operator saw.
    TrustKey {
        fingerprint: String,
        key_lines: Vec<String>,
    },
    /// Every container of a compose service, found by its compose labels when the step
    /// runs (the plan does not need the console's container list).
    Compose {
        verb: Lifecycle,
        project: String,
        service: String,
    },
    /// The service's configured checks, each with its retries; the step fails if one fails.
    Checks {
        service: ServiceId,
    },
    /// Lists a backup set, takes its newest backup (which must be newer than `after`),
    /// verifies it and notes where it is and how big: after "backup now" and the safety
    /// backup of a restore.
    NewestBackup {
        set: String,
        after: chrono::DateTime<chrono::Utc>,
        /// What the note calls it: "new backup", "safety backup".
        role: String,
    },
    /// Runs `command` and keeps its trimmed output as `{var}` for the steps after it (what
    /// runs now, recorded before a deploy changes anything); written to the audit log.
    Record {
        command: CommandSpec,
        var: String,
        /// Written to the audit log (before anything changes) and noted in the outcome:
        /// what a deploy returns to. Off for mere bookkeeping (when a unit last started).
        audited: bool,
    },
    /// An HTTP request (a PaaS deploy hook): the status must be `expect_status`, or 2xx.
    Http(HttpStep),
    /// Waits (within the step's timeout) until the service is in the state the action
    /// asked for, and says how long that took: "active after 0.4 s".
    Settle(Settle),
    /// Writes to the audit log, before anything changes, the image and image id of every
    /// container of a compose service (or of one container): what ran, even after those
    /// containers are gone.
    RecordImages {
        /// `com.docker.compose.*` labels, or a container name when `service` is empty.
        project: String,
        service: String,
    },
    /// Make a silence in Alertmanager at `url` for `duration` from when the step runs.
    Silence {
        url: String,
        matchers: Vec<crate::monitor::alertmanager::Matcher>,
        duration: Duration,
        comment: String,
    },
    /// Expire silence `id` in Alertmanager at `url`.
    ExpireSilence {
        url: String,
        id: String,
    },
    /// Every check of a smoke suite once, with its retries; fails if one fails.
    Suite {
        name: String,
    },
    /// A check run until it passes, at most `attempts` times `interval` apart.
    Gate {
        check: crate::model::CheckId,
        attempts: u32,
        interval: Duration,
    },
    /// PromQL thresholds read from Prometheus until each has held for its window.
    MetricsGate {
        prometheus: String,
        timeout: Duration,
        rules: Vec<crate::monitor::gate::Rule>,
    },
    /// A command whose trimmed output must meet `expect` (a row count, `ok`).
    Integrity {
        command: CommandSpec,
        expect: Expect,
    },
}

/// A request a step makes. Each text is kept twice: the real one (secrets expanded) for
/// sending, the shown one (`${NAME}` templates) for the plan, the audit and the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpStep {
    pub method: String,
    pub url: (String, String),
    pub headers: Vec<(String, String, String)>,
    pub body: Option<(String, String)>,
    pub expect_status: Option<u16>,
}

impl HttpStep {
    /// From the config, with `values` (`{version}` …) substituted in the URL and body.
    pub fn of(r: &crate::config::schema::HttpRequest, values: &[(&str, &str)]) -> Self {
        let fill = |text: &str| {
            crate::transport::CommandSpec::argv([text])
                .substitute_all(values)
                .expose_argv()[0]
                .clone()
        };
        let both = |c: &crate::config::secret::ConfigString| (fill(c.expose()), fill(c.shown()));
        Self {
            method: r
                .method
                .as_ref()
                .map_or("POST".to_owned(), |m| m.get_ref().to_ascii_uppercase()),
            url: both(r.url.get_ref()),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().to_owned(), v.shown().to_owned()))
                .collect(),
            body: r.body.as_ref().map(both),
            expect_status: r
                .expect_status
                .as_ref()
                .and_then(|s| u16::try_from(*s.get_ref()).ok()),
        }
    }
}

/// The state an action waits for after it acted.
#[derive(Debug, Clone, PartialEq)]
pub enum Settle {
    /// The unit active again, entered after the `{var}` a `Record` step kept
    /// (`ActiveEnterTimestampMonotonic` before the restart).
    UnitActive { unit: String, before_var: String },
    /// The unit no longer active.
    UnitStopped { unit: String },
    /// Every container running, started since the action began.
    ContainersRunning { names: Vec<String> },
    /// No container running.
    ContainersStopped { names: Vec<String> },
    /// Exactly `count` containers of compose `project`/`service` running.
    Replicas {
        project: String,
        service: String,
        count: u32,
    },
}

/// What an integrity query's output must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Exit 0 is enough; the output is noted.
    Anything,
    Exactly(String),
    Matches(String),
    /// A number at least this large (a row count).
    AtLeast(i64),
}

impl Expect {
    /// `None` when `output` meets it, else what is wrong.
    pub fn unmet(&self, output: &str) -> Option<String> {
        let out = output.trim();
        match self {
            Expect::Anything => None,
            Expect::Exactly(want) => {
                (out != want).then(|| format!("printed `{out}`, expected `{want}`"))
            }
            Expect::Matches(re) => match regex::Regex::new(re) {
                Ok(r) if r.is_match(out) => None,
                Ok(_) => Some(format!("printed `{out}`, which does not match /{re}/")),
                Err(e) => Some(format!("bad regex /{re}/: {e}")),
            },
            Expect::AtLeast(min) => match out.parse::<i64>() {
                Ok(n) if n >= *min => None,
                Ok(n) => Some(format!("printed {n}, expected at least {min}")),
                Err(_) => Some(format!(
                    "printed `{out}`, expected a number of at least {min}"
                )),
            },
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Anything => Ok(()),
            Expect::Exactly(w) => write!(f, "  (expect `{w}`)"),
            Expect::Matches(r) => write!(f, "  (expect /{r}/)"),
            Expect::AtLeast(n) => write!(f, "  (expect ≥ {n})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanStep {
    pub title: String,
    pub target: Target,
    pub command: StepOp,
    pub timeout: Duration,
    /// What puts things back if a later step fails (starting what this step stopped). It
    /// runs unless a later step that `undoes` this one has already succeeded.
    pub undo: Option<Box<PlanStep>>,
    /// The index of the step whose `undo` this step makes unnecessary.
    pub undoes: Option<usize>,
    /// Whether `undo` also runs when this step itself fails (it may have half done its
    /// work: stopped one replica of two). Not for a lock that was not taken.
    pub undo_own_failure: bool,
    /// What the operator is told once `undo` has put things back ("rolled back to
    /// {previous_version}"); runtime placeholders are filled in.
    pub undo_note: Option<String>,
    /// The state the service is in if the action stops during this step (a failure or a
    /// lost connection): said to the operator and written in the audit log.
    pub if_cut: Option<String>,
}

impl PlanStep {
    /// Steps run one after another as one undo: the first, whose own undo is the rest.
    pub fn chain(mut steps: Vec<PlanStep>) -> Option<Box<PlanStep>> {
        let mut head = steps.pop()?;
        while let Some(mut prev) = steps.pop() {
            prev.undo = Some(Box::new(head));
            head = prev;
        }
        Some(Box::new(head))
    }

    pub fn new(
        title: impl Into<String>,
        target: Target,
        command: StepOp,
        timeout: Duration,
    ) -> Self {
        Self {
            title: title.into(),
            target,
            command,
            timeout,
            undo: None,
            undoes: None,
            undo_own_failure: true,
            undo_note: None,
            if_cut: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Answer y or n.
    YesNo,
    /// Type this name (services on `prod` hosts, restores).
    TypeName(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: u64,
    pub kind: ActionKind,
    pub subject: Subject,
    /// Where the commands run, for the operator: `local (this machine)`, `ssh root@10.77.0.10`.
    pub location: String,
    pub steps: Vec<PlanStep>,
    pub confirmation: Confirmation,
    pub prod: bool,
    /// The backup set a backup, restore or drill acts on.
    pub backup_set: Option<String>,
    /// The version a deploy or rollback moves the service to.
    pub version: Option<String>,
}

impl Plan {
    pub fn title(&self) -> String {
        format!("{} {}", self.kind, self.subject)
    }

    pub fn host(&self) -> &HostId {
        self.subject.host()
    }
}
