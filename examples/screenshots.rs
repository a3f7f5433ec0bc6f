//! Renders opsdeck's screens to PNG files.
//!
//!   cargo run --example screenshots -- fixtures screenshots/
//!       the real UI code on the fixture fleet (examples/fleet.toml), pinned clock
//!   cargo run --example screenshots -- ansi CAPTURE.ans OUT.png
//!       a terminal capture (`tmux capture-pane -e -p`) of the running binary
//!
//! Cells are painted with DejaVu Sans Mono (Debian: fonts-dejavu-core).

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::{Rgb, RgbImage};
use opsdeck::app::TextInput;
use opsdeck::app::reducer::{Msg, update};
use opsdeck::fixture;
use opsdeck::model::Action;
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

const FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";
const SIZE: f32 = 17.0;
const DEFAULT_FG: [u8; 3] = [0xd8, 0xde, 0xe9];
const DEFAULT_BG: [u8; 3] = [0x0f, 0x13, 0x19];

struct Cell {
    text: String,
    fg: [u8; 3],
    bg: [u8; 3],
    bold: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["fixtures", dir] => fixtures(Path::new(dir)),
        ["ansi", input, output] => {
            let bytes = std::fs::read(input).expect("read capture");
            let grid = from_ansi(&bytes);
            paint(&grid, Path::new(output));
            println!("wrote {output}");
        }
        _ => {
            eprintln!("usage: screenshots fixtures DIR | screenshots ansi CAPTURE.ans OUT.png");
            std::process::exit(2);
        }
    }
}

/// The row of `host`/`service` selected.
fn select(state: &mut opsdeck::app::State, host: &str, service: &str) {
    use opsdeck::app::state::Row;
    state.selected = state
        .rows()
        .iter()
        .position(|r| match *r {
            Row::Service(h, s) => {
                state.hosts[h].id.as_str() == host
                    && &*state.hosts[h].services[s].id.name == service
            }
            _ => false,
        })
        .expect("a service row");
}

fn fixtures(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    type Prep = fn(&opsdeck::config::Config, &mut opsdeck::app::State);
    let screens: [(&str, Prep); 14] = [
        ("fleet", |_, _| {}),
        ("host-detail", |c, s| {
            update(s, c, Msg::Action(Action::Open));
        }),
        ("help", |c, s| {
            update(s, c, Msg::Action(Action::Help));
        }),
        ("plan-popup", |c, s| {
            update(s, c, Msg::Action(Action::Bottom));
            update(s, c, Msg::Action(Action::RestartService));
            for ch in "conductores".chars() {
                update(s, c, Msg::Input(TextInput::Char(ch)));
            }
        }),
        ("backups", |c, s| {
            select(s, "gamelera", "mongodb");
            update(s, c, Msg::Action(Action::OpenBackups));
        }),
        ("restore-plan", |c, s| {
            select(s, "triboka", "triboka-flask");
            update(s, c, Msg::Action(Action::OpenBackups));
            update(s, c, Msg::Action(Action::RestoreBackup));
        }),
        ("deploys", |c, s| {
            select(s, "gamelera", "backend");
            update(s, c, Msg::Action(Action::OpenDeploys));
        }),
        ("problems-only", |c, s| {
            update(s, c, Msg::Action(Action::ToggleProblems));
            s.notice = None;
        }),
        ("grouped-by-tag", |c, s| {
            update(s, c, Msg::Action(Action::CycleGrouping));
            update(s, c, Msg::Action(Action::Filter));
            for ch in "prod".chars() {
                update(s, c, Msg::Input(TextInput::Char(ch)));
            }
            update(s, c, Msg::Input(TextInput::Submit));
            s.notice = None;
        }),
        ("runbook-pane", fixture::open_runbook),
        ("alerts", fixture::alerts_screen),
        ("fleet-alerts", fixture::alerts),
        ("host-promql", |c, s| {
            fixture::prometheus_values(c, s);
            // preventia: its services' PromQL values beside the host's sparklines.
            s.selected = s
                .rows()
                .iter()
                .position(|r| *r == opsdeck::app::state::Row::Host(3))
                .expect("preventia's row");
            update(s, c, Msg::Action(Action::Open));
        }),
        ("timeline", fixture::open_timeline),
    ];
    for (name, prepare) in screens {
        let config = fixture::config();
        let mut state = fixture::state(&config, (120, 36));
        prepare(&config, &mut state);
        let mut terminal = Terminal::new(TestBackend::new(120, 36)).unwrap();
        terminal
            .draw(|f| opsdeck::ui::render(f, &state, &Theme::default()))
            .unwrap();
        let grid = from_buffer(terminal.backend().buffer());
        let out: PathBuf = dir.join(format!("{name}.png"));
        paint(&grid, &out);
        println!("wrote {}", out.display());
    }
}

