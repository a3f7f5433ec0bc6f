//! The log screen's state: a bounded ring of lines, a search (highlight, n/N) and a filter
//! (only matching lines, with context), both over the whole buffer and kept current as
//! lines arrive.

use regex::Regex;

use crate::model::LogLine;
use crate::model::log_ring::{LogRing, Pushed};
use crate::protocol::Effect;
use crate::protocol::{FollowSource, Window};

/// A compiled search or filter. Smart case: lower-case patterns ignore case; a leading `=`
/// searches for the text literally.
#[derive(Debug, Clone)]
pub struct Query {
    pub raw: String,
    pub re: Regex,
}

impl Query {
    pub fn compile(raw: &str) -> Result<Self, String> {
        let (pattern, literal) = match raw.strip_prefix('=') {
            Some(rest) => (regex::escape(rest), true),
            None => (raw.to_owned(), false),
        };
        let insensitive = !raw.chars().any(char::is_uppercase);
        let re = regex::RegexBuilder::new(&pattern)
            .case_insensitive(insensitive)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                let why = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                if literal {
                    why
                } else {
                    format!("{why} (start with = to search the text literally)")
                }
            })?;
        Ok(Self {
            raw: raw.to_owned(),
            re,
        })
    }
}

/// One source of a log view: what is followed, and how the view names it.
#[derive(Debug, Clone)]
pub struct ViewSource {
    /// `host/service:source` (or `host/source` for a host's own logs).
    pub name: String,
    pub follow: FollowSource,
    /// Why the stream stopped, until lines flow again.
    pub gap: Option<String>,
    /// A windowed stream read to its end.
    pub ended: bool,
    /// Why the source is not read in the current window (files cannot be read from a time).
    pub left_out: Option<String>,
}

impl ViewSource {
    pub fn new(name: String, follow: FollowSource) -> Self {
        Self {
            name,
            follow,
            gap: None,
            ended: false,
            left_out: None,
        }
    }
}

#[derive(Debug)]
pub struct LogView {
    /// Lines and gaps name the view they belong to; a reopened view gets a new id, so lines
    /// of a stream being stopped never land in it.
    pub id: u64,
    /// What the view shows: a service, a host, or the operator's marked set.
    pub title: String,
    pub sources: Vec<ViewSource>,
    /// What the server narrows the sources to (`:since`, `:until`, `:grep`).
    pub window: Window,
    pub ring: LogRing,
    /// Lines up from the newest visible one; 0 follows.
    pub scroll: usize,
    /// Lines that arrived while scrolled up.
    pub unseen: usize,
    pub search: Option<Query>,
    /// Sequence numbers of lines matching the search, ascending.
    pub matches: Vec<u64>,
    pub filter: Option<Query>,
    /// Lines shown around each filter match.
    pub context: usize,
    /// With a filter: the sequence numbers shown, ascending.
    shown: Vec<u64>,
    /// Lines still to show after the last filter match (trailing context).
    trailing: usize,
    pub wrap: bool,
    pub timestamps: bool,
}

impl LogView {
    pub fn new(id: u64, title: String, capacity: usize) -> Self {
        Self {
            id,
            title,
            sources: Vec::new(),
            window: Window::default(),
            ring: LogRing::new(capacity),
            scroll: 0,
            unseen: 0,
            search: None,
            matches: Vec::new(),
            filter: None,
            context: 0,
            shown: Vec::new(),
            trailing: 0,
            wrap: false,
            timestamps: true,
        }
    }

    /// The effect that follows the view's sources (those the window leaves in).
    pub fn follow(&self) -> Effect {
        Effect::FollowLogs {
            view: self.id,
            sources: self
                .sources
                .iter()
                .enumerate()
                .filter(|(_, s)| s.left_out.is_none())
                .map(|(i, s)| (i, s.follow.clone()))
                .collect(),
            window: self.window.clone(),
        }
    }

    /// Every source read in the window has been read to its end.
    pub fn complete(&self) -> bool {
        self.window.until.is_some() && self.sources.iter().all(|s| s.ended || s.left_out.is_some())
    }

