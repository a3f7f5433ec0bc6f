//! Building the fleet table's rows: filter, problems only, sort, group, fold — in that order.

use super::fuzzy::Fuzzy;
use super::problems::{Subject, alerts_of, is_problem};
use super::sort::{compare, value};
use super::{FoldKey, Grouping, Hidden};
use crate::app::state::{HostState, Row, State, kind_label};
use crate::model::RunState;

/// Services (and unclaimed container groups) of a group: how many, up, down, problems.
/// A folded group keeps counting what it hides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub hosts: usize,
    pub services: usize,
    pub up: usize,
    pub down: usize,
    /// Rows that are problems (hosts included).
    pub problems: usize,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.hosts += other.hosts;
        self.services += other.services;
        self.up += other.up;
        self.down += other.down;
        self.problems += other.problems;
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub rows: Vec<Row>,
    pub hidden: Hidden,
    /// By host index: what the host's row stands for (itself and its shown children).
    pub host_counts: Vec<Counts>,
    /// By tag group ([`tag_names`]), what `Row::Group` heads.
    pub group_counts: Vec<Counts>,
}

/// The tag groups: each host's first tag, in config order; `""` for hosts without tags.
pub fn tag_names(state: &State) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for h in &state.hosts {
        let tag = h.tags.first().cloned().unwrap_or_default();
        if !names.contains(&tag) {
            names.push(tag);
        }
    }
    // Untagged hosts come last.
    if let Some(i) = names.iter().position(String::is_empty) {
        let t = names.remove(i);
        names.push(t);
    }
    names
}

#[derive(Debug, Clone, Copy)]
enum Child {
    Service(usize),
    Discovered(usize),
}

struct Entry {
    h: usize,
    children: Vec<Child>,
}

fn subject<'a>(host: &'a HostState, c: Child) -> Subject<'a> {
    match c {
        Child::Service(s) => Subject::Service(host, &host.services[s]),
        Child::Discovered(d) => Subject::Discovered(host, d),
    }
}

fn problem(state: &State, s: Subject<'_>) -> bool {
    is_problem(state, s, alerts_of(state, s))
}

/// The fields the filter matches a row on.
fn fields<'a>(state: &'a State, host: &'a HostState, c: Option<Child>) -> Vec<String> {
    let mut f: Vec<String> = vec![host.id.as_str().to_owned()];
    f.extend(host.tags.iter().cloned());
    match c {
        None => {}
        Some(Child::Service(s)) => {
            let svc = &host.services[s];
            f.push(svc.id.name.to_string());
            f.push(kind_label(svc.kind).to_owned());
            f.push(state.run_state(svc).label().to_owned());
        }
        Some(Child::Discovered(d)) => {
            if let Some(k) = host.docker.as_ref().and_then(|v| v.discovered.get(d)) {
                f.push(k.label());
            }
        }
    }
    f
}

fn matches(fuzzy: Option<&Fuzzy>, fields: &[String]) -> bool {
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    fuzzy.is_none_or(|f| f.score(&refs).is_some())
}

