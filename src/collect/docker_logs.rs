//! Following containers' logs through the Docker API. Podman's log timestamps have
//! one-second resolution, so a resumed stream asks for `since` = the last second seen and
//! skips exactly as many lines of that second as were already delivered: nothing is lost
//! and nothing repeats.

use std::sync::Arc;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::logs::{LogSink, StreamStart};
use crate::model::{HostId, Level, LogLine};
use crate::transport::Transports;

/// What a window with an end but no start reads (Docker has no "last N lines before").
const UNTIL_ONLY_SPAN: i64 = 3600;

/// Where a container's stream stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Unix second of the last line delivered.
    pub second: Option<i64>,
    /// Lines delivered with that second.
    pub seen: usize,
}

/// Filters a resumed stream against the cursor and keeps the cursor current.
#[derive(Debug, Default)]
pub struct Resume {
    pub cursor: Cursor,
    /// Lines of `cursor.second` still to skip in the current stream.
    skip: usize,
}

impl Resume {
    /// Called when a new stream starts from `cursor.second`.
    pub fn restart(&mut self) {
        self.skip = self.cursor.seen;
    }

    /// Whether a line with this timestamp is new; updates the cursor when it is.
    pub fn accept(&mut self, second: i64) -> bool {
        match self.cursor.second {
            Some(last) if second < last => return false,
            Some(last) if second == last && self.skip > 0 => {
                self.skip -= 1;
                return false;
            }
            _ => {}
        }
        self.skip = 0;
        if self.cursor.second == Some(second) {
            self.cursor.seen += 1;
        } else {
            self.cursor = Cursor {
                second: Some(second),
                seen: 1,
            };
        }
        true
    }
}

/// Splits `TIMESTAMP message` as the API writes it with `timestamps=true`.
pub fn parse_line(raw: &str) -> (Option<DateTime<Utc>>, &str) {
    match raw.split_once(' ') {
        Some((ts, rest)) => match DateTime::parse_from_rfc3339(ts) {
            Ok(t) => (Some(t.with_timezone(&Utc)), rest),
            Err(_) => (None, raw),
        },
        None => (None, raw),
    }
}

/// Follows every container of `containers` into one sink; each line says which container
/// wrote it (the container's name, or in a merged view the source's label and replica).
pub async fn follow(
    host: HostId,
    containers: Vec<String>,
    start: StreamStart,
    sink: LogSink,
    transports: Arc<Transports>,
) {
    let n = containers.len();
    let tasks = containers.into_iter().enumerate().map(|(i, c)| {
        let origin = match (sink.label.is_empty(), n) {
            (true, _) => c.clone(),
            (false, 1) => sink.label.clone(),
            (false, _) => format!("{}#{}", sink.label, i + 1),
        };
        let sink = LogSink {
            view: sink.view,
            source: sink.source,
            label: String::new(),
            tx: sink.tx.clone(),
        };
        follow_one(
            host.clone(),
            c,
            origin,
            start.clone(),
            sink,
            transports.clone(),
        )
    });
    // A window is read once every container has been read to its end.
    let ended = futures::future::join_all(tasks).await;
    if !ended.is_empty() && ended.iter().all(|e| *e) {
        sink.end().await;
    }
}

async fn follow_one(
    host: HostId,
    container: String,
    origin: String,
    start: StreamStart,
    sink: LogSink,
    transports: Arc<Transports>,
) -> bool {
    let StreamStart { tail, window } = start;
    // Docker cuts `tail` lines from the end before it applies `until`: a window with an end
    // and no start reads the hour before the end instead.
    let since = window
        .since
        .or_else(|| window.until.map(|u| u - UNTIL_ONLY_SPAN));
    // A time window starts the stream at that second, with nothing of it seen yet.
    let mut resume = Resume {
        cursor: Cursor {
            second: since,
            seen: 0,
        },
        skip: 0,
    };
    loop {
        let Some(docker) = transports.docker(&host) else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        resume.restart();
        // A window with an end is read once; an open one is followed.
        let opts = LogsOptions {
            follow: window.until.is_none(),
            stdout: true,
            stderr: true,
            timestamps: true,
            since: resume.cursor.second.map_or(0, |s| s as i32),
            // Docker stops before `until`; the whole second named is in the window, as
            // for journald, and lines after it are dropped below.
            until: window
                .until
                .and_then(|s| i32::try_from(s + 1).ok())
                .unwrap_or(0),
            tail: if resume.cursor.second.is_some() {
                "all".into()
            } else {
                tail.to_string()
            },
        };
        let mut stream = docker.logs(&container, Some(opts));
        let reason = loop {
            match stream.next().await {
                Some(Ok(out)) => {
                    let (bytes, stderr) = match out {
                        LogOutput::StdErr { message } => (message, true),
                        LogOutput::StdOut { message } | LogOutput::Console { message } => {
                            (message, false)
                        }
                        LogOutput::StdIn { .. } => continue,
                    };
                    let text = String::from_utf8_lossy(&bytes);
                    let mut lines = Vec::new();
                    for raw in text.split_terminator('\n') {
                        let (at, message) = parse_line(raw.trim_end_matches('\r'));
                        if let Some(t) = at
                            && (window.until.is_some_and(|u| t.timestamp() > u)
                                || !resume.accept(t.timestamp()))
                        {
                            continue;
                        }
                        lines.push(LogLine {
                            at,
                            level: Level::detect(message),
                            message: message.to_owned(),
                            origin: origin.clone(),
                            stderr,
                        });
                    }
                    if !lines.is_empty() && !sink.lines(lines).await {
                        return false;
                    }
                }
                Some(Err(e)) => break e.to_string(),
                None if window.until.is_some() => return true,
                None => break "log stream ended".to_owned(),
            }
        };
        if !sink.gap(format!("{container}: {reason}")).await {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_skips_exactly_what_was_seen_in_the_overlap_second() {
        let mut r = Resume::default();
        for s in [10, 10, 11, 11, 11] {
            assert!(r.accept(s));
        }
        assert_eq!(
            r.cursor,
            Cursor {
                second: Some(11),
                seen: 3
            }
        );
        // The new stream starts at second 11 and repeats its three lines, then goes on.
        r.restart();
        let fresh: Vec<bool> = [11, 11, 11, 11, 12].iter().map(|s| r.accept(*s)).collect();
        assert_eq!(fresh, [false, false, false, true, true]);
        assert_eq!(
            r.cursor,
            Cursor {
                second: Some(12),
                seen: 1
            }
        );
    }

    #[test]
    fn parses_api_timestamps() {
        let (at, msg) = parse_line("2026-11-25T13:50:27Z 2026-11-25 13:50:27,000 INFO scraper");
        assert_eq!(at.unwrap().timestamp(), 1_795_614_627);
        assert_eq!(msg, "2026-11-25 13:50:27,000 INFO scraper");
        assert_eq!(parse_line("no timestamp").0, None);
    }
}
