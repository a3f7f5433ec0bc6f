//! The fleet table: every host and, under it, its services — or only the problems, grouped
//! by tag, folded, sorted, fuzzy-filtered, as the operator arranged it
//! ([`crate::app::fleet_view`] decides the rows; this draws them).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, TableState};

pub use super::fleet_cells::run_style;
use super::fleet_cells::{host_cells, replica_cells, service_cells};
use super::fleet_discovered::discovered_cells;
use crate::app::fleet_view::fuzzy::Fuzzy;
use crate::app::fleet_view::{Counts, FoldKey, Grouping, SortColumn, tag_names};
use crate::app::state::{HostState, Row, State};
use crate::ui::theme::Theme;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Name,
    Kind,
    Status,
    Health,
    Uptime,
    Cpu,
    Mem,
    /// Age of the newest backup of the service's backup sets, against their RPO.
    Backup,
    Detail,
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::Kind => "KIND",
            Column::Status => "STATUS",
            Column::Health => "HEALTH",
            Column::Uptime => "UPTIME",
            Column::Cpu => "CPU",
            Column::Mem => "MEM",
            Column::Backup => "BACKUP",
            Column::Detail => "DETAIL",
        }
    }

    fn width(self) -> Constraint {
        match self {
            Column::Name => Constraint::Min(18),
            Column::Kind => Constraint::Length(9),
            Column::Status => Constraint::Length(22),
            Column::Health => Constraint::Length(8),
            Column::Uptime => Constraint::Length(7),
            Column::Cpu => Constraint::Length(6),
            Column::Mem => Constraint::Length(11),
            Column::Backup => Constraint::Length(8),
            Column::Detail => Constraint::Fill(2),
        }
    }

    fn sorted_by(self) -> Option<SortColumn> {
        Some(match self {
            Column::Name => SortColumn::Name,
            Column::Kind => SortColumn::Kind,
            Column::Status => SortColumn::Status,
            Column::Health => SortColumn::Health,
            Column::Uptime => SortColumn::Uptime,
            Column::Cpu => SortColumn::Cpu,
            Column::Mem => SortColumn::Mem,
            Column::Backup => SortColumn::Backup,
            Column::Detail => return None,
        })
    }
}

/// What every cell of a frame needs to know.
pub(super) struct Ctx<'a> {
    pub cols: &'a [Column],
    pub theme: &'a Theme,
    pub state: &'a State,
    pub fuzzy: Option<Fuzzy>,
    /// One list, no tree: a service's name says its host.
    pub flat: bool,
}

impl Ctx<'_> {
    pub fn folded(&self, host: &HostState) -> bool {
        self.state.view.grouping != Grouping::None
            && self
                .state
                .view
                .folded
                .contains(&FoldKey::Host(host.id.clone()))
    }

    /// `text` with the characters the filter matched picked out.
    pub fn highlighted<'t>(&self, text: &'t str, style: Style) -> Vec<Span<'t>> {
        let hits = self
            .fuzzy
            .as_ref()
            .map(|f| f.highlight(text))
            .unwrap_or_default();
        if hits.is_empty() {
            return vec![Span::styled(text, style)];
        }
        let hit = self
            .theme
            .accent
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                let s = if hits.binary_search(&i).is_ok() {
                    hit
                } else {
                    style
                };
                Span::styled(c.to_string(), s)
            })
            .collect()
    }
}

/// Narrow terminals lose the least important columns first.
fn columns(width: u16) -> Vec<Column> {
    use Column::*;
    match width {
        0..=59 => vec![Name, Status, Cpu],
        60..=99 => vec![Name, Status, Health, Uptime, Cpu, Mem],
        100..=119 => vec![Name, Kind, Status, Health, Uptime, Cpu, Mem, Detail],
        _ => vec![Name, Kind, Status, Health, Uptime, Cpu, Mem, Backup, Detail],
    }
}