fn from_buffer(buf: &ratatui::buffer::Buffer) -> Vec<Vec<Cell>> {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| {
                    let c = &buf[(x, y)];
                    let mut fg = rgb(c.fg, DEFAULT_FG);
                    let mut bg = rgb(c.bg, DEFAULT_BG);
                    if c.modifier.contains(Modifier::REVERSED) {
                        std::mem::swap(&mut fg, &mut bg);
                    }
                    Cell {
                        text: c.symbol().to_owned(),
                        fg,
                        bg,
                        bold: c.modifier.contains(Modifier::BOLD),
                    }
                })
                .collect()
        })
        .collect()
}

fn from_ansi(bytes: &[u8]) -> Vec<Vec<Cell>> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches('\n');
    let rows = text.lines().count().max(1) as u16;
    let cols = 400;
    let mut parser = vt100::Parser::new(rows, cols, 0);
    // capture-pane ends lines with \n only; the parser needs a carriage return too.
    parser.process(text.replace('\n', "\r\n").as_bytes());
    let screen = parser.screen();
    let width = (0..rows)
        .map(|r| {
            (0..cols)
                .rev()
                .find(|c| {
                    screen
                        .cell(r, *c)
                        .is_some_and(|x| !x.contents().is_empty() && x.contents() != " ")
                })
                .map_or(0, |c| c + 1)
        })
        .max()
        .unwrap_or(0);
    (0..rows)
        .map(|r| {
            (0..width)
                .map(|c| {
                    let cell = screen.cell(r, c).unwrap();
                    let mut fg = vt_rgb(cell.fgcolor(), DEFAULT_FG);
                    let mut bg = vt_rgb(cell.bgcolor(), DEFAULT_BG);
                    if cell.inverse() {
                        std::mem::swap(&mut fg, &mut bg);
                    }
                    Cell {
                        text: cell.contents().to_string(),
                        fg,
                        bg,
                        bold: cell.bold(),
                    }
                })
                .collect()
        })
        .collect()
}

const ANSI: [[u8; 3]; 16] = [
    [0x1c, 0x1f, 0x26],
    [0xe0, 0x5d, 0x5d],
    [0x6c, 0xc0, 0x6c],
    [0xe5, 0xc0, 0x7b],
    [0x61, 0x9c, 0xe8],
    [0xc6, 0x78, 0xdd],
    [0x56, 0xb6, 0xc2],
    [0xc8, 0xcc, 0xd4],
    [0x5c, 0x63, 0x70],
    [0xff, 0x7b, 0x7b],
    [0x98, 0xe0, 0x8c],
    [0xff, 0xe0, 0x8a],
    [0x8c, 0xbc, 0xff],
    [0xe0, 0x9c, 0xf0],
    [0x8a, 0xe0, 0xe8],
    [0xff, 0xff, 0xff],
];

fn rgb(c: Color, default: [u8; 3]) -> [u8; 3] {
    match c {
        Color::Reset => default,
        Color::Black => ANSI[0],
        Color::Red => ANSI[1],
        Color::Green => ANSI[2],
        Color::Yellow => ANSI[3],
        Color::Blue => ANSI[4],
        Color::Magenta => ANSI[5],
        Color::Cyan => ANSI[6],
        Color::Gray => ANSI[7],
        Color::DarkGray => ANSI[8],
        Color::LightRed => ANSI[9],
        Color::LightGreen => ANSI[10],
        Color::LightYellow => ANSI[11],
        Color::LightBlue => ANSI[12],
        Color::LightMagenta => ANSI[13],
        Color::LightCyan => ANSI[14],
        Color::White => ANSI[15],
        Color::Rgb(r, g, b) => [r, g, b],
        Color::Indexed(i) => indexed(i),
    }
}

