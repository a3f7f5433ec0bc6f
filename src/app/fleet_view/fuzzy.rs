//! The fleet filter (`/`): fuzzy, with the matcher helix uses (`nucleo-matcher`). Each word
//! of the filter must match one of a row's fields (its name, its host, a tag, its kind or
//! state) — a word is not spread over several fields, so `mongo` does not match
//! `minio · running · compose`. Smart case: lower case ignores case. fzf's `^`, `$`, `'`
//! and `!` work per word.

use std::cell::RefCell;

use nucleo_matcher::pattern::{Atom, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

thread_local! {
    // About 135 KB of scratch space: made once per thread, not per keystroke.
    static MATCHER: RefCell<Matcher> = RefCell::new(Matcher::new(Config::DEFAULT));
}

#[derive(Debug)]
pub struct Fuzzy {
    atoms: Vec<Atom>,
}

impl Fuzzy {
    /// `None` for an empty (or all blank) filter: everything matches.
    pub fn new(filter: &str) -> Option<Fuzzy> {
        let pattern = Pattern::parse(filter, CaseMatching::Smart, Normalization::Smart);
        (!pattern.atoms.is_empty()).then_some(Fuzzy {
            atoms: pattern.atoms,
        })
    }

    /// The score of a row with these fields, when every word matches one of them.
    pub fn score(&self, fields: &[&str]) -> Option<u32> {
        MATCHER.with_borrow_mut(|m| {
            let mut buf = Vec::new();
            let mut total = 0u32;
            for atom in &self.atoms {
                let mut scores = fields
                    .iter()
                    .map(|f| atom.score(Utf32Str::new(f, &mut buf), m));
                let best = if atom.negative {
                    // A negated word matches when no field has it.
                    scores.all(|s| s.is_some()).then_some(0)
                } else {
                    scores.flatten().max()
                };
                total += u32::from(best?);
            }
            Some(total)
        })
    }

    /// The character positions of `text` that the words match, sorted, for highlighting.
    pub fn highlight(&self, text: &str) -> Vec<usize> {
        MATCHER.with_borrow_mut(|m| {
            let mut buf = Vec::new();
            let mut indices = Vec::new();
            for atom in self.atoms.iter().filter(|a| !a.negative) {
                atom.indices(Utf32Str::new(text, &mut buf), m, &mut indices);
            }
            let mut out: Vec<usize> = indices.into_iter().map(|i| i as usize).collect();
            out.sort_unstable();
            out.dedup();
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_matches_within_one_field_and_every_word_must_match() {
        let f = Fuzzy::new("mngo").unwrap();
        assert!(f.score(&["gamelera", "mongodb", "compose"]).is_some());
        assert!(
            f.score(&["gamelera", "minio", "running", "compose"])
                .is_none()
        );
        let f = Fuzzy::new("gam back").unwrap();
        assert!(f.score(&["gamelera", "backend"]).is_some());
        assert!(f.score(&["epagal", "backend"]).is_none());
        assert!(Fuzzy::new("  ").is_none(), "a blank filter filters nothing");
    }

    #[test]
    fn smart_case_and_negation() {
        assert!(Fuzzy::new("api").unwrap().score(&["API"]).is_some());
        assert!(Fuzzy::new("API").unwrap().score(&["api"]).is_none());
        let f = Fuzzy::new("back !epagal").unwrap();
        assert!(f.score(&["gamelera", "backend"]).is_some());
        assert!(f.score(&["epagal", "backend"]).is_none());
    }

    #[test]
    fn highlight_gives_the_matched_characters() {
        let f = Fuzzy::new("trfl").unwrap();
        assert_eq!(f.highlight("triboka-flask"), vec![0, 1, 8, 9]);
        // A word that does not match the text highlights nothing in it.
        assert_eq!(
            Fuzzy::new("zz").unwrap().highlight("triboka"),
            Vec::<usize>::new()
        );
        let f = Fuzzy::new("back end").unwrap();
        assert_eq!(f.highlight("backend"), vec![0, 1, 2, 3, 4, 5, 6]);
    }
}
