//! The screen. `render` is pure: it reads `State` and `Theme` and draws; it never mutates.
//!
//! ```text
//! ┌ header: fleet summary · READ-ONLY / PROD banners · clock ──────────────┐
//! │ body: fleet table (hosts → services) · host detail · logs · backups   │
//! │                                                                        │
//! │   overlays: help (?) · action plan / confirm / output · smoke results  │
//! └ status line: keys that work here · notices · filter / palette input ───┘
//! ```

pub mod action_popup;
pub mod alerts;
pub mod ansi;
pub mod backups;
pub mod checks_panel;
pub mod container_stats;
pub mod deploys;
mod fleet_cells;
mod fleet_discovered;
pub mod fleet_table;
pub mod header;
pub mod help;
pub mod host_detail;
pub mod log_view;
pub mod palette;
pub mod promql_panel;
pub mod runbook_pane;
pub mod smoke_report;
pub mod status_line;
pub mod theme;
pub mod timeline;
pub use crate::model::units;

use ratatui::Frame;

use crate::app::layout;
use crate::app::state::{Mode, Screen, State};
use crate::ui::theme::Theme;

/// Text from the audit log or a host, as one plain line (the screen's sanitiser).
fn shown_cell(text: &str) -> String {
    crate::model::text::plain(text)
}

pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    let regions = layout::split(area);
    header::render(frame, regions.header, state, theme);
    // The runbook pane takes the right of the body, beside whatever screen is open.
    let (body, pane) = layout::beside_pane(regions.body, state.runbook.is_some());
    match &state.screen {
        Screen::Fleet => fleet_table::render(frame, body, state, theme),
        Screen::Host(h) => host_detail::render(frame, body, state, *h, theme),
        Screen::Logs(_) => log_view::render(frame, body, state, theme),
        Screen::Backups(view) => backups::render(frame, body, state, view, theme),
        Screen::Deploys(service) => deploys::render(frame, body, state, service, theme),
        Screen::Timeline(view) => timeline::render(frame, body, state, view, theme),
        Screen::Alerts(view) => alerts::render(frame, body, state, view, theme),
    }
    if let (Some(area), Some(p)) = (pane, &state.runbook) {
        runbook_pane::render(frame, area, state, p, theme);
    }
    status_line::render(frame, regions.status, state, theme);
    match &state.mode {
        Mode::Help => help::render(frame, area, state, theme),
        Mode::Smoke => smoke_report::render(frame, area, state, theme),
        Mode::Silence(form) => alerts::render_silence_form(frame, area, form, theme),
        Mode::Action(view) => action_popup::render(frame, area, view, state, theme),
        Mode::LogLine { seq } => log_view::render_full_line(frame, area, state, *seq, theme),
        Mode::Palette {
            input,
            candidates,
            selected,
        } => palette::render(frame, area, input, candidates, *selected, theme),
        Mode::Normal | Mode::Filter { .. } | Mode::LogQuery { .. } | Mode::RunbookInput { .. } => {}
    }
}