fn vt_rgb(c: vt100::Color, default: [u8; 3]) -> [u8; 3] {
    match c {
        vt100::Color::Default => default,
        vt100::Color::Idx(i) => indexed(i),
        vt100::Color::Rgb(r, g, b) => [r, g, b],
    }
}

fn indexed(i: u8) -> [u8; 3] {
    match i {
        0..=15 => ANSI[i as usize],
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            [level(i / 36), level(i / 6 % 6), level(i % 6)]
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            [v, v, v]
        }
    }
}

fn paint(grid: &[Vec<Cell>], out: &Path) {
    let load = |name: &str| {
        FontVec::try_from_vec(
            std::fs::read(Path::new(FONT_DIR).join(name)).expect("fonts-dejavu-core is installed"),
        )
        .unwrap()
    };
    let (regular, bold) = (load("DejaVuSansMono.ttf"), load("DejaVuSansMono-Bold.ttf"));
    let scale = PxScale::from(SIZE);
    let scaled = regular.as_scaled(scale);
    let cw = scaled.h_advance(regular.glyph_id('M')).ceil() as u32;
    let ch = (scaled.ascent() - scaled.descent()).ceil() as u32 + 2;
    let cols = grid.iter().map(Vec::len).max().unwrap_or(0) as u32;
    let pad = 12;
    let mut img = RgbImage::from_pixel(
        cols * cw + 2 * pad,
        grid.len() as u32 * ch + 2 * pad,
        Rgb(DEFAULT_BG),
    );
    for (y, row) in grid.iter().enumerate() {
        for (x, cell) in row.iter().enumerate() {
            let (x0, y0) = (pad + x as u32 * cw, pad + y as u32 * ch);
            for dy in 0..ch {
                for dx in 0..cw {
                    img.put_pixel(x0 + dx, y0 + dy, Rgb(cell.bg));
                }
            }
            let Some(c) = cell.text.chars().next().filter(|c| *c != ' ') else {
                continue;
            };
            if block_element(&mut img, c, x0, y0, cw, ch, cell.fg) {
                continue;
            }
            let font = if cell.bold { &bold } else { &regular };
            let glyph = font.glyph_id(c).with_scale_and_position(
                scale,
                ab_glyph::point(x0 as f32, y0 as f32 + 1.0 + scaled.ascent()),
            );
            if let Some(outlined) = font.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, cov| {
                    let (px, py) = (b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                    if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height()
                    {
                        let p = img.get_pixel_mut(px as u32, py as u32);
                        for k in 0..3 {
                            p.0[k] = (p.0[k] as f32 * (1.0 - cov) + cell.fg[k] as f32 * cov) as u8;
                        }
                    }
                });
            }
        }
    }
    img.save(out).expect("write png");
}

/// Box drawing and block characters painted as rectangles so that lines join across cells.
fn block_element(
    img: &mut RgbImage,
    c: char,
    x0: u32,
    y0: u32,
    cw: u32,
    ch: u32,
    fg: [u8; 3],
) -> bool {
    let mut fill = |x1: u32, y1: u32, x2: u32, y2: u32| {
        for y in y0 + y1..y0 + y2.min(ch) {
            for x in x0 + x1..x0 + x2.min(cw) {
                img.put_pixel(x, y, Rgb(fg));
            }
        }
    };
    let (mx, my) = (cw / 2, ch / 2);
    match c {
        '─' => fill(0, my, cw, my + 1),
        '│' => fill(mx, 0, mx + 1, ch),
        '┌' => {
            fill(mx, my, cw, my + 1);
            fill(mx, my, mx + 1, ch)
        }
        '┐' => {
            fill(0, my, mx + 1, my + 1);
            fill(mx, my, mx + 1, ch)
        }
        '└' => {
            fill(mx, my, cw, my + 1);
            fill(mx, 0, mx + 1, my + 1)
        }
        '┘' => {
            fill(0, my, mx + 1, my + 1);
            fill(mx, 0, mx + 1, my + 1)
        }
        '├' => {
            fill(mx, 0, mx + 1, ch);
            fill(mx, my, cw, my + 1)
        }
        '▁'..='█' => {
            let eighths = c as u32 - '▁' as u32 + 1;
            let h = ch * eighths / 8;
            fill(0, ch - h, cw, ch)
        }
        '▉'..='▏' => {
            let eighths = 0x2590 - c as u32;
            fill(0, 0, (cw * eighths / 8).max(1), ch)
        }
        _ => return false,
    }
    true
}
