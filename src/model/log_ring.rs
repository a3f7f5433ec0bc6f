//! A bounded buffer of log lines: the oldest drop first and are counted. Lines are kept
//! compact (a boxed text, a millisecond timestamp, a level byte, an interned origin).

use std::collections::VecDeque;

use chrono::{DateTime, TimeZone, Utc};

use super::log::{Level, LogLine};

const NO_TIME: i64 = i64::MIN;
/// How far back a late line of a merged view is placed by its time; older is appended.
const MERGE_LOOK_BACK: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    at_ms: i64,
    pub text: Box<str>,
    pub level: Level,
    /// Index into [`LogRing::origins`]; 0 is "none".
    pub origin: u16,
    pub stderr: bool,
}

impl LogEntry {
    pub fn at(&self) -> Option<DateTime<Utc>> {
        (self.at_ms != NO_TIME)
            .then(|| Utc.timestamp_millis_opt(self.at_ms).single())
            .flatten()
    }
}

#[derive(Debug)]
pub struct LogRing {
    lines: VecDeque<LogEntry>,
    capacity: usize,
    /// Lines dropped from the front since the ring was made: the sequence number of the
    /// first line kept.
    dropped: u64,
    origins: Vec<String>,
}

/// What a push did, so that indexes over the ring can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Appended with this sequence number.
    At(u64),
    /// Inserted before newer lines (merged sources): sequence numbers after it moved.
    Reordered,
}

impl LogRing {
    pub fn new(capacity: usize) -> Self {
        Self {
            lines: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity: capacity.max(1),
            dropped: 0,
            origins: vec![String::new()],
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Sequence number of the first line kept.
    pub fn first_seq(&self) -> u64 {
        self.dropped
    }

    /// One past the newest sequence number.
    pub fn end_seq(&self) -> u64 {
        self.dropped + self.lines.len() as u64
    }

    pub fn get(&self, seq: u64) -> Option<&LogEntry> {
        self.lines.get(seq.checked_sub(self.dropped)? as usize)
    }

    /// Every origin seen so far (the first is "none").
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    pub fn origin(&self, entry: &LogEntry) -> &str {
        &self.origins[entry.origin as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &LogEntry)> {
        self.lines
            .iter()
            .enumerate()
            .map(move |(i, e)| (self.dropped + i as u64, e))
    }

    pub fn push(&mut self, line: LogLine) -> Pushed {
        let origin = self.intern(&line.origin);
        let entry = LogEntry {
            at_ms: line.at.map_or(NO_TIME, |t| t.timestamp_millis()),
            text: line.message.into_boxed_str(),
            level: line.level,
            origin,
            stderr: line.stderr,
        };
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        // Merged sources interleave by time; nearly every line belongs at the end. A timed
        // line goes after the newest timed line of another source not later than it. A
        // source's own lines keep their arrival order, and lines without a time stay where
        // they arrived and are passed over, within a bounded look-back.
        let mut at = self.lines.len();
        if entry.at_ms != NO_TIME {
            let mut cut = at;
            let mut i = at;
            while i > 0 && at - i < MERGE_LOOK_BACK {
                let prev = &self.lines[i - 1];
                if prev.origin == entry.origin {
                    break;
                }
                let t = prev.at_ms;
                if t != NO_TIME {
                    if t <= entry.at_ms {
                        break;
                    }
                    cut = i - 1;
                }
                i -= 1;
            }
            // Beyond the look-back the line is appended, as the limit promises.
            at = if at - i >= MERGE_LOOK_BACK {
                self.lines.len()
            } else {
                cut
            };
        }
        let appended = at == self.lines.len();
        self.lines.insert(at, entry);
        if appended {
            Pushed::At(self.end_seq() - 1)
        } else {
            Pushed::Reordered
        }
    }

    fn intern(&mut self, origin: &str) -> u16 {
        if origin.is_empty() {
            return 0;
        }
        match self.origins.iter().position(|o| o == origin) {
            Some(i) => i as u16,
            None if self.origins.len() < u16::MAX as usize => {
                self.origins.push(origin.to_owned());
                (self.origins.len() - 1) as u16
            }
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> LogLine {
        LogLine::plain(text.to_owned())
    }

    #[test]
    fn bounded_with_dropped_count_and_sequence_numbers() {
        let mut r = LogRing::new(3);
        for i in 0..5 {
            assert_eq!(r.push(line(&format!("l{i}"))), Pushed::At(i));
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.dropped(), 2);
        assert_eq!(r.get(1), None);
        assert_eq!(&*r.get(2).unwrap().text, "l2");
        assert_eq!(&*r.get(4).unwrap().text, "l4");
        assert_eq!(r.end_seq(), 5);
    }

    #[test]
    fn merged_lines_go_in_time_order() {
        let mut r = LogRing::new(10);
        let at = |s: i64, text: &str, origin: &str| LogLine {
            at: Utc.timestamp_opt(s, 0).single(),
            origin: origin.into(),
            ..LogLine::plain(text.into())
        };
        r.push(at(10, "a", "api-1"));
        r.push(at(12, "c", "api-1"));
        assert_eq!(r.push(at(11, "b", "api-2")), Pushed::Reordered);
        let texts: Vec<&str> = r.iter().map(|(_, e)| &*e.text).collect();
        assert_eq!(texts, ["a", "b", "c"]);
        assert_eq!(r.origin(r.get(1).unwrap()), "api-2");
    }

    #[test]
    fn untimed_lines_keep_arrival_order_and_do_not_stop_the_merge() {
        let mut r = LogRing::new(10);
        let at = |s: i64, text: &str| LogLine {
            at: Utc.timestamp_opt(s, 0).single(),
            origin: text.split(' ').next().unwrap().into(),
            ..LogLine::plain(text.into())
        };
        r.push(at(10, "journal a"));
        r.push(at(20, "journal c"));
        r.push(LogLine {
            origin: "file".into(),
            ..line("file x")
        });
        r.push(at(15, "other b"));
        let texts: Vec<&str> = r.iter().map(|(_, e)| &*e.text).collect();
        assert_eq!(texts, ["journal a", "other b", "journal c", "file x"]);
        r.push(at(30, "journal d"));
        r.push(at(5, "oldest"));
        let texts: Vec<&str> = r.iter().map(|(_, e)| &*e.text).collect();
        assert_eq!(
            texts,
            [
                "oldest",
                "journal a",
                "other b",
                "journal c",
                "file x",
                "journal d"
            ]
        );
    }

    #[test]
    fn entries_are_small() {
        assert!(
            std::mem::size_of::<LogEntry>() <= 32,
            "{}",
            std::mem::size_of::<LogEntry>()
        );
    }
}
