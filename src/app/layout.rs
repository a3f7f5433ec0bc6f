//! Where each region goes. Shared with the reducer so that mouse clicks and paging agree
//! with what is drawn.

use ratatui::layout::{Constraint, Flex, Layout, Rect};

pub struct Regions {
    pub header: Rect,
    pub body: Rect,
    pub status: Rect,
}

pub fn split(area: Rect) -> Regions {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    Regions {
        header,
        body,
        status,
    }
}

/// The body split for the runbook pane: the screen on the left, the pane on the right
/// (two fifths, at least 36 columns, at most 72), when a runbook is open.
pub fn beside_pane(body: Rect, open: bool) -> (Rect, Option<Rect>) {
    if !open || body.width < 60 {
        return (body, None);
    }
    let width = (body.width * 2 / 5).clamp(36, 72);
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(width)]).areas(body);
    (left, Some(right))
}

/// Rows of the fleet table body: the body less its border and the column header.
pub fn fleet_visible_rows((width, height): (u16, u16)) -> usize {
    let body = split(Rect::new(0, 0, width, height)).body;
    body.height.saturating_sub(3) as usize
}

/// The index (from the first visible row) of the table row at a screen position.
pub fn fleet_row_at(size: (u16, u16), column: u16, row: u16) -> Option<usize> {
    let body = split(Rect::new(0, 0, size.0, size.1)).body;
    let first = body.y + 2;
    let inside = column > body.x && column + 1 < body.x + body.width;
    (inside && row >= first && ((row - first) as usize) < fleet_visible_rows(size))
        .then(|| (row - first) as usize)
}

/// A centred rectangle for popups, clamped to the area.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}