    pub fn push(&mut self, lines: Vec<LogLine>) {
        let before = self.visible_len();
        let mut reordered = false;
        for line in lines {
            match self.ring.push(line) {
                Pushed::At(seq) if !reordered => self.index(seq),
                _ => reordered = true,
            }
        }
        let first = self.ring.first_seq();
        self.matches.retain(|s| *s >= first);
        self.shown.retain(|s| *s >= first);
        if reordered {
            self.reindex();
        }
        let added = self.visible_len().saturating_sub(before);
        if self.scroll > 0 {
            self.scroll = (self.scroll + added).min(self.visible_len().saturating_sub(1));
            self.unseen += added;
        }
    }

    /// Keeps the search matches and the filtered lines current for a new line.
    fn index(&mut self, seq: u64) {
        let Some(entry) = self.ring.get(seq) else {
            return;
        };
        if self
            .search
            .as_ref()
            .is_some_and(|q| q.re.is_match(&entry.text))
        {
            self.matches.push(seq);
        }
        if let Some(f) = &self.filter {
            if f.re.is_match(&entry.text) {
                let from = seq
                    .saturating_sub(self.context as u64)
                    .max(self.ring.first_seq());
                let after_last = self.shown.last().map_or(0, |l| l + 1);
                self.shown.extend(from.max(after_last)..=seq);
                self.trailing = self.context;
            } else if self.trailing > 0 {
                self.shown.push(seq);
                self.trailing -= 1;
            }
        }
    }

    /// Recomputes matches and filtered lines over the whole buffer.
    pub fn reindex(&mut self) {
        self.matches.clear();
        self.shown.clear();
        self.trailing = 0;
        let seqs: Vec<u64> = self.ring.iter().map(|(s, _)| s).collect();
        for seq in seqs {
            self.index(seq);
        }
    }

    pub fn set_search(&mut self, raw: &str) -> Result<(), String> {
        self.search = if raw.is_empty() {
            None
        } else {
            Some(Query::compile(raw)?)
        };
        self.reindex();
        Ok(())
    }

    pub fn set_filter(&mut self, raw: &str) -> Result<(), String> {
        self.filter = if raw.is_empty() {
            None
        } else {
            Some(Query::compile(raw)?)
        };
        self.scroll = 0;
        self.reindex();
        Ok(())
    }

    pub fn set_context(&mut self, n: usize) {
        self.context = n.min(1000);
        if self.filter.is_some() {
            self.reindex();
        }
    }

    /// Lines the view can show: the filtered ones, or all.
    pub fn visible_len(&self) -> usize {
        if self.filter.is_some() {
            self.shown.len()
        } else {
            self.ring.len()
        }
    }

    /// The sequence number at a position of the visible list.
    pub fn seq_at(&self, pos: usize) -> Option<u64> {
        if self.filter.is_some() {
            self.shown.get(pos).copied()
        } else {
            (pos < self.ring.len()).then(|| self.ring.first_seq() + pos as u64)
        }
    }

    fn pos_of(&self, seq: u64) -> Option<usize> {
        if self.filter.is_some() {
            self.shown.binary_search(&seq).ok()
        } else {
            seq.checked_sub(self.ring.first_seq())
                .map(|p| p as usize)
                .filter(|p| *p < self.ring.len())
        }
    }

    /// The visible positions on a screen of `height` lines, oldest first.
    pub fn window(&self, height: usize) -> std::ops::Range<usize> {
        let end = self.visible_len().saturating_sub(self.scroll);
        end.saturating_sub(height)..end
    }

    /// The newest line on screen (where n/N start and what enter shows in full).
    pub fn cursor(&self) -> Option<u64> {
        let end = self.visible_len().saturating_sub(self.scroll);
        self.seq_at(end.checked_sub(1)?)
    }