/// The border's title: what is shown, how it is arranged, and how many rows are hidden.
fn title(state: &State, table: &crate::app::fleet_view::Table) -> String {
    let view = &state.view;
    let mut parts = vec![format!("fleet · {} hosts", state.hosts.len())];
    if view.problems_only {
        parts.push("problems only".to_owned());
    }
    if !state.filter.is_empty() {
        parts.push(format!("/{}", state.filter));
    }
    if view.grouping != Grouping::Host {
        parts.push(view.grouping.label().to_owned());
    }
    if let Some(c) = view.sort {
        parts.push(format!(
            "sort {}{}",
            c.label(),
            if view.descending { "▼" } else { "▲" }
        ));
    }
    let hidden = table.hidden.total();
    if hidden > 0 {
        parts.push(format!("{hidden} hidden"));
    }
    format!(" {} ", parts.join(" · "))
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let table = state.table();
    let rows = &table.rows;
    let cols = columns(area.width);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(title(state, &table), theme.title));
    if rows.is_empty() {
        // Say why the table is empty, in one line, rather than show nothing.
        let hidden = &table.hidden;
        let text = if state.view.problems_only && hidden.problems > 0 {
            let key = state.keymap.hint(crate::model::Action::ToggleProblems);
            format!(
                " no problems: {} hidden — {} shows all",
                plural(hidden.problems, "row"),
                key.unwrap_or_else(|| "!".into())
            )
        } else if hidden.filter > 0 {
            format!(
                " nothing matches /{}: {} hidden — esc clears the filter",
                state.filter,
                plural(hidden.filter, "row")
            )
        } else {
            " no hosts configured".to_owned()
        };
        let style = if state.view.problems_only {
            theme.ok
        } else {
            theme.muted
        };
        frame.render_widget(Paragraph::new(Span::styled(text, style)).block(block), area);
        return;
    }
    let cx = Ctx {
        cols: &cols,
        theme,
        state,
        fuzzy: Fuzzy::new(&state.filter),
        flat: state.view.grouping == Grouping::None,
    };
    let visible = crate::app::layout::fleet_visible_rows(state.size);
    let body: Vec<TableRow> = rows
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(visible.max(1))
        .map(|(i, row)| {
            // The last child of a host gets the closing branch of the tree.
            let last = match rows.get(i + 1) {
                Some(Row::Host(_) | Row::Group(_)) | None => true,
                Some(Row::Replica(..)) => false,
                Some(Row::Service(..) | Row::Discovered(..)) => false,
            };
            let cells: Vec<Cell> = match *row {
                Row::Host(h) => host_cells(&state.hosts[h], &table.host_counts[h], &cx),
                Row::Service(h, s) => {
                    let host = &state.hosts[h];
                    let expanded = state.expanded.contains(&host.services[s].id);
                    let last = last && !expanded;
                    service_cells(host, &host.services[s], last, &cx)
                }
                Row::Replica(h, s, r) => {
                    let host = &state.hosts[h];
                    replica_cells(host, &host.services[s], r, last, &cx)
                }
                Row::Discovered(h, d) => discovered_cells(&state.hosts[h], d, last, &cx),
                Row::Group(g) => group_cells(state, g, &table.group_counts[g], &cx),
            };
            TableRow::new(cells)
        })
        .collect();
    let header = TableRow::new(cols.iter().map(|c| match (c.sorted_by(), state.view.sort) {
        (Some(a), Some(b)) if a == b => Cell::from(format!(
            "{}{}",
            c.title(),
            if state.view.descending { "▼" } else { "▲" }
        )),
        _ => Cell::from(c.title()),
    }))
    .style(theme.muted.add_modifier(Modifier::BOLD));
    let name_width = name_width(state, rows, cx.flat, area.width);
    let widths = cols.iter().map(|c| {
        if *c == Column::Name {
            Constraint::Length(name_width)
        } else {
            c.width()
        }
    });
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selection);
    // The rows are already windowed at `state.offset`; the highlight overrides span colours.
    let mut table_state =
        TableState::default().with_selected(state.selected.checked_sub(state.offset));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// The name column fits the longest name shown (within reason); the rest flows to DETAIL.
fn name_width(state: &State, rows: &[Row], flat: bool, width: u16) -> u16 {
    let widest = rows
        .iter()
        .map(|r| match *r {
            Row::Host(h) => {
                let host = &state.hosts[h];
                2 + host.id.as_str().len()
                    + host.tags.iter().map(|t| t.len() + 2).sum::<usize>()
                    + super::alerts::badge_width(state.alert_count_for_host(&host.id))
            }
            Row::Service(h, s) => {
                let id = &state.hosts[h].services[s].id;
                let prefix = if flat {
                    2 + state.hosts[h].id.as_str().len()
                } else {
                    4
                };
                prefix
                    + id.name.chars().count()
                    + super::alerts::badge_width(state.alert_count_for_service(id))
            }
            Row::Replica(..) => 24,
            Row::Discovered(h, d) => {
                4 + state.hosts[h]
                    .docker
                    .as_ref()
                    .and_then(|v| v.discovered.get(d))
                    .map_or(0, |k| k.label().len())
            }
            Row::Group(_) => 16,
        })
        .max()
        .unwrap_or(0);
    (widest as u16).clamp(18, if width >= 120 { 32 } else { 20 })
}

/// A tag group's header: fold state, tag, and what is in it (counted even when folded).
fn group_cells<'a>(state: &State, g: usize, counts: &Counts, cx: &Ctx<'_>) -> Vec<Cell<'a>> {
    let theme = cx.theme;
    let tag = tag_names(state).get(g).cloned().unwrap_or_default();
    let folded = state.view.folded.contains(&FoldKey::Tag(tag.clone()));
    let name = if tag.is_empty() {
        "(no tag)".to_owned()
    } else {
        format!("#{tag}")
    };
    cx.cols
        .iter()
        .map(|c| match c {
            Column::Name => Cell::from(Line::from(vec![
                Span::styled(if folded { "▸ " } else { "▾ " }, theme.accent),
                Span::styled(name.clone(), theme.title.add_modifier(Modifier::BOLD)),
            ])),
            Column::Kind => Cell::from(Span::styled("group", theme.muted)),
            Column::Status => Cell::from(Line::from(count_spans(counts, theme))),
            Column::Detail => Cell::from(Span::styled(
                format!(
                    "{} · {}{}",
                    plural(counts.hosts, "host"),
                    plural(counts.services, "service"),
                    if folded { " · folded (space)" } else { "" }
                ),
                theme.muted,
            )),
            _ => Cell::from(""),
        })
        .collect()
}

/// `3 up · 1 down · 2 ⚠`: a group's services up and down, and its problems.
pub(super) fn count_spans(counts: &Counts, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(format!("{} up", counts.up), theme.ok)];
    if counts.down > 0 {
        spans.push(Span::styled(format!(" · {} down", counts.down), theme.bad));
    }
    if counts.problems > 0 {
        spans.push(Span::styled(
            format!(" · {} ⚠", counts.problems),
            theme.warn,
        ));
    }
    spans
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
