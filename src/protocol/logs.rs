//! What a log view follows, as the console asks for it and the log followers read it.

use crate::model::HostId;
use crate::transport::Target;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSpec {
    Journald {
        unit: String,
    },
    File {
        path: String,
    },
    /// Containers' logs through the host's Docker API, replicas merged by time.
    Docker {
        containers: Vec<String>,
    },
}

impl LogSpec {
    /// Whether the source can be read from a time (journald and Docker can; files cannot).
    pub fn has_time(&self) -> bool {
        !matches!(self, LogSpec::File { .. })
    }

    /// Whether a pattern can narrow the source on the server (journalctl `--grep`).
    pub fn has_grep(&self) -> bool {
        matches!(self, LogSpec::Journald { .. })
    }
}

/// One source of a log view: what to follow, where, and the label its lines carry in a
/// merged view (empty when the view shows one source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowSource {
    pub host: HostId,
    pub spec: LogSpec,
    pub target: Target,
    pub tail: usize,
    pub label: String,
}

/// What the server is asked to narrow a source to: a time window and a pattern. Live
/// following needs an open end (`until` unset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    /// Unix seconds.
    pub since: Option<i64>,
    /// Unix seconds; the stream ends there instead of following.
    pub until: Option<i64>,
    /// A pattern in the viewer's syntax (smart case; a leading `=` is literal text).
    pub grep: Option<String>,
}