pub fn build(state: &State) -> Table {
    let view = &state.view;
    let fuzzy = Fuzzy::new(&state.filter);
    let mut hidden = Hidden::default();
    let mut host_counts = vec![Counts::default(); state.hosts.len()];
    let mut entries: Vec<Entry> = Vec::new();
    for (h, host) in state.hosts.iter().enumerate() {
        // Without a filter everything matches: no fields to gather.
        let host_match = fuzzy.is_none() || matches(fuzzy.as_ref(), &fields(state, host, None));
        let all = (0..host.services.len()).map(Child::Service).chain(
            (0..host.docker.as_ref().map_or(0, |d| d.discovered.len())).map(Child::Discovered),
        );
        let mut matched = 0;
        let mut children = Vec::new();
        for c in all {
            if !host_match && !matches(fuzzy.as_ref(), &fields(state, host, Some(c))) {
                hidden.filter += 1;
                continue;
            }
            matched += 1;
            if view.problems_only && !problem(state, subject(host, c)) {
                hidden.problems += 1;
                continue;
            }
            children.push(c);
        }
        if !host_match && matched == 0 {
            hidden.filter += 1;
            continue;
        }
        let host_problem = problem(state, Subject::Host(host));
        if view.problems_only && !host_problem && children.is_empty() {
            hidden.problems += 1;
            continue;
        }
        let counts = &mut host_counts[h];
        counts.hosts = 1;
        counts.problems += usize::from(host_problem);
        for &c in &children {
            counts.services += 1;
            let run = match c {
                Child::Service(s) => state.run_state(&host.services[s]),
                Child::Discovered(d) => host
                    .docker
                    .as_ref()
                    .and_then(|v| v.discovered.get(d))
                    .zip(host.docker.as_ref())
                    .map_or(RunState::Unknown, |(k, v)| {
                        crate::model::container::summarize(&v.members(k)).0
                    }),
            };
            counts.up += usize::from(run == RunState::Running);
            counts.down += usize::from(run.is_down());
            counts.problems += usize::from(problem(state, subject(host, c)));
        }
        entries.push(Entry { h, children });
    }

    if let (Some(col), Grouping::Host | Grouping::Tag) = (view.sort, view.grouping) {
        let desc = view.descending;
        entries.sort_by(|a, b| {
            let va = value(state, Subject::Host(&state.hosts[a.h]), col);
            let vb = value(state, Subject::Host(&state.hosts[b.h]), col);
            compare(&va, &vb, desc)
        });
        for e in &mut entries {
            let host = &state.hosts[e.h];
            e.children.sort_by(|a, b| {
                compare(
                    &value(state, subject(host, *a), col),
                    &value(state, subject(host, *b), col),
                    desc,
                )
            });
        }
    }

    let mut rows = Vec::new();
    let tags = tag_names(state);
    let mut group_counts = vec![Counts::default(); tags.len()];
    match view.grouping {
        Grouping::Host => {
            for e in &entries {
                emit_host(state, e, &mut rows, &mut hidden);
            }
        }
        Grouping::Tag => {
            for (g, tag) in tags.iter().enumerate() {
                let members: Vec<&Entry> = entries
                    .iter()
                    .filter(|e| state.hosts[e.h].tags.first().map_or("", String::as_str) == tag)
                    .collect();
                if members.is_empty() {
                    continue;
                }
                for e in &members {
                    group_counts[g].add(&host_counts[e.h]);
                }
                rows.push(Row::Group(g));
                if view.folded.contains(&FoldKey::Tag(tag.clone())) {
                    hidden.folded += members.iter().map(|e| 1 + e.children.len()).sum::<usize>();
                    continue;
                }
                for e in members {
                    emit_host(state, e, &mut rows, &mut hidden);
                }
            }
        }
        Grouping::None => {
            let mut flat: Vec<Row> = Vec::new();
            for e in &entries {
                flat.push(Row::Host(e.h));
                flat.extend(e.children.iter().map(|c| child_row(e.h, *c)));
            }
            if let Some(col) = view.sort {
                let of = |r: &Row| {
                    let s = match *r {
                        Row::Service(h, s) => {
                            Subject::Service(&state.hosts[h], &state.hosts[h].services[s])
                        }
                        Row::Discovered(h, d) => Subject::Discovered(&state.hosts[h], d),
                        Row::Host(h) | Row::Replica(h, ..) => Subject::Host(&state.hosts[h]),
                        Row::Group(_) => return None,
                    };
                    value(state, s, col)
                };
                flat.sort_by(|a, b| compare(&of(a), &of(b), view.descending));
            }
            for r in flat {
                push_with_replicas(state, r, &mut rows);
            }
        }
    }
    Table {
        rows,
        hidden,
        host_counts,
        group_counts,
    }
}

fn child_row(h: usize, c: Child) -> Row {
    match c {
        Child::Service(s) => Row::Service(h, s),
        Child::Discovered(d) => Row::Discovered(h, d),
    }
}

/// A host's row, then (unless it is folded) its children.
fn emit_host(state: &State, e: &Entry, rows: &mut Vec<Row>, hidden: &mut Hidden) {
    rows.push(Row::Host(e.h));
    let host = &state.hosts[e.h];
    if state.view.folded.contains(&FoldKey::Host(host.id.clone())) {
        hidden.folded += e.children.len();
        return;
    }
    for c in &e.children {
        push_with_replicas(state, child_row(e.h, *c), rows);
    }
}

/// A row, and the replicas of an expanded service after it.
fn push_with_replicas(state: &State, row: Row, rows: &mut Vec<Row>) {
    rows.push(row);
    if let Row::Service(h, s) = row {
        let host = &state.hosts[h];
        if state.expanded.contains(&host.services[s].id) {
            let n = host.services[s]
                .group
                .as_ref()
                .zip(host.docker.as_ref())
                .map_or(0, |(k, d)| d.members(k).len());
            rows.extend((0..n).map(|r| Row::Replica(h, s, r)));
        }
    }
}
