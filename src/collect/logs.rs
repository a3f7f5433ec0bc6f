//! Following log sources — journald units and files — over a host's transport, resuming
//! after a reconnect exactly where the stream stopped: journald by cursor, files by byte
//! offset of the last complete line.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::mpsc;

use crate::app::update::Update;
use crate::model::{Level, LogLine, ServiceId};
use crate::transport::{CommandSpec, Target, Transports, local};

const OFFSET_MARK: &str = "@@opsdeck:offset ";
/// Lines sent to the app in one update.
const BATCH: usize = 256;

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

/// Where a followed source's lines and gaps go.
pub struct LogSink {
    pub service: ServiceId,
    pub source: String,
    pub tx: mpsc::Sender<Update>,
}

impl LogSink {
    /// False once the app has gone: the follower stops.
    pub async fn lines(&self, lines: Vec<LogLine>) -> bool {
        let (service, source) = (self.service.clone(), self.source.clone());
        self.tx
            .send(Update::LogLines {
                service,
                source,
                lines,
            })
            .await
            .is_ok()
    }

    pub async fn gap(&self, reason: String) -> bool {
        let (service, source) = (self.service.clone(), self.source.clone());
        self.tx
            .send(Update::LogGap {
                service,
                source,
                reason,
            })
            .await
            .is_ok()
    }
}

/// Where a new stream begins: the last `tail` lines, or everything since a Unix time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamStart {
    pub tail: usize,
    pub since: Option<i64>,
}

/// Where a stream stopped, so that a new one continues without gaps or repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Position {
    /// Nothing read yet: start with the last `tail` lines.
    #[default]
    Start,
    /// Only what was written since this Unix time, read on the server (a time window).
    Since(i64),
    JournalCursor(String),
    FileOffset(u64),
}

impl LogSpec {
    /// The command for a stream from `pos`. Arguments, never pasted into scripts.
    pub fn command(&self, pos: &Position, tail: usize) -> CommandSpec {
        match (self, pos) {
            (LogSpec::Docker { .. }, _) => unreachable!("docker logs are read through the API"),
            (LogSpec::Journald { unit }, Position::JournalCursor(c)) => CommandSpec::argv([
                "journalctl",
                "-u",
                unit,
                "-o",
                "json",
                "--no-pager",
                "-f",
                &format!("--after-cursor={c}"),
            ]),
            (LogSpec::Journald { unit }, Position::Since(t)) => CommandSpec::argv([
                "journalctl",
                "-u",
                unit,
                "-o",
                "json",
                "--no-pager",
                "-f",
                &format!("--since=@{t}"),
            ]),
            (LogSpec::Journald { unit }, _) => CommandSpec::argv([
                "journalctl",
                "-u",
                unit,
                "-o",
                "json",
                "--no-pager",
                "-f",
                "-n",
                &tail.to_string(),
            ]),
            (LogSpec::File { path }, Position::FileOffset(off)) => {
                CommandSpec::argv(["tail", "-c", &format!("+{}", off + 1), "-F", "--", path])
            }
            (LogSpec::File { path }, _) => CommandSpec::argv([
                "sh",
                "-c",
                // The size is read first; the tail before it is history, the stream starts after it.
                "size=$(stat -c %s -- \"$1\" 2>/dev/null || echo 0); head -c \"$size\" -- \"$1\" 2>/dev/null | tail -n \"$2\"; \
                 echo \"@@opsdeck:offset $size\"; exec tail -c +$((size + 1)) -F -- \"$1\"",
                "opsdeck-tail",
                path,
                &tail.to_string(),
            ]),
        }
    }
}

/// Turns raw stream lines into log lines and keeps the position up to date.
#[derive(Debug)]
pub struct Reader {
    spec: LogSpec,
    pub position: Position,
    /// For files started from `Start`: lines before the offset marker are history.
    in_history: bool,
}

impl Reader {
    pub fn new(spec: LogSpec) -> Self {
        Self {
            spec,
            position: Position::Start,
            in_history: true,
        }
    }

    pub fn restart(&mut self) {
        self.in_history = matches!(self.position, Position::Start | Position::Since(_));
    }

    /// One raw line from the stream; `None` for bookkeeping lines.
    pub fn line(&mut self, raw: &str) -> Option<LogLine> {
        match &self.spec {
            LogSpec::Journald { .. } => {
                let (line, cursor) = parse_journal_json(raw)?;
                if let Some(c) = cursor {
                    self.position = Position::JournalCursor(c);
                }
                Some(line)
            }
            LogSpec::Docker { .. } => Some(plain_line(raw)),
            LogSpec::File { .. } => {
                if let Some(off) = raw.strip_prefix(OFFSET_MARK) {
                    if let Ok(off) = off.trim().parse() {
                        self.position = Position::FileOffset(off);
                        self.in_history = false;
                    }
                    return None;
                }
                if !self.in_history
                    && let Position::FileOffset(off) = &mut self.position
                {
                    *off += raw.len() as u64 + 1;
                }
                Some(plain_line(raw))
            }
        }
    }
}

pub fn plain_line(raw: &str) -> LogLine {
    LogLine::plain(raw.to_owned())
}

