//! Following log sources — journald units and files — over a host's transport, resuming
//! after a reconnect exactly where the stream stopped: journald by cursor, files by byte
//! offset of the last complete line.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::mpsc;

use crate::model::{Level, LogLine, log_time};
use crate::protocol::Update;
pub use crate::protocol::logs::{FollowSource, LogSpec, Window};
use crate::transport::{CommandSpec, Target, Transports, local};

const OFFSET_MARK: &str = "@@opsdeck:offset ";
/// The host's UTC offset (`date +%z`), for times written in log text without a zone.
const ZONE_MARK: &str = "@@opsdeck:zone ";
/// Lines sent to the app in one update.
const BATCH: usize = 256;

/// `journalctl --grep` arguments for the viewer's pattern syntax: the same smart case,
/// and `=text` escaped to a literal.
fn journal_grep(window: &Window) -> Vec<String> {
    let Some(raw) = window.grep.as_deref().filter(|g| !g.is_empty()) else {
        return vec![];
    };
    let pattern = match raw.strip_prefix('=') {
        Some(text) => regex::escape(text),
        None => raw.to_owned(),
    };
    let sensitive = raw.chars().any(char::is_uppercase);
    vec![
        format!("--grep={pattern}"),
        format!("--case-sensitive={sensitive}"),
    ]
}

/// Where a followed source's lines, gaps and end go: the view it belongs to and its index
/// there.
pub struct LogSink {
    pub view: u64,
    pub source: usize,
    /// Set on lines without an origin (merged views).
    pub label: String,
    pub tx: mpsc::Sender<Update>,
}

impl LogSink {
    /// False once the app has gone: the follower stops.
    /// Secrets are redacted here, as lines arrive: nothing shown or saved holds one.
    pub async fn lines(&self, mut lines: Vec<LogLine>) -> bool {
        for line in &mut lines {
            crate::config::secret::redact_in_place(&mut line.message);
        }
        if !self.label.is_empty() {
            for line in lines.iter_mut().filter(|l| l.origin.is_empty()) {
                line.origin.clone_from(&self.label);
            }
        }
        self.send(|view, source| Update::LogLines {
            view,
            source,
            lines,
        })
        .await
    }

    pub async fn gap(&self, reason: String) -> bool {
        self.send(|view, source| Update::LogGap {
            view,
            source,
            reason,
        })
        .await
    }

    /// A windowed stream read to its end.
    pub async fn end(&self) -> bool {
        self.send(|view, source| Update::LogEnd { view, source })
            .await
    }

    async fn send(&self, update: impl FnOnce(u64, usize) -> Update) -> bool {
        self.tx.send(update(self.view, self.source)).await.is_ok()
    }
}

