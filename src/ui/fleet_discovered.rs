//! Fleet rows of container groups no configured service claims (`~`): their state,
//! Docker's healthcheck verdict as their health, uptime and resources.

use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use super::fleet_cells::{container_detail, run_style};
use super::fleet_table::{Column, Ctx};
use super::units;
use crate::app::state::HostState;
use crate::model::container::{GroupKey, group_health, summarize};

pub(super) fn discovered_cells<'a>(
    host: &'a HostState,
    d: usize,
    last: bool,
    cx: &Ctx<'_>,
) -> Vec<Cell<'a>> {
    let (cols, theme, state) = (cx.cols, cx.theme, cx.state);
    let Some(view) = host.docker.as_ref() else {
        return vec![];
    };
    let Some(key) = view.discovered.get(d) else {
        return vec![];
    };
    let members = view.members(key);
    let (run, text) = summarize(&members);
    let (symbol, style) = run_style(run, theme);
    let running: Vec<_> = members.iter().filter(|c| c.running()).collect();
    cols.iter()
        .map(|col| match col {
            Column::Name => Cell::from(Line::from(vec![
                Span::styled(if last { " └~ " } else { " ├~ " }, theme.muted),
                Span::styled(key.label(), theme.muted),
            ])),
            Column::Kind => Cell::from(Span::styled(
                match key {
                    GroupKey::Compose { .. } => "compose?",
                    GroupKey::Plain { .. } => "container?",
                },
                theme.muted,
            )),
            Column::Status => Cell::from(Span::styled(format!("{symbol} {text}"), style)),
            Column::Health => {
                let health = group_health(&members);
                let (_, style) = super::checks_panel::health_style(health, theme);
                Cell::from(Span::styled(health.label(), style))
            }
            Column::Backup => Cell::from(""),
            Column::Uptime => Cell::from(
                running
                    .iter()
                    .filter_map(|c| c.started_at)
                    .min()
                    .and_then(|t| (state.now - t).to_std().ok())
                    .map(units::uptime)
                    .unwrap_or_default(),
            ),
            Column::Cpu => Cell::from(
                running
                    .iter()
                    .map(|c| view.cpu_of(&c.id))
                    .sum::<Option<f64>>()
                    .map(units::percent)
                    .unwrap_or_default(),
            ),
            Column::Mem => Cell::from(
                running
                    .iter()
                    .map(|c| view.mem_of(&c.id))
                    .sum::<Option<u64>>()
                    .map(units::bytes)
                    .unwrap_or_default(),
            ),
            Column::Detail => Cell::from(Span::styled(
                format!(
                    "not in hosts.toml · {}",
                    members
                        .first()
                        .map(|c| container_detail(c))
                        .unwrap_or_default()
                ),
                theme.muted,
            )),
        })
        .collect()
}
