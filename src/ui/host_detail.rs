//! One host: its resources now and over the last minutes, and its services.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Sparkline};

use super::fleet_table::run_style;
use super::units;
use crate::app::state::{HostState, State};
use crate::model::{History, HostStatus};
use crate::ui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &State, index: usize, theme: &Theme) {
    let Some(host) = state.hosts.get(index) else {
        return;
    };
    let mut title = vec![Span::styled(format!(" {} ", host.id), theme.title)];
    if let Some(addr) = &host.address {
        title.push(Span::styled(format!("{addr} "), theme.muted));
    }
    for tag in &host.tags {
        title.push(Span::styled(
            format!("#{tag} "),
            if tag == "prod" {
                theme.bad
            } else {
                theme.muted
            },
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let sample = host.last_sample.as_ref();
    let disks = sample.map_or(0, |s| s.disks.len()) as u16;
    // Small terminals give the sparklines one row each, leaving room for services and checks.
    let spark_rows = if inner.height > 24 { 9 } else { 6 };
    let [info, sparks, cores, disk_area, services] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(spark_rows),
        Constraint::Length(if inner.height > 24 { 3 } else { 0 }),
        Constraint::Length(disks.min(6) + 1),
        Constraint::Min(0),
    ])
    .areas(inner);

    frame.render_widget(Paragraph::new(info_lines(host, state, theme)), info);
    render_sparklines(frame, sparks, host, theme);
    if cores.height > 0 {
        render_cores(frame, cores, host, theme);
    }
    render_disks(frame, disk_area, host, theme);
    if host.docker.is_some() {
        let wanted = host.services.len() as u16 + 2;
        let [list, containers] =
            Layout::vertical([Constraint::Length(wanted), Constraint::Min(0)]).areas(services);
        render_services(frame, list, host, state, theme);
        super::container_stats::render(frame, containers, host, state, theme);
    } else {
        render_services(frame, services, host, state, theme);
    }
}

fn info_lines<'a>(host: &'a HostState, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let status = match &host.status {
        HostStatus::Up => Span::styled("● up", theme.ok),
        HostStatus::Connecting => Span::styled("○ connecting…", theme.muted),
        HostStatus::HttpOnly => {
            Span::styled("◇ http only: observed through its endpoints", theme.muted)
        }
        HostStatus::Unreachable { since, reason } if host.needs_login => Span::styled(
            format!(
                "✘ needs login since {} ({reason}): I logs in",
                since.format("%H:%M:%S")
            ),
            theme.bad,
        ),
        HostStatus::Unreachable { since, reason } => Span::styled(
            format!(
                "✘ unreachable since {} ({reason})",
                since.format("%H:%M:%S")
            ),
            theme.bad,
        ),
    };
    let mut first = vec![status];
    let mut second = vec![];
    if let Some(s) = &host.last_sample {
        first.push(Span::styled(
            format!("   uptime {}", units::uptime(s.uptime)),
            theme.text,
        ));
        first.push(Span::styled(
            format!("   load {:.2} {:.2} {:.2}", s.load[0], s.load[1], s.load[2]),
            theme.text,
        ));
        if let Some(gap) = &host.metrics_gap {
            first.push(Span::styled(
                format!(
                    "   metrics {} (last reading {})",
                    gap.label(state.now),
                    s.at.format("%H:%M:%S")
                ),
                theme.warn,
            ));
        } else if state.is_stale(s.at) {
            first.push(Span::styled(
                format!("   stale: last reading {}", s.at.format("%H:%M:%S")),
                theme.warn,
            ));
        }
        second.push(Span::styled(
            format!(
                "memory {} / {} ({:.0}%)   swap {} / {}",
                units::bytes(s.mem_used_bytes),
                units::bytes(s.mem_total_bytes),
                s.mem_percent(),
                units::bytes(s.swap_used_bytes),
                units::bytes(s.swap_total_bytes)
            ),
            theme.text,
        ));
    }
    if host.metrics_from_prometheus {
        second.push(Span::styled("   metrics from Prometheus", theme.muted));
        if let (Some(gap), None) = (&host.metrics_gap, &host.last_sample) {
            first.push(Span::styled(
                format!("   metrics {}", gap.label(state.now)),
                theme.warn,
            ));
        }
    }
    if host.read_only {
        second.push(Span::styled("   read-only host", theme.warn));
    }
    vec![Line::from(first), Line::from(second)]
}