/// One line of `journalctl -o json`: the line and its cursor.
pub fn parse_journal_json(raw: &str) -> Option<(LogLine, Option<String>)> {
    let v: serde_json::Value = serde_json::from_str(raw).ok()?;
    let message = match v.get("MESSAGE")? {
        serde_json::Value::String(s) => s.clone(),
        // Binary messages come as byte arrays.
        serde_json::Value::Array(bytes) => String::from_utf8_lossy(
            &bytes
                .iter()
                .filter_map(|b| b.as_u64().map(|b| b as u8))
                .collect::<Vec<_>>(),
        )
        .into_owned(),
        other => other.to_string(),
    };
    let at: Option<DateTime<Utc>> = v
        .get("__REALTIME_TIMESTAMP")
        .and_then(|t| t.as_str()?.parse::<i64>().ok())
        .and_then(|us| Utc.timestamp_micros(us).single());
    let detected = Level::detect(&message);
    let level = match detected {
        Level::Unknown => v
            .get("PRIORITY")
            .and_then(|p| p.as_str()?.parse::<u8>().ok())
            .map_or(Level::Unknown, Level::from_priority),
        l => l,
    };
    let cursor = v
        .get("__CURSOR")
        .and_then(|c| c.as_str())
        .map(str::to_owned);
    Some((
        LogLine {
            at,
            level,
            message,
            origin: String::new(),
            stderr: false,
        },
        cursor,
    ))
}

/// Follows one source forever: streams while the host is connected, reports the gap,
/// and resumes from the last position once it is back.
pub async fn follow(
    service: ServiceId,
    source: String,
    spec: LogSpec,
    target: Target,
    transports: Arc<Transports>,
    start: StreamStart,
    tx: mpsc::Sender<Update>,
) {
    let StreamStart { tail, since } = start;
    let sink = LogSink {
        service,
        source,
        tx,
    };
    let mut reader = Reader::new(spec.clone());
    if let Some(t) = since {
        reader.position = Position::Since(t);
    }
    loop {
        let (raw_tx, mut raw_rx) = mpsc::channel::<String>(4096);
        let command = spec.command(&reader.position, tail);
        reader.restart();
        let stream = {
            let transports = transports.clone();
            let target = target.clone();
            async move {
                match &target {
                    Target::Local => local::stream(&command, raw_tx).await,
                    Target::Ssh(host) => match transports.ssh(host) {
                        Some(conn) => conn.stream(&command, raw_tx).await,
                        None => Err(crate::transport::TransportError::NotConnected(
                            host.to_string(),
                        )),
                    },
                }
            }
        };
        let forward = async {
            let mut batch = Vec::new();
            while let Some(raw) = raw_rx.recv().await {
                batch.extend(reader.line(&raw));
                while batch.len() < BATCH {
                    match raw_rx.try_recv() {
                        Ok(raw) => batch.extend(reader.line(&raw)),
                        Err(_) => break,
                    }
                }
                if !batch.is_empty() && !sink.lines(std::mem::take(&mut batch)).await {
                    return false;
                }
            }
            true
        };
        let (result, alive) = tokio::join!(stream, forward);
        if !alive {
            return;
        }
        let reason = match result {
            Ok(code) => format!("log stream ended (exit {code:?})"),
            Err(e) => e.to_string(),
        };
        if !sink.gap(reason).await {
            return;
        }
        wait_for_transport(&target, &transports).await;
    }
}

async fn wait_for_transport(target: &Target, transports: &Transports) {
    let mut first = true;
    loop {
        let ready = match target {
            Target::Local => !first,
            Target::Ssh(host) => transports.ssh(host).is_some(),
        };
        if ready && !first {
            return;
        }
        first = false;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_json_lines() {
        let raw = r#"{"__CURSOR":"s=abc;i=97","__REALTIME_TIMESTAMP":"1764077544442000","PRIORITY":"6","MESSAGE":"2026-11-25 13:32:24,442 - WARNING - latencia alta"}"#;
        let (line, cursor) = parse_journal_json(raw).unwrap();
        assert_eq!(cursor.as_deref(), Some("s=abc;i=97"));
        assert_eq!(line.level, Level::Warn);
        assert!(line.at.is_some());
        let bytes = r#"{"MESSAGE":[104,105],"PRIORITY":"3"}"#;
        let (line, _) = parse_journal_json(bytes).unwrap();
        assert_eq!((line.message.as_str(), line.level), ("hi", Level::Error));
    }

    #[test]
    fn file_offsets_count_complete_lines_after_the_marker() {
        let mut r = Reader::new(LogSpec::File { path: "/x".into() });
        assert!(r.line("old history").is_some());
        assert_eq!(r.position, Position::Start);
        assert!(r.line("@@opsdeck:offset 100").is_none());
        r.line("abc");
        r.line("");
        assert_eq!(r.position, Position::FileOffset(100 + 4 + 1));
        let cmd = LogSpec::File {
            path: "/x y".into(),
        }
        .command(&r.position, 10);
        assert_eq!(cmd.to_string(), "tail -c +106 -F -- '/x y'");
    }

    #[test]
    fn journal_window_is_read_on_the_server() {
        let spec = LogSpec::Journald {
            unit: "a.service".into(),
        };
        let cmd = spec.command(&Position::Since(1_795_600_000), 50);
        assert_eq!(
            cmd.to_string(),
            "journalctl -u a.service -o json --no-pager -f --since=@1795600000"
        );
    }

    #[test]
    fn journal_resumes_after_cursor() {
        let spec = LogSpec::Journald {
            unit: "a.service".into(),
        };
        let cmd = spec.command(&Position::JournalCursor("s=1;i=2".into()), 50);
        assert!(cmd.args().contains(&"--after-cursor=s=1;i=2".to_owned()));
    }
}