    /// Scrolls so that the next (or previous) search match is the newest line on screen.
    pub fn jump(&mut self, forward: bool) -> bool {
        let Some(cur) = self.cursor() else {
            return false;
        };
        let target = if forward {
            self.matches
                .iter()
                .find(|s| **s > cur && self.pos_of(**s).is_some())
        } else {
            self.matches
                .iter()
                .rev()
                .find(|s| **s < cur && self.pos_of(**s).is_some())
        };
        let Some(pos) = target.and_then(|s| self.pos_of(*s)) else {
            return false;
        };
        self.scroll = self.visible_len() - 1 - pos;
        if self.scroll == 0 {
            self.unseen = 0;
        }
        true
    }

    /// The visible lines as text, for saving.
    pub fn export(&self) -> String {
        let mut out = String::new();
        for pos in 0..self.visible_len() {
            let Some(e) = self.seq_at(pos).and_then(|s| self.ring.get(s)) else {
                continue;
            };
            if let Some(at) = e.at() {
                out.push_str(&at.to_rfc3339());
                out.push(' ');
            }
            let origin = self.ring.origin(e);
            if !origin.is_empty() {
                out.push_str(origin);
                out.push(' ');
            }
            out.push_str(&e.text);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(lines: &[&str]) -> LogView {
        let mut v = LogView::new(1, "h/s".into(), 1000);
        v.push(
            lines
                .iter()
                .map(|l| LogLine::plain((*l).to_owned()))
                .collect(),
        );
        v
    }

    const FIXTURE: &[&str] = &[
        "start",
        "GET /health 200",
        "db timeout",
        "GET /api 500",
        "retry",
        "GET /health 200",
        "Error: DB down",
        "stop",
    ];

    #[test]
    fn search_is_smart_case_over_the_whole_buffer_and_follows_new_lines() {
        let mut v = view(FIXTURE);
        v.set_search("db").unwrap();
        assert_eq!(v.matches, [2, 6]);
        v.set_search("DB").unwrap();
        assert_eq!(v.matches, [6]);
        v.push(vec![LogLine::plain("DB back".into())]);
        assert_eq!(v.matches, [6, 8]);
    }

    #[test]
    fn n_and_shift_n_jump_between_matches() {
        let mut v = view(FIXTURE);
        v.set_search("health").unwrap();
        assert_eq!(v.cursor(), Some(7));
        assert!(v.jump(false));
        assert_eq!(v.cursor(), Some(5));
        assert!(v.jump(false));
        assert_eq!(v.cursor(), Some(1));
        assert!(!v.jump(false));
        assert!(v.jump(true));
        assert_eq!(v.cursor(), Some(5));
    }

    #[test]
    fn filter_with_context_on_the_buffer_and_on_new_lines() {
        let mut v = view(FIXTURE);
        v.set_filter("500").unwrap();
        assert_eq!(v.visible_len(), 1);
        v.set_context(1);
        let shown: Vec<u64> = (0..v.visible_len()).filter_map(|p| v.seq_at(p)).collect();
        assert_eq!(shown, [2, 3, 4]);
        v.push(vec![
            LogLine::plain("x".into()),
            LogLine::plain("GET 500".into()),
            LogLine::plain("after".into()),
            LogLine::plain("not".into()),
        ]);
        let shown: Vec<u64> = (0..v.visible_len()).filter_map(|p| v.seq_at(p)).collect();
        assert_eq!(shown, [2, 3, 4, 8, 9, 10]);
    }

    #[test]
    fn invalid_regex_is_an_error_and_literal_search_works() {
        let mut v = view(FIXTURE);
        let e = v.set_search("(unclosed").unwrap_err();
        assert!(
            e.contains("unclosed group") && e.contains("start with ="),
            "{e}"
        );
        v.set_search("=(unclosed").unwrap();
        assert!(v.matches.is_empty());
        v.set_search("=GET /api").unwrap();
        assert_eq!(v.matches, [3]);
    }

    #[test]
    fn dropped_lines_leave_the_indexes() {
        let mut v = LogView::new(1, "h/s".into(), 3);
        v.set_search("x").unwrap();
        v.push(
            ["x1", "a", "x2", "b", "x3"]
                .iter()
                .map(|l| LogLine::plain((*l).into()))
                .collect(),
        );
        assert_eq!(v.ring.dropped(), 2);
        assert_eq!(v.matches, [2, 4]);
    }
}