fn render_sparklines(frame: &mut Frame, area: Rect, host: &HostState, theme: &Theme) {
    let [cpu, mem, load] = Layout::vertical([Constraint::Length(area.height / 3); 3]).areas(area);
    let sample = host.last_sample.as_ref();
    let cpu_now = sample
        .and_then(|s| s.cpu_total)
        .map(units::percent)
        .unwrap_or_else(|| "…".into());
    let mem_now = sample
        .map(|s| units::percent(s.mem_percent()))
        .unwrap_or_else(|| "…".into());
    let load_now = sample
        .map(|s| format!("{:.2}", s.load[0]))
        .unwrap_or_else(|| "…".into());
    spark(
        frame,
        cpu,
        &format!("CPU {cpu_now}"),
        &host.cpu_history,
        Some(100),
        theme,
    );
    spark(
        frame,
        mem,
        &format!("memory {mem_now}"),
        &host.mem_history,
        Some(100),
        theme,
    );
    spark(
        frame,
        load,
        &format!("load {load_now}"),
        &host.load_history,
        None,
        theme,
    );
}

fn spark(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    history: &History<u64>,
    max: Option<u64>,
    theme: &Theme,
) {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(title.to_owned(), theme.accent));
    let width = block.inner(area).width as usize;
    let data: Vec<u64> = history.last_n(width).copied().collect();
    let mut widget = Sparkline::default()
        .block(block)
        .data(&data)
        .style(theme.sparkline);
    if let Some(m) = max {
        widget = widget.max(m);
    }
    frame.render_widget(widget, area);
}

fn render_cores(frame: &mut Frame, area: Rect, host: &HostState, theme: &Theme) {
    let Some(s) = &host.last_sample else { return };
    let mut spans = vec![Span::styled("cores ", theme.accent)];
    for (i, pct) in s.cpu_cores.iter().enumerate() {
        let bar = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
            [((pct / 100.0) * 7.0).round().clamp(0.0, 7.0) as usize];
        let style = if *pct > 90.0 {
            theme.bad
        } else if *pct > 70.0 {
            theme.warn
        } else {
            theme.ok
        };
        spans.push(Span::styled(format!("{i}:{bar}{:>3.0}% ", pct), style));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

fn render_disks(frame: &mut Frame, area: Rect, host: &HostState, theme: &Theme) {
    let Some(s) = &host.last_sample else { return };
    let rows = Layout::vertical(
        std::iter::once(Constraint::Length(1)).chain(s.disks.iter().map(|_| Constraint::Length(1))),
    )
    .split(area);
    frame.render_widget(Paragraph::new(Span::styled("disks", theme.accent)), rows[0]);
    for (d, rect) in s.disks.iter().zip(rows.iter().skip(1)) {
        let pct = d.percent();
        let style = if pct > 90.0 {
            theme.bad
        } else if pct > 80.0 {
            theme.warn
        } else {
            theme.ok
        };
        let label = format!(
            "{} {} / {} ({:.0}%)",
            d.mount,
            units::bytes(d.used_bytes),
            units::bytes(d.total_bytes),
            pct
        );
        let gauge = Gauge::default()
            .ratio((pct / 100.0).clamp(0.0, 1.0))
            .label(label)
            .gauge_style(style)
            .use_unicode(true);
        frame.render_widget(gauge, *rect);
    }
}

fn render_services(frame: &mut Frame, area: Rect, host: &HostState, state: &State, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let checks: usize = host
        .services
        .iter()
        .map(|s| s.checks.len() + s.values.len())
        .sum();
    let mut lines = vec![Line::from(Span::styled(
        format!("services ({}) · checks ({checks})", host.services.len()),
        theme.accent,
    ))];
    for svc in &host.services {
        let run = state.run_state(svc);
        let (symbol, style) = run_style(run, theme);
        let detail = svc.observation.as_ref().map_or("", |o| o.detail.as_str());
        let mut spans = vec![
            Span::styled(format!("{symbol} {:<24}", svc.id.name), style),
            Span::styled(format!("{:<10}", run.label()), style),
            Span::styled(detail, theme.muted),
        ];
        if state
            .dispatcher
            .is_busy(&crate::action::Subject::Service(svc.id.clone()))
        {
            spans.push(Span::styled(
                " ⟳ busy",
                theme.accent.add_modifier(Modifier::BOLD),
            ));
        }
        lines.push(Line::from(spans));
        lines.extend(super::checks_panel::lines(svc, state, theme));
        lines.extend(super::promql_panel::lines(svc, state, theme));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
