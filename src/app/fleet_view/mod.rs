//! The fleet table for big fleets: which rows it shows and in what order. Problems only
//! (`!`), grouping by host or tag with folding (`v`, `space`, `C`), sorting by a column
//! (`o`, `O`) and the fuzzy filter (`/`), as plain functions of the state.

pub mod fuzzy;
pub mod problems;
mod rows;
pub mod sort;

use std::collections::BTreeSet;

use crate::model::HostId;
pub use rows::{Counts, Table, build, tag_names};
pub use sort::SortColumn;

/// How the rows are grouped: under their host (the tree), under their host's first tag (a
/// host with several tags is listed once, under the first), or not at all (one flat list,
/// which sorts across the whole fleet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    Host,
    Tag,
    None,
}

impl Grouping {
    /// `v`: host → tag → none → host.
    pub fn next(self) -> Grouping {
        match self {
            Grouping::Host => Grouping::Tag,
            Grouping::Tag => Grouping::None,
            Grouping::None => Grouping::Host,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grouping::Host => "by host",
            Grouping::Tag => "by tag",
            Grouping::None => "flat",
        }
    }
}

/// A group that can be folded: a host (its services) or a tag (its hosts).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FoldKey {
    Host(HostId),
    Tag(String),
}

/// How the operator has arranged the fleet table.
#[derive(Debug, Clone, Default)]
pub struct FleetView {
    pub problems_only: bool,
    pub grouping: Grouping,
    /// `None`: the config's order.
    pub sort: Option<SortColumn>,
    pub descending: bool,
    pub folded: BTreeSet<FoldKey>,
}

/// Rows not shown, and why (a row hidden for two reasons counts once, for the first of
/// filter, problems only, folded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hidden {
    pub filter: usize,
    pub problems: usize,
    pub folded: usize,
}

impl Hidden {
    pub fn total(&self) -> usize {
        self.filter + self.problems + self.folded
    }
}
