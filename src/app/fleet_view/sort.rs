//! Sorting the fleet table (`o` picks the column, `O` reverses): stable, and a row without a
//! value for the column (nothing known yet) always comes last, whichever the direction.

use std::cmp::Ordering;

use super::problems::Subject;
use crate::app::state::{State, kind_label};
use crate::model::{Health, HostStatus, RunState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Name,
    Kind,
    Status,
    Health,
    Uptime,
    Cpu,
    Mem,
    Backup,
}

impl SortColumn {
    pub const ALL: [SortColumn; 8] = [
        SortColumn::Name,
        SortColumn::Kind,
        SortColumn::Status,
        SortColumn::Health,
        SortColumn::Uptime,
        SortColumn::Cpu,
        SortColumn::Mem,
        SortColumn::Backup,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "name",
            SortColumn::Kind => "kind",
            SortColumn::Status => "status",
            SortColumn::Health => "health",
            SortColumn::Uptime => "uptime",
            SortColumn::Cpu => "cpu",
            SortColumn::Mem => "mem",
            SortColumn::Backup => "backup",
        }
    }

    /// The next column for `o`: config order, then each column, then config order again.
    pub fn cycle(current: Option<SortColumn>) -> Option<SortColumn> {
        match current {
            None => Some(SortColumn::ALL[0]),
            Some(c) => {
                let i = SortColumn::ALL.iter().position(|x| *x == c).unwrap_or(0);
                SortColumn::ALL.get(i + 1).copied()
            }
        }
    }
}

/// A row's value in a column: names compare as text, the rest as numbers. Status and
/// health rank the worst first (ascending puts what is wrong on top).
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    Text(String),
    Num(f64),
}

pub fn value(state: &State, subject: Subject<'_>, column: SortColumn) -> Option<SortValue> {
    use SortValue::{Num, Text};
    match (subject, column) {
        (Subject::Host(h), SortColumn::Name) => Some(Text(h.id.as_str().to_lowercase())),
        (Subject::Service(_, s), SortColumn::Name) => Some(Text(s.id.name.to_lowercase())),
        (Subject::Discovered(h, d), SortColumn::Name) => h
            .docker
            .as_ref()
            .and_then(|v| v.discovered.get(d))
            .map(|k| Text(k.label().to_lowercase())),
        (Subject::Host(h), SortColumn::Kind) => {
            Some(Text(format!("{:?}", h.transport).to_lowercase()))
        }
        (Subject::Service(_, s), SortColumn::Kind) => Some(Text(kind_label(s.kind).to_owned())),
        (Subject::Host(h), SortColumn::Status) => match h.status {
            HostStatus::Unreachable { .. } => Some(Num(0.0)),
            HostStatus::Up | HostStatus::HttpOnly => Some(Num(3.0)),
            HostStatus::Connecting => None,
        },
        (Subject::Service(_, s), SortColumn::Status) => match state.run_state(s) {
            RunState::Failed => Some(Num(0.0)),
            RunState::Stopped => Some(Num(1.0)),
            RunState::Degraded => Some(Num(2.0)),
            RunState::Running => Some(Num(3.0)),
            RunState::Unknown | RunState::NotStarted => None,
        },
        (Subject::Service(_, s), SortColumn::Health) => match state.service_health(s) {
            Health::Failing => Some(Num(0.0)),
            Health::Stale => Some(Num(1.0)),
            Health::Warning => Some(Num(2.0)),
            Health::Healthy => Some(Num(3.0)),
            Health::Unknown => None,
        },
        (Subject::Host(h), SortColumn::Uptime) => {
            h.last_sample.as_ref().map(|x| Num(x.uptime.as_secs_f64()))
        }
        (Subject::Service(_, s), SortColumn::Uptime) => s
            .observation
            .as_ref()
            .and_then(|o| o.uptime)
            .map(|u| Num(u.as_secs_f64())),
        (Subject::Host(h), SortColumn::Cpu) => {
            h.last_sample.as_ref().and_then(|x| x.cpu_total).map(Num)
        }
        (Subject::Service(_, s), SortColumn::Cpu) => {
            s.observation.as_ref().and_then(|o| o.cpu_percent).map(Num)
        }
        (Subject::Host(h), SortColumn::Mem) => {
            h.last_sample.as_ref().map(|x| Num(x.mem_used_bytes as f64))
        }
        (Subject::Service(_, s), SortColumn::Mem) => s
            .observation
            .as_ref()
            .and_then(|o| o.mem_bytes)
            .map(|m| Num(m as f64)),
        // The age of the stalest set's newest backup: the oldest first.
        (Subject::Service(_, s), SortColumn::Backup) => state
            .sets_of_service(&s.id)
            .into_iter()
            .filter_map(|i| state.backups[i].backups().first().map(|b| b.age(state.now)))
            .max()
            .map(|age| Num(-age.as_secs_f64())),
        _ => None,
    }
}

/// Ascending (or descending) by value; rows without a value last either way.
pub fn compare(a: &Option<SortValue>, b: &Option<SortValue>, descending: bool) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let o = match (x, y) {
                (SortValue::Num(x), SortValue::Num(y)) => {
                    x.partial_cmp(y).unwrap_or(Ordering::Equal)
                }
                (SortValue::Text(x), SortValue::Text(y)) => x.cmp(y),
                (SortValue::Num(_), SortValue::Text(_)) => Ordering::Less,
                (SortValue::Text(_), SortValue::Num(_)) => Ordering::Greater,
            };
            if descending { o.reverse() } else { o }
        }
    }
}
