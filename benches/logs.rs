//! The log viewer's costs (targets): ingest into the ring (≥ 1 M lines/s, 100-byte lines),
//! a frame of the log screen with 1 M lines buffered and a regex filter active (≤ 2 ms),
//! memory per buffered line beyond its text (≤ 120 bytes).
//!   cargo bench --bench logs

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use opsdeck::app::state::{LogView, Screen};
use opsdeck::fixture;
use opsdeck::model::LogLine;
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Counts live heap bytes, to measure what a buffered line costs.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const N: usize = 1_000_000;

fn lines(n: usize) -> Vec<LogLine> {
    (0..n)
        .map(|i| {
            let level = ["INFO", "WARN", "ERROR", "DEBUG"][i % 4];
            let mut s = format!(
                "2026-11-25 13:{:02}:{:02},{:03} {level} [api-{}] GET /api/articles?page={i} 200",
                i / 60000 % 60,
                i / 1000 % 60,
                i % 1000,
                i % 2
            );
            s.truncate(100);
            while s.len() < 100 {
                s.push('.');
            }
            LogLine::plain(s)
        })
        .collect()
}

fn view() -> LogView {
    LogView::new(1, "h/api".into(), N)
}

fn figures() {
    // Ingest: a million 100-byte lines into an empty ring, in batches as the app receives them.
    let before = LIVE.load(Ordering::Relaxed);
    let input = lines(N);
    let text_bytes: usize = input.iter().map(|l| l.message.len()).sum();
    let mut v = view();
    let t = Instant::now();
    let mut batch = Vec::with_capacity(256);
    for l in input {
        batch.push(l);
        if batch.len() == 256 {
            v.push(std::mem::take(&mut batch));
        }
    }
    v.push(batch);
    let secs = t.elapsed().as_secs_f64();
    // The input is consumed: what is still held is the ring and its lines.
    let held = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "ingest: {:.2} M lines/s ({} lines in {:.3} s)",
        N as f64 / secs / 1e6,
        N,
        secs
    );
    println!(
        "memory: {:.1} bytes per line beyond its text",
        (held as f64 - text_bytes as f64) / N as f64
    );

    let t = Instant::now();
    v.set_filter("WARN.*page=\\d*7 ").unwrap();
    println!(
        "filter over 1 M lines: {:.1} ms ({} lines shown)",
        t.elapsed().as_secs_f64() * 1e3,
        v.visible_len()
    );
    v.set_search("api-1").unwrap();

    let config = fixture::config();
    let mut state = fixture::state(&config, (200, 50));
    state.screen = Screen::Logs(Box::new(v));
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut frames: Vec<f64> = (0..2000)
        .map(|_| {
            let t = Instant::now();
            terminal
                .draw(|f| opsdeck::ui::render(f, &state, &theme))
                .unwrap();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    frames.sort_by(|a, b| a.total_cmp(b));
    println!(
        "frame, 1 M lines, filter + search active, 200x50: p50 {:.0} µs, p99 {:.0} µs",
        frames[1000], frames[1980]
    );
}

fn bench(c: &mut Criterion) {
    let input = lines(100_000);
    c.bench_function("ingest_100k_lines", |b| {
        b.iter_batched(
            || (view(), input.clone()),
            |(mut v, l)| v.push(l),
            criterion::BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, bench);

fn main() {
    if std::env::args().any(|a| a == "--bench") {
        figures();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