/// Where a new stream begins: the last `tail` lines, or the window asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStart {
    pub tail: usize,
    pub window: Window,
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
    /// The command for a stream from `pos`, narrowed by `window` where the source can.
    /// Arguments, never pasted into scripts.
    pub fn command(&self, pos: &Position, tail: usize, window: &Window) -> CommandSpec {
        match self {
            LogSpec::Docker { .. } => unreachable!("docker logs are read through the API"),
            LogSpec::Journald { unit } => {
                let mut args: Vec<String> = ["journalctl", "-u", unit, "-o", "json", "--no-pager"]
                    .map(str::to_owned)
                    .into();
                // A window with an end is read once; an open one is followed.
                match window.until {
                    // The whole second named is in the window.
                    Some(t) => args.push(format!("--until=@{t}.999999")),
                    None => args.push("-f".into()),
                }
                args.extend(journal_grep(window));
                match pos {
                    Position::JournalCursor(c) => args.push(format!("--after-cursor={c}")),
                    Position::Since(t) => args.push(format!("--since=@{t}")),
                    _ => args.extend(["-n".to_owned(), tail.to_string()]),
                }
                CommandSpec::argv(args)
            }
            LogSpec::File { path } => match pos {
                Position::FileOffset(off) => {
                    CommandSpec::argv(["tail", "-c", &format!("+{}", off + 1), "-F", "--", path])
                }
                _ => CommandSpec::argv([
                    "sh",
                    "-c",
                    // The host's zone first; then the size: the tail before it is history, the
                    // stream starts after it.
                    "echo \"@@opsdeck:zone $(date +%z)\"; size=$(stat -c %s -- \"$1\" 2>/dev/null || echo 0); head -c \"$size\" -- \"$1\" 2>/dev/null | tail -n \"$2\"; \
                     echo \"@@opsdeck:offset $size\"; exec tail -c +$((size + 1)) -F -- \"$1\"",
                    "opsdeck-tail",
                    path,
                    &tail.to_string(),
                ]),
            },
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
    /// The host's zone, for file lines whose own time has none (UTC until the host says).
    zone: chrono::FixedOffset,
}

impl Reader {
    pub fn new(spec: LogSpec) -> Self {
        Self {
            spec,
            position: Position::Start,
            in_history: true,
            zone: chrono::FixedOffset::east_opt(0).expect("UTC"),
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
                if let Some(zone) = raw.strip_prefix(ZONE_MARK) {
                    if let Some(z) = log_time::parse_offset(zone) {
                        self.zone = z;
                    }
                    return None;
                }
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
                // A file has no times of its own: the one the line writes, if any.
                let mut line = plain_line(raw);
                line.at = log_time::leading_time(raw, self.zone)
                    .or_else(|| log_time::json_time(raw, self.zone));
                Some(line)
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

/// Follows one source: streams while the host is connected, reports each gap and resumes
/// from the last position once it is back. A window with an end is read once.
pub async fn follow(
    source: FollowSource,
    start: StreamStart,
    sink: LogSink,
    transports: Arc<Transports>,
) {
    let FollowSource { spec, target, .. } = source;
    let StreamStart { tail, window } = start;
    let mut reader = Reader::new(spec.clone());
    if let Some(t) = window.since {
        reader.position = Position::Since(t);
    }
    loop {
        let (raw_tx, mut raw_rx) = mpsc::channel::<String>(4096);
        let command = spec.command(&reader.position, tail, &window);
        reader.restart();
        let stream = {
            let transports = transports.clone();
            let target = target.clone();
            async move {
                match &target {
                    Target::Local => {
                        local::stream(&command, raw_tx, transports.limits().line).await
                    }
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
            // journalctl exits 1 when --grep finds nothing: the window is simply empty. Any
            // other failure is a gap, not an empty window.
            Ok(Some(code))
                if window.until.is_some()
                    && (code == 0 || (code == 1 && window.grep.is_some())) =>
            {
                sink.end().await;
                return;
            }
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

    #[tokio::test]
    async fn live_lines_are_redacted_as_they_arrive() {
        crate::config::secret::register("live-S3NT\"x");
        let (tx, mut rx) = mpsc::channel(4);
        let sink = LogSink {
            view: 1,
            source: 0,
            label: String::new(),
            tx,
        };
        let raw = r#"{"MESSAGE":"login pw=live-S3NT\"x ok"}"#;
        let (line, _) = parse_journal_json(raw).unwrap();
        assert!(
            line.message.contains("live-S3NT"),
            "the parser keeps the text"
        );
        assert!(
            sink.lines(vec![line, plain_line("token live-S3NT\"x")])
                .await
        );
        let Some(Update::LogLines { lines, .. }) = rx.recv().await else {
            panic!("lines sent")
        };
        let shown: Vec<&str> = lines.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(shown, ["login pw=*** ok", "token ***"]);
    }

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
        assert!(r.line("@@opsdeck:zone +0100").is_none());
        assert!(r.line("old history").is_some());
        let line = r
            .line("2026-11-25 13:32:24,442 - INFO - history with a time")
            .unwrap();
        assert_eq!(
            line.at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-25T12:32:24.442+00:00"),
            "naive times are in the host's zone"
        );
        assert_eq!(r.position, Position::Start);
        assert!(r.line("@@opsdeck:offset 100").is_none());
        r.line("abc");
        r.line("");
        assert_eq!(r.position, Position::FileOffset(100 + 4 + 1));
        let cmd = LogSpec::File {
            path: "/x y".into(),
        }
        .command(&r.position, 10, &Window::default());
        assert_eq!(cmd.to_string(), "tail -c +106 -F -- '/x y'");
    }

    #[test]
    fn journal_window_is_read_on_the_server() {
        let spec = LogSpec::Journald {
            unit: "a.service".into(),
        };
        let cmd = spec.command(&Position::Since(1_795_600_000), 50, &Window::default());
        assert_eq!(
            cmd.to_string(),
            "journalctl -u a.service -o json --no-pager -f --since=@1795600000"
        );
        let window = Window {
            since: Some(1_795_600_000),
            until: Some(1_795_600_600),
            grep: Some("=a.b (x)".into()),
        };
        let cmd = spec.command(&Position::Since(1_795_600_000), 50, &window);
        assert_eq!(
            cmd.args(),
            [
                "-u",
                "a.service",
                "-o",
                "json",
                "--no-pager",
                "--until=@1795600600.999999",
                r"--grep=a\.b \(x\)",
                "--case-sensitive=false",
                "--since=@1795600000",
            ]
        );
        let smart = Window {
            grep: Some("Timeout".into()),
            ..Window::default()
        };
        let cmd = spec.command(&Position::Start, 20, &smart);
        assert!(cmd.args().contains(&"--case-sensitive=true".to_owned()));
        assert!(cmd.args().ends_with(&["-n".to_owned(), "20".to_owned()]));
    }

    #[test]
    fn journal_resumes_after_cursor() {
        let spec = LogSpec::Journald {
            unit: "a.service".into(),
        };
        let cmd = spec.command(
            &Position::JournalCursor("s=1;i=2".into()),
            50,
            &Window::default(),
        );
        assert!(cmd.args().contains(&"--after-cursor=s=1;i=2".to_owned()));
    }
}
